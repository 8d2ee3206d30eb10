package calls

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
)

// State is where a call is in its life. It is derived from the facts the
// ledger holds, so it only moves forward: an ended call never rings again.
// The zero State is no state (as in an empty Query: any).
//
// Copies may be read from several goroutines concurrently.
type State string

// States, in order.
const (
	StateRequested State = "requested" // a dial was accepted; no webhook or CDR yet
	StateRinging   State = "ringing"   // a webhook or CDR reported the call; not connected
	StateConnected State = "connected" // answered, not ended
	StateEnded     State = "ended"     // ended (callEnd or a finished CDR)
	StateFinal     State = "final"     // ended and its CDR is in the ledger
	// StateRefused is a dial the contact policy refused (Ledger.Admit):
	// never placed, never live. Calls leaves refusals out unless
	// Query.Refusals asks for them.
	StateRefused State = "refused"
)

// ParseState reads a State as written by String ("requested", ...).
func ParseState(s string) (State, bool) {
	switch st := State(s); st {
	case StateRequested, StateRinging, StateConnected, StateEnded, StateFinal, StateRefused:
		return st, true
	}
	return "", false
}

// ended reports whether s is StateEnded or StateFinal.
func (s State) ended() bool { return s == StateEnded || s == StateFinal }

// Outcome is how a call turned out. It is empty (OutcomePending) while
// the call is not over.
//
// The zero Outcome is OutcomePending. Copies may be read from several
// goroutines concurrently.
type Outcome string

// Outcomes.
const (
	OutcomePending      Outcome = ""              // not over yet
	OutcomeAnswered     Outcome = "answered"      // connected, end reason OK
	OutcomeNotConnected Outcome = "not_connected" // ended without connecting, or an end reason other than OK
	// OutcomeNeverArrived is a dial CallMyWay accepted that no webhook and
	// no CDR reported within the ledger's bound (WithNeverArrivedAfter).
	OutcomeNeverArrived Outcome = "never_arrived"
	// OutcomeRefused is a dial the contact policy refused (StateRefused).
	OutcomeRefused Outcome = "refused"
	// OutcomeNotPlaced is an admitted dial the provider refused before it
	// rang anyone (Ledger.NotPlaced).
	OutcomeNotPlaced Outcome = "not_placed"
)

// Busy returns the phones the call occupies while it is not over: its
// owner once it is connected, else every phone it rings (a ring group's
// call that one phone answered no longer occupies the others). It is
// what Ledger.Live and HasLiveCall match a phone against, so a program
// that already holds the live calls (Call.Live) can tell each phone's
// without asking the ledger again. A call that ended or was refused
// occupies none (nil).
func (c Call) Busy() []callmyway.Endpoint {
	if c.State.ended() || c.State == StateRefused {
		return nil
	}
	if !c.Connect.IsZero() && !c.Agent.IsZero() {
		return []callmyway.Endpoint{c.Agent}
	}
	return c.Rung
}

// Diff is a difference between what the webhook said and what the CDR
// says about a call, beyond the ledger's tolerance (WithTolerance). It is
// a plain value, safe to copy and share.
//
// The zero Diff names no field. Copies may be read from several goroutines
// concurrently.
type Diff struct {
	Field   string `json:"field"`   // "duration" or "cost"
	Webhook string `json:"webhook"` // the webhook's value
	CDR     string `json:"cdr"`     // the CDR's value, which the Call shows
}

