package cdr

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
)

// replacement is what SanitizeText writes for a NUL byte or a run of
// invalid UTF-8 in free text: U+FFFD, the Unicode replacement character.
const replacement = "\uFFFD"

// EscapedIDPrefix starts an id (CallID, OriginalCallID, RefCallID) that
// the provider sent with bytes no store keeps as they are: NUL or another
// control character, or bytes that are not UTF-8 (or that started with
// this prefix). The rest is the id as sent, written as a Go string
// literal without its quotes: "c1\x00" arrives as `esc:c1\x00`, and
// "a\xffb" as `esc:a\xffb`. Such ids are kept byte for byte, so two
// different callids are never stored as one; UnescapeID gives the id as
// sent.
const EscapedIDPrefix = valid.EscapedPrefix

// UnescapeID returns the id as the provider sent it: id itself, or, for
// an id starting with EscapedIDPrefix, the bytes it stands for. ok is
// false for an id with the prefix that is not a valid escape.
func UnescapeID(id string) (raw string, ok bool) { return valid.UnescapeID(id) }

// SanitizeText returns r with its text made storable the same way by
// every Store. Ids (CallID, OriginalCallID, RefCallID) holding NUL or
// another control character, or bytes that are not valid UTF-8, are
// escaped reversibly (see EscapedIDPrefix; DecodePage has already done it
// for records the provider sent). In every other text field, in
// Direction, and in an Extra key or raw value, each NUL byte and each run
// of bytes that is not valid UTF-8 is replaced by U+FFFD. Valid text is
// returned unchanged, and r's Extra map is never modified (a changed Extra
// is a copy). Stores call it on every record they save; see the package
// documentation for why records are kept rather than refused.
func (r Record) SanitizeText() Record {
	for _, f := range []*string{&r.CallID, &r.OriginalCallID, &r.RefCallID} {
		*f = valid.SanitizeID(*f)
	}
	for _, f := range []*string{&r.ANI, &r.DNIS, &r.ANIUser, &r.DNISUser,
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
