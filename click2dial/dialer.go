package click2dial

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// ErrCallInProgress means the agent already has a call active or in
// progress: CallMyWay allows one per user, and the Dialer refuses before
// asking.
var ErrCallInProgress = errors.New("click2dial: the agent already has a call active or in progress")

// ErrInvalidNumber is callmyway.ErrInvalidNumber: a contact number that
// cannot be dialled. The concrete error is a *callmyway.NumberError.
var ErrInvalidNumber = callmyway.ErrInvalidNumber

// ErrUnknownCallerID means Request.CallerID names an endpoint the Dialer
// has no credentials for (see WithCallerID).
var ErrUnknownCallerID = errors.New("click2dial: unknown caller-ID endpoint")

// Order is which party CallMyWay rings first.
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

// String returns "agent-first" or "contact-first".
func (o Order) String() string {
	if o == ContactFirst {
		return "contact-first"
	}
	return "agent-first"
}

// Request is one click to dial.
type Request struct {
	// Agent is the agent's CallMyWay username/number (its SIP endpoint).
	Agent string
	// Contact is the number to call, in any common format; numbers without
	// a country code are read in the Client's default region.
	Contact string
	// Order is AgentFirst (default) or ContactFirst.
	Order Order
	// CallerID is the username of the endpoint the call is billed to and
	// whose caller ID it shows, for agents with several (a private endpoint
	// withholds the number). Empty means the Dialer's Client.
	CallerID string
	// Host is callmyway.HostClickToDial (default) or
	// callmyway.HostClickToDialAlt.
	Host callmyway.Host
}

// Result is an accepted click to dial.
//
// Accepted means only that CallMyWay INSERTED the request into its
// database. It is not a call outcome: the agent may not answer, the
// contact may be busy. The outcome arrives later by webhook (callStart,
// callEnd) and in the CDR.
type Result struct {
	Agent     string
	Contact   callmyway.Number
	Order     Order
	CallerID  string
	Raw       string    // CallMyWay's answer, password removed
	At        time.Time // when it was accepted
	Duplicate bool      // a repeated click inside the window: no new request was sent
}

// LiveCalls reports calls the Dialer did not start, such as inbound calls
// seen by webhook. screenpop's tracker satisfies it.
type LiveCalls interface {
	HasLiveCall(ctx context.Context, agent string) (bool, error)
}

// Option configures a Dialer.
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

