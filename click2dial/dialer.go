package click2dial

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/provider"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/webhook"
)

// ErrCallInProgress means the agent already has a call active or in
// progress: CallMyWay allows one per user, and the Dialer refuses before
// asking.
var ErrCallInProgress = errors.New("click2dial: the agent already has a call active or in progress")

// ErrInvalidNumber is callmyway.ErrInvalidNumber: the customer's number
// cannot be dialled. The concrete error is a *callmyway.NumberError.
var ErrInvalidNumber = callmyway.ErrInvalidNumber

// ErrUnknownCallerID means Request.CallerID names an endpoint the Dialer
// has no credentials for (see WithCallerID and SetCallerID).
var ErrUnknownCallerID = errors.New("click2dial: unknown caller-ID endpoint")

// ErrContactNotAllowed means CallMyWay refused a contact-first dial: the
// customer's number is not on the account's list of numbers that may be
// called first. Ask CallMyWay to add it, or dial agent-first.
var ErrContactNotAllowed = errors.New("click2dial: contact-first: the customer's number is not on the account's allowed list")

// ErrNotEndpoint means the number called first (the agent's, agent-first)
// is not an endpoint of the account the request is billed to.
var ErrNotEndpoint = errors.New("click2dial: the agent's number is not an endpoint of this account")

// ErrNoDialer is returned by the methods of a zero or nil Dialer.
var ErrNoDialer = errors.New("click2dial: Dialer not initialised: create it with click2dial.New")

// ErrHookFailed is matched by the error Dial returns, together with a
// valid Result, when the call was placed but the WithOnAccepted hook
// failed (for example the ledger could not record it).
var ErrHookFailed = errors.New("click2dial: the call was placed but the accept hook failed")

// ErrRefusedByPolicy is matched by the error Dial returns when the
// contact policy (WithPolicy) refused the dial: nothing was sent. The
// policy's error says which rule refused it and when the next attempt is
// allowed (package policy: *policy.RefusalError, and policy.ErrRefused is
// this same value). It is unrelated to ErrContactNotAllowed, CallMyWay's
// own refusal of a contact-first dial.
var ErrRefusedByPolicy = errors.New("click2dial: the contact policy refused the dial")

// Order is which party CallMyWay rings first.
//
// The zero Order is AgentFirst. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Order int

const (
	// AgentFirst rings the agent's phone, then the contact (the normal
	// order). The agent must be an endpoint of the billed account.
	AgentFirst Order = iota
	// ContactFirst rings the contact, then the agent. CallMyWay only
	// accepts it when the contact's number is on the account's allowed
	// list.
	ContactFirst
)