// Call is the ledger's view of one call, derived from every fact it holds.
// Where a CDR is known, the money, duration and end reason are the CDR's.
//
// A Call is a snapshot: a plain value, safe to copy and to read from
// several goroutines (do not modify its slices and map in place). The
// zero Call is "no call".
//
// Copies may be read from several goroutines concurrently.
type Call struct {
	ID  string `json:"id"`  // the callid (or "dial:"+ref before correlation)
	Seq uint64 `json:"seq"` // position in the change stream (0 in calls returned by writes)
	// AliasOf is set only in Changes: the id ID now points to (a dial
	// correlated with its call, two records found to be one call). The
	// other fields are then empty.
	AliasOf string `json:"alias_of,omitempty"`

	State   State   `json:"state"`
	Outcome Outcome `json:"outcome,omitempty"`
	// Live reports whether the call counts as in progress now: not ended,
	// not a dial that never arrived, and younger than the ledger's max
	// live age (a call whose end never came stops counting).
	Live bool `json:"live"`

	Direction callmyway.Direction `json:"direction,omitempty"`
	Number    string              `json:"number,omitempty"` // the customer's, E.164
	// Agent is who owns the call: the phone that answered, else the one
	// that dialled, else the only one rung.
	Agent callmyway.Endpoint `json:"agent,omitzero"`
	// Rung is every phone the call rang (or that dialled), sorted.
	Rung []callmyway.Endpoint `json:"rung,omitempty"`
	// BilledTo is the caller-ID endpoint of the dial, or the parent CDR
	// leg's.
	BilledTo callmyway.Endpoint `json:"billed_to,omitzero"`

	DialRef     string            `json:"dial_ref,omitempty"`     // the correlated dial
	RequestedAt time.Time         `json:"requested_at,omitzero"`  // when the dial was accepted
	Meta        map[string]string `json:"meta,omitempty"`         // the dial's metadata
	Contact     string            `json:"contact,omitempty"`      // the dial's Meta["contact"], else the latest disposition's
	Case        string            `json:"case,omitempty"`         // the dial's Meta["case"], else the latest disposition's
	Start       time.Time         `json:"start"`                  // dial or detect, the earlier
	Detect      time.Time         `json:"detect,omitzero"`        // zero: not reported
	Connect     time.Time         `json:"connect,omitzero"`       // zero: not connected
	Disconnect  time.Time         `json:"disconnect,omitzero"`    // zero: not ended
	Duration    time.Duration     `json:"duration"`               // billed talk time
	Cost        decimal.Decimal   `json:"cost"`                   // sum of the legs' cost
	Rate        decimal.Decimal   `json:"rate"`                   // per minute
	AccessFee   decimal.Decimal   `json:"access_fee"`             //
	EndReason   string            `json:"end_reason,omitempty"`   // OK, NO_ANSWER...
	WebhookSeen bool              `json:"webhook_seen"`           // a callStart or callEnd arrived (not a live sighting)
	CDRSeen     bool              `json:"cdr_seen"`               // a CDR leg arrived
	Diffs       []Diff            `json:"diffs,omitempty"`        // webhook vs CDR beyond tolerance
	Legs        []Leg             `json:"legs,omitempty"`         // by detect time, then callid
	Events      []Event           `json:"events,omitempty"`       // by callid, action, endpoint
	Disps       []Disposition     `json:"dispositions,omitempty"` // by time, then id
	// Charges are the call's charges, each idempotency key once.
	Charges []Charge `json:"charges,omitempty"`
	// Admission is the contact policy's decision on the call's dial
	// (Ledger.Admit); zero when the dial was not admitted by a policy.
	Admission Admission `json:"admission,omitzero"`
}

// WebhookMissed reports whether the call is known only from its CDR.
func (c Call) WebhookMissed() bool { return c.CDRSeen && !c.WebhookSeen }

// view is the ledger's settings derive needs.
type view struct {
	now               time.Time
	neverArrivedAfter time.Duration
	maxLiveAge        time.Duration
	tolDuration       time.Duration
	tolCost           decimal.Decimal
	loc               *time.Location
}

// endpoints joins the endpoints of a call into phones: two endpoints
// sharing a name are one phone.
type endpoints struct {
	parent map[string]string // union-find over "i:"+id and "u:"+user
}

func (u *endpoints) find(k string) string {
	for u.parent[k] != k {
		u.parent[k] = u.parent[u.parent[k]]
		k = u.parent[k]
	}
	return k
}

