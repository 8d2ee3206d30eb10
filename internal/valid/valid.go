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

// CallID checks a provider's callid: the ID rule, and none of the prefixes
// the ledger keeps for its own ids.
func CallID(s string, required bool) error {
	if err := ID(s, required); err != nil {
		return err
	}
	for _, p := range []string{DialPrefix, RefusalPrefix} {
		if strings.HasPrefix(s, p) {
			return fmt.Errorf("%q starts with %q, kept for dials and refusals", s, p)
		}
	}
	return nil
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
