package cdr

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/callmyway-go/sdk/callmyway"
)

// replacement is what SanitizeText writes for a NUL byte or a run of
// invalid UTF-8: U+FFFD, the Unicode replacement character.
const replacement = "\uFFFD"

// SanitizeText returns r with its text made storable the same way by
// every Store: each NUL byte, and each run of bytes that is not valid
// UTF-8, in a text field (CallID included), in Direction, or in an Extra
// key or raw value, is replaced by U+FFFD. Valid text is returned
// unchanged, and r's Extra map is never modified (a changed Extra is a
// copy). Stores call it on every record they save; see the package
// documentation for why records are repaired rather than refused.
func (r Record) SanitizeText() Record {
	for _, f := range []*string{&r.CallID, &r.OriginalCallID, &r.RefCallID, &r.ANI, &r.DNIS, &r.ANIUser, &r.DNISUser,
		&r.RoutePattern, &r.RouteName, &r.EndReason, &r.NameEndpointANI, &r.NameEndpointDNIS, &r.Type} {
		*f = sanitize(*f)
	}
	r.Direction = callmyway.Direction(sanitize(string(r.Direction)))
	dirty := false
	for k, v := range r.Extra {
		if !clean(k) || !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0 {
			dirty = true
			break
		}
	}
	if dirty {
		extra := make(map[string]json.RawMessage, len(r.Extra))
		for k, v := range r.Extra {
			if !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0 {
				v = bytes.ToValidUTF8(bytes.ReplaceAll(v, []byte{0}, []byte(replacement)), []byte(replacement))
			}
			extra[sanitize(k)] = v
		}
		r.Extra = extra
	}
	return r
}

// clean reports whether s is valid UTF-8 without NUL bytes.
func clean(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// sanitize replaces NUL bytes and runs of invalid UTF-8 in s by U+FFFD.
func sanitize(s string) string {
	if clean(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", replacement), replacement)
}
