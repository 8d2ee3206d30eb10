package callmyway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// TimeLayout is the layout of every CallMyWay timestamp. It carries no
// zone: the provider writes the account's local time.
const TimeLayout = "2006-01-02 15:04:05"

// zeroText is how a zero Time is written: the provider's own marker for
// "not connected".
const zeroText = "1970-01-01 00:00:00"

// Time is a CallMyWay timestamp ("YYYY-MM-DD HH:mm:ss", no zone).
//
// The provider writes the account's local time without saying which zone
// that is, so a Time is only meaningful with the account's location: use
// Account.ParseTime (the account's zone), or In to reinterpret a Time decoded
// from JSON (which assumes UTC). "1970-01-01 00:00:00",
// "0000-00-00 00:00:00" and "" all decode to the zero Time, meaning "not
// connected" or "not yet".
//
// The zero Time means "not connected" or "not yet". It is a plain value:
// safe to copy, and to read from several goroutines concurrently.
type Time struct {
	t time.Time
}

// TimeError reports text that is not a CallMyWay timestamp.
//
// The zero TimeError has no input. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type TimeError struct {
	Input  string
	Reason string
}

// Error implements error.
func (e *TimeError) Error() string {
	return fmt.Sprintf("callmyway: invalid time %q: %s (want YYYY-MM-DD HH:mm:ss)", e.Input, e.Reason)
}

// Is reports whether target is ErrMalformedResponse: a bad timestamp in an
// answer is a malformed answer.
func (e *TimeError) Is(target error) bool { return target == ErrMalformedResponse }

// NewTime returns t as a Time. The zero time.Time and any instant at or
// before the Unix epoch's wall clock (1970-01-01 00:00:00) give the zero
// Time.
func NewTime(t time.Time) Time {
	if t.IsZero() || isEpochWall(t) {
		return Time{}
	}
	return Time{t: t.Truncate(time.Second)}
}

func isEpochWall(t time.Time) bool {
	y, m, d := t.Date()
	return y == 1970 && m == time.January && d == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
}

// ParseTime parses a provider timestamp in loc (nil means UTC). The zero
// markers give the zero Time and no error; any other text that is not
// "YYYY-MM-DD HH:mm:ss" is a *TimeError quoting the input.
func ParseTime(s string, loc *time.Location) (Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch s {
	case "", zeroText, "0000-00-00 00:00:00":
		return Time{}, nil
	}
	if len(s) != len(TimeLayout) || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return Time{}, &TimeError{Input: s, Reason: "wrong layout"}
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return Time{}, &TimeError{Input: s, Reason: "non-digit in a numeric field"}
	}
	switch {
	case month < 1 || month > 12:
		return Time{}, &TimeError{Input: s, Reason: "month out of range"}
	case day < 1 || day > daysIn(time.Month(month), year):
		return Time{}, &TimeError{Input: s, Reason: "day out of range"}
	case hour > 23:
		return Time{}, &TimeError{Input: s, Reason: "hour out of range"}
	case minute > 59:
		return Time{}, &TimeError{Input: s, Reason: "minute out of range"}
	case sec > 59:
		return Time{}, &TimeError{Input: s, Reason: "second out of range"}
	}
	return NewTime(time.Date(year, time.Month(month), day, hour, minute, sec, 0, loc)), nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// MustParseTime is like ParseTime but panics on error. It is meant for
// tests and constants.
func MustParseTime(s string, loc *time.Location) Time {
	t, err := ParseTime(s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// IsZero reports whether t is the zero Time ("not connected", "not yet").
func (t Time) IsZero() bool { return t.t.IsZero() }

// Time returns t as a time.Time; the zero Time gives the zero time.Time.
func (t Time) Time() time.Time { return t.t }

// In returns the Time with the same wall clock reinterpreted in loc. Use it
// on Times decoded from JSON, which are read as UTC, to place them in the
// account's zone. The zero Time stays zero.
func (t Time) In(loc *time.Location) Time {
	if t.IsZero() {
		return t
	}
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.t.Date()
	h, mi, s := t.t.Clock()
	return Time{t: time.Date(y, m, d, h, mi, s, 0, loc)}
}

// Location returns the zone t is expressed in (UTC for the zero Time).
func (t Time) Location() *time.Location {
	if t.IsZero() {
		return time.UTC
	}
	return t.t.Location()
}

// String returns the provider form, "YYYY-MM-DD HH:mm:ss", and
// "1970-01-01 00:00:00" for the zero Time.
func (t Time) String() string {
	if t.IsZero() {
		return zeroText
	}
	return t.t.Format(TimeLayout)
}

// Equal reports whether t and u are the same instant (both zero counts).
func (t Time) Equal(u Time) bool { return t.t.Equal(u.t) }

// MarshalJSON writes the provider form as a JSON string.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = append(b, t.String()...)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a provider timestamp as UTC wall clock; reinterpret
// it in the account's zone with In. null is the zero Time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &TimeError{Input: string(b), Reason: "not a JSON string"}
	}
	v, err := ParseTime(s, time.UTC)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalText implements encoding.TextMarshaler (provider form).
func (t Time) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (read as UTC).
func (t *Time) UnmarshalText(b []byte) error {
	v, err := ParseTime(string(b), time.UTC)
	if err != nil {
		return err
	}
	*t = v
	return nil
}