// WithCallerID registers another endpoint of the account (its SIP
// username and password) that requests may name as CallerID.
func WithCallerID(username, password string) Option {
	return func(d *Dialer) error {
		c, err := d.client.WithCredentials(username, password)
		if err != nil {
			return fmt.Errorf("click2dial: WithCallerID: %w", err)
		}
		d.callerIDs[c.Username()] = c
		return nil
	}
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

// WithDoubleClickWindow sets the window within which the same agent
// dialling the same number gets the first result back (default 5 s; 0
// disables it).
func WithDoubleClickWindow(w time.Duration) Option {
	return func(d *Dialer) error {
		if w < 0 {
			return fmt.Errorf("click2dial: WithDoubleClickWindow(%v): negative", w)
		}
		d.window = w
		return nil
	}
}

// WithOnAccepted calls f after every accepted dial (not for duplicates):
// the hook a CRM uses to tell screenpop which contact an outbound call is
// for.
func WithOnAccepted(f func(Result)) Option {
	return func(d *Dialer) error {
		d.onAccepted = f
		return nil
	}
}

// WithNumberFormat sets how a contact number is written in the request
// (default: E.164 digits without "+", e.g. 50688887777).
func WithNumberFormat(f func(callmyway.Number) string) Option {
	return func(d *Dialer) error {
		if f == nil {
			return errors.New("click2dial: WithNumberFormat: nil")
		}
		d.format = f
		return nil
	}
}

// Dialer places click-to-dial calls. It is safe for concurrent use.
type Dialer struct {
	client      *callmyway.Client
	callerIDs   map[string]*callmyway.Client
	live        LiveCalls
	busyTimeout time.Duration
	window      time.Duration
	onAccepted  func(Result)
	format      func(callmyway.Number) string
	now         func() time.Time

	mu     sync.Mutex
	busy   map[string]*busyEntry // by agent
	recent map[string]*dialEntry // by agent|contact|order|callerID
	idle   chan struct{}         // closed and replaced whenever an agent frees up
}

type busyEntry struct {
	until   time.Time // zero while the dial is in flight
	dialKey string
}

type dialEntry struct {
	done chan struct{}
	res  Result
	err  error
	at   time.Time
}

// New returns a Dialer sending requests with client's credentials.
func New(client *callmyway.Client, opts ...Option) (*Dialer, error) {
	if client == nil {
		return nil, errors.New("click2dial: New: nil client")
	}
	d := &Dialer{
		client: client, callerIDs: map[string]*callmyway.Client{client.Username(): client},
		busyTimeout: 5 * time.Minute, window: 5 * time.Second,
		format: callmyway.Number.Digits, now: time.Now,
		busy: map[string]*busyEntry{}, recent: map[string]*dialEntry{}, idle: make(chan struct{}),
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Normalize validates a request's numbers without sending anything: the
// agent's endpoint must be all digits, the contact a valid phone number.
func (d *Dialer) Normalize(req Request) (agent string, contact callmyway.Number, err error) {
	agent = strings.TrimSpace(req.Agent)
	if agent == "" || strings.Trim(agent, "0123456789") != "" || len(agent) > 32 {
		return "", contact, &callmyway.NumberError{Input: req.Agent, Region: "endpoint", Reason: "the agent must be a CallMyWay username/number (digits)"}
	}
	contact, err = d.client.ParseNumber(req.Contact)
	if err != nil {
		return "", contact, err
	}
	if contact.Withheld {
		return "", contact, &callmyway.NumberError{Input: req.Contact, Region: d.client.Region(), Reason: "no number to dial"}
	}
	return agent, contact, nil
}

// Dial asks CallMyWay to connect the agent and the contact.
//
// Dial is never retried once the request may have reached CallMyWay: a
// repeat could ring the customer twice. It refuses with ErrCallInProgress
// while the agent has a call active or in progress (its own accepted dials
// until Release or the busy timeout, and live calls reported by
// LiveCalls), and returns the first result for a repeated click within the
// double-click window. Refusals by CallMyWay are *callmyway.APIError
// values matching callmyway.ErrUnauthorized, callmyway.ErrIPNotAllowed or
// ErrCallInProgress where recognisable.
func (d *Dialer) Dial(ctx context.Context, req Request) (Result, error) {
	agent, contact, err := d.Normalize(req)
	if err != nil {
		return Result{}, err
	}
	if req.Order != AgentFirst && req.Order != ContactFirst {
		return Result{}, fmt.Errorf("click2dial: unknown order %d", req.Order)
	}
	if req.Host != callmyway.HostClickToDial && req.Host != callmyway.HostClickToDialAlt {
		return Result{}, fmt.Errorf("click2dial: host %v does not serve click to dial", req.Host)
	}
	sender := d.client
	if req.CallerID != "" {
		if sender = d.callerIDs[req.CallerID]; sender == nil {
			return Result{}, fmt.Errorf("%w %q: register it with WithCallerID", ErrUnknownCallerID, req.CallerID)
		}
	}
	key := strings.Join([]string{agent, contact.E164, req.Order.String(), sender.Username()}, "|")

	if d.live != nil {
		live, err := d.live.HasLiveCall(ctx, agent)
		if err != nil {
			return Result{}, fmt.Errorf("click2dial: checking live calls: %w", err)
		}
		if live && !d.dialling(key) {
			return Result{}, fmt.Errorf("%w (agent %s)", ErrCallInProgress, agent)
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
	res, err := d.send(ctx, sender, agent, contact, req)
	d.finish(agent, key, e, res, err)
	if err == nil && d.onAccepted != nil {
		d.onAccepted(res)
	}
	return res, err
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
func (d *Dialer) claim(agent, key string) (e, first *dialEntry, err error) {
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
	if b := d.busy[agent]; b != nil && (b.until.IsZero() || now.Before(b.until)) {
		return nil, nil, fmt.Errorf("%w (agent %s)", ErrCallInProgress, agent)
	}
	d.busy[agent] = &busyEntry{dialKey: key}
	e = &dialEntry{done: make(chan struct{})}
	if d.window > 0 {
		d.recent[key] = e
	}
	return e, nil, nil
}

func (d *Dialer) finish(agent, key string, e *dialEntry, res Result, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.res, e.err, e.at = res, err, d.now()
	close(e.done)
	delete(d.recent, key)
	defer d.signalIdle() // the agent's state changed: wake WaitIdle
	if err != nil && !mayHaveDialled(err) {
		delete(d.busy, agent)
		return
	}
	if err == nil && d.window > 0 {
		d.recent[key] = e
	}
	// Accepted, or lost after it may have reached CallMyWay (the call may
	// be ringing): the agent stays busy until Release or the timeout.
	d.busy[agent] = &busyEntry{until: e.at.Add(d.busyTimeout), dialKey: key}
}

// mayHaveDialled reports whether a failed send may still have placed the
// call: the request left but no answer came back.
func mayHaveDialled(err error) bool {
	var te *callmyway.TransportError
	return errors.As(err, &te) && te.Sent
}

func (d *Dialer) send(ctx context.Context, sender *callmyway.Client, agent string, contact callmyway.Number, req Request) (Result, error) {
	first, second := agent, d.format(contact)
	if req.Order == ContactFirst {
		first, second = second, first
	}
	path := callmyway.PathClickToDial
	if req.Host == callmyway.HostClickToDialAlt {
		path = callmyway.PathClickToDialAlt
	}
	resp, err := sender.Send(ctx, "click2dial.Dial", req.Host, path, url.Values{"first_num": {first}, "second_num": {second}})
	if err != nil {
		return Result{}, err
	}
	raw := string(resp.Body)
	if err := classify(raw, resp.StatusCode); err != nil {
		return Result{}, err
	}
	return Result{Agent: agent, Contact: contact, Order: req.Order, CallerID: sender.Username(), Raw: raw, At: d.now()}, nil
}

// busyTexts are fragments of "the user already has a call" answers.
var busyTexts = []string{"active call", "call in progress", "in a call", "already has a call", "llamada activa",
	"llamada en curso", "en proceso", "en llamada", "user busy", "usuario ocupado"}

// classify reads a 2xx answer. The provider's texts are unverified: a
// recognised refusal is an *APIError, anything else is accepted.
func classify(raw string, status int) error {
	msg := callmyway.MessageOf([]byte(raw))
	low := strings.ToLower(strings.TrimSpace(raw))
	if k := callmyway.ClassifyMessage(msg); k != nil {
		return &callmyway.APIError{Op: "click2dial.Dial", StatusCode: status, Message: msg, Body: callmyway.Excerpt([]byte(raw)), Kind: k}
	}
	for _, f := range busyTexts {
		if strings.Contains(low, f) {
			return &callmyway.APIError{Op: "click2dial.Dial", StatusCode: status, Message: msg, Body: callmyway.Excerpt([]byte(raw)), Kind: ErrCallInProgress}
		}
	}
	if strings.HasPrefix(low, "error") || strings.HasPrefix(low, `{"error"`) || strings.HasPrefix(low, "fail") {
		return &callmyway.APIError{Op: "click2dial.Dial", StatusCode: status, Message: msg, Body: callmyway.Excerpt([]byte(raw))}
	}
	return nil
}

// Release frees an agent after its call ended (call it from the webhook
// listener on callEnd). Releasing an idle agent does nothing.
func (d *Dialer) Release(agent string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if b := d.busy[agent]; b != nil && !b.until.IsZero() {
		delete(d.busy, agent)
		d.signalIdle()
	}
}

// Busy reports whether the Dialer holds the agent busy with its own dial.
func (d *Dialer) Busy(agent string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	b := d.busy[agent]
	return b != nil && (b.until.IsZero() || d.now().Before(b.until))
}

// signalIdle wakes WaitIdle callers to look again. d.mu held.
func (d *Dialer) signalIdle() {
	close(d.idle)
	d.idle = make(chan struct{})
}

// WaitIdle blocks until the Dialer no longer holds agent busy (Release or
// the busy timeout), or ctx is done.
func (d *Dialer) WaitIdle(ctx context.Context, agent string) error {
	for {
		d.mu.Lock()
		b := d.busy[agent]
		now := d.now()
		if b == nil || (!b.until.IsZero() && !now.Before(b.until)) {
			d.mu.Unlock()
			return nil
		}
		idle := d.idle
		wait := time.Hour
		if !b.until.IsZero() {
			wait = b.until.Sub(now)
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
