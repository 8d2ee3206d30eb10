package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// Rule names one rule of the contact policy. Rules are checked in the
// order of the constants below; a refusal names the first that refuses.
//
// The zero Rule names no rule. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Rule string

// Rules of the contact policy.
const (
	// RuleDoNotCall: the customer is on the do-not-call list
	// (Customer.DoNotCall). There is no next allowed time.
	RuleDoNotCall Rule = "do-not-call"
	// RuleCallingHours: outside the calling hours in the customer's zone.
	RuleCallingHours Rule = "calling-hours"
	// RuleCooldown: a connected call with the customer ended less than
	// Limits.Cooldown ago (or is still going on).
	RuleCooldown Rule = "cooldown"
	// RuleMaxAttempts: Limits.MaxAttempts dials were made to the customer
	// within the rolling Limits.Window.
	RuleMaxAttempts Rule = "max-attempts"
)

// Hours is a daily calling window in the customer's zone. Start and End
// are wall-clock times of day (8*time.Hour is 08:00, 20*time.Hour is
// 20:00, 24*time.Hour is midnight at the end of the day), so the window
// stays 08:00 to 20:00 local on the days daylight saving time starts or
// ends. Days are the allowed weekdays (empty: every day).
//
// The zero Hours is "no calling hours" (every time allowed). It is a plain
// value: safe to copy, and to read from several goroutines concurrently.
type Hours struct {
	Start, End time.Duration
	Days       []time.Weekday
}

// IsZero reports whether h sets no calling hours.
func (h Hours) IsZero() bool { return h.Start == 0 && h.End == 0 && len(h.Days) == 0 }

func (h Hours) validate(field string) error {
	if h.IsZero() {
		return nil
	}
	if h.Start < 0 || h.End > 24*time.Hour || h.Start >= h.End {
		return fmt.Errorf("policy: %s: window %v-%v must be within a day and not empty", field, h.Start, h.End)
	}
	for _, d := range h.Days {
		if d < time.Sunday || d > time.Saturday {
			return fmt.Errorf("policy: %s: %d is not a weekday", field, d)
		}
	}
	return nil
}

// allowsIn reports whether t is inside h in loc.
func (h Hours) allowsIn(t time.Time, loc *time.Location) bool {
	if h.IsZero() {
		return true
	}
	l := t.In(loc)
	if len(h.Days) > 0 && !slices.Contains(h.Days, l.Weekday()) {
		return false
	}
	clock := time.Duration(l.Hour())*time.Hour + time.Duration(l.Minute())*time.Minute +
		time.Duration(l.Second())*time.Second + time.Duration(l.Nanosecond())
	return clock >= h.Start && clock < h.End
}

// allows reports whether t is inside h in every one of zones.
func (h Hours) allows(t time.Time, zones []*time.Location) bool {
	for _, z := range zones {
		if !h.allowsIn(t, z) {
			return false
		}
	}
	return true
}

// next returns the first instant at or after t that h allows in every one
// of zones, or the zero time when there is none within two weeks.
func (h Hours) next(t time.Time, zones []*time.Location) time.Time {
	if h.allows(t, zones) {
		return t
	}
	// The window opens at some zone's Start on some day (at either
	// reading of a wall-clock time the clocks go back over), or where the
	// clocks jump over Start (a zone transition): try each, in order.
	var cands []time.Time
	limit := t.Add(16 * 24 * time.Hour)
	hh, mm, ss := int(h.Start/time.Hour), int(h.Start%time.Hour/time.Minute), int(h.Start%time.Minute/time.Second)
	for _, z := range zones {
		l := t.In(z)
		for d := -1; d <= 15; d++ {
			noon := time.Date(l.Year(), l.Month(), l.Day()+d, 12, 0, 0, 0, z)
			y, m, dd := noon.Date()
			var offs []int
			for _, probe := range []time.Time{noon.Add(-24 * time.Hour), noon, noon.Add(24 * time.Hour)} {
				if _, off := probe.Zone(); !slices.Contains(offs, off) {
					offs = append(offs, off)
				}
			}
			for _, off := range offs {
				c := time.Date(y, m, dd, hh, mm, ss, 0, time.FixedZone("", off))
				lc := c.In(z)
				if ly, lm, ld := lc.Date(); ly == y && lm == m && ld == dd && lc.Hour() == hh && lc.Minute() == mm && lc.Second() == ss && c.After(t) {
					cands = append(cands, c)
				}
			}
		}
		for s, i := t, 0; i < 8 && s.Before(limit); i++ {
			_, end := s.In(z).ZoneBounds()
			if end.IsZero() {
				break
			}
			cands = append(cands, end)
			s = end
		}
	}
	slices.SortFunc(cands, func(a, b time.Time) int { return a.Compare(b) })
	for _, c := range cands {
		if h.allows(c, zones) {
			return c
		}
	}
	return time.Time{}
}

// Limits are the contact policy's numeric rules: a cap on dials per
// customer over a rolling window, a cool-down after a connected call, and
// the calling hours.
//
// The zero Limits limits nothing. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type Limits struct {
	// MaxAttempts is how many dials a customer may get within Window
	// (0: no cap). A dial counts from its start: one made at T no longer
	// counts from T+Window on.
	MaxAttempts int
	Window      time.Duration
	// Cooldown is how long after a connected call with the customer (in
	// or out) ends no dial is allowed (0: none).
	Cooldown time.Duration
	// Hours are the calling hours in the customer's zone (zero: any
	// time).
	Hours Hours
}

