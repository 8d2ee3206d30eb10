package casefile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/click2dial"
)

// DismissResult is the disposition result (calls.Disposition.Result) that
// dismisses a callback: recorded on a missed call, it closes the caller's
// callback for every miss up to that call.
const DismissResult = "callback-dismissed"

// DefaultQueue is the queue a callback goes to when its customer has no
// owner (WithQueue).
const DefaultQueue = "callbacks"

// DefaultHorizon is how far back Open looks for missed calls (WithHorizon).
const DefaultHorizon = 7 * 24 * time.Hour

// ErrNoCallbacks is returned by the methods of a zero or nil Callbacks.
var ErrNoCallbacks = errors.New("casefile: Callbacks not initialised: create it with casefile.NewCallbacks")

// Caller names the customer a callback is owed to, for Owners: the
// number, and the case and contact when the missed calls were linked to
// them (a disposition naming them).
//
// The zero Caller names no one. It is a plain value; copies may be read
// from several goroutines concurrently.
type Caller struct {
	Number, Case, Contact string
}

// Owner is who must return a call: the CRM user who owns the customer's
// case (Agent, a CRM user id), else a queue.
//
// The zero Owner is "nobody" (Callbacks then uses its default queue). It
// is a plain value; copies may be read from several goroutines
// concurrently.
type Owner struct {
	Agent string
	Queue string
}

// Owners finds the owner of a callback; the CRM implements it over its
// cases (the agent who owns the case, else a queue). It must be safe for
// concurrent use. The zero Owner (and a nil error) sends the callback to
// the default queue.
//
// A nil Owners is refused by WithOwners.
type Owners interface {
	Owner(ctx context.Context, c Caller) (Owner, error)
}

// Callback is a call owed to a caller whose inbound calls were missed or
// abandoned (ended without being answered), derived from the ledger: one
// per caller however many times they called (de-duplicated by number),
// open until the next connected call with the customer (in or out, by
// number, or by case when the misses are linked to one), or until
// dismissed (Dismiss).
//
// The zero Callback is no callback. It is a plain value; copies may be
// read from several goroutines concurrently (do not modify its slice).
type Callback struct {
	// ID identifies the callback while it is open: "cb:"+Number+"@"+the
	// first missed call's id.
	ID      string
	Number  string // the caller, E.164
	Case    string // the case the misses were linked to, if any
	Contact string
	// Missed are the open missed calls' ids, oldest first.
	Missed      []string
	FirstMissed time.Time
	LastMissed  time.Time
	// Due is FirstMissed plus the SLA; Overdue reports whether it has
	// passed at the time of the query.
	Due     time.Time
	Overdue bool
	Owner   Owner
}

// Request is the click to dial that returns the call, for agent: it
// carries the case, the contact and the callback's id as metadata, so it
// goes through the contact policy like any dial (click2dial.WithPolicy)
// and its connection closes the callback.
func (c Callback) Request(agent callmyway.Endpoint) click2dial.Request {
	meta := map[string]string{"callback": c.ID}
	if c.Case != "" {
		meta["case"] = c.Case
	}
	if c.Contact != "" {
		meta["contact"] = c.Contact
	}
	return click2dial.Request{Agent: agent, Number: c.Number, Meta: meta}
}

// CallbackOption configures Callbacks. Options validate their arguments.
//
// A nil CallbackOption is refused by NewCallbacks. Options are plain
// functions, safe to reuse and to share between goroutines concurrently.
type CallbackOption func(*Callbacks) error

// WithOwners sets who owns each callback (default: the default queue).
func WithOwners(o Owners) CallbackOption {
	return func(cb *Callbacks) error {
		if o == nil {
			return errors.New("casefile: WithOwners: nil")
		}
		cb.owners = o
		return nil
	}
}

// WithQueue sets the queue of callbacks without an owner (default
// DefaultQueue).
func WithQueue(name string) CallbackOption {
	return func(cb *Callbacks) error {
		if strings.TrimSpace(name) == "" {
			return errors.New("casefile: WithQueue: empty name")
		}
		cb.queue = name
		return nil
	}
}

// WithHorizon sets how far back Open looks for missed calls (default
// DefaultHorizon).
func WithHorizon(d time.Duration) CallbackOption {
	return func(cb *Callbacks) error {
		if d <= 0 || d > calls.MaxDuration {
			return fmt.Errorf("casefile: WithHorizon(%v): out of range", d)
		}
		cb.horizon = d
		return nil
	}
}

// WithClock sets the clock Due is compared with (default time.Now).
func WithClock(now func() time.Time) CallbackOption {
	return func(cb *Callbacks) error {
		if now == nil {
			return errors.New("casefile: WithClock: nil")
		}
		cb.now = now
		return nil
	}
}

// Callbacks finds the callbacks owed, from the calls ledger (the one
// source of truth: a callback is not stored, it is what the ledger's calls
// say is owed).
//
// Create it with NewCallbacks; the methods of the zero Callbacks return
// ErrNoCallbacks. It is safe for concurrent use.
type Callbacks struct {
	ledger  *calls.Ledger
	sla     time.Duration
	owners  Owners
	queue   string
	horizon time.Duration
	now     func() time.Time
}

