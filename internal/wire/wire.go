// Package wire holds the tolerant JSON scalars used to decode what
// CallMyWay and real webhook senders put on the wire: numbers that arrive as
// JSON numbers or as strings, empty strings and nulls.
package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// unquote returns the text of a JSON scalar: the contents of a string, or
// the literal of a number. null gives "", true.
func unquote(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return "", fmt.Errorf("empty value")
	case string(b) == "null":
		return "", nil
	case b[0] == '"' && len(b) >= 2 && b[len(b)-1] == '"' && plain(b[1:len(b)-1]):
		return string(b[1 : len(b)-1]), nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return s, nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return string(b), nil
	case string(b) == "true" || string(b) == "false":
		return string(b), nil
	default:
		return "", fmt.Errorf("want a string or a number, got %.20s", b)
	}
}

// plain reports whether b needs no JSON unescaping: no backslash, no
// control or non-ASCII byte (those take the careful path).
func plain(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c < 0x20 || c >= 0x80 || c == '"' {
			return false
		}
	}
	return true
}

// String decodes a JSON string or number (kept as written) into a string.
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	v, err := unquote(b)
	if err != nil {
		return err
	}
	*s = String(strings.TrimSpace(v))
	return nil
}

// Int decodes a JSON integer, a string holding one, "" or null (zero).
// A number with a zero fraction ("12.0") is accepted.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	v, err := ParseInt(b)
	*n = Int(v)
	return err
}

// ParseInt is the decoding behind Int, for callers that hold raw bytes.
func ParseInt(b []byte) (int64, error) {
	s, err := unquote(b)
	if err != nil {
		return 0, err
	}
	return ParseIntString(s)
}

// ParseIntString parses the text form accepted by Int.
func ParseIntString(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil || !d.IsInteger() {
		return 0, fmt.Errorf("not an integer: %q", s)
	}
	if !d.Abs().LessThan(decimal.New(1, 18)) {
		return 0, fmt.Errorf("integer out of range: %q", s)
	}
	return d.IntPart(), nil
}

// Decimal decodes a JSON number, a string holding one, "" or null (zero)
// into an exact decimal. Money is never a float64.
type Decimal struct{ decimal.Decimal }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s, err := unquote(b)
	if err != nil {
		return err
	}
	v, err := ParseDecimalString(s)
	d.Decimal = v
	return err
}

// ParseDecimalString parses the text form accepted by Decimal.
func ParseDecimalString(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Zero, nil
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, fmt.Errorf("not a decimal number: %q", s)
	}
	return v, nil
}