func (l Limits) validate(field string) error {
	switch {
	case l.MaxAttempts < 0:
		return fmt.Errorf("policy: %s.MaxAttempts: %d is negative", field, l.MaxAttempts)
	case l.MaxAttempts > 0 && l.Window <= 0:
		return fmt.Errorf("policy: %s.Window: a cap of %d attempts needs a positive window", field, l.MaxAttempts)
	case l.Window < 0 || l.Window > calls.MaxDuration:
		return fmt.Errorf("policy: %s.Window: %v is out of range", field, l.Window)
	case l.Cooldown < 0 || l.Cooldown > calls.MaxDuration:
		return fmt.Errorf("policy: %s.Cooldown: %v is out of range", field, l.Cooldown)
	}
	return l.Hours.validate(field + ".Hours")
}

// lookback is how far back a decision at t reads the customer's calls.
func (l Limits) lookback(maxCall time.Duration) time.Duration {
	d := l.Window
	if l.Cooldown > 0 {
		d = max(d, l.Cooldown+maxCall)
	}
	return d
}

// Decision is what the policy says about dialling a customer at a time:
// allowed, or refused by Rule until NextAllowed. Refusing lists every
// rule that refuses, Rule first.
//
// The zero Decision allows the dial. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type Decision struct {
	Allowed     bool
	Rule        Rule      // the first rule that refuses ("" when allowed)
	Refusing    []Rule    // every rule that refuses, in rule order
	NextAllowed time.Time // when every rule allows a dial again (zero: never, as do-not-call)
	Detail      string    // a sentence for people
	Attempts    int       // dials counted in the window
}

// counts reports whether c is a dial attempt to the customer: an
// outbound call (a dial, admitted or not by a policy) that was placed,
// or may have been.
func counts(c calls.Call) bool {
	return c.Direction == callmyway.DirectionOutbound && c.State != calls.StateRefused && c.Outcome != calls.OutcomeNotPlaced
}

// attemptTime is when a dial was attempted: when the policy admitted it,
// else when it started.
func attemptTime(c calls.Call) time.Time {
	if !c.Admission.At.IsZero() {
		return c.Admission.At
	}
	return c.Start
}

// decide applies limits to the customer's history at t. zones are the
// customer's zones (at least one).
func decide(lim Limits, cust Customer, zones []*time.Location, hist []calls.Call, t time.Time) Decision {
	d := Decision{Allowed: true}
	var details []string
	refuse := func(r Rule, detail string) {
		d.Allowed = false
		d.Refusing = append(d.Refusing, r)
		details = append(details, detail)
	}
	earliest := t // the earliest time cool-down and cap allow
	if cust.DoNotCall {
		refuse(RuleDoNotCall, "the customer is on the do-not-call list")
	}
	if !lim.Hours.allows(t, zones) {
		refuse(RuleCallingHours, fmt.Sprintf("outside calling hours %s in %s", clockRange(lim.Hours), zoneNames(zones)))
	}
	if lim.Cooldown > 0 {
		var until time.Time
		for _, c := range hist {
			if c.Connect.IsZero() || c.State == calls.StateRefused {
				continue
			}
			end := c.Disconnect
			if end.IsZero() {
				if !c.Live {
					continue // its end never came; it no longer counts as going on
				}
				end = t // still connected: at least the cool-down from now
			}
			if u := end.Add(lim.Cooldown); u.After(until) {
				until = u
			}
		}
		if t.Before(until) {
			refuse(RuleCooldown, fmt.Sprintf("a connected call with the customer ended less than %v ago", lim.Cooldown))
			earliest = maxTime(earliest, until)
		}
	}
	if lim.MaxAttempts > 0 {
		var starts []time.Time
		for _, c := range hist {
			// A dial counts from when the policy admitted it (else its
			// start); one stamped later than t (another replica's clock
			// ahead) counts too.
			if at := attemptTime(c); counts(c) && at.After(t.Add(-lim.Window)) {
				starts = append(starts, at)
			}
		}
		d.Attempts = len(starts)
		if len(starts) >= lim.MaxAttempts {
			slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
			refuse(RuleMaxAttempts, fmt.Sprintf("%d dials within %v (at most %d)", len(starts), lim.Window, lim.MaxAttempts))
			earliest = maxTime(earliest, starts[len(starts)-lim.MaxAttempts].Add(lim.Window))
		}
	}
	if d.Allowed {
		return d
	}
	d.Rule = d.Refusing[0]
	d.Detail = strings.Join(details, "; ")
	if !cust.DoNotCall {
		d.NextAllowed = lim.Hours.next(earliest, zones)
	}
	return d
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func clockRange(h Hours) string {
	f := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	s := f(h.Start) + "-" + f(h.End)
	if len(h.Days) > 0 {
		var ds []string
		for _, d := range h.Days {
			ds = append(ds, d.String()[:3])
		}
		s += " " + strings.Join(ds, ",")
	}
	return s
}

func zoneNames(zones []*time.Location) string {
	var n []string
	for _, z := range zones {
		n = append(n, z.String())
	}
	return strings.Join(n, " and ")
}