// String returns "agent-first", "contact-first" or "Order(N)".
func (o Order) String() string {
	switch o {
	case AgentFirst:
		return "agent-first"
	case ContactFirst:
		return "contact-first"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// Request is one click to dial. It is a plain value.
//
// The zero Request is invalid (no agent, no number): Dial refuses it. It is
// safe to copy; do not modify Meta while Dial runs concurrently with it.
type Request struct {
	// Agent is the agent's CallMyWay phone. User (the username dialled as
	// first_num) is required. Give ID (the endpoint_id webhooks carry) too:
	// it is how the Dialer recognises the call's callEnd and frees the
	// agent (HandleEvent). A Directory entry has both.
	Agent callmyway.Endpoint
	// Number is the customer's number, in any common format; numbers
	// without a country code are read in the account's region. Letters
	// are refused.
	Number string
	// Order is AgentFirst (default) or ContactFirst.
	Order Order
	// CallerID is the username of the endpoint the call is billed to and
	// whose caller ID it shows (a private endpoint withholds the number),
	// chosen per request. Empty means the Dialer's Client. Register the
	// endpoints with WithCallerID or SetCallerID.
	CallerID string
	// Meta is opaque caller metadata (contact id, case id, CRM user...).
	// It comes back in the Result and the accept hook, so whatever
	// correlates the call later (the calls ledger) has it.
	Meta map[string]string
	// Host is callmyway.HostClickToDial (default) or
	// callmyway.HostClickToDialAlt.
	Host callmyway.Host
	// Override is a supervisor's decision to dial although the contact
	// policy (WithPolicy) would refuse; the policy keeps it, with the rule
	// it overrode, in the ledger. The zero Override overrides nothing.
	Override Override
}

// Override lets one dial through the contact policy: who decided (a
// supervisor's user id) and why. Both are required when either is set.
//
// The zero Override overrides nothing. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type Override struct {
	By     string
	Reason string
}

// IsZero reports whether o overrides nothing.
func (o Override) IsZero() bool { return o.By == "" && o.Reason == "" }

// Attempt is a dial about to be sent, as a Policy sees it.
//
// The zero Attempt is no dial. It is a plain value; its Meta is its own
// copy. Copies may be read from several goroutines concurrently.
type Attempt struct {
	// Ref is the Ref the dial's Result will carry once accepted, so that
	// the policy's record of the attempt and the accepted dial
	// (calls.Ledger.RecordAccepted) are one call.
	Ref      string
	Agent    callmyway.Endpoint
	Number   number.Number
	Meta     map[string]string
	Override Override
}

// Policy is the contact policy Dial consults before sending anything
// (package policy implements it over the calls ledger). Admit returns nil
// to let the dial go, having recorded it as the customer's pending
// attempt; or an error matching ErrRefusedByPolicy (recorded as a
// refusal), or another error (the policy could not decide; nothing is
// sent). NotPlaced tells the policy that an admitted dial was refused by
// CallMyWay before it could ring anyone, so it stops counting as an
// attempt. Both are called on Dial's goroutine with Dial's ctx and must be
// safe for concurrent use.
//
// A nil Policy is refused by WithPolicy.
type Policy interface {
	Admit(ctx context.Context, a Attempt) error
	NotPlaced(ctx context.Context, ref string, cause error) error
}

// Result is an accepted click to dial.
//
// Accepted means only that CallMyWay INSERTED the request into its
// database. It is not a call outcome: the agent may not answer, the
// contact may be busy. The outcome arrives later by webhook (callStart,
// callEnd) and in the CDR.
//
// The zero Result is no accepted dial. Meta is the Result's own copy; the
// Result may be read concurrently.
type Result struct {
	// Ref identifies this accepted dial (random, unique): the key the
	// calls ledger records it under until its webhook call arrives.
	Ref       string
	Agent     callmyway.Endpoint
	Number    number.Number // the customer's number as dialled
	Order     Order
	CallerID  string            // the billed endpoint's username
	Meta      map[string]string // the Request's metadata (a copy)
	Raw       string            // CallMyWay's answer, password removed
	At        time.Time         // when it was accepted
	Duplicate bool              // a repeated click inside the window: no new request was sent
}

// LiveCalls reports calls the Dialer did not start, such as inbound calls
// seen by webhook. The calls ledger and screenpop's Tracker satisfy it.
// It is called on Dial's goroutine and must be safe for concurrent use.
//
// A nil LiveCalls is refused by WithLiveCalls.
type LiveCalls interface {
	HasLiveCall(ctx context.Context, agent callmyway.Endpoint) (bool, error)
}

// DialForgetter is implemented by a LiveCalls source that stops counting
// an accepted dial as live when no call was reported for it within
// NeverArrivedAfter (calls.Ledger: calls.WithNeverArrivedAfter). New reads
// it to refuse a double-click window longer than that bound (see
// WindowConflictError). Implementations must be safe for concurrent use.
// A LiveCalls that is not a DialForgetter (nil) is not checked.
type DialForgetter interface {
	NeverArrivedAfter() time.Duration
}

// ErrOptionConflict is matched (errors.Is) by the errors New returns for
// options that are valid alone but conflict together, such as a
// *WindowConflictError.
var ErrOptionConflict = errors.New("click2dial: conflicting options")

// WindowConflictError is New's refusal of a double-click window
// (WithDoubleClickWindow, 5 s by default) longer than the time after which
// the LiveCalls source forgets a dial that never got a webhook
// (DialForgetter, calls.WithNeverArrivedAfter). Past that time the source
// reports the agent free; a repeated click still inside the window would
// then be taken for a click after the call ended, and place a second call
// to the customer. Shorten the window or lengthen the never-arrived time.
// It matches ErrOptionConflict.
//
// The zero WindowConflictError names no durations. It is a plain value:
// safe to copy, and to read from several goroutines concurrently.
type WindowConflictError struct {
	Window       time.Duration // the double-click window (WithDoubleClickWindow)
	NeverArrived time.Duration // the LiveCalls source's NeverArrivedAfter
}

// Error implements error.
func (e *WindowConflictError) Error() string {
	return fmt.Sprintf("click2dial: New: WithDoubleClickWindow(%v) is longer than the LiveCalls source's never-arrived time %v "+
		"(calls.WithNeverArrivedAfter): a repeated click after the source forgets the dial would ring the customer again; "+
		"shorten the window or lengthen the never-arrived time", e.Window, e.NeverArrived)
}

// Is matches ErrOptionConflict.
func (e *WindowConflictError) Is(target error) bool { return target == ErrOptionConflict }

// Option configures a Dialer. Options validate their arguments.
//
// A nil Option is refused by New. Options are plain functions, safe to
// reuse and to share between goroutines concurrently.
type Option func(*Dialer) error

// WithLiveCalls makes the Dialer refuse agents that have a live call it did
// not start.
func WithLiveCalls(lc LiveCalls) Option {
	return func(d *Dialer) error {
		if lc == nil {
			return errors.New("click2dial: WithLiveCalls: nil")
		}
		d.live = lc
		return nil
	}
}

// WithPolicy makes every dial (and so every Campaign dial) ask p first,
// after the one-call guard and before anything is sent. A repeated click
// inside the double-click window gets the first dial's answer without
// asking again.
func WithPolicy(p Policy) Option {
	return func(d *Dialer) error {
		if p == nil {
			return errors.New("click2dial: WithPolicy: nil")
		}
		d.policy = p
		return nil
	}
}

// WithCallerID registers another endpoint of the account (its SIP
// username and password) that requests may name as CallerID. See also
// SetCallerID, to add one while the Dialer runs.
func WithCallerID(username, password string) Option {
	return func(d *Dialer) error { return d.setCallerID(username, password) }
}

// WithBusyTimeout sets how long an accepted dial keeps its agent busy when
// no callEnd is reported (default 5 min).
func WithBusyTimeout(t time.Duration) Option {
	return func(d *Dialer) error {
		if t <= 0 {
			return fmt.Errorf("click2dial: WithBusyTimeout(%v): must be positive", t)
		}
		d.busyTimeout = t
		return nil
	}
}

// WithDoubleClickWindow sets the window within which a repeated click
// (the same agent, number, order, caller ID and metadata) gets the first
// result back (default 5 s; 0 disables it). With WithLiveCalls and
// WithOnAccepted recording the dial where LiveCalls reads, a click after
// the first dial's call has ended is a new dial even inside the window.
// Keep per-click values (timestamps, nonces) out of Request.Meta, or
// every click is a new dial. New refuses a window longer than the
// never-arrived time of a LiveCalls source that has one (DialForgetter,
// WindowConflictError).
func WithDoubleClickWindow(w time.Duration) Option {
	return func(d *Dialer) error {
		if w < 0 {
			return fmt.Errorf("click2dial: WithDoubleClickWindow(%v): negative", w)
		}
		d.window = w
		return nil
	}
}

// WithOnAccepted calls f after every accepted dial (not for duplicates),
// on Dial's goroutine with Dial's ctx, before Dial returns: the hook that
// records the dial, with its metadata, in the calls ledger
// (calls.Ledger.RecordAccepted). If f fails, Dial returns the Result with
// an error matching ErrHookFailed: the call was placed all the same.
//
// With WithLiveCalls too, a dial f recorded is the LiveCalls source's to
// track (the ledger's, the one source of truth): the Dialer keeps its own
// hold on the agent only while the request is in flight, or when f failed
// or the answer was lost (the call may be ringing unrecorded).
func WithOnAccepted(f func(ctx context.Context, res Result) error) Option {
	return func(d *Dialer) error {
		if f == nil {
			return errors.New("click2dial: WithOnAccepted: nil hook")
		}
		d.onAccepted = f
		return nil
	}
}

// WithNumberFormat sets how a contact number is written in the request
// (default: E.164 digits without "+", e.g. 50688887777).
func WithNumberFormat(f func(number.Number) string) Option {
	return func(d *Dialer) error {
		if f == nil {
			return errors.New("click2dial: WithNumberFormat: nil")
		}
		d.format = f
		return nil
	}
}

// Dialer places click-to-dial calls for one account. Create it with New:
// the zero Dialer is not usable (its methods return ErrNoDialer or do
// nothing). A Dialer is safe for concurrent use; one per account serves
// every agent and caller ID.
type Dialer struct {
	client      *callmyway.Client
	live        LiveCalls
	policy      Policy
	busyTimeout time.Duration
	window      time.Duration
	onAccepted  func(context.Context, Result) error
	format      func(number.Number) string
	now         func() time.Time

	mu        sync.Mutex
	callerIDs map[string]*callmyway.Client // by username
	busy      map[string]*busyEntry        // by agent username
	recent    map[string]*dialEntry        // by repeatKey
	idle      chan struct{}                // closed and replaced whenever an agent frees up
	handovers uint64                       // dials handed over to LiveCalls so far (dialEntry.handedOver)
}

type busyEntry struct {
	agent callmyway.Endpoint
	until time.Time // zero while the dial is in flight
}

type dialEntry struct {
	agent      string // username
	done       chan struct{}
	res        Result
	err        error
	at         time.Time
	handedOver uint64 // LiveCalls knows the dial: the Dialer's hand-over count then (0: not yet; under Dialer.mu)
}

// New returns a Dialer sending requests with client's credentials (and
// those of the caller-ID endpoints registered with WithCallerID). It
// returns a *WindowConflictError (matching ErrOptionConflict) when the
// double-click window is longer than the never-arrived time of the
// LiveCalls source (DialForgetter), whatever the order of the options.
func New(client *callmyway.Client, opts ...Option) (*Dialer, error) {
	if client == nil || client.BaseURL(callmyway.HostClickToDial) == "" {
		return nil, errors.New("click2dial: New: nil or zero client (use callmyway.New)")
	}
	d := &Dialer{
		client: client, callerIDs: map[string]*callmyway.Client{client.Account().Username: client},
		busyTimeout: 5 * time.Minute, window: 5 * time.Second,
		format: number.Number.Digits, now: time.Now,
		busy: map[string]*busyEntry{}, recent: map[string]*dialEntry{}, idle: make(chan struct{}),
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("click2dial: New: nil option")
		}
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if f, ok := d.live.(DialForgetter); ok && d.window > 0 {
		if na := f.NeverArrivedAfter(); na > 0 && d.window > na {
			return nil, &WindowConflictError{Window: d.window, NeverArrived: na}
		}
	}
	return d, nil
}

func (d *Dialer) ok() bool { return d != nil && d.client != nil }

// SetCallerID registers (or replaces) an endpoint of the account that
// requests may name as CallerID, while the Dialer runs: for a CRM whose
// admin adds a private endpoint.
func (d *Dialer) SetCallerID(username, password string) error {
	if !d.ok() {
		return ErrNoDialer
	}
	return d.setCallerID(username, password)
}

func (d *Dialer) setCallerID(username, password string) error {
	c, err := d.client.WithCredentials(username, password)
	if err != nil {
		return fmt.Errorf("click2dial: caller ID %q: %w", username, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.callerIDs[c.Account().Username] = c
	return nil
}

// Normalize validates a request's numbers without sending anything: the
// agent's username must be digits, the customer's number a valid phone
// number in the account's region.
func (d *Dialer) Normalize(req Request) (agent callmyway.Endpoint, n number.Number, err error) {
	if !d.ok() {
		return agent, n, ErrNoDialer
	}
	agent = callmyway.Endpoint{ID: strings.TrimSpace(req.Agent.ID), User: strings.TrimSpace(req.Agent.User)}
	if agent.User == "" || strings.Trim(agent.User, "0123456789") != "" || len(agent.User) > 32 {
		return agent, n, &callmyway.NumberError{Input: req.Agent.User, Region: "endpoint", Reason: "the agent's Endpoint.User must be its CallMyWay username (digits)"}
	}
	region := d.client.Account().Region
	n, err = number.Parse(req.Number, region)
	if err != nil {
		return agent, n, err
	}
	if n.Withheld {
		return agent, n, &callmyway.NumberError{Input: req.Number, Region: region, Reason: "no number to dial"}
	}
	return agent, n, nil
}

// Dial asks CallMyWay to connect the agent and the customer.
//
// Dial is never retried once the request may have reached CallMyWay: a
// repeat could ring the customer twice. It refuses with ErrCallInProgress
// while the agent has a call active or in progress (its own accepted dials
// until their callEnd (HandleEvent), Release or the busy timeout, and live
// calls reported by LiveCalls), and returns the first result for a
// repeated click within the double-click window. Refusals by CallMyWay are
// *callmyway.APIError values matching callmyway.ErrUnauthorized,
// callmyway.ErrIPNotAllowed, ErrCallInProgress, ErrContactNotAllowed or
// ErrNotEndpoint where recognisable.
func (d *Dialer) Dial(ctx context.Context, req Request) (Result, error) {
	agent, n, err := d.Normalize(req)
	if err != nil {
		return Result{}, err
	}
	if req.Order != AgentFirst && req.Order != ContactFirst {
		return Result{}, fmt.Errorf("click2dial: unknown order %v", req.Order)
	}
	if req.Host != callmyway.HostClickToDial && req.Host != callmyway.HostClickToDialAlt {
		return Result{}, fmt.Errorf("click2dial: host %v does not serve click to dial", req.Host)
	}
	d.mu.Lock()
	sender := d.client
	if req.CallerID != "" {
		sender = d.callerIDs[req.CallerID]
	}
	d.mu.Unlock()
	if sender == nil {
		return Result{}, fmt.Errorf("%w %q: register it with WithCallerID or SetCallerID", ErrUnknownCallerID, req.CallerID)
	}
	key := repeatKey(agent, n, req.Order, sender.Account().Username, req.Meta)

	if d.live != nil {
		// Hand-overs counted before asking: an answer of "free" says
		// nothing of a dial handed over while the question was out.
		before := d.handOvers()
		live, err := d.live.HasLiveCall(ctx, agent)
		if err != nil {
			return Result{}, fmt.Errorf("click2dial: checking live calls: %w", err)
		}
		if live && !d.dialling(key) {
			return Result{}, fmt.Errorf("%w (agent %s)", ErrCallInProgress, agent)
		}
		if !live {
			d.forgetEnded(key, before)
		}
	}
	e, first, err := d.claim(agent, key)
	if err != nil {
		return Result{}, err
	}
	if first != nil {
		// A repeated click: wait for the first one and return its result.
		select {
		case <-first.done:
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
		if first.err != nil {
			return Result{}, first.err
		}
		res := first.res
		res.Duplicate = true
		return res, nil
	}
	ref := newRef()
	if d.policy != nil {
		if err := d.admit(ctx, ref, agent, n, req); err != nil {
			d.finish(agent, key, e, Result{}, err)
			return Result{}, err
		}
	}
	res, err := d.send(ctx, sender, agent, n, req, ref)
	if err != nil && d.policy != nil && !mayHaveDialled(err) {
		if perr := d.policy.NotPlaced(ctx, ref, err); perr != nil {
			err = errors.Join(err, fmt.Errorf("click2dial: contact policy: recording the dial as not placed: %w", perr))
		}
	}
	d.finish(agent, key, e, res, err)
	if err == nil && d.onAccepted != nil {
		if herr := d.onAccepted(ctx, res); herr != nil {
			return res, fmt.Errorf("%w: %w", ErrHookFailed, herr)
		}
		if d.live != nil {
			// The hook recorded the dial where LiveCalls reads (the calls
			// ledger): from now on that is the one source of truth for
			// whether the agent is busy, so the Dialer lets go of its own
			// hold.
			d.handOver(agent, e)
		}
	}
	return res, err
}

// admit asks the contact policy about a dial.
func (d *Dialer) admit(ctx context.Context, ref string, agent callmyway.Endpoint, n number.Number, req Request) error {
	o := Override{By: strings.TrimSpace(req.Override.By), Reason: strings.TrimSpace(req.Override.Reason)}
	if (o.By == "") != (o.Reason == "") {
		return errors.New("click2dial: an Override needs both who (By) and why (Reason)")
	}
	err := d.policy.Admit(ctx, Attempt{Ref: ref, Agent: agent, Number: n, Meta: maps.Clone(req.Meta), Override: o})
	if err != nil && !errors.Is(err, ErrRefusedByPolicy) {
		return fmt.Errorf("click2dial: contact policy: %w", err)
	}
	return err
}

// handOver drops the Dialer's hold on an agent whose accepted dial the
// LiveCalls source now knows.
func (d *Dialer) handOver(agent callmyway.Endpoint, e *dialEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handovers++
	e.handedOver = d.handovers
	if b := d.busy[agent.User]; b != nil && !b.until.IsZero() {
		delete(d.busy, agent.User)
		d.signalIdle()
	}
}

// handOvers returns how many dials were handed over to LiveCalls so far.
func (d *Dialer) handOvers() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.handovers
}

// forgetEnded drops the accepted dial with key from the double-click
// window when LiveCalls knew it before it was asked (it was handed over
// by the time handOvers returned before) and then reported the agent
// free: its call is over, so a click now is a new dial, not a repeat of
// that one. A dial handed over later (or not yet) may be invisible to that
// answer, and its entry is kept: a repeated click then waits for it
// instead of ringing the customer again.
func (d *Dialer) forgetEnded(key string, before uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.recent[key]; e != nil && e.handedOver != 0 && e.handedOver <= before {
		delete(d.recent, key)
	}
}

// repeatKey identifies a click for the double-click window: the same
// agent, number, order, caller ID and metadata. A click for another
// contact or case on the same number (a shared family phone) is another
// dial, not a repeat.
func repeatKey(agent callmyway.Endpoint, n number.Number, order Order, callerID string, meta map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q|%q|%s|%q", agent.User, n.E164, order, callerID)
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		fmt.Fprintf(&b, "|%q=%q", k, meta[k])
	}
	return b.String()
}

// dialling reports whether a dial with key is in flight or was accepted
// within the double-click window (its own call is what LiveCalls sees).
func (d *Dialer) dialling(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.repeatOf(key) != nil
}

// repeatOf returns the in-flight or recently accepted dial with key. d.mu held.
func (d *Dialer) repeatOf(key string) *dialEntry {
	e := d.recent[key]
	if e == nil || d.window == 0 {
		return nil
	}
	select {
	case <-e.done:
		if e.err != nil || d.now().Sub(e.at) >= d.window {
			return nil
		}
	default:
	}
	return e
}

// claim marks the agent busy for this dial, or returns the dial this one
// repeats (first), or refuses. One lock for all three, so concurrent
// double clicks cannot both pass.
func (d *Dialer) claim(agent callmyway.Endpoint, key string) (e, first *dialEntry, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if first := d.repeatOf(key); first != nil {
		return nil, first, nil
	}
	now := d.now()
	for k, e := range d.recent { // keep the map small
		select {
		case <-e.done:
			if now.Sub(e.at) >= d.window {
				delete(d.recent, k)
			}
		default:
		}
	}
	if b := d.busy[agent.User]; b != nil && (b.until.IsZero() || now.Before(b.until)) {
		return nil, nil, fmt.Errorf("%w (agent %s)", ErrCallInProgress, agent)
	}
	d.busy[agent.User] = &busyEntry{agent: agent}
	e = &dialEntry{agent: agent.User, done: make(chan struct{})}
	if d.window > 0 {
		d.recent[key] = e
	}
	return e, nil, nil
}

func (d *Dialer) finish(agent callmyway.Endpoint, key string, e *dialEntry, res Result, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.res, e.err, e.at = res, err, d.now()
	if err == nil && !res.At.IsZero() {
		// The window runs from the acceptance the ledger records
		// (Result.At), as its never-arrived time does (DialForgetter).
		e.at = res.At
	}
	close(e.done)
	delete(d.recent, key)
	defer d.signalIdle() // the agent's state changed: wake WaitIdle
	if err != nil && !mayHaveDialled(err) {
		delete(d.busy, agent.User)
		return
	}
	if err == nil && d.window > 0 {
		d.recent[key] = e
	}
	// Accepted, or lost after it may have reached CallMyWay (the call may
	// be ringing): the agent stays busy until its callEnd, Release or the
	// timeout.
	d.busy[agent.User] = &busyEntry{agent: agent, until: e.at.Add(d.busyTimeout)}
}

// mayHaveDialled reports whether a failed send may still have placed the
// call: the request left but no answer came back.
func mayHaveDialled(err error) bool {
	var te *callmyway.TransportError
	return errors.As(err, &te) && te.Sent || errors.Is(err, callmyway.ErrMalformedResponse)
}

func (d *Dialer) send(ctx context.Context, sender *callmyway.Client, agent callmyway.Endpoint, n number.Number, req Request, ref string) (Result, error) {
	first, second := agent.User, d.format(n)
	if req.Order == ContactFirst {
		first, second = second, first
	}
	path := callmyway.PathClickToDial
	if req.Host == callmyway.HostClickToDialAlt {
		path = callmyway.PathClickToDialAlt
	}
	resp, err := sender.Send(provider.WithOp(ctx, op), req.Host, path, url.Values{"first_num": {first}, "second_num": {second}})
	if err != nil {
		return Result{}, err
	}
	if err := classify(resp.Body, resp.StatusCode); err != nil {
		return Result{}, err
	}
	return Result{Ref: ref, Agent: agent, Number: n, Order: req.Order, CallerID: sender.Account().Username,
		Meta: maps.Clone(req.Meta), Raw: string(resp.Body), At: d.now()}, nil
}

const op = "click2dial.Dial"

// newRef returns a random id for an accepted dial.
func newRef() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails
	return hex.EncodeToString(b[:])
}

// refusals are fragments (lower case) of the provider's 2xx refusal
// texts, English and Spanish, and the sentinel each means. The provider's
// exact texts are not documented; unrecognised errors stay unclassified.
var refusals = []struct {
	fragments []string
	kind      error
}{
	{[]string{"active call", "call in progress", "in a call", "already has a call", "llamada activa",
		"llamada en curso", "en proceso", "en llamada", "user busy", "usuario ocupado"}, ErrCallInProgress},
	{[]string{"allowed list", "not allowed to be called first", "lista permitida", "no permitido como primer", "not in the whitelist", "lista blanca"}, ErrContactNotAllowed},
	{[]string{"must be an endpoint", "not an endpoint", "endpoint not found", "no es un endpoint", "first_num invalid", "invalid first_num"}, ErrNotEndpoint},
}

// classify reads a 2xx answer. The provider's texts are unverified: a
// recognised refusal is an *APIError, anything else is accepted.
func classify(body []byte, status int) error {
	if err := provider.Error(op, status, body, nil); errors.Is(err, callmyway.ErrUnauthorized) ||
		errors.Is(err, callmyway.ErrIPNotAllowed) || errors.Is(err, callmyway.ErrRateLimited) {
		return err
	}
	low := strings.ToLower(string(body))
	for _, r := range refusals {
		for _, f := range r.fragments {
			if strings.Contains(low, f) {
				return provider.Error(op, status, body, r.kind)
			}
		}
	}
	low = strings.TrimSpace(low)
	if strings.HasPrefix(low, "error") || strings.HasPrefix(low, `{"error"`) || strings.HasPrefix(low, "fail") {
		return provider.Error(op, status, body, nil)
	}
	// A page instead of an answer (a PHP warning, an HTML error page):
	// whether the request was inserted is unknown, so it is neither
	// "accepted" nor a refusal. Dial reports it, and holds the agent as if
	// the call may be ringing.
	for _, f := range pageTexts {
		if strings.Contains(low, f) {
			return provider.Error(op, status, body, callmyway.ErrMalformedResponse)
		}
	}
	return nil
}

// pageTexts are fragments (lower case) of pages a 2xx may carry instead of
// the provider's answer.
var pageTexts = []string{"<b>warning</b>", "warning:", "<b>fatal error</b>", "fatal error:", "parse error:", "<b>notice</b>",
	"<html", "<!doctype", "<br />"}

// HandleEvent implements webhook.Listener: on callEnd it frees the agent
// whose phone the event names (by endpoint id), so the next dial is not
// refused. Without a calls ledger, add it to the webhook handler's
// listeners (webhook.Listeners(dialer, ...)); with one (WithLiveCalls and
// WithOnAccepted wired to a calls.Ledger) the ledger is the guard and
// this is not needed. It never fails.
func (d *Dialer) HandleEvent(_ context.Context, ev webhook.Event) error {
	if ev.Action == webhook.CallEnd {
		d.Release(ev.Call.Endpoint)
	}
	return nil
}

// Release frees an agent, named by either name, after its call ended, and
// forgets its recent dials, so a redial right away places a new call.
// Releasing an idle agent, or an agent whose dial is still in flight,
// does nothing.
func (d *Dialer) Release(agent callmyway.Endpoint) {
	if !d.ok() {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for user, b := range d.busy {
		if b.until.IsZero() || !(b.agent.Same(agent)) {
			continue
		}
		delete(d.busy, user)
		for k, e := range d.recent {
			if e.agent == user {
				delete(d.recent, k)
			}
		}
		d.signalIdle()
	}
}

// Busy reports whether the Dialer holds the agent (by either name) busy
// with its own dial.
func (d *Dialer) Busy(agent callmyway.Endpoint) bool {
	if !d.ok() {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.busyEntry(agent) != nil
}

// busyEntry returns the agent's live busy entry. d.mu held.
func (d *Dialer) busyEntry(agent callmyway.Endpoint) *busyEntry {
	now := d.now()
	for _, b := range d.busy {
		if b.agent.Same(agent) && (b.until.IsZero() || now.Before(b.until)) {
			return b
		}
	}
	return nil
}

// signalIdle wakes WaitIdle callers to look again. d.mu held.
func (d *Dialer) signalIdle() {
	close(d.idle)
	d.idle = make(chan struct{})
}

// WaitIdle blocks until the Dialer no longer holds agent busy (its
// callEnd, Release or the busy timeout), or ctx is done.
func (d *Dialer) WaitIdle(ctx context.Context, agent callmyway.Endpoint) error {
	if !d.ok() {
		return ErrNoDialer
	}
	for {
		d.mu.Lock()
		b := d.busyEntry(agent)
		if b == nil {
			d.mu.Unlock()
			return nil
		}
		idle := d.idle
		wait := time.Hour
		if !b.until.IsZero() {
			wait = b.until.Sub(d.now())
		}
		d.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-idle:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}
