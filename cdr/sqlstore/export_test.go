package sqlstore

import "time"

// SetClock makes l read the wall clock from now.
func SetClock(l *QueryLimiter, now func() time.Time) { l.now = now }
