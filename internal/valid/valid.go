// Package valid holds the input rules of the call ledger (package calls),
// in one place, so that every package that admits data bound for the
// ledger (the webhook parser first of all) refuses exactly what the ledger
// would refuse. A webhook event the parser accepts but the ledger cannot
// store would get a 500 on every retry: a lost event.
//
// Each check returns nil or an error whose text is the reason, without the
// field's name; callers wrap it in their own error type.
package valid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// The limits. Every store holds exactly the same data because the ledger
// applies these before any store sees a fact.
const (
	// MaxIDLen bounds ids (callids, endpoint names, dial refs...) in bytes.
	MaxIDLen = 128
	// MaxText bounds free text (numbers as received, reasons...) in bytes.
	MaxText = 1024
	// MaxNotes bounds a disposition's notes in bytes.
	MaxNotes = 16 << 10
	// MaxDuration bounds a duration.
	MaxDuration = 366 * 24 * time.Hour
	// MaxYear is the last year a time may fall in, in UTC.
	MaxYear = 9999
	// MaxAmountDecimals bounds the decimals of an amount.
	MaxAmountDecimals = 12

	// DialPrefix prefixes the ledger's id of a call known only by its dial.
	DialPrefix = "dial:"
	// RefusalPrefix prefixes the ledger's id of a refused attempt.
	RefusalPrefix = "refusal:"
	// EscapedPrefix prefixes an id kept byte for byte in escaped form
	// (EscapeID).
	EscapedPrefix = "esc:"
)

// MaxAmount is the first amount too large (in absolute value): 10^12.
var MaxAmount = decimal.New(1, 12)

// ID checks an id: 1 to MaxIDLen bytes of valid UTF-8 without control
// characters ("" is allowed when not required). Invalid text is refused,
// never repaired: two different ids must never collapse into one key.
func ID(s string, required bool) error {
	switch {
	case s == "":
		if required {
			return errors.New("empty")
		}
		return nil
	case len(s) > MaxIDLen:
		return fmt.Errorf("%d bytes, longer than %d", len(s), MaxIDLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%q holds a control character", s)
	}
	return nil
}

// CallID checks a callid as the ledger keeps it: the ID rule, none of the
// prefixes the ledger keeps for its own ids, and, with EscapedPrefix, the
// exact form EscapeID gives.
func CallID(s string, required bool) error {
	if err := ID(s, required); err != nil {
		return err
	}
	for _, p := range []string{DialPrefix, RefusalPrefix} {
		if strings.HasPrefix(s, p) {
			return fmt.Errorf("%q starts with %q, kept for dials and refusals", s, p)
		}
	}
	if raw, ok := UnescapeID(s); strings.HasPrefix(s, EscapedPrefix) && (!ok || EscapeID(raw) != s) {
		return fmt.Errorf("%q starts with %q but is not an escaped id", s, EscapedPrefix)
	}
	return nil
}

// WireCallID checks a callid as a sender wrote it (a webhook's), before
// the ledger keys it with EscapeID: the ID rule (a sender that writes a
// control character or invalid UTF-8 can fix and resend), and
// EscapeID(s) must pass CallID (not a ledger prefix such as DialPrefix,
// and at most MaxIDLen bytes once escaped). A callid starting with
// EscapedPrefix is accepted: EscapeID keeps it apart from every escaped
// id, so it meets the same call's CDR (see EscapeID).
func WireCallID(s string, required bool) error {
	if err := ID(s, required); err != nil || s == "" {
		return err
	}
	if err := CallID(EscapeID(s), required); err != nil {
		return fmt.Errorf("%q once escaped: %w", s, err)
	}
	return nil
}

// NeedsEscape reports whether id cannot be kept as is: it is not valid
// UTF-8 or holds a control character (NUL included). Such bytes are
// refused by some databases, and repairing them (U+FFFD) could make two
// ids one.
func NeedsEscape(id string) bool {
	return !utf8.ValidString(id) || strings.IndexFunc(id, unicode.IsControl) >= 0
}

// EscapeID returns raw, an id as received (from the provider, a webhook
// or a hand-built record), as the key every store keeps: raw itself when
// it is valid UTF-8 without control characters and does not start with
// EscapedPrefix (so a plain id is its own key); otherwise EscapedPrefix
// followed by raw written as a Go string literal without its quotes
// (`esc:c1\x00`, `esc:a\xffb`, `esc:esc:1`). Two different raw ids never
// give the same result, and UnescapeID gives raw back.
//
// It is the one place ids are escaped, applied where a raw id becomes a
// key (the calls ledger's LegOf, LiveOf and EventOf, the cdr stores'
// Record.SanitizeText). Ids are never escaped earlier (decoding keeps
// them raw), so an id is escaped exactly once whichever way it came: an
// escaped id passed again is escaped again, as a different raw id.
func EscapeID(raw string) string {
	if !NeedsEscape(raw) && !strings.HasPrefix(raw, EscapedPrefix) {
		return raw
	}
	q := strconv.Quote(raw)
	return EscapedPrefix + q[1:len(q)-1]
}

// UnescapeID returns the raw id an EscapeID result stands for; an id
// without EscapedPrefix is returned as is. ok is false for an id with
// EscapedPrefix that is not a valid escape.
func UnescapeID(id string) (raw string, ok bool) {
	rest, found := strings.CutPrefix(id, EscapedPrefix)
	if !found {
		return id, true
	}
	raw, err := strconv.Unquote(`"` + rest + `"`)
	if err != nil {
		return "", false
	}
	return raw, true
}

// EndpointName checks one name of a phone (endpoint id or username): the
// ID rule without spaces; it may be empty.
func EndpointName(s string) error {
	if err := ID(s, false); err != nil {
		return err
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return fmt.Errorf("%q holds a space", s)
	}
	return nil
}

// Text checks free text: valid UTF-8 without NUL bytes, at most max bytes.
func Text(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("%d bytes, longer than %d", len(s), max)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	case strings.IndexByte(s, 0) >= 0:
		return errors.New("holds a NUL byte")
	}
	return nil
}

// Number checks an E.164 number: "+" and 2 to 15 digits, the first not 0
// ("" is allowed when not required).
func Number(s string, required bool) error {
	if s == "" {
		if required {
			return errors.New("empty")
		}
		return nil
	}
	bad := len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0'
	for i := 1; i < len(s) && !bad; i++ {
		bad = s[i] < '0' || s[i] > '9'
	}
	if bad {
		return fmt.Errorf("%q is not an E.164 number such as +50688887777", s)
	}
	return nil
}

// Year checks that t falls in MaxYear or before, in its zone and in UTC.
func Year(t time.Time) error {
	if t.Year() > MaxYear || t.UTC().Year() > MaxYear {
		return fmt.Errorf("year %d is after %d", max(t.Year(), t.UTC().Year()), MaxYear)
	}
	return nil
}

// Duration checks a duration: 0 to MaxDuration.
func Duration(d time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("%v is negative", d)
	case d > MaxDuration:
		return fmt.Errorf("%v is longer than a year", d)
	}
	return nil
}

// Amount checks an amount: at most 12 integer digits and
// MaxAmountDecimals decimals (trailing zeros aside).
func Amount(d decimal.Decimal) error {
	switch {
	case d.Abs().GreaterThanOrEqual(MaxAmount):
		return fmt.Errorf("%s has more than 12 integer digits", d)
	case d.Exponent() < -MaxAmountDecimals && !d.Equal(d.Truncate(MaxAmountDecimals)):
		return fmt.Errorf("%s has more than %d decimals", d, MaxAmountDecimals)
	}
	return nil
}