func (u *endpoints) add(e callmyway.Endpoint) {
	if u.parent == nil {
		u.parent = map[string]string{}
	}
	var keys []string
	if e.ID != "" {
		keys = append(keys, "i:"+e.ID)
	}
	if e.User != "" {
		keys = append(keys, "u:"+e.User)
	}
	for _, k := range keys {
		if _, ok := u.parent[k]; !ok {
			u.parent[k] = k
		}
	}
	if len(keys) == 2 {
		a, b := u.find(keys[0]), u.find(keys[1])
		if a != b {
			if a < b {
				a, b = b, a
			}
			u.parent[a] = b
		}
	}
}

// phones returns each phone once, with its smallest id and username.
func (u *endpoints) phones() map[string]callmyway.Endpoint {
	out := map[string]callmyway.Endpoint{}
	for k := range u.parent {
		r := u.find(k)
		e := out[r]
		name := k[2:]
		if k[0] == 'i' {
			if e.ID == "" || name < e.ID {
				e.ID = name
			}
		} else if e.User == "" || name < e.User {
			e.User = name
		}
		out[r] = e
	}
	return out
}

// full returns the phone e belongs to, with both names when known.
func (u *endpoints) full(e callmyway.Endpoint, phones map[string]callmyway.Endpoint) callmyway.Endpoint {
	switch {
	case e.ID != "":
		return phones[u.find("i:"+e.ID)]
	case e.User != "":
		return phones[u.find("u:"+e.User)]
	}
	return e
}

