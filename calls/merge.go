package calls

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"
)

// facts is everything the ledger knows about one call: the set of facts
// received, each kind keyed so that a fact received twice is stored once.
//
// facts form a join-semilattice under merge: merge is commutative,
// associative and idempotent, so applying facts in any order, any number
// of times, on any replica, gives the same value. Everything a Call shows
// (its state, outcome, attribution, times and money) is derived from
// facts when read (see derive), never stored on its own.
type facts struct {
	Dials  map[string]Dial        `json:"dials,omitempty"`  // by Ref
	Events map[string]Event       `json:"events,omitempty"` // by eventKey
	Legs   map[string]Leg         `json:"legs,omitempty"`   // by leg callid, last writer (SeenAt) wins
	Disps  map[string]Disposition `json:"dispositions,omitempty"`
	// Admissions are the contact policy's decisions on the call's dial,
	// by Ref (Ledger.Admit): an admitted attempt, or a refusal.
	Admissions map[string]Admission `json:"admissions,omitempty"`
}

// eventKey keys an event by action, callid and endpoint id: a ring group
// may report one callid on several phones. A live sighting names its phone
// by username when it has no id (live queries give usernames).
func eventKey(e Event) string {
	k := string(e.Action) + ":" + e.CallID + ":" + e.Endpoint.ID
	if e.Action == ActionLive && e.Endpoint.ID == "" && e.Endpoint.User != "" {
		k += ":u:" + e.Endpoint.User
	}
	return k
}

// merge returns the join of a and b. It does not modify its arguments
// (maps are copied when they would be).
func merge(a, b facts) facts {
	return facts{
		Dials:  mergeMap(a.Dials, b.Dials, joinDial),
		Events: mergeMap(a.Events, b.Events, joinEvent),
		Legs:   mergeMap(a.Legs, b.Legs, joinLeg),
		Disps:  mergeMap(a.Disps, b.Disps, joinDisposition),

		Admissions: mergeMap(a.Admissions, b.Admissions, joinAdmission),
	}
}

func mergeMap[V any](a, b map[string]V, join func(x, y V) V) map[string]V {
	switch {
	case len(b) == 0:
		return a
	case len(a) == 0:
		return b
	}
	m := maps.Clone(a)
	for k, v := range b {
		if w, ok := m[k]; ok {
			m[k] = join(w, v)
		} else {
			m[k] = v
		}
	}
	return m
}

// greater picks the greater of two values by their canonical JSON: a
// total order, so picking the maximum is a join. It settles conflicts
// between two versions of a fact that should have been equal.
func greater[V any](x, y V) V {
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	if bytes.Compare(bx, by) >= 0 {
		return x
	}
	return y
}

func joinDial(x, y Dial) Dial                      { return greater(x, y) }
func joinDisposition(x, y Disposition) Disposition { return greater(x, y) }

// joinLeg keeps the later version of a leg (greater SeenAt), the greater
// canonical form on a tie.
func joinLeg(x, y Leg) Leg {
	switch {
	case x.SeenAt.After(y.SeenAt):
		return x
	case y.SeenAt.After(x.SeenAt):
		return y
	}
	return greater(x, y)
}

// joinEvent joins two deliveries of one event field by field: earliest
// detect, connect and receipt, latest disconnect, longest duration,
// greatest cost, and the greater of two texts (so a known value beats an
// empty one).
func joinEvent(x, y Event) Event {
	x.Endpoint.ID = max(x.Endpoint.ID, y.Endpoint.ID)
	x.Endpoint.User = max(x.Endpoint.User, y.Endpoint.User)
	x.Direction = max(x.Direction, y.Direction)
	x.ANI = max(x.ANI, y.ANI)
	x.DNIS = max(x.DNIS, y.DNIS)
	x.Number = max(x.Number, y.Number)
	x.Detect = minTime(x.Detect, y.Detect)
	x.Connect = minTime(x.Connect, y.Connect)
	x.Disconnect = maxTime(x.Disconnect, y.Disconnect)
	x.ReceivedAt = minTime(x.ReceivedAt, y.ReceivedAt)
	x.Duration = max(x.Duration, y.Duration)
	if y.Cost.GreaterThan(x.Cost) || (y.Cost.Equal(x.Cost) && y.Cost.String() > x.Cost.String()) {
		x.Cost = y.Cost
	}
	return x
}

// minTime is the earlier of two times, ignoring zero ones.
func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// maxTime is the later of two times.
func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
