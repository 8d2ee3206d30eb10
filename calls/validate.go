package calls

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
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
	MaxIDLen    = 128
	MaxDuration = 366 * 24 * time.Hour
	maxText     = 1024
	maxNotes    = 16 << 10
	maxMeta     = 64
)

func checkID(field, s string, required bool) error {
	switch {
	case s == "":
		if required {
			return invalid(field, "empty")
		}
		return nil
	case len(s) > MaxIDLen:
		return invalid(field, "%d bytes, longer than %d", len(s), MaxIDLen)
	case !utf8.ValidString(s):
		return invalid(field, "%q is not valid UTF-8", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return invalid(field, "%q holds a control character", s)
	}
	return nil
}

// checkCallID is checkID, and refuses the prefix of dial ids.
func checkCallID(field, s string, required bool) error {
	if err := checkID(field, s, required); err != nil {
		return err
	}
	for _, p := range []string{DialPrefix, RefusalPrefix} {
		if strings.HasPrefix(s, p) {
			return invalid(field, "%q starts with %q, kept for dials and refusals", s, p)
		}
	}
	return nil
}

func checkEndpoint(field string, e callmyway.Endpoint, required bool) error {
	if required && e.IsZero() {
		return invalid(field, "no endpoint id or username")
	}
	for _, n := range []struct{ f, v string }{{".ID", e.ID}, {".User", e.User}} {
		if err := checkID(field+n.f, n.v, false); err != nil {
			return err
		}
		if strings.IndexFunc(n.v, unicode.IsSpace) >= 0 {
			return invalid(field+n.f, "%q holds a space", n.v)
		}
	}
	return nil
}

func checkText(field, s string, max int) error {
	switch {
	case len(s) > max:
		return invalid(field, "%d bytes, longer than %d", len(s), max)
	case !utf8.ValidString(s):
		return invalid(field, "%q is not valid UTF-8", s)
	case strings.IndexByte(s, 0) >= 0:
		return invalid(field, "holds a NUL byte")
	}
	return nil
}

func checkNumber(field, s string, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "empty")
		}
		return nil
	}
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return invalid(field, "%q is not an E.164 number such as +50688887777", s)
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return invalid(field, "%q is not an E.164 number such as +50688887777", s)
		}
	}
	return nil
}

// normTime returns t in UTC to the microsecond, the zero time for 1970
// and before.
func normTime(field string, t *time.Time) error {
	if t.IsZero() || t.Year() <= 1970 {
		*t = time.Time{}
		return nil
	}
	if t.Year() > 9999 || t.UTC().Year() > 9999 {
		return invalid(field, "year %d is after 9999", t.Year())
	}
	*t = t.UTC().Truncate(time.Microsecond)
	return nil
}

func checkDuration(field string, d time.Duration) error {
	switch {
	case d < 0:
		return invalid(field, "%v is negative", d)
	case d > MaxDuration:
		return invalid(field, "%v is longer than a year", d)
	}
	return nil
}

var maxAmount = decimal.New(1, 12)

func checkAmount(field string, d decimal.Decimal) error {
	switch {
	case d.Abs().GreaterThanOrEqual(maxAmount):
		return invalid(field, "%s has more than 12 integer digits", d)
	case d.Exponent() < -12 && !d.Equal(d.Truncate(12)):
		return invalid(field, "%s has more than 12 decimals", d)
	}
	return nil
}

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
