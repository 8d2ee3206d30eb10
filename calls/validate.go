package calls

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
)

// Input rules. The ledger applies them before any store sees a fact, so
// every store holds exactly the same data:
//
//   - ids (callids, dial refs, disposition ids, charge keys) are 1 to
//     MaxIDLen bytes of valid UTF-8 without control characters. Invalid
//     text is rejected, never repaired: two different callids must never
//     collapse into one key. Callids may not start with DialPrefix.
//   - endpoint names follow the id rule, without spaces, and may be empty.
//   - free text is valid UTF-8 without NUL bytes, at most maxText bytes
//     (maxNotes for notes).
//   - numbers are E.164: "+" and 2 to 15 digits, the first not 0.
//   - times are kept in UTC to the microsecond; a time in 1970 or before
//     means "not known"/"not connected" and reads as the zero time; years
//     after 9999 are rejected.
//   - durations are between 0 and MaxDuration.
//   - amounts have at most 12 integer digits and 12 decimals.
const (
	MaxIDLen    = valid.MaxIDLen
	MaxDuration = valid.MaxDuration
	maxText     = valid.MaxText
	maxNotes    = valid.MaxNotes
	maxMeta     = 64
)

// The checks below wrap the rules of internal/valid, shared with the
// webhook parser (so an event it accepts is one the ledger stores), in an
// *InvalidError naming the field.

func wrap(field string, err error) error {
	if err == nil {
		return nil
	}
	return &InvalidError{Field: field, Reason: err.Error()}
}

func checkID(field, s string, required bool) error { return wrap(field, valid.ID(s, required)) }

// checkCallID is checkID, and refuses the prefix of dial ids.
func checkCallID(field, s string, required bool) error {
	return wrap(field, valid.CallID(s, required))
}

func checkEndpoint(field string, e callmyway.Endpoint, required bool) error {
	if required && e.IsZero() {
		return invalid(field, "no endpoint id or username")
	}
	if err := valid.EndpointName(e.ID); err != nil {
		return wrap(field+".ID", err)
	}
	return wrap(field+".User", valid.EndpointName(e.User))
}

func checkText(field, s string, max int) error { return wrap(field, valid.Text(s, max)) }

func checkNumber(field, s string, required bool) error {
	return wrap(field, valid.Number(s, required))
}

// normTime returns t in UTC to the microsecond, the zero time for 1970
// and before.
func normTime(field string, t *time.Time) error {
	if t.IsZero() || t.Year() <= 1970 {
		*t = time.Time{}
		return nil
	}
	if err := valid.Year(*t); err != nil {
		return wrap(field, err)
	}
	*t = t.UTC().Truncate(time.Microsecond)
	return nil
}

func checkDuration(field string, d time.Duration) error { return wrap(field, valid.Duration(d)) }

func checkAmount(field string, d decimal.Decimal) error { return wrap(field, valid.Amount(d)) }

func checkDirection(field string, d callmyway.Direction) error {
	switch d {
	case callmyway.DirectionUnknown, callmyway.DirectionInbound, callmyway.DirectionOutbound, callmyway.DirectionInternal:
		return nil
	}
	return invalid(field, "%q is not in, out or internal", string(d))
}

func checkMeta(field string, m map[string]string) error {
	if len(m) > maxMeta {
		return invalid(field, "%d keys, more than %d", len(m), maxMeta)
	}
	for k, v := range m {
		if err := checkID(field+" key", k, true); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("%s[%q]", field, k), v, maxText); err != nil {
			return err
		}
	}
	return nil
}

