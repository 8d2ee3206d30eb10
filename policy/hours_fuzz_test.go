package policy

import (
	"testing"
	"time"
)

var fuzzZones = []string{"America/New_York", "Europe/Madrid", "America/Costa_Rica", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns"}

// FuzzHoursNext checks Hours.next against its definition: the first
// instant at or after t inside the hours in every zone, found by walking
// minute by minute, across daylight saving changes.
func FuzzHoursNext(f *testing.F) {
	f.Add(int64(1772953200), uint16(9*60), uint16(20*60), uint8(0), uint8(0), uint8(0))    // New York, 2026-03-08
	f.Add(int64(1792890000), uint16(8*60), uint16(21*60), uint8(1), uint8(1), uint8(0x3e)) // Madrid, 2026-10-25, weekdays
	f.Add(int64(1772953200), uint16(150), uint16(200), uint8(0), uint8(3), uint8(0))       // 02:30-03:20, the hour that does not exist
	f.Fuzz(func(t *testing.T, sec int64, start, end uint16, z1, z2, days uint8) {
		if sec < 946684800 || sec > 4102444800 {
			return // 2000 to 2100
		}
		h := Hours{Start: time.Duration(start%1441) * time.Minute, End: time.Duration(end%1441) * time.Minute}
		for d := range 7 {
			if days&(1<<d) != 0 {
				h.Days = append(h.Days, time.Weekday(d))
			}
		}
		if h.validate("h") != nil {
			return
		}
		var zones []*time.Location
		for _, i := range []uint8{z1, z2} {
			l, err := time.LoadLocation(fuzzZones[int(i)%len(fuzzZones)])
			if err != nil {
				t.Skip(err)
			}
			zones = append(zones, l)
		}
		at := time.Unix(sec, 0).UTC()
		n := h.next(at, zones)
		// The first allowed minute boundary (or at itself), walking.
		var walk time.Time
		if h.allows(at, zones) {
			walk = at
		} else {
			for m := at.Truncate(time.Minute).Add(time.Minute); m.Before(at.Add(15 * 24 * time.Hour)); m = m.Add(time.Minute) {
				if h.allows(m, zones) {
					walk = m
					break
				}
			}
		}
		horizon := at.Add(15 * 24 * time.Hour)
		if walk.IsZero() {
			// Nothing within the walk's 15 days (zones whose hours meet
			// only in another season): next may be zero, or later and
			// allowed there.
			if !n.IsZero() && (n.Before(horizon) || !h.allows(n, zones)) {
				t.Fatalf("next(%v) in %v, hours %v-%v days %v = %v; walking finds nothing for 15 days, and %v is not allowed after them", at, zones, h.Start, h.End, h.Days, n, n)
			}
			return
		}
		if !n.Equal(walk) {
			t.Fatalf("next(%v) in %v, hours %v-%v days %v = %v; walking finds %v", at, zones, h.Start, h.End, h.Days, n, walk)
		}
	})
}