// NewCallbacks returns the callbacks of ledger, each due sla after the
// first missed call.
func NewCallbacks(ledger *calls.Ledger, sla time.Duration, opts ...CallbackOption) (*Callbacks, error) {
	if ledger == nil {
		return nil, errors.New("casefile: NewCallbacks: nil ledger")
	}
	if sla <= 0 || sla > calls.MaxDuration {
		return nil, fmt.Errorf("casefile: NewCallbacks: SLA %v out of range", sla)
	}
	cb := &Callbacks{ledger: ledger, sla: sla, queue: DefaultQueue, horizon: DefaultHorizon, now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("casefile: NewCallbacks: nil option")
		}
		if err := o(cb); err != nil {
			return nil, err
		}
	}
	return cb, nil
}

// CallbackQuery selects callbacks in Open. Zero fields match every
// callback.
//
// The zero CallbackQuery selects every open callback. It is a plain
// value; copies may be read from several goroutines concurrently.
type CallbackQuery struct {
	Agent       string // owned by this CRM user
	Queue       string // in this queue
	Case        string // linked to this case
	OverdueOnly bool
}

// missed reports whether c is an inbound call that ended without being
// answered (missed, or abandoned by the caller).
func missed(c calls.Call) bool {
	return c.Direction == callmyway.DirectionInbound && (c.State == calls.StateEnded || c.State == calls.StateFinal) &&
		c.Connect.IsZero() && c.Number != ""
}

func dismissed(c calls.Call) bool {
	for _, d := range c.Disps {
		if d.Result == DismissResult {
			return true
		}
	}
	return false
}

// Open returns the open callbacks matching q, by due time then number.
func (cb *Callbacks) Open(ctx context.Context, q CallbackQuery) ([]Callback, error) {
	if cb == nil || cb.ledger == nil {
		return nil, ErrNoCallbacks
	}
	now := cb.now()
	var misses []calls.Call
	// The latest connect by number and by case: it closes every miss
	// before it.
	closedNum := map[string]time.Time{}
	closedCase := map[string]time.Time{}
	later := func(m map[string]time.Time, k string, t time.Time) {
		if k != "" && t.After(m[k]) {
			m[k] = t
		}
	}
	for c, err := range cb.ledger.Calls(ctx, calls.Query{From: now.Add(-cb.horizon)}) {
		if err != nil {
			return nil, fmt.Errorf("casefile: callbacks: %w", err)
		}
		switch {
		case !c.Connect.IsZero():
			later(closedNum, c.Number, c.Connect)
			later(closedCase, c.Case, c.Connect)
		case missed(c):
			misses = append(misses, c)
			if dismissed(c) {
				// A dismissal closes the misses up to this one.
				later(closedNum, c.Number, c.Start)
			}
		}
	}
	by := map[string]*Callback{}
	for _, m := range misses { // by start time: the ledger's order
		if !m.Start.After(closedNum[m.Number]) && !closedNum[m.Number].IsZero() {
			continue
		}
		if m.Case != "" && !closedCase[m.Case].IsZero() && !m.Start.After(closedCase[m.Case]) {
			continue
		}
		c := by[m.Number]
		if c == nil {
			c = &Callback{ID: "cb:" + m.Number + "@" + m.ID, Number: m.Number, FirstMissed: m.Start}
			by[m.Number] = c
		}
		c.Missed = append(c.Missed, m.ID)
		c.LastMissed = m.Start
		c.Case = cmp.Or(m.Case, c.Case)
		c.Contact = cmp.Or(m.Contact, c.Contact)
	}
	out := make([]Callback, 0, len(by))
	for _, c := range by {
		c.Due = c.FirstMissed.Add(cb.sla)
		c.Overdue = !now.Before(c.Due)
		if cb.owners != nil {
			o, err := cb.owners.Owner(ctx, Caller{Number: c.Number, Case: c.Case, Contact: c.Contact})
			if err != nil {
				return nil, fmt.Errorf("casefile: owner of %s: %w", c.Number, err)
			}
			c.Owner = o
		}
		if c.Owner.Agent == "" && c.Owner.Queue == "" {
			c.Owner.Queue = cb.queue
		}
		if (q.Agent != "" && c.Owner.Agent != q.Agent) || (q.Queue != "" && c.Owner.Queue != q.Queue) ||
			(q.Case != "" && c.Case != q.Case) || (q.OverdueOnly && !c.Overdue) {
			continue
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Callback) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Number, b.Number)) })
	return out, nil
}

// Dismiss closes a callback without a call (a wrong number, the customer
// wrote instead): a disposition with DismissResult on its latest missed
// call, by the CRM user by, with the reason as notes. It stays in the
// ledger with the call.
func (cb *Callbacks) Dismiss(ctx context.Context, c Callback, by, reason string) error {
	if cb == nil || cb.ledger == nil {
		return ErrNoCallbacks
	}
	if len(c.Missed) == 0 {
		return errors.New("casefile: Dismiss: the callback has no missed call")
	}
	if strings.TrimSpace(reason) == "" {
		return errors.New("casefile: Dismiss: a reason is required")
	}
	_, err := cb.ledger.Dispose(ctx, c.Missed[len(c.Missed)-1], calls.Disposition{By: by, Result: DismissResult, Notes: reason})
	if err != nil {
		return fmt.Errorf("casefile: dismiss: %w", err)
	}
	return nil
}