// normDial validates d and returns it normalised.
func normDial(d Dial) (Dial, error) {
	if err := checkID("Dial.Ref", d.Ref, true); err != nil {
		return d, err
	}
	if len(DialPrefix)+len(d.Ref) > MaxIDLen {
		return d, invalid("Dial.Ref", "%d bytes, longer than %d", len(d.Ref), MaxIDLen-len(DialPrefix))
	}
	if err := checkEndpoint("Dial.Agent", d.Agent, true); err != nil {
		return d, err
	}
	if err := checkEndpoint("Dial.CallerID", d.CallerID, false); err != nil {
		return d, err
	}
	if err := checkNumber("Dial.Number", d.Number, true); err != nil {
		return d, err
	}
	if err := normTime("Dial.At", &d.At); err != nil {
		return d, err
	}
	if d.At.IsZero() {
		return d, invalid("Dial.At", "zero")
	}
	if err := checkMeta("Dial.Meta", d.Meta); err != nil {
		return d, err
	}
	if len(d.Meta) == 0 {
		d.Meta = nil
	} else {
		m := make(map[string]string, len(d.Meta))
		for k, v := range d.Meta {
			m[k] = v
		}
		d.Meta = m
	}
	return d, nil
}

// normEvent validates e and returns it normalised.
func normEvent(e Event) (Event, error) {
	if err := checkCallID("Event.CallID", e.CallID, true); err != nil {
		return e, err
	}
	if e.Action != ActionStart && e.Action != ActionEnd && e.Action != ActionLive {
		return e, invalid("Event.Action", "%q is not start, end or live", string(e.Action))
	}
	if e.Action == ActionLive && (!e.Disconnect.IsZero() || e.Duration != 0) {
		return e, invalid("Event.Disconnect", "a live sighting has no disconnect time or duration")
	}
	if err := checkEndpoint("Event.Endpoint", e.Endpoint, false); err != nil {
		return e, err
	}
	if err := checkDirection("Event.Direction", e.Direction); err != nil {
		return e, err
	}
	for _, f := range []struct{ name, v string }{{"Event.ANI", e.ANI}, {"Event.DNIS", e.DNIS}} {
		if err := checkText(f.name, f.v, maxText); err != nil {
			return e, err
		}
	}
	if err := checkNumber("Event.Number", e.Number, false); err != nil {
		return e, err
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"Event.Detect", &e.Detect}, {"Event.Connect", &e.Connect}, {"Event.Disconnect", &e.Disconnect}, {"Event.ReceivedAt", &e.ReceivedAt}} {
		if err := normTime(f.name, f.t); err != nil {
			return e, err
		}
	}
	if err := checkDuration("Event.Duration", e.Duration); err != nil {
		return e, err
	}
	if err := checkAmount("Event.Cost", e.Cost); err != nil {
		return e, err
	}
	return e, nil
}

// normLeg validates l and returns it normalised; field names the leg
// ("Leg" or "Legs[3]").
func normLeg(field string, l Leg) (Leg, error) {
	if err := checkCallID(field+".CallID", l.CallID, true); err != nil {
		return l, err
	}
	if err := checkCallID(field+".OriginalCallID", l.OriginalCallID, false); err != nil {
		return l, err
	}
	if err := checkCallID(field+".RefCallID", l.RefCallID, false); err != nil {
		return l, err
	}
	if err := checkEndpoint(field+".Agent", l.Agent, false); err != nil {
		return l, err
	}
	for _, f := range []struct{ name, v string }{{".ANI", l.ANI}, {".DNIS", l.DNIS}, {".EndReason", l.EndReason}} {
		if err := checkText(field+f.name, f.v, maxText); err != nil {
			return l, err
		}
	}
	if err := checkNumber(field+".Number", l.Number, false); err != nil {
		return l, err
	}
	if err := checkDirection(field+".Direction", l.Direction); err != nil {
		return l, err
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{".Detect", &l.Detect}, {".Connect", &l.Connect}, {".Disconnect", &l.Disconnect}, {".SeenAt", &l.SeenAt}} {
		if err := normTime(field+f.name, f.t); err != nil {
			return l, err
		}
	}
	if err := checkDuration(field+".Duration", l.Duration); err != nil {
		return l, err
	}
	for _, f := range []struct {
		name string
		d    decimal.Decimal
	}{{".Cost", l.Cost}, {".Rate", l.Rate}, {".AccessFee", l.AccessFee}} {
		if err := checkAmount(field+f.name, f.d); err != nil {
			return l, err
		}
	}
	return l, nil
}
