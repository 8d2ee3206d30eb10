package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/policy"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	require.NoError(t, err)
	return l
}

func TestZones(t *testing.T) {
	cr := mustZone(t, "America/Costa_Rica")
	for num, want := range map[string]string{
		"+12125550100": "America/New_York",
		"+34911234567": "Europe/Madrid",
		"+34922123456": "Atlantic/Canary",
		"+50688881111": "America/Costa_Rica",
		"+18005550100": "America/Costa_Rica", // toll-free: every zone, so no place: the fallback
		"nonsense":     "America/Costa_Rica",
	} {
		zs := policy.Zones(num, cr)
		require.Len(t, zs, 1, num)
		assert.Equal(t, want, zs[0].String(), num)
	}
}

// dialAt asks p about a dial to num at t and returns the refusal, or nil
// when the dial was admitted.
func dialAt(t *testing.T, p *policy.Policy, clk *clock, num string, at time.Time) *policy.RefusalError {
	t.Helper()
	clk.Set(at)
	n, err := number.Parse(num, "CR")
	require.NoError(t, err)
	refs++
	err = p.Admit(t.Context(), click2dial.Attempt{Ref: "h" + time.Duration(refs).String(), Agent: agent, Number: n})
	if err == nil {
		return nil
	}
	return refusal(t, err)
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestCallingHoursAcrossDST: the window is wall-clock time in the
// customer's zone, also on the days daylight saving time starts (New
// York, 2026-03-08: 02:00 EST becomes 03:00 EDT) and ends (Madrid,
// 2026-10-25: 03:00 CEST becomes 02:00 CET).
func TestCallingHoursAcrossDST(t *testing.T) {
	_, p, clk := setup(t, policy.Limits{Hours: policy.Hours{Start: 9 * time.Hour, End: 20 * time.Hour}})
	const ny = "+12125550100"
	for _, tc := range []struct {
		at, next string // next "": admitted
	}{
		{"2026-03-07T13:30:00Z", "2026-03-07T14:00:00Z"}, // 08:30 EST; opens 09:00 EST = 14:00 UTC
		{"2026-03-07T14:00:00Z", ""},                     // 09:00 EST
		{"2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z"}, // 08:00 EDT; opens 09:00 EDT = 13:00 UTC
		{"2026-03-08T13:00:00Z", ""},                     // 09:00 EDT (a duration since midnight says 08:00)
		{"2026-03-08T23:59:59Z", ""},                     // 19:59:59 EDT
		{"2026-03-09T00:00:00Z", "2026-03-09T13:00:00Z"}, // 20:00 EDT: closed until 09:00 EDT
		{"2026-03-08T06:30:00Z", "2026-03-08T13:00:00Z"}, // 01:30 EST, before the jump
	} {
		re := dialAt(t, p, clk, ny, utc(tc.at))
		if tc.next == "" {
			assert.Nil(t, re, tc.at)
			continue
		}
		if assert.NotNil(t, re, tc.at) {
			assert.Equal(t, policy.RuleCallingHours, re.Rule)
			assert.Equal(t, utc(tc.next), re.NextAllowed.UTC(), tc.at)
			assert.Contains(t, re.Detail, "America/New_York")
		}
	}

	_, p, clk = setup(t, policy.Limits{Hours: policy.Hours{Start: 8 * time.Hour, End: 21 * time.Hour}})
	const madrid = "+34911234567"
	for _, tc := range []struct{ at, next string }{
		{"2026-10-24T06:30:00Z", ""},                     // 08:30 CEST
		{"2026-10-25T06:30:00Z", "2026-10-25T07:00:00Z"}, // 07:30 CET; opens 08:00 CET = 07:00 UTC
		{"2026-10-25T19:59:00Z", ""},                     // 20:59 CET
		{"2026-10-25T20:00:00Z", "2026-10-26T07:00:00Z"}, // 21:00 CET
		{"2026-10-24T19:00:00Z", "2026-10-25T07:00:00Z"}, // 21:00 CEST, the night the clocks go back
	} {
		re := dialAt(t, p, clk, madrid, utc(tc.at))
		if tc.next == "" {
			assert.Nil(t, re, tc.at)
			continue
		}
		if assert.NotNil(t, re, tc.at) {
			assert.Equal(t, utc(tc.next), re.NextAllowed.UTC(), tc.at)
		}
	}
}

func TestCallingHoursDaysAndCustomerZone(t *testing.T) {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	_, p, clk := setup(t, policy.Limits{Hours: policy.Hours{Start: 9 * time.Hour, End: 20 * time.Hour, Days: weekdays}},
		policy.WithCustomers(customers{"number:+50688881111": {Zone: mustZone(t, "Asia/Tokyo")}}))
	// Saturday 10:00 in New York: next is Monday 09:00 EDT.
	re := dialAt(t, p, clk, "+12125550100", utc("2026-03-07T15:00:00Z"))
	require.NotNil(t, re)
	assert.Equal(t, utc("2026-03-09T13:00:00Z"), re.NextAllowed.UTC())
	// A Costa Rican number whose customer lives in Tokyo: Monday 15:00 UTC
	// is 00:00 Tuesday there.
	re = dialAt(t, p, clk, "88881111", t0)
	require.NotNil(t, re)
	assert.Equal(t, utc("2026-03-03T00:00:00Z"), re.NextAllowed.UTC(), "09:00 Tuesday in Tokyo")
	assert.Nil(t, dialAt(t, p, clk, "88882222", t0), "09:00 Monday in Costa Rica")
}

// TestNextAllowedCombinesRules: the cap frees a slot after the window
// closes, so the next attempt is the next morning.
func TestNextAllowedCombinesRules(t *testing.T) {
	_, p, clk := setup(t, policy.Limits{MaxAttempts: 1, Window: time.Hour, Hours: policy.Hours{Start: 8 * time.Hour, End: 20 * time.Hour}})
	// 19:30 in Costa Rica (UTC-6).
	assert.Nil(t, dialAt(t, p, clk, "88881111", utc("2026-03-03T01:30:00Z")))
	re := dialAt(t, p, clk, "88881111", utc("2026-03-03T01:40:00Z"))
	require.NotNil(t, re)
	assert.Equal(t, policy.RuleMaxAttempts, re.Rule)
	assert.Equal(t, utc("2026-03-03T14:00:00Z"), re.NextAllowed.UTC(), "08:00 the next morning, not 20:30")
}
