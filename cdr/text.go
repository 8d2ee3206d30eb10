package cdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
)

// replacement is what SanitizeText writes for a NUL byte or a run of
// invalid UTF-8 in free text: U+FFFD, the Unicode replacement character.
const replacement = "\uFFFD"

// EscapedIDPrefix starts the stored form of an id (CallID,
// OriginalCallID, RefCallID) holding bytes no store keeps as they are:
// NUL or another control character, or bytes that are not UTF-8; and of
// an id that itself starts with this prefix. The rest is the id written
// as a Go string literal without its quotes: "c1\x00" is stored as
// `esc:c1\x00`, "a\xffb" as `esc:a\xffb`, and "esc:1" as `esc:esc:1`.
// See EscapeID.
const EscapedIDPrefix = valid.EscapedPrefix

// EscapeID returns the form in which an id as the provider sent it (raw,
// as a Record holds it) is stored, and keyed by the calls ledger: raw
// itself when it is valid UTF-8 without control characters and does not
// start with EscapedIDPrefix, else its escaped form (EscapedIDPrefix).
// Two different raw ids never give the same result, and UnescapeID gives
// raw back. It is the one escaping of ids: a Record always holds raw ids
// (DecodePage does not escape them, and Stores give them back raw), and
// the stores (SanitizeText) and the ledger (calls.LegOf) escape them when
// they key a record or a call, so a record built by hand and one decoded
// from the provider are the same call exactly when their raw ids are
// equal. Escaping an escaped id again gives a different id, as for any
// other raw id.
func EscapeID(raw string) string { return valid.EscapeID(raw) }

// UnescapeID returns the id as the provider sent it from its stored form
// (EscapeID): id itself, or, for an id starting with EscapedIDPrefix, the
// bytes it stands for. ok is false for an id with the prefix that is not a
// valid escape.
func UnescapeID(id string) (raw string, ok bool) { return valid.UnescapeID(id) }

// SanitizeText returns r in the form every Store saves it. Its ids
// (CallID, OriginalCallID, RefCallID) are escaped with EscapeID (a plain
// id is unchanged; apply it once: an escaped id is escaped again). In
// every other text field, in Direction, and in an Extra key or raw value,
// each NUL byte and each run of bytes that is not valid UTF-8 is replaced
// by U+FFFD. Valid text is returned unchanged, and r's Extra map is never
// modified (a changed Extra is a copy). Stores call it on every record
// they save, and give the ids back raw (UnescapeID) when they read it; see
// the package documentation for why records are kept rather than
// refused.
func (r Record) SanitizeText() Record {
	for _, f := range []*string{&r.CallID, &r.OriginalCallID, &r.RefCallID} {
		*f = valid.EscapeID(*f)
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

// UnescapeIDs returns r, as a Store read it, with its ids given back raw
// (UnescapeID), as the provider sent them. An id that is not a valid
// escape is an error (a store row not written by SanitizeText).
func (r Record) UnescapeIDs() (Record, error) {
	for _, f := range []*string{&r.CallID, &r.OriginalCallID, &r.RefCallID} {
		raw, ok := valid.UnescapeID(*f)
		if !ok {
			return r, fmt.Errorf("cdr: stored id %q starts with %q but is not an escaped id", *f, EscapedIDPrefix)
		}
		*f = raw
	}
	return r, nil
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
