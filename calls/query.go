package calls

import (
	"context"
	"iter"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// Get returns the call with id, a callid or an alias of it (such as the
// "dial:"+ref id of a dial correlated since), or an error matching
// ErrNotFound.
func (l *Ledger) Get(ctx context.Context, id string) (Call, error) {
	if err := l.ok(); err != nil {
		return Call{}, err
	}
	if err := checkID("id", id, true); err != nil {
		return Call{}, err
	}
	r, err := l.store.Get(ctx, id)
	for depth := 0; err == nil && r.AliasOf != ""; depth++ {
		if depth == maxAliasDepth {
			return Call{}, ErrNotFound
		}
		r, err = l.store.Get(ctx, r.AliasOf)
	}
	if err != nil {
		return Call{}, err
	}
	return l.callOf(r, l.now())
}

func (l *Ledger) callOf(r Record, now time.Time) (Call, error) {
	f, err := l.docs.decode(r)
	if err != nil {
		return Call{}, err
	}
	return derive(r.ID, r.Seq, f, l.view(now)), nil
}

// Query selects calls in Ledger.Calls. Zero fields match every call.
//
// Calls come oldest first (by start time, then id), so a Limit keeps the
// oldest matching calls; set Newest to read the newest first and, with a
// Limit, keep the newest.
//
// Query is a plain value, safe to copy; Calls copies it. Its zero value
// selects every call.
//
// Copies may be read from several goroutines concurrently.
type Query struct {
	From, To time.Time          // the call started in [From, To)
	Agent    callmyway.Endpoint // owned by this phone (either name matches)
	Contact  string             // the call's Contact (the dial's, else its disposition's)
	Case     string             // the call's Case (the dial's, else its disposition's)
	Number   string             // the customer's number, E.164
	State    State              // in this state
	Limit    int                // at most this many calls; 0 means all
	// Newest yields the calls newest first: by start time then id, both
	// descending. With Limit, it keeps the newest calls.
	Newest bool
	// Refusals includes the contact policy's refusals (StateRefused),
	// which are not calls and are left out otherwise. State
	// StateRefused selects only them.
	Refusals bool
}

func (q Query) filter() (Filter, error) {
	if q.Limit < 0 {
		return Filter{}, invalid("Query.Limit", "%d is negative", q.Limit)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return Filter{}, invalid("Query.To", "%v is before From %v", q.To, q.From)
	}
	if err := checkEndpoint("Query.Agent", q.Agent, false); err != nil {
		return Filter{}, err
	}
	for _, f := range []struct{ name, v string }{{"Query.Contact", q.Contact}, {"Query.Case", q.Case}} {
		if err := checkText(f.name, f.v, maxText); err != nil {
			return Filter{}, err
		}
	}
	if err := checkNumber("Query.Number", q.Number, false); err != nil {
		return Filter{}, err
	}
	f := Filter{From: q.From, To: q.To, Agent: q.Agent, Contact: q.Contact, Case: q.Case, Number: q.Number, Limit: q.Limit, Newest: q.Newest}
	if q.State != "" {
		if _, ok := ParseState(string(q.State)); !ok {
			return Filter{}, invalid("Query.State", "%q is not a state", string(q.State))
		}
		f.States = []State{q.State}
	} else if !q.Refusals {
		f.NotStates = []State{StateRefused}
	}
	if err := normTime("Query.From", &f.From); err != nil {
		return Filter{}, err
	}
	if err := normTime("Query.To", &f.To); err != nil {
		return Filter{}, err
	}
	return f, nil
}

// Calls yields the calls matching q, by start time then id: oldest first,
// or newest first (both keys descending) when q.Newest is set. q.Limit
// keeps the first calls in that order. It yields one error and stops on
// failure (an *InvalidError for a bad Query).
func (l *Ledger) Calls(ctx context.Context, q Query) iter.Seq2[Call, error] {
	return func(yield func(Call, error) bool) {
		if err := l.ok(); err != nil {
			yield(Call{}, err)
			return
		}
		f, err := q.filter()
		if err != nil {
			yield(Call{}, err)
			return
		}
		now := l.now()
		for r, err := range l.store.Scan(ctx, f) {
			if err != nil {
				yield(Call{}, err)
				return
			}
			c, err := l.callOf(r, now)
			if !yield(c, err) || err != nil {
				return
			}
		}
	}
}

// liveStates are the states a live call is in.
var liveStates = []State{StateRequested, StateRinging, StateConnected}

// Live returns the calls live now on agent's phone (by either of its
// names): ringing it, or connected to it. A call of a ring group that
// another phone answered is not live on the others. A phone is found by
// the names its facts carried: webhooks name it by endpoint id and CDRs
// by username, so give agent both names (and the adapters too).
func (l *Ledger) Live(ctx context.Context, agent callmyway.Endpoint) ([]Call, error) {
	var out []Call
	err := l.live(ctx, agent, func(c Call) bool {
		out = append(out, c)
		return true
	})
	return out, err
}

// HasLiveCall reports whether agent's phone has a live call: the guard
// click to dial runs before dialling.
func (l *Ledger) HasLiveCall(ctx context.Context, agent callmyway.Endpoint) (bool, error) {
	found := false
	err := l.live(ctx, agent, func(Call) bool {
		found = true
		return false
	})
	return found, err
}

func (l *Ledger) live(ctx context.Context, agent callmyway.Endpoint, yield func(Call) bool) error {
	if err := l.ok(); err != nil {
		return err
	}
	if err := checkEndpoint("agent", agent, true); err != nil {
		return err
	}
	now := l.now()
	f := Filter{Busy: busyTokens(agent), States: liveStates, From: now.Add(-l.cfg.maxLiveAge)}
	for r, err := range l.store.Scan(ctx, f) {
		if err != nil {
			return err
		}
		c, err := l.callOf(r, now)
		if err != nil {
			return err
		}
		if c.Live && !yield(c) {
			return nil
		}
	}
	return nil
}
