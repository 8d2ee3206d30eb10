package cmwtest

import "time"

// Clock is the fake's source of time. The default uses package time, so
// inside a testing/synctest bubble the fake runs on the bubble's clock:
// that is how tests move the fake's time (see InProcess).
//
// A nil Clock is refused by WithClock. Implementations must be safe for
// concurrent use.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d, and returns a
	// function that cancels it.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
