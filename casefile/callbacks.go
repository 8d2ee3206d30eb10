package casefile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
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
// Without Case or Numbers, Open reads every call of the horizon (the
// whole traffic of the window). With either, it reads only the calls of
// that case and of those numbers through the ledger's indexes (plus the
// connected calls of the cases their misses are linked to, which close
// them): the work is bounded by those customers' calls, not by the
// traffic.
//
// The zero CallbackQuery selects every open callback. It is a plain
// value; copies may be read from several goroutines concurrently (do not
// modify Numbers).
type CallbackQuery struct {
	Agent string // owned by this CRM user
	Queue string // in this queue
	// Case selects the callbacks linked to this case; with Numbers, the
	// callbacks linked to it or from one of Numbers.
	Case string
	// Numbers selects the callbacks from these numbers (E.164); with
	// Case, see Case.
	Numbers     []string
	OverdueOnly bool
	// Limit keeps the first Limit callbacks (by due time then number);
	// 0 means all. A negative Limit is an error.
	Limit int
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

// openState gathers what Open derives from the calls it reads: the
// misses (in the ledger's order: start time, then id) and the latest
// connect by number and by case, which closes every miss before it.
type openState struct {
	misses     []calls.Call
	closedNum  map[string]time.Time
	closedCase map[string]time.Time
}

func later(m map[string]time.Time, k string, t time.Time) {
	if k != "" && t.After(m[k]) {
		m[k] = t
	}
}

func (s *openState) add(c calls.Call) {
	switch {
	case !c.Connect.IsZero():
		later(s.closedNum, c.Number, c.Connect)
		later(s.closedCase, c.Case, c.Connect)
	case missed(c):
		s.misses = append(s.misses, c)
		if dismissed(c) {
			// A dismissal closes the misses up to this one.
			later(s.closedNum, c.Number, c.Start)
		}
	}
}

// Open returns the open callbacks matching q, by due time then number
// (the first q.Limit of them when it is positive). See CallbackQuery for
// what it reads. Errors wrap the ledger's (an *InvalidError for a
// negative q.Limit matches calls.ErrInvalid).
func (cb *Callbacks) Open(ctx context.Context, q CallbackQuery) ([]Callback, error) {
	if cb == nil || cb.ledger == nil {
		return nil, ErrNoCallbacks
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("casefile: callbacks: %w", &calls.InvalidError{Field: "CallbackQuery.Limit", Reason: fmt.Sprintf("%d is negative", q.Limit)})
	}
	now := cb.now()
	from := now.Add(-cb.horizon)
	s := openState{closedNum: map[string]time.Time{}, closedCase: map[string]time.Time{}}
	var numbers map[string]bool // the numbers read whole; nil: every call was read
	if q.Case != "" || len(q.Numbers) > 0 {
		var err error
		if numbers, err = cb.readIndexed(ctx, from, q, &s); err != nil {
			return nil, fmt.Errorf("casefile: callbacks: %w", err)
		}
	} else {
		for c, err := range cb.ledger.Calls(ctx, calls.Query{From: from}) {
			if err != nil {
				return nil, fmt.Errorf("casefile: callbacks: %w", err)
			}
			s.add(c)
		}
	}
	by := map[string]*Callback{}
	for _, m := range s.misses { // by start time: the ledger's order
		if numbers != nil && !numbers[m.Number] {
			continue // read for its case only: its own calls were not all read
		}
		if !m.Start.After(s.closedNum[m.Number]) && !s.closedNum[m.Number].IsZero() {
			continue
		}
		if m.Case != "" && !s.closedCase[m.Case].IsZero() && !m.Start.After(s.closedCase[m.Case]) {
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
		if !q.selects(c) {
			continue
		}
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
		if (q.Agent != "" && c.Owner.Agent != q.Agent) || (q.Queue != "" && c.Owner.Queue != q.Queue) {
			continue
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b Callback) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.Number, b.Number)) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// selects reports whether c matches q's case, numbers and overdue
// filters (the owner is matched apart, once known).
func (q CallbackQuery) selects(c *Callback) bool {
	if q.OverdueOnly && !c.Overdue {
		return false
	}
	switch {
	case len(q.Numbers) > 0:
		return slices.Contains(q.Numbers, c.Number) || (q.Case != "" && c.Case == q.Case)
	case q.Case != "":
		return c.Case == q.Case
	}
	return true
}

// readIndexed feeds s the calls that decide the callbacks of q.Case and
// q.Numbers, read through the ledger's indexes: the calls of the case,
// of q.Numbers and of every number with a miss linked to the case (a
// callback is per number: all of that number's calls decide it), in the
// ledger's order; then the connected calls of the other cases those
// misses are linked to (they close them). It returns the numbers whose
// calls were all read.
func (cb *Callbacks) readIndexed(ctx context.Context, from time.Time, q CallbackQuery, s *openState) (map[string]bool, error) {
	seen := map[string]bool{}
	var found []calls.Call
	read := func(cq calls.Query) error {
		cq.From = from
		for c, err := range cb.ledger.Calls(ctx, cq) {
			if err != nil {
				return err
			}
			if !seen[c.ID] {
				seen[c.ID] = true
				found = append(found, c)
			}
		}
		return nil
	}
	numbers := map[string]bool{}
	for _, n := range q.Numbers {
		if n != "" {
			numbers[n] = true
		}
	}
	cases := map[string]bool{}
	if q.Case != "" {
		cases[q.Case] = true
		if err := read(calls.Query{Case: q.Case}); err != nil {
			return nil, err
		}
		for _, c := range found {
			if missed(c) {
				numbers[c.Number] = true
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(numbers)) {
		if err := read(calls.Query{Number: n}); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(found, func(a, b calls.Call) int { return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID)) })
	for _, c := range found {
		s.add(c)
	}
	// The other cases the misses are linked to: their connected calls
	// close those misses too.
	var more []string
	for _, m := range s.misses {
		if m.Case != "" && !cases[m.Case] && numbers[m.Number] {
			cases[m.Case] = true
			more = append(more, m.Case)
		}
	}
	for _, k := range more {
		for c, err := range cb.ledger.Calls(ctx, calls.Query{Case: k, From: from}) {
			if err != nil {
				return nil, err
			}
			if !c.Connect.IsZero() {
				later(s.closedCase, c.Case, c.Connect)
			}
		}
	}
	return numbers, nil
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
