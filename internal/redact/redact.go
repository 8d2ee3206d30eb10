// Package redact removes the account password from text, URLs and errors
// before they reach a caller, a log line or a formatted value.
//
// A provider may echo the password in any encoding, so a Redactor matches
// the secret character by character in every form a character takes on
// the wire: as is, percent-escaped (upper or lower case hex, "+" for a
// space), HTML-escaped (named, decimal or hex character references),
// JSON- or PHP-escaped ("\/", "\uXXXX" in either case, surrogate pairs),
// in any mix.
package redact

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Mask replaces every secret removed by a Redactor.
const Mask = "REDACTED"

// passwordParam matches a password query parameter in any text, so that a
// URL echoed by a server, a proxy or a lower layer is scrubbed even when the
// secret itself was not known (for example a password a fake server echoes).
var passwordParam = regexp.MustCompile(`(?i)(password=)[^&\s"'<>]*`)

// Redactor scrubs one secret. The zero value scrubs only password=
// parameters. A Redactor is immutable and safe for concurrent use.
type Redactor struct {
	re     *regexp.Regexp // the secret in any encoding, any mix
	anchor string         // a piece every listed encoding keeps as is ("" if none)
	forms  []string       // for a secret that is not UTF-8: its raw and percent forms
}

// New returns a Redactor for secret.
func New(secret string) Redactor {
	if secret == "" {
		return Redactor{}
	}
	if !utf8.ValidString(secret) {
		// Only the raw and percent forms can carry bytes that are not
		// UTF-8 (and a regexp cannot match them byte for byte).
		var r Redactor
		for _, f := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			r.forms = append(r.forms, f, lowerHex.ReplaceAllStringFunc(f, strings.ToLower))
		}
		return r
	}
	var b strings.Builder
	for i, r := range secret {
		b.WriteString(runeForms(r, string(secret[i:i+utf8.RuneLen(r)])))
	}
	return Redactor{re: regexp.MustCompile(b.String()), anchor: anchorOf(secret)}
}

var lowerHex = regexp.MustCompile(`%[0-9A-F]{2}`)

// runeForms is a regexp alternation of the ways r (raw: its UTF-8 bytes)
// can be written.
func runeForms(r rune, raw string) string {
	alts := []string{regexp.QuoteMeta(raw)}
	pct := ""
	for i := 0; i < len(raw); i++ {
		pct += fmt.Sprintf(`%%(?i:%02x)`, raw[i])
	}
	alts = append(alts, pct)
	if r == ' ' {
		alts = append(alts, `\+`)
	}
	// HTML character references: decimal (leading zeros allowed), hex.
	alts = append(alts, fmt.Sprintf(`&#0*%d;`, r), fmt.Sprintf(`&#(?i:x)0*(?i:%x);`, r))
	if name, ok := htmlNames[r]; ok {
		alts = append(alts, regexp.QuoteMeta(name))
	}
	// JSON and PHP string escapes.
	if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
		alts = append(alts, fmt.Sprintf(`\\u(?i:%04x)\\u(?i:%04x)`, r1, r2))
	} else if r <= 0xFFFF {
		alts = append(alts, fmt.Sprintf(`\\u(?i:%04x)`, r))
	}
	if e, ok := jsonEscapes[r]; ok {
		alts = append(alts, regexp.QuoteMeta(e))
	}
	return "(?:" + strings.Join(alts, "|") + ")"
}

var htmlNames = map[rune]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&quot;", '\'': "&apos;", 0xA0: "&nbsp;"}

var jsonEscapes = map[rune]string{'"': `\"`, '\\': `\\`, '/': `\/`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}

// anchorOf returns the longest run (at least 4) of ASCII letters and
// digits in secret: every encoding the package handles leaves those as
// they are, so text without the anchor needs no regexp pass.
func anchorOf(secret string) string {
	best, cur := "", ""
	for i := 0; i < len(secret); i++ {
		c := secret[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			cur += string(c)
			if len(cur) > len(best) {
				best = cur
			}
			continue
		}
		cur = ""
	}
	if len(best) < 4 {
		return ""
	}
	return best
}

// String returns s with the secret, in any encoding, and any password=
// parameter masked.
func (r Redactor) String(s string) string {
	if r.re != nil && (r.anchor == "" || strings.Contains(s, r.anchor)) {
		s = r.re.ReplaceAllString(s, Mask)
	}
	for _, f := range r.forms {
		s = strings.ReplaceAll(s, f, Mask)
	}
	return passwordParam.ReplaceAllString(s, "${1}"+Mask)
}

// Contains reports whether s holds the secret in any encoding.
func (r Redactor) Contains(s string) bool {
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return r.re != nil && (r.anchor == "" || strings.Contains(s, r.anchor)) && r.re.MatchString(s)
}

// ContainsBytes is Contains for a body, without copying it.
func (r Redactor) ContainsBytes(b []byte) bool {
	for _, f := range r.forms {
		if bytes.Contains(b, []byte(f)) {
			return true
		}
	}
	return r.re != nil && (r.anchor == "" || bytes.Contains(b, []byte(r.anchor))) && r.re.Match(b)
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
