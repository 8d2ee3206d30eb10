// Package wire reads the scalars CallMyWay and real webhook senders put on
// the wire: numbers that arrive as JSON numbers or as strings, empty
// strings and nulls, text that is not valid UTF-8.
package wire

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/valyala/fastjson"
)

// Scalar returns a JSON string's text (trimmed, invalid UTF-8 replaced by
// U+FFFD so it round-trips) or a number's literal as written. A missing
// value or null is "". Objects, arrays and booleans are an error.
func Scalar(v *fastjson.Value) (string, error) {
	if v == nil {
		return "", nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		b := bytes.TrimSpace(v.GetStringBytes())
		if !utf8.Valid(b) {
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		}
		return string(b), nil
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil)), nil
	case fastjson.TypeNull:
		return "", nil
	}
	return "", fmt.Errorf("want a string or a number, got %s", v.Type())
}

// Raw is Scalar without the repair: a JSON string's text is returned
// trimmed but byte for byte, even when it is not valid UTF-8, for ids that
// must never be rewritten into one another (see valid.EscapeID).
func Raw(v *fastjson.Value) (string, error) {
	if v != nil && v.Type() == fastjson.TypeString {
		return string(bytes.TrimSpace(v.GetStringBytes())), nil
	}
	return Scalar(v)
}

// ParseIntString parses an integer written as "42", "42.0" or "" (zero).
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

// ParseDecimalString parses an exact decimal; "" is zero. Money is never
// a float64.
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
