// Package modeltest checks a calls.Ledger over any Store against a simple
// independent model: random interleavings of the facts of a few calls
// (dials, callStart, callEnd, live sightings, duplicates, re-deliveries an hour later, CDR
// legs of ring groups and later CDR versions), dispositions with charges,
// restarts and two replicas, after which every call must be exactly what
// the scenario says: no ghost live call, no double charge, no call lost,
// every outbound call with its dial's metadata.
package modeltest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

var (
	seedFlag = flag.Uint64("model.seed", 0, "run the model test from this seed (also CMW_MODEL_SEED)")
	nFlag    = flag.Int("model.interleavings", 0, "how many interleavings the model test runs (also CMW_MODEL_INTERLEAVINGS)")
)

// Config returns the first seed and the number of interleavings: the
// flags -model.seed and -model.interleavings, else the environment
// variables CMW_MODEL_SEED and CMW_MODEL_INTERLEAVINGS, else 1 and n.
// Account is the account the model runs on: UTC, Costa Rica's numbering
// plan.
var Account = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}

func Config(n int) (seed uint64, count int) {
	seed, count = 1, n
	if v, err := strconv.ParseUint(os.Getenv("CMW_MODEL_SEED"), 10, 64); err == nil {
		seed = v
	}
	if v, err := strconv.Atoi(os.Getenv("CMW_MODEL_INTERLEAVINGS")); err == nil && v > 0 {
		count = v
	}
	if *seedFlag != 0 {
		seed = *seedFlag
	}
	if *nFlag > 0 {
		count = *nFlag
	}
	return seed, count
}

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Env is what one interleaving runs on: a fresh store (empty, or scoped
// so that it sees nothing of other interleavings) and a way to open
// another Ledger over the same data (a restart, or a second replica).
type Env struct {
	Store calls.Store
	// Replica returns a new Ledger over the same data; nil means
	// calls.New over Store.
	Replica func(opts ...calls.Option) (*calls.Ledger, error)
	// Close, if set, releases the interleaving's resources.
	Close func()
}

// kinds of calls a scenario holds.
const (
	outboundFull     = iota // dial, callStart, callEnd, CDR (maybe a later version)
	outboundNoHook          // dial and CDR: the webhook was lost
	outboundNoCDR           // dial, callStart, callEnd: the CDR has not come
	outboundNever           // a dial nothing reported
	outboundNoAnswer        // dial, webhooks and a CDR of a call nobody answered
	inbound                 // callStart, callEnd, CDR
	ringGroup               // three phones rung, one answers: webhooks and CDR legs
	kinds
)

var phones = []callmyway.Endpoint{
	{ID: "5001", User: "8000001"}, {ID: "5002", User: "8000002"}, {ID: "5003", User: "8000003"},
	{ID: "5004", User: "8000004"}, {ID: "5005", User: "8000005"}, {ID: "5006", User: "8000006"},
}

// truth is what one call of a scenario really was.
type truth struct {
	kind     int
	id       string // the id the ledger must keep it under
	dialID   string
	number   string
	owner    callmyway.Endpoint
	meta     map[string]string
	answered bool
	state    calls.State
	outcome  calls.Outcome
	cost     decimal.Decimal // the CDR's, or the webhook's without one
	mismatch bool
	charge   string // the charge key posted on it, if any
	admitted string // the ref a policy admitted the dial under, if any
	refusal  string // the id of a refused dial to the same customer, if any
}

type opKind int

const (
	opDial opKind = iota
	opEvent
	opLegs
	opDispose
	opConflict
	opAdmit  // a contact policy admits the dial, before it is sent
	opRefuse // a contact policy refuses another dial to the customer
)

type op struct {
	kind opKind
	call int
	dial calls.Dial
	ev   calls.Event
	legs []calls.Leg
	// for dispositions: the id of the call's first fact and the key.
	target string
	key    string
	dispID string
}

// scenario builds the calls of one interleaving and their facts.
func scenario(r *rand.Rand, base time.Time) ([]truth, []op) {
	n := 1 + r.IntN(3)
	var ts []truth
	var facts [][]op // per call, in "natural" order
	for i := range n {
		kind := r.IntN(kinds)
		number := fmt.Sprintf("+5068%07d", i*1000+r.IntN(1000))
		at := base.Add(time.Duration(i)*10*time.Minute + time.Duration(r.IntN(60))*time.Second)
		detect := at.Add(time.Duration(2+r.IntN(20)) * time.Second)
		connect := detect.Add(time.Duration(3+r.IntN(10)) * time.Second)
		talk := time.Duration(5+r.IntN(300)) * time.Second
		disconnect := connect.Add(talk)
		cost := decimal.New(int64(10+r.IntN(500)), -2)
		agent := phones[r.IntN(len(phones))]
		x := fmt.Sprintf("cmw-%d-%d", i, r.IntN(1<<20))
		t := truth{kind: kind, id: x, number: number, owner: agent, cost: cost, answered: true,
			state: calls.StateFinal, outcome: calls.OutcomeAnswered}
		var ops []op
		out := kind <= outboundNoAnswer
		if out {
			ref := fmt.Sprintf("ref-%d-%d", i, r.IntN(1<<20))
			t.dialID = calls.DialPrefix + ref
			t.meta = map[string]string{"contact": fmt.Sprintf("c%d", i), "case": fmt.Sprintf("k%d", r.IntN(3)), "agent": "u" + agent.ID}
			d := calls.Dial{Ref: ref, Agent: agent, Number: number, At: at, Meta: t.meta}
			if r.IntN(2) == 0 {
				d.CallerID = phones[0]
			}
			ops = append(ops, op{kind: opDial, call: i, dial: d})
			if r.IntN(2) == 0 {
				t.admitted = ref
				ops = append(ops, op{kind: opAdmit, call: i, dial: calls.Dial{Ref: ref, Agent: agent, Number: number, At: at.Add(-time.Second), Meta: t.meta}})
			}
			if r.IntN(4) == 0 {
				ref := fmt.Sprintf("no-%d-%d", i, r.IntN(1<<20))
				t.refusal = calls.RefusalPrefix + ref
				ops = append(ops, op{kind: opRefuse, call: i, dial: calls.Dial{Ref: ref, Agent: phones[r.IntN(len(phones))], Number: number, At: at, Meta: t.meta}})
			}
		}
		dir := callmyway.DirectionOutbound
		if !out {
			dir = callmyway.DirectionInbound
		}
		ev := func(a calls.Action, e callmyway.Endpoint, connected bool, recv time.Duration) calls.Event {
			v := calls.Event{CallID: x, Action: a, Endpoint: callmyway.Endpoint{ID: e.ID}, Direction: dir, Number: number,
				ANI: number, DNIS: e.User, Detect: detect, ReceivedAt: detect.Add(recv)}
			if a == calls.ActionEnd {
				v.Disconnect = disconnect
				if connected {
					v.Connect, v.Duration, v.Cost = connect, talk, cost
				}
			}
			return v
		}
		leg := func(id, orig, ref string, e callmyway.Endpoint, connected bool, c decimal.Decimal, seen time.Duration) calls.Leg {
			l := calls.Leg{CallID: id, OriginalCallID: orig, RefCallID: ref, Agent: callmyway.Endpoint{User: e.User}, Number: number,
				Direction: dir, Detect: detect, Disconnect: disconnect, Cost: c, Rate: decimal.New(5, -1), EndReason: "NO_ANSWER",
				SeenAt: disconnect.Add(seen)}
			if connected {
				l.Connect, l.Duration, l.EndReason = connect, talk, "OK"
			}
			return l
		}
		withVersions := func(l calls.Leg) []op {
			o := []op{{kind: opLegs, call: i, legs: []calls.Leg{l}}}
			if r.IntN(3) == 0 { // a later CDR version with another cost
				l2 := l
				l2.Cost = l.Cost.Add(decimal.New(int64(1+r.IntN(20)), -2))
				l2.SeenAt = l.SeenAt.Add(time.Minute)
				o = append(o, op{kind: opLegs, call: i, legs: []calls.Leg{l2}})
				t.cost = l2.Cost
			}
			return o
		}
		switch kind {
		case outboundFull:
			ops = append(ops, op{kind: opEvent, call: i, ev: ev(calls.ActionStart, agent, false, 0)},
				op{kind: opEvent, call: i, ev: ev(calls.ActionEnd, agent, true, talk)})
			ops = append(ops, withVersions(leg(x, "", "0", agent, true, cost, time.Minute))...)
		case outboundNoHook:
			ops = append(ops, withVersions(leg(x, "", "0", agent, true, cost, time.Minute))...)
		case outboundNoCDR:
			ops = append(ops, op{kind: opEvent, call: i, ev: ev(calls.ActionStart, agent, false, 0)},
				op{kind: opEvent, call: i, ev: ev(calls.ActionEnd, agent, true, talk)})
			t.state = calls.StateEnded
		case outboundNever:
			t.id = t.dialID
			t.state, t.outcome, t.answered, t.cost = calls.StateRequested, calls.OutcomeNeverArrived, false, decimal.Zero
		case outboundNoAnswer:
			ops = append(ops, op{kind: opEvent, call: i, ev: ev(calls.ActionStart, agent, false, 0)},
				op{kind: opEvent, call: i, ev: ev(calls.ActionEnd, agent, false, 30*time.Second)},
				op{kind: opLegs, call: i, legs: []calls.Leg{leg(x, "", "0", agent, false, decimal.Zero, time.Minute)}})
			t.outcome, t.answered, t.cost = calls.OutcomeNotConnected, false, decimal.Zero
		case inbound:
			ops = append(ops, op{kind: opEvent, call: i, ev: ev(calls.ActionStart, agent, false, 0)},
				op{kind: opEvent, call: i, ev: ev(calls.ActionEnd, agent, true, talk)})
			ops = append(ops, withVersions(leg(x, "", "0", agent, true, cost, time.Minute))...)
		case ringGroup:
			group := []callmyway.Endpoint{agent}
			for len(group) < 3 {
				p := phones[r.IntN(len(phones))]
				if !slices.Contains(group, p) {
					group = append(group, p)
				}
			}
			// The parent (the trunk leg, no phone) and one leg per phone.
			legs := []calls.Leg{leg(x, x, "0", callmyway.Endpoint{}, true, cost, time.Minute)}
			for j, p := range group {
				ops = append(ops, op{kind: opEvent, call: i, ev: ev(calls.ActionStart, p, false, time.Duration(j)*time.Second)})
				legs = append(legs, leg(fmt.Sprintf("%s-l%d", x, j), x, x, p, j == 0, decimal.Zero, time.Minute))
			}
			ops = append(ops, op{kind: opEvent, call: i, ev: ev(calls.ActionEnd, agent, true, talk)})
			r.Shuffle(len(legs), func(a, b int) { legs[a], legs[b] = legs[b], legs[a] })
			cut := r.IntN(len(legs) + 1)
			for _, part := range [][]calls.Leg{legs[:cut], legs[cut:]} {
				if len(part) > 0 {
					ops = append(ops, op{kind: opLegs, call: i, legs: part})
				}
			}
		}
		// A live-calls poll may have seen an answered call in progress: a
		// sighting changes nothing of what the call finally is.
		if (kind == outboundFull || kind == outboundNoHook || kind == outboundNoCDR || kind == inbound || kind == ringGroup) && r.IntN(2) == 0 {
			ops = append(ops, op{kind: opEvent, call: i, ev: calls.Event{CallID: x, Action: calls.ActionLive,
				Endpoint: callmyway.Endpoint{User: agent.User}, Direction: dir, Number: number, ANI: number,
				Detect: detect, Connect: connect, ReceivedAt: connect.Add(time.Second)}})
		}
		if kind == outboundFull || kind == inbound || kind == ringGroup {
			hookCost := cost // the webhook's cost
			t.mismatch = !t.cost.Equal(hookCost) && t.cost.Sub(hookCost).Abs().GreaterThan(calls.DefaultToleranceCost)
		}
		if kind != outboundNever && r.IntN(2) == 0 {
			t.charge = fmt.Sprintf("charge-%d-%d", i, r.IntN(1<<20))
		}
		ts = append(ts, t)
		facts = append(facts, ops)
	}

	// Interleave: a random order of every fact, with duplicates.
	var all []op
	for _, f := range facts {
		all = append(all, f...)
	}
	r.Shuffle(len(all), func(a, b int) { all[a], all[b] = all[b], all[a] })
	// Sometimes one CDR poll brings the legs of two calls.
	if r.IntN(2) == 0 {
		var legOps []int
		for i, o := range all {
			if o.kind == opLegs {
				legOps = append(legOps, i)
			}
		}
		if len(legOps) >= 2 {
			a, b := legOps[r.IntN(len(legOps))], legOps[r.IntN(len(legOps))]
			if a != b && all[a].call != all[b].call {
				all[a].legs = append(slices.Clone(all[a].legs), all[b].legs...)
				all = slices.Delete(all, b, b+1)
			}
		}
	}
	// A policy admits a dial before it is sent: its admission comes
	// before every other fact of its call.
	for i := range all {
		if all[i].kind != opAdmit {
			continue
		}
		first := slices.IndexFunc(all, func(o op) bool { return o.call == all[i].call })
		if first < i {
			a := all[i]
			all = slices.Delete(all, i, i+1)
			all = slices.Insert(all, first, a)
		}
	}
	for range r.IntN(4) {
		all = slices.Insert(all, r.IntN(len(all)+1), all[r.IntN(len(all))])
	}
	// Dispositions: after the call's first fact, posted twice (a retried
	// form), and once more on another call (a stale form).
	for i, t := range ts {
		if t.charge == "" {
			continue
		}
		first := slices.IndexFunc(all, func(o op) bool {
			return o.call == i && o.kind != opDispose && o.kind != opConflict && o.kind != opRefuse
		})
		target := idOf(all[first])
		pos := first + 1 + r.IntN(len(all)-first)
		d := op{kind: opDispose, call: i, target: target, key: t.charge, dispID: fmt.Sprintf("disp-%d", i)}
		all = slices.Insert(all, pos, d)
		all = slices.Insert(all, pos+1+r.IntN(len(all)-pos), d)
		if len(ts) > 1 {
			// After the charge was posted and the other call exists.
			j := (i + 1 + r.IntN(len(ts)-1)) % len(ts)
			firstJ := slices.IndexFunc(all, func(o op) bool {
				return o.call == j && o.kind != opDispose && o.kind != opConflict && o.kind != opRefuse
			})
			lo := max(pos, firstJ) + 1
			all = slices.Insert(all, lo+r.IntN(len(all)-lo+1), op{kind: opConflict, call: j, key: t.charge})
		}
	}
	return ts, all
}

func idOf(o op) string {
	switch o.kind {
	case opDial, opAdmit:
		return o.dial.ID()
	case opEvent:
		return o.ev.CallID
	case opLegs:
		return o.legs[0].Group()
	}
	return o.target
}

// Run runs count interleavings from seed, each on a fresh Env.
func Run(t *testing.T, seed uint64, count int, newEnv func(t *testing.T) Env) {
	t.Helper()
	start := time.Now()
	for s := seed; s < seed+uint64(count); s++ {
		env := newEnv(t)
		err := one(t.Context(), s, env)
		if env.Close != nil {
			env.Close()
		}
		if err != nil {
			t.Fatalf("seed %d: %v (rerun with -model.seed=%d -model.interleavings=1)", s, err, s)
		}
	}
	t.Logf("%d interleavings from seed %d in %v", count, seed, time.Since(start).Round(time.Millisecond))
}

func one(ctx context.Context, seed uint64, env Env) error {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	base := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	clk := &Clock{t: base}
	ts, ops := scenario(r, base)
	allOps := ops
	open := env.Replica
	if open == nil {
		open = func(opts ...calls.Option) (*calls.Ledger, error) { return calls.New(Account, env.Store, opts...) }
	}
	var ledgers [2]*calls.Ledger
	for i := range ledgers {
		l, err := open(calls.WithClock(clk.Now))
		if err != nil {
			return err
		}
		ledgers[i] = l
	}
	posted := map[string]bool{}
	apply := func(l *calls.Ledger, o op) error {
		var err error
		switch o.kind {
		case opDial:
			_, err = l.RecordDial(ctx, o.dial)
		case opEvent:
			_, err = l.ApplyEvent(ctx, o.ev)
		case opLegs:
			err = l.ApplyLegs(ctx, o.legs)
		case opAdmit, opRefuse:
			d := o.dial
			_, err = l.Admit(ctx, calls.Admission{Ref: d.Ref, Agent: d.Agent, Number: d.Number, At: d.At, Meta: d.Meta}, d.At.Add(-time.Hour),
				func([]calls.Call) (calls.Verdict, error) {
					if o.kind == opRefuse {
						return calls.Verdict{Refused: true, Rule: "max-attempts", NextAllowed: d.At.Add(time.Hour)}, nil
					}
					return calls.Verdict{}, nil
				})
		case opDispose:
			_, err = l.Dispose(ctx, o.target, calls.Disposition{ID: o.dispID, By: "u1", Result: "promise",
				Charges: []calls.Charge{{Key: o.key, Amount: decimal.New(2500, 0), Currency: "CRC"}}})
			posted[o.key] = true
		case opConflict:
			target := idOf(firstOf(allOps, o.call))
			_, err = l.Dispose(ctx, target, calls.Disposition{By: "u2", Notes: "stale form",
				Charges: []calls.Charge{{Key: o.key, Amount: decimal.New(2500, 0), Currency: "CRC"}}})
			if posted[o.key] {
				if !errors.Is(err, calls.ErrChargeConflict) {
					return fmt.Errorf("charge %q posted on another call: got %v, want ErrChargeConflict", o.key, err)
				}
				return nil
			}
			if err == nil {
				return fmt.Errorf("stale charge %q landed on call %d before its own call", o.key, o.call)
			}
			// Not posted yet: the stale form landed first and the real one
			// must be refused later. The scenario never does this.
		}
		if err != nil {
			return fmt.Errorf("%v on %+v: %w", o.kind, o, err)
		}
		return nil
	}

	concurrent := r.IntN(8) == 0
	if concurrent {
		// Two replicas apply the facts at once; dispositions follow.
		var facts, disps []op
		for _, o := range ops {
			if o.kind == opDispose || o.kind == opConflict {
				disps = append(disps, o)
			} else {
				facts = append(facts, o)
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for w := range 2 {
			wg.Go(func() {
				for i := w; i < len(facts); i += 2 {
					if err := apply(ledgers[w], facts[i]); err != nil {
						errs[w] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		ops = disps
	}
	var redeliver []op
	for i, o := range ops {
		clk.Advance(time.Duration(r.IntN(10)) * time.Second)
		if r.IntN(20) == 0 { // a restart
			l, err := open(calls.WithClock(clk.Now))
			if err != nil {
				return err
			}
			ledgers[0] = l
		}
		if err := apply(ledgers[r.IntN(2)], o); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		if o.kind != opConflict && o.kind != opDispose && r.IntN(6) == 0 {
			redeliver = append(redeliver, o)
		}
	}
	clk.Advance(time.Hour)
	for _, o := range redeliver {
		if err := apply(ledgers[r.IntN(2)], o); err != nil {
			return fmt.Errorf("re-delivery: %w", err)
		}
	}
	return check(ctx, ledgers[r.IntN(2)], ts)
}

func firstOf(ops []op, call int) op {
	for _, o := range ops {
		if o.call == call && o.kind != opDispose && o.kind != opConflict && o.kind != opRefuse {
			return o
		}
	}
	return op{}
}

// check compares the ledger with the truth.
func check(ctx context.Context, l *calls.Ledger, ts []truth) error {
	var got []calls.Call
	for c, err := range l.Calls(ctx, calls.Query{}) {
		if err != nil {
			return err
		}
		got = append(got, c)
	}
	if len(got) != len(ts) {
		ids := make([]string, len(got))
		for i, c := range got {
			ids[i] = c.ID + "(" + string(c.State) + ")"
		}
		return fmt.Errorf("%d calls in the ledger %v, want %d", len(got), ids, len(ts))
	}
	charges := map[string]int{}
	for _, c := range got {
		if c.Live {
			return fmt.Errorf("ghost live call %s (%s)", c.ID, c.State)
		}
		for _, ch := range c.Charges {
			charges[ch.Key]++
		}
	}
	for _, p := range phones {
		if live, err := l.HasLiveCall(ctx, p); err != nil || live {
			return fmt.Errorf("phone %v has a ghost live call (%v)", p, err)
		}
	}
	for i, t := range ts {
		c, err := l.Get(ctx, t.id)
		if err != nil {
			return fmt.Errorf("call %d (kind %d) %s: %w", i, t.kind, t.id, err)
		}
		if t.dialID != "" {
			d, err := l.Get(ctx, t.dialID)
			if err != nil || d.ID != t.id {
				return fmt.Errorf("call %d: the dial id %s gives %q, %v; want %s", i, t.dialID, d.ID, err, t.id)
			}
		}
		switch {
		case c.ID != t.id:
			return fmt.Errorf("call %d (kind %d): id %s, want %s", i, t.kind, c.ID, t.id)
		case c.State != t.state || c.Outcome != t.outcome:
			return fmt.Errorf("call %d (kind %d): %s/%s, want %s/%s", i, t.kind, c.State, c.Outcome, t.state, t.outcome)
		case !c.Agent.Same(t.owner):
			return fmt.Errorf("call %d (kind %d): owner %v, want %v", i, t.kind, c.Agent, t.owner)
		case c.Number != t.number:
			return fmt.Errorf("call %d: number %s, want %s", i, c.Number, t.number)
		case !c.Cost.Equal(t.cost):
			return fmt.Errorf("call %d (kind %d): cost %s, want %s", i, t.kind, c.Cost, t.cost)
		case (len(c.Diffs) > 0) != t.mismatch:
			return fmt.Errorf("call %d (kind %d): diffs %v, want mismatch %v", i, t.kind, c.Diffs, t.mismatch)
		case c.WebhookMissed() != (t.kind == outboundNoHook):
			// A live sighting is not the webhook: a call known only from
			// its CDR (and a live poll) stays flagged.
			return fmt.Errorf("call %d (kind %d): WebhookMissed %v", i, t.kind, c.WebhookMissed())
		}
		for k, v := range t.meta {
			if c.Meta[k] != v {
				return fmt.Errorf("call %d (kind %d): meta %v, want the dial's %v", i, t.kind, c.Meta, t.meta)
			}
		}
		if t.charge != "" {
			if charges[t.charge] != 1 || !slices.ContainsFunc(c.Charges, func(ch calls.Charge) bool { return ch.Key == t.charge }) {
				return fmt.Errorf("call %d: charge %s posted %d times in the ledger, and on this call: %v", i, t.charge, charges[t.charge], c.Charges)
			}
			if len(c.Disps) != 1 {
				return fmt.Errorf("call %d: %d dispositions, want 1 (a retried form is idempotent)", i, len(c.Disps))
			}
		}
		if a := c.Admission; !a.IsZero() && (a.Ref != t.admitted || a.Refused) {
			return fmt.Errorf("call %d: admission %+v, want the dial's (%q)", i, a, t.admitted)
		}
		if t.refusal != "" {
			rc, err := l.Get(ctx, t.refusal)
			if err != nil || rc.ID != t.refusal || rc.State != calls.StateRefused || rc.Live {
				return fmt.Errorf("call %d: refusal %s: %+v, %v", i, t.refusal, rc, err)
			}
		}
		if t.kind == ringGroup {
			if len(c.Rung) < 3 {
				return fmt.Errorf("ring group call %d: rung %v", i, c.Rung)
			}
		}
	}
	if len(charges) != countCharges(ts) {
		return fmt.Errorf("charges %v, want %d keys", charges, countCharges(ts))
	}
	return nil
}

func countCharges(ts []truth) int {
	n := 0
	for _, t := range ts {
		if t.charge != "" {
			n++
		}
	}
	return n
}