// derive computes the Call that id's facts describe.
func derive(id string, seq uint64, f facts, v view) Call {
	c := Call{ID: id, Seq: seq}
	var u endpoints

	dials := sortedValues(f.Dials, func(a, b Dial) int { return cmp.Compare(a.Ref, b.Ref) })
	events := sortedValues(f.Events, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.CallID, b.CallID), cmp.Compare(a.Action, b.Action), cmp.Compare(a.Endpoint.ID, b.Endpoint.ID))
	})
	legs := sortedValues(f.Legs, func(a, b Leg) int {
		return cmp.Or(a.Detect.Compare(b.Detect), cmp.Compare(a.CallID, b.CallID))
	})
	c.Events, c.Legs = events, legs
	c.CDRSeen = len(legs) > 0
	for _, e := range events {
		c.WebhookSeen = c.WebhookSeen || e.Action != ActionLive
	}

	// Who and where.
	for _, d := range dials {
		u.add(d.Agent)
		if c.DialRef == "" {
			c.DialRef, c.RequestedAt, c.Number, c.BilledTo = d.Ref, d.At, d.Number, d.CallerID
		}
		for k, val := range d.Meta {
			if _, ok := c.Meta[k]; !ok {
				if c.Meta == nil {
					c.Meta = map[string]string{}
				}
				c.Meta[k] = val
			}
		}
	}
	adms := sortedValues(f.Admissions, func(a, b Admission) int { return cmp.Compare(a.Ref, b.Ref) })
	for _, a := range adms {
		u.add(a.Agent)
		if c.DialRef == "" {
			c.DialRef, c.RequestedAt, c.Number = a.Ref, a.At, a.Number
		}
		for k, val := range a.Meta {
			if _, ok := c.Meta[k]; !ok {
				if c.Meta == nil {
					c.Meta = map[string]string{}
				}
				c.Meta[k] = val
			}
		}
	}
	if len(adms) > 0 {
		c.Admission = adms[0]
		c.Admission.Meta = maps.Clone(c.Admission.Meta)
	}
	if len(dials) > 0 || len(adms) > 0 {
		c.Direction = callmyway.DirectionOutbound
	}
	var evDir, legDir callmyway.Direction
	var evNum, legNum string
	for _, e := range events {
		u.add(e.Endpoint)
		evDir = max(evDir, e.Direction)
		evNum = minNonEmpty(evNum, e.Number)
	}
	var parent *Leg
	for i, l := range legs {
		u.add(l.Agent)
		legDir = max(legDir, l.Direction)
		legNum = minNonEmpty(legNum, l.Number)
		if l.IsParent() && (parent == nil || l.CallID < parent.CallID) {
			parent = &legs[i]
		}
	}
	c.Direction = cmp.Or(c.Direction, evDir, legDir)
	c.Number = cmp.Or(c.Number, evNum, legNum)
	if c.BilledTo.IsZero() && parent != nil {
		c.BilledTo = parent.Agent
	}

	// Times.
	for _, e := range events {
		c.Detect = minTime(c.Detect, e.Detect)
		c.Disconnect = maxTime(c.Disconnect, e.Disconnect)
	}
	for _, l := range legs {
		c.Detect = minTime(c.Detect, l.Detect)
		c.Disconnect = maxTime(c.Disconnect, l.Disconnect)
	}
	c.Start = minTime(c.RequestedAt, c.Detect)
	if c.Start.IsZero() {
		for _, e := range events {
			c.Start = minTime(c.Start, e.ReceivedAt)
		}
		for _, l := range legs {
			c.Start = minTime(c.Start, l.SeenAt)
		}
	}

	// What happened: from the CDR when there is one, else from webhooks.
	ended := false
	var whDuration time.Duration
	var whCost decimal.Decimal
	var whConnect time.Time
	owner := callmyway.Endpoint{}
	var ownerAt time.Time
	for _, e := range events {
		ended = ended || e.Action == ActionEnd || !e.Disconnect.IsZero()
		whConnect = minTime(whConnect, e.Connect)
		if e.Action == ActionEnd {
			whDuration = max(whDuration, e.Duration)
			if e.Cost.GreaterThan(whCost) {
				whCost = e.Cost
			}
		}
		if !e.Connect.IsZero() && !e.Endpoint.IsZero() && (owner.IsZero() || e.Connect.Before(ownerAt)) {
			owner, ownerAt = e.Endpoint, e.Connect
		}
	}
	if len(legs) == 0 {
		c.Connect, c.Duration, c.Cost = whConnect, whDuration, whCost
		if ended {
			c.Outcome = OutcomeNotConnected
			if !c.Connect.IsZero() {
				c.Outcome = OutcomeAnswered
			}
		}
	} else {
		var answered *Leg
		var legOwner *Leg
		for i, l := range legs {
			ended = ended || l.ended()
			c.Duration = max(c.Duration, l.Duration)
			c.Cost = c.Cost.Add(l.Cost)
			c.AccessFee = c.AccessFee.Add(l.AccessFee)
			if !l.connected() {
				continue
			}
			c.Connect = minTime(c.Connect, l.Connect)
			if answered == nil || l.Connect.Before(answered.Connect) {
				answered = &legs[i]
			}
			if !l.Agent.IsZero() && (legOwner == nil || l.Connect.Before(legOwner.Connect)) {
				legOwner = &legs[i]
			}
		}
		if legOwner != nil {
			owner = legOwner.Agent
		}
		src := answered
		if src == nil {
			src = parent
		}
		if src == nil {
			src = &legs[0]
		}
		c.Rate, c.EndReason = src.Rate, src.EndReason
		if answered != nil && answered.EndReason == "" {
			c.EndReason = "OK"
		}
		if ended {
			c.Outcome = OutcomeNotConnected
			if answered != nil && c.EndReason == "OK" {
				c.Outcome = OutcomeAnswered
			}
		}
		if c.WebhookSeen && ended {
			if d := c.Duration - whDuration; d > v.tolDuration || -d > v.tolDuration {
				c.Diffs = append(c.Diffs, Diff{Field: "duration", Webhook: whDuration.String(), CDR: c.Duration.String()})
			}
			if c.Cost.Sub(whCost).Abs().GreaterThan(v.tolCost) {
				c.Diffs = append(c.Diffs, Diff{Field: "cost", Webhook: whCost.String(), CDR: c.Cost.String()})
			}
		}
	}

	// Phones.
	phones := u.phones()
	for _, p := range phones {
		c.Rung = append(c.Rung, p)
	}
	slices.SortFunc(c.Rung, func(a, b callmyway.Endpoint) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.User, b.User))
	})
	if owner.IsZero() && len(dials) > 0 {
		owner = dials[0].Agent
	}
	if owner.IsZero() && len(adms) > 0 {
		owner = adms[0].Agent
	}
	if owner.IsZero() && len(c.Rung) == 1 {
		owner = c.Rung[0]
	}
	c.Agent = u.full(owner, phones)
	c.BilledTo = u.full(c.BilledTo, phones)

	// An admitted dial CallMyWay refused is over, whatever else arrives.
	if slices.ContainsFunc(adms, func(a Admission) bool { return a.NotPlaced }) && !ended {
		ended = true
		c.Outcome = OutcomeNotPlaced
		if !c.Connect.IsZero() {
			c.Outcome = OutcomeAnswered
		}
	}

	// State.
	switch {
	case ended && c.CDRSeen:
		c.State = StateFinal
	case ended:
		c.State = StateEnded
	case !c.Connect.IsZero():
		c.State = StateConnected
	case len(events) > 0 || c.CDRSeen:
		c.State = StateRinging
	case c.Admission.Refused:
		c.State, c.Outcome = StateRefused, OutcomeRefused
	default:
		c.State = StateRequested
		if !c.RequestedAt.IsZero() && !v.now.Before(c.RequestedAt.Add(v.neverArrivedAfter)) {
			c.Outcome = OutcomeNeverArrived
		}
	}
	c.Live = !c.State.ended() && c.State != StateRefused && c.Outcome != OutcomeNeverArrived && v.now.Before(c.Start.Add(v.maxLiveAge))

	// Dispositions and charges.
	c.Disps = sortedValues(f.Disps, func(a, b Disposition) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID)) })
	c.Contact, c.Case = c.Meta["contact"], c.Meta["case"]
	for _, d := range c.Disps {
		if d.Contact != "" && c.Meta["contact"] == "" {
			c.Contact = d.Contact
		}
		if d.Case != "" && c.Meta["case"] == "" {
			c.Case = d.Case
		}
	}
	seen := map[string]bool{}
	for _, d := range c.Disps {
		for _, ch := range d.Charges {
			if !seen[ch.Key] {
				seen[ch.Key] = true
				ch.DispositionID = d.ID
				c.Charges = append(c.Charges, ch)
			}
		}
	}
	if v.loc != nil {
		c.inLocation(v.loc)
	}
	return c
}

func minNonEmpty(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

func sortedValues[V any](m map[string]V, cmp func(a, b V) int) []V {
	if len(m) == 0 {
		return nil
	}
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return cmp(out[i], out[j]) < 0 })
	return out
}

// inLocation expresses the call's times in loc.
func (c *Call) inLocation(loc *time.Location) {
	in := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	for _, t := range []*time.Time{&c.RequestedAt, &c.Start, &c.Detect, &c.Connect, &c.Disconnect, &c.Admission.At, &c.Admission.NextAllowed} {
		in(t)
	}
}

// canonicalID is the id a call with facts f is kept under: its smallest
// webhook callid, else its smallest CDR group id, else its dial's id. It
// depends on the facts only, so every replica agrees on it.
func canonicalID(f facts) string {
	best, rank := "", 3
	consider := func(id string, r int) {
		if r < rank || (r == rank && id < best) {
			best, rank = id, r
		}
	}
	for _, e := range f.Events {
		consider(e.CallID, 0)
	}
	for _, l := range f.Legs {
		consider(l.Group(), 1)
	}
	for _, d := range f.Dials {
		consider(d.ID(), 2)
	}
	for _, a := range f.Admissions {
		consider(a.ID(), 2)
	}
	return best
}
