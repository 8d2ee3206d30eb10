package calls

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// maxAliasDepth bounds how many aliases are followed from an id.
const maxAliasDepth = 16

// Ledger is the call ledger: one record per call, from the accepted dial
// to the reconciled CDR, and the one source of truth for "is this call
// live?" and "what happened?".
//
// Create it with New; every method of the zero Ledger returns ErrNoLedger.
// A Ledger is safe for concurrent use, and several Ledgers (replicas) may
// share one Store.
type Ledger struct {
	acct  callmyway.Account
	store Store
	cfg   config
	docs  *docCache
	// rang is set when this Ledger wrote a call that rings, so WatchLive
	// looks at once (a wake-up hint, not call state: WatchLive reads the
	// store before polling).
	rang  atomic.Bool
	group grouper // ApplyEvent's group commit
}

// New returns the ledger of account acct (whose zone the returned calls'
// times are in, and whose region reads the numbers of webhook events and
// CDRs) over store. Options are validated; the first bad one is returned
// as an *InvalidError naming it.
func New(acct callmyway.Account, store Store, opts ...Option) (*Ledger, error) {
	if err := acct.Validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, invalid("store", "nil")
	}
	cfg := defaults()
	cfg.loc = acct.Location
	for _, o := range opts {
		if o == nil {
			return nil, invalid("Option", "nil")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if r, ok := store.(interface{ Retention() time.Duration }); ok && cfg.maxLiveAge > r.Retention() {
		return nil, invalid("WithMaxLiveAge", "%v is longer than the store's retention %v: a call pruned and delivered again could count as live", cfg.maxLiveAge, r.Retention())
	}
	return &Ledger{acct: acct, store: store, cfg: cfg, docs: &docCache{m: map[docKey]facts{}}}, nil
}

func (l *Ledger) ok() error {
	if l == nil || l.store == nil {
		return ErrNoLedger
	}
	return nil
}

func (l *Ledger) view(now time.Time) view {
	return view{now: now, neverArrivedAfter: l.cfg.neverArrivedAfter, maxLiveAge: l.cfg.maxLiveAge,
		tolDuration: l.cfg.tolDuration, tolCost: l.cfg.tolCost, loc: l.cfg.loc}
}

func (l *Ledger) now() time.Time { return l.cfg.now().UTC().Truncate(time.Microsecond) }

// RecordDial records a click to dial CallMyWay accepted. Until a webhook
// or CDR call is correlated with it, the call is "dial:"+d.Ref, in
// StateRequested. Recording the same dial again changes nothing.
func (l *Ledger) RecordDial(ctx context.Context, d Dial) (Call, error) {
	if err := l.ok(); err != nil {
		return Call{}, err
	}
	d, err := normDial(d)
	if err != nil {
		return Call{}, err
	}
	return l.apply(ctx, facts{Dials: map[string]Dial{d.Ref: d}})
}

// ApplyEvent applies a webhook callStart or callEnd, in any order, any
// number of times: the call's record is the same whatever the order of
// its facts. It returns the call as it is after the event, once the event
// is durable. Concurrent calls share transactions (group commit), so a
// burst of events costs a few transactions rather than one each.
func (l *Ledger) ApplyEvent(ctx context.Context, e Event) (Call, error) {
	if err := l.ok(); err != nil {
		return Call{}, err
	}
	e, err := normEvent(e)
	if err != nil {
		return Call{}, err
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = l.now()
	}
	return l.applyGrouped(ctx, facts{Events: map[string]Event{eventKey(e): e}})
}

// applyBatch is how many calls ApplyLegs writes per transaction.
const applyBatch = 256

// ApplyLegs applies CDR records: each joins its call (by callid, else by
// agent, number and time), or starts a call flagged as missed by the
// webhook. A leg seen again replaces the earlier version when its SeenAt
// is later. Every leg is validated before any is applied.
func (l *Ledger) ApplyLegs(ctx context.Context, legs []Leg) error {
	if err := l.ok(); err != nil {
		return err
	}
	now := l.now()
	groups := map[string]map[string]Leg{}
	var order []string
	for i, lg := range legs {
		lg, err := normLeg(fmt.Sprintf("Legs[%d]", i), lg)
		if err != nil {
			return err
		}
		if lg.SeenAt.IsZero() {
			lg.SeenAt = now
		}
		g := groups[lg.Group()]
		if g == nil {
			g = map[string]Leg{}
			groups[lg.Group()] = g
			order = append(order, lg.Group())
		}
		if old, ok := g[lg.CallID]; ok {
			lg = joinLeg(old, lg)
		}
		g[lg.CallID] = lg
	}
	for len(order) > 0 {
		n := min(len(order), applyBatch)
		batch := make([]facts, n)
		for i, g := range order[:n] {
			batch[i] = facts{Legs: groups[g]}
		}
		order = order[n:]
		if _, err := l.applyAll(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

func (l *Ledger) apply(ctx context.Context, in facts) (Call, error) {
	calls, err := l.applyAll(ctx, []facts{in})
	if err != nil {
		return Call{}, err
	}
	return calls[0], nil
}

// applyAll absorbs each of ins into the ledger in one transaction,
// runs the OnChange hook, and returns the resulting calls.
func (l *Ledger) applyAll(ctx context.Context, ins []facts) ([]Call, error) {
	out, changes, err := l.commitAll(ctx, ins)
	if err != nil {
		return nil, err
	}
	var chs []change
	for _, ch := range changes {
		if ch != nil {
			chs = append(chs, *ch)
		}
	}
	l.notify(ctx, chs)
	return out, nil
}

// commitAll absorbs each of ins into the ledger in one transaction and
// returns the resulting calls and each one's change (nil: none), without
// running the OnChange hook.
func (l *Ledger) commitAll(ctx context.Context, ins []facts) ([]Call, []*change, error) {
	var keys []string
	for _, in := range ins {
		keys = append(keys, lockKeys(in)...)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	now := l.now()
	var out []Call
	var changes []*change
	err := l.store.Update(ctx, keys, func(ctx context.Context, tx Tx) error {
		out, changes = out[:0], changes[:0]
		if len(ins) > 1 {
			// Read every id of the batch in one query.
			var ids []string
			for _, in := range ins {
				ids = append(ids, in.ids()...)
			}
			c := &cachedTx{Tx: tx, recs: map[string]*Record{}}
			if _, err := c.Get(ctx, ids...); err != nil {
				return err
			}
			tx = c
		}
		for _, in := range ins {
			c, ch, err := l.absorb(ctx, tx, in, now)
			if err != nil {
				return err
			}
			out = append(out, c)
			changes = append(changes, ch)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("calls: apply: %w", err)
	}
	return out, changes, nil
}

// cachedTx remembers what Get read (and what was Put) in one
// transaction, so that a batch reads each id once.
type cachedTx struct {
	Tx
	recs map[string]*Record // nil: known absent
}

func (c *cachedTx) Get(ctx context.Context, ids ...string) ([]Record, error) {
	var out []Record
	var miss []string
	for _, id := range ids {
		r, ok := c.recs[id]
		switch {
		case !ok:
			miss = append(miss, id)
		case r != nil:
			out = append(out, *r)
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	recs, err := c.Tx.Get(ctx, miss...)
	if err != nil {
		return nil, err
	}
	for _, id := range miss {
		c.recs[id] = nil
	}
	for i := range recs {
		c.recs[recs[i].ID] = &recs[i]
	}
	return append(out, recs...), nil
}

func (c *cachedTx) Put(ctx context.Context, recs ...Record) error {
	for i := range recs {
		r := recs[i]
		c.recs[r.ID] = &r
	}
	return c.Tx.Put(ctx, recs...)
}

// lockKeys are the locks correlating in needs: its customer numbers
// (every fact of one outbound call shares it) and its ids.
func lockKeys(in facts) []string {
	var keys []string
	for _, n := range in.numbers() {
		keys = append(keys, "n:"+n)
	}
	for _, id := range in.ids() {
		keys = append(keys, "c:"+id)
	}
	return keys
}

// node is a call record read in a transaction, with its facts decoded.
type node struct {
	rec Record
	f   facts
}

func decodeFacts(doc []byte) (facts, error) {
	var f facts
	if err := json.Unmarshal(doc, &f); err != nil {
		return f, fmt.Errorf("calls: corrupt record document: %w", err)
	}
	return f, nil
}

func encodeFacts(f facts) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		// Every fact was validated (times before year 10000), so this
		// cannot happen.
		panic("calls: encoding facts: " + err.Error())
	}
	return b
}

// absorb merges in with every record of the same call, correlating by id
// and then by agent, number and time, and writes the result: one record
// under the call's canonical id, the others turned into aliases of it.
func (l *Ledger) absorb(ctx context.Context, tx Tx, in facts, now time.Time) (Call, *change, error) {
	found := map[string]node{}
	direct, err := l.resolve(ctx, tx, in.ids(), found)
	if err != nil {
		return Call{}, nil, err
	}
	u := in
	for _, n := range found {
		u = merge(u, n.f)
	}

	// Records of the same number: the same call when they share an id,
	// or correlated by agent and time.
	var cands []node
	if nums := in.numbers(); len(nums) > 0 {
		lo, hi := in.timeRange()
		span := l.cfg.before + l.cfg.after
		for _, num := range nums {
			recs, err := tx.Candidates(ctx, num, lo.Add(-span), hi.Add(span))
			if err != nil {
				return Call{}, nil, err
			}
			for _, r := range recs {
				if _, ok := found[r.ID]; ok || strings.HasPrefix(r.ID, RefusalPrefix) {
					continue // a refusal is no call to correlate with
				}
				f, err := l.docs.decode(r)
				if err != nil {
					return Call{}, nil, err
				}
				cands = append(cands, node{r, f})
			}
		}
		slices.SortFunc(cands, func(a, b node) int { return strings.Compare(a.rec.ID, b.rec.ID) })
	}
	for {
		u = exact(u, cands, found)
		n, ok := l.fuzzy(u, cands, found)
		if !ok {
			break
		}
		l.cfg.log.DebugContext(ctx, "calls: correlated", "call", canonicalID(u), "with", n.rec.ID)
		found[n.rec.ID] = n
		u = merge(u, n.f)
	}

	return l.write(ctx, tx, u, found, direct, in.aliasIDs(), now)
}

// write puts the call with facts u under its canonical id, and turns the
// other records of found, and aliases (ids the call should be found by),
// into aliases of it. direct holds the records read for those ids.
func (l *Ledger) write(ctx context.Context, tx Tx, u facts, found map[string]node, direct map[string]Record, aliases []string, now time.Time) (Call, *change, error) {
	id := canonicalID(u)
	v := l.view(now)
	v.loc = nil
	c := derive(id, 0, u, v)
	doc := encodeFacts(u)
	var puts []Record
	var ch *change
	if old, ok := found[id]; !ok || !bytes.Equal(old.rec.Doc, doc) {
		puts = append(puts, Record{ID: id, Index: index(c), Doc: doc})
		if l.cfg.onChange != nil {
			ch = &change{after: c}
			if len(found) > 0 {
				var prev facts
				for _, n := range found {
					prev = merge(prev, n.f)
				}
				ch.before = derive(canonicalID(prev), 0, prev, v)
			}
		}
	} else {
		c.Seq = old.rec.Seq
	}
	for fid := range found {
		aliases = append(aliases, fid)
	}
	slices.Sort(aliases)
	for _, a := range slices.Compact(aliases) {
		if a == id {
			continue
		}
		if r, ok := direct[a]; ok && r.AliasOf == id {
			continue
		}
		puts = append(puts, Record{ID: a, AliasOf: id, Index: Index{Number: c.Number, Start: c.Start, State: c.State}})
	}
	if len(puts) > 0 {
		if len(found) > 1 || (len(found) == 1 && found[id].rec.ID != id) {
			l.cfg.log.DebugContext(ctx, "calls: merged", "call", id, "records", len(found))
		}
		if err := tx.Put(ctx, puts...); err != nil {
			return Call{}, nil, err
		}
	}
	if l.cfg.loc != nil {
		c.inLocation(l.cfg.loc)
		if ch != nil {
			ch.after.inLocation(l.cfg.loc)
			ch.before.inLocation(l.cfg.loc)
		}
	}
	return c, ch, nil
}

// resolve reads ids, following aliases, into found (by canonical id). It
// returns the records read for ids themselves.
func (l *Ledger) resolve(ctx context.Context, tx Tx, ids []string, found map[string]node) (map[string]Record, error) {
	direct := map[string]Record{}
	seen := map[string]bool{}
	pending := ids
	for depth := 0; len(pending) > 0 && depth <= maxAliasDepth; depth++ {
		for _, id := range pending {
			seen[id] = true
		}
		recs, err := tx.Get(ctx, pending...)
		if err != nil {
			return nil, err
		}
		pending = nil
		for _, r := range recs {
			if depth == 0 {
				direct[r.ID] = r
			}
			if r.AliasOf != "" {
				if !seen[r.AliasOf] {
					seen[r.AliasOf] = true
					pending = append(pending, r.AliasOf)
				}
				continue
			}
			if _, ok := found[r.ID]; ok {
				continue
			}
			f, err := l.docs.decode(r)
			if err != nil {
				return nil, err
			}
			found[r.ID] = node{r, f}
		}
	}
	return direct, nil
}

// exact adds to found the candidates sharing an id with u, until none
// does, and returns u merged with them.
func exact(u facts, cands []node, found map[string]node) facts {
	for changed := true; changed; {
		changed = false
		ids := map[string]bool{}
		for _, id := range u.ids() {
			ids[id] = true
		}
		for _, c := range cands {
			if _, ok := found[c.rec.ID]; ok {
				continue
			}
			if slices.ContainsFunc(c.f.ids(), func(id string) bool { return ids[id] }) {
				found[c.rec.ID] = c
				u = merge(u, c.f)
				changed = true
			}
		}
	}
	return u
}

// fuzzy finds the candidate that belongs to the same call as u though
// they share no id: a dial and its webhook or CDR call (same agent,
// detected within the correlation window of the dial), or a webhook call
// and a CDR call (same agent, detected within the window's after). The
// nearest in time wins, then the smaller id.
func (l *Ledger) fuzzy(u facts, cands []node, found map[string]node) (node, bool) {
	var best node
	var bestDist time.Duration = -1
	uDial, uEv, uLeg := u.dialish(), u.hooked(), len(u.Legs) > 0
	uSeen := len(u.Events) > 0 && !uDial && !uEv && !uLeg
	for _, c := range cands {
		if _, ok := found[c.rec.ID]; ok {
			continue
		}
		cDial, cEv, cLeg := c.f.dialish(), c.f.hooked(), len(c.f.Legs) > 0
		cSeen := len(c.f.Events) > 0 && !cDial && !cEv && !cLeg
		if (uSeen && !(cDial && !cEv && !cLeg)) || (cSeen && !(uDial && !uEv && !uLeg)) {
			// A call known only from live sightings joins its webhook and
			// CDR calls by id (the sighting's id is the call's); by time
			// and phone, only a dial (whose call has no id yet).
			continue
		}
		var dist time.Duration
		var ok bool
		switch {
		case uDial && cDial, uEv && cEv, uLeg && cLeg:
			// Two dials, two webhook calls or two CDR calls that share no
			// id are different calls.
		case cDial && !cEv && !cLeg:
			dist, ok = l.dialMatch(c.f, u)
		case uDial && !uEv && !uLeg:
			dist, ok = l.dialMatch(u, c.f)
		case cDial:
			dist, ok = l.dialMatch(c.f, u)
		case uDial:
			dist, ok = l.dialMatch(u, c.f)
		default:
			// A webhook call and a CDR call.
			ta, tb := u.callTime(), c.f.callTime()
			dist = absDur(ta.Sub(tb))
			ok = !ta.IsZero() && !tb.IsZero() && dist <= l.cfg.after && agentsMatch(u.phones(), c.f.phones())
		}
		if ok && (bestDist < 0 || dist < bestDist) {
			best, bestDist = c, dist
		}
	}
	return best, bestDist >= 0
}

// dialMatch reports whether the call facts c (webhook or CDR) belong to
// the dial in d, and how far apart they are.
func (l *Ledger) dialMatch(d, c facts) (time.Duration, bool) {
	if !c.outboundish() {
		return 0, false
	}
	t := c.callTime()
	var agents []callmyway.Endpoint
	var best time.Duration = -1
	for _, dl := range d.dials() {
		agents = append(agents[:0], dl.Agent)
		if t.Before(dl.At.Add(-l.cfg.before)) || t.After(dl.At.Add(l.cfg.after)) || !agentsMatch(agents, c.phones()) {
			continue
		}
		if dist := absDur(t.Sub(dl.At)); best < 0 || dist < best {
			best = dist
		}
	}
	return best, best >= 0
}

// dialish reports whether f holds a dial: an accepted one, or one a
// contact policy admitted (it may have been sent; its accepted dial may
// never be recorded).
func (f facts) dialish() bool {
	return len(f.Dials) > 0 || slices.ContainsFunc(sortedAdmissions(f), admittedDial)
}

func admittedDial(a Admission) bool { return !a.Refused && !a.NotPlaced }

func sortedAdmissions(f facts) []Admission {
	return sortedValues(f.Admissions, func(a, b Admission) int { return strings.Compare(a.Ref, b.Ref) })
}

// dials are f's dials, and the dials its admissions admitted that have no
// accepted dial, for correlation by agent and time.
func (f facts) dials() []Dial {
	out := sortedValues(f.Dials, func(a, b Dial) int { return strings.Compare(a.Ref, b.Ref) })
	for _, a := range sortedAdmissions(f) {
		if _, ok := f.Dials[a.Ref]; !ok && admittedDial(a) {
			out = append(out, Dial{Ref: a.Ref, Agent: a.Agent, Number: a.Number, At: a.At})
		}
	}
	return out
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// agentsMatch reports whether a phone of as may be a phone of bs: they
// share a name, or have no kind of name in common to tell them apart
// (an endpoint id against a username).
func agentsMatch(as, bs []callmyway.Endpoint) bool {
	for _, a := range as {
		for _, b := range bs {
			if a.Same(b) || ((a.ID == "" || b.ID == "") && (a.User == "" || b.User == "") && !a.IsZero() && !b.IsZero()) {
				return true
			}
		}
	}
	return false
}

// index derives the store's index columns of c.
func index(c Call) Index {
	x := Index{Agent: c.Agent, Number: c.Number, Start: c.Start, State: c.State, Contact: c.Contact, Case: c.Case}
	for _, p := range c.Busy() {
		x.Busy = append(x.Busy, busyTokens(p)...)
	}
	for _, ch := range c.Charges {
		x.ChargeKeys = append(x.ChargeKeys, ch.Key)
	}
	return x
}

// ids are the ids a call with facts f is known by: its webhook callids,
// its CDR callids and group ids, and its dials' ids. Sorted.
func (f facts) ids() []string {
	var ids []string
	for _, e := range f.Events {
		ids = append(ids, e.CallID)
	}
	for _, lg := range f.Legs {
		ids = append(ids, lg.CallID, lg.Group())
	}
	for _, d := range f.Dials {
		ids = append(ids, d.ID())
	}
	for _, a := range f.Admissions {
		ids = append(ids, a.ID())
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// hooked reports whether f holds a webhook event (a live sighting is
// not one). Two webhook calls that share no id are two calls; a sighting
// joins its call by id, or a dial by phone and time (see fuzzy).
func (f facts) hooked() bool {
	for _, e := range f.Events {
		if e.Action != ActionLive {
			return true
		}
	}
	return false
}

// aliasIDs are the ids of f that Get should find even when the call is
// kept under another: dial ids and webhook callids.
func (f facts) aliasIDs() []string {
	var ids []string
	for _, e := range f.Events {
		ids = append(ids, e.CallID)
	}
	for _, d := range f.Dials {
		ids = append(ids, d.ID())
	}
	for _, a := range f.Admissions {
		ids = append(ids, a.ID())
	}
	return ids
}

// numbers are the customer numbers of f, sorted.
func (f facts) numbers() []string {
	var ns []string
	for _, d := range f.Dials {
		ns = append(ns, d.Number)
	}
	for _, a := range f.Admissions {
		ns = append(ns, a.Number)
	}
	for _, e := range f.Events {
		if e.Number != "" {
			ns = append(ns, e.Number)
		}
	}
	for _, lg := range f.Legs {
		if lg.Number != "" {
			ns = append(ns, lg.Number)
		}
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// timeRange is the earliest and latest time among f's facts.
func (f facts) timeRange() (lo, hi time.Time) {
	add := func(t time.Time) {
		if t.IsZero() {
			return
		}
		lo = minTime(lo, t)
		hi = maxTime(hi, t)
	}
	for _, d := range f.Dials {
		add(d.At)
	}
	for _, a := range f.Admissions {
		add(a.At)
	}
	for _, e := range f.Events {
		add(e.Detect)
		add(e.ReceivedAt)
	}
	for _, lg := range f.Legs {
		add(lg.Detect)
		add(lg.SeenAt)
	}
	return lo, hi
}

// callTime is when the webhook or CDR call of f was detected (else first
// received).
func (f facts) callTime() time.Time {
	var t, seen time.Time
	for _, e := range f.Events {
		t = minTime(t, e.Detect)
		seen = minTime(seen, e.ReceivedAt)
	}
	for _, lg := range f.Legs {
		t = minTime(t, lg.Detect)
		seen = minTime(seen, lg.SeenAt)
	}
	if t.IsZero() {
		return seen
	}
	return t
}

// outboundish reports whether f's call may be outbound: no webhook or CDR
// says it went another way.
func (f facts) outboundish() bool {
	for _, e := range f.Events {
		if e.Direction != callmyway.DirectionUnknown && e.Direction != callmyway.DirectionOutbound {
			return false
		}
	}
	for _, lg := range f.Legs {
		if lg.Direction != callmyway.DirectionUnknown && lg.Direction != callmyway.DirectionOutbound {
			return false
		}
	}
	return true
}

// phones are the endpoints of f's webhook events and CDR legs.
func (f facts) phones() []callmyway.Endpoint {
	var ps []callmyway.Endpoint
	for _, e := range f.Events {
		ps = append(ps, e.Endpoint)
	}
	for _, lg := range f.Legs {
		ps = append(ps, lg.Agent)
	}
	return ps
}
