// Package unixtime stores times as Unix seconds with 0 for "no time", the
// encoding of our SQL tables.
package unixtime

import "time"

// Seconds returns t as Unix seconds, and 0 for the zero time.
func Seconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// Time returns the instant n Unix seconds in loc, and the zero time for 0.
// loc must not be nil.
func Time(n int64, loc *time.Location) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).In(loc)
}
