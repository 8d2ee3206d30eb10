// Package redact removes the account password from text, URLs and errors
// before they reach a caller, a log line or a formatted value.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces every secret removed by a Redactor.
const Mask = "REDACTED"

// passwordParam matches a password query parameter in any text, so that a
// URL echoed by a server, a proxy or a lower layer is scrubbed even when the
// secret itself was not known (for example a password a fake server echoes).
var passwordParam = regexp.MustCompile(`(?i)(password=)[^&\s"'<>]*`)

// Redactor scrubs one secret. The zero value scrubs only password=
// parameters.
type Redactor struct {
	forms []string
}

// New returns a Redactor for secret. The raw form, its query-escaped and
// path-escaped forms are all removed.
func New(secret string) Redactor {
	var r Redactor
	if secret == "" {
		return r
	}
	seen := map[string]bool{}
	for _, f := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
		if !seen[f] {
			seen[f] = true
			r.forms = append(r.forms, f)
		}
	}
	return r
}

// String returns s with the secret and any password= parameter masked.
func (r Redactor) String(s string) string {
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, Mask)
	}
	return passwordParam.ReplaceAllString(s, "${1}"+Mask)
}

// URL returns u as text with the password query parameter and the secret
// masked. A nil URL gives "".
func (r Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if q := c.Query(); q.Has("password") {
		q.Set("password", Mask)
		c.RawQuery = q.Encode()
	}
	return r.String(c.String())
}
