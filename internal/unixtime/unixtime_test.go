package unixtime

import (
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	cr := time.FixedZone("CST", -6*3600)
	if Seconds(time.Time{}) != 0 || !Time(0, cr).IsZero() {
		t.Error("the zero time is 0 and back")
	}
	at := time.Date(2017, 6, 1, 10, 0, 0, 0, cr)
	got := Time(Seconds(at), cr)
	if !got.Equal(at) || got.Location() != cr {
		t.Errorf("round trip: %v", got)
	}
}
