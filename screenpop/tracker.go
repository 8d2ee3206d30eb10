package screenpop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/webhook"
)

// Tracker follows live calls from webhook events (it is a
// webhook.Listener), routes each to its agent through the Directory,
// matches the number against the CRM's Contacts, and publishes pops
// through the Broker. It satisfies click2dial.LiveCalls, so an agent on a
// call cannot be dialled into another.
//
// Create it with NewTracker; the zero Tracker is not usable (its methods
// return ErrNoTracker or nothing). A Tracker is safe for concurrent use:
// HandleEvent runs on each webhook delivery's goroutine, and it calls the
// Directory, Contacts and Broker from there, concurrently.
type Tracker struct {
	dir        Directory
	contacts   Contacts
	broker     Broker
	region     string
	maxAge     time.Duration
	keepEnd    time.Duration
	expectOK   time.Duration
	now        func() time.Time
	logger     *slog.Logger
	onUnrouted func(webhook.Event)

	mu         sync.Mutex
	calls      map[string]*liveCall // by callid
	liveBy     map[string]int       // live calls per agent id and per endpoint
	lastExpire time.Time
	expected   map[string]expectation
	picks      map[string]string // agentID|e164 -> contact id
}

type liveCall struct {
	info  CallInfo
	agent Agent
	match Match
	seen  time.Time // when last touched (for expiry)
	ended bool
}

type expectation struct {
	contact Contact
	e164    string
	at      time.Time
}

// ErrNoTracker is returned by the methods of a zero or nil Tracker.
var ErrNoTracker = errors.New("screenpop: Tracker not initialised: create it with NewTracker")

// NewTracker returns a Tracker for account acct (whose region reads the
// calls' numbers), routing through dir, matching against contacts and
// publishing through broker, configured by the Tracker options
// (WithMaxCallAge, WithEndedMemory, WithOutboundWindow, OnUnrouted,
// WithClock, WithLogger).
func NewTracker(acct callmyway.Account, dir Directory, contacts Contacts, broker Broker, opts ...Option) (*Tracker, error) {
	if err := acct.Validate(); err != nil {
		return nil, fmt.Errorf("screenpop: NewTracker: %w", err)
	}
	if dir == nil || contacts == nil || broker == nil {
		return nil, errors.New("screenpop: NewTracker: nil directory, contacts or broker")
	}
	o, err := newOptions("Tracker", opts)
	if err != nil {
		return nil, err
	}
	t := &Tracker{dir: dir, contacts: contacts, broker: broker, region: acct.Region, maxAge: o.maxAge,
		keepEnd: o.keepEnd, expectOK: o.expectOK, now: o.now, logger: o.logger, onUnrouted: o.onUnrouted,
		calls: map[string]*liveCall{}, liveBy: map[string]int{}, expected: map[string]expectation{}, picks: map[string]string{}}
	return t, nil
}

func (t *Tracker) ok() bool { return t != nil && t.calls != nil }

// ExpectOutbound tells the Tracker that agent just dialled n for contact
// (call it from click2dial.WithOnAccepted): the agent's outbound call to n
// within the outbound window pops that contact, with no picker.
func (t *Tracker) ExpectOutbound(agent callmyway.Endpoint, n number.Number, c Contact) {
	if !t.ok() || agent.User == "" && agent.ID == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := expectation{contact: c, e164: n.E164, at: t.now()}
	for _, name := range []string{agent.ID, agent.User} {
		if name != "" {
			t.expected[name] = e
		}
	}
}

// HandleEvent implements webhook.Listener.
func (t *Tracker) HandleEvent(ctx context.Context, ev webhook.Event) error {
	if !t.ok() {
		return ErrNoTracker
	}
	now := t.now()
	t.mu.Lock()
	t.expire(now)
	lc := t.calls[ev.Call.ID]
	switch {
	case lc != nil && lc.ended:
		// callEnd already seen (it came first, or this is a repeat): no
		// ghost live call, no second pop.
		t.mu.Unlock()
		return nil
	case lc != nil && ev.Action == webhook.CallStart:
		// A repeated callStart: only a state change is news.
		changed := lc.info.State == Ringing && !ev.Call.ConnectTime.IsZero()
		if changed {
			lc.info.State, lc.info.ConnectTime, lc.seen = Connected, ev.Call.ConnectTime, now
		}
		msg := t.message(TypeUpdate, lc)
		t.mu.Unlock()
		if changed {
			return t.publish(ctx, msg)
		}
		return nil
	}
	t.mu.Unlock()

	if lc == nil {
		var err error
		lc, err = t.newCall(ctx, ev, now)
		if err != nil || lc == nil {
			return err
		}
	}
	typ := TypePop
	t.mu.Lock()
	if existing := t.calls[ev.Call.ID]; existing != nil && existing != lc {
		// A concurrent delivery registered the call first.
		if existing.ended || ev.Action == webhook.CallStart {
			t.mu.Unlock()
			return nil
		}
		lc = existing
	}
	if t.calls[ev.Call.ID] == nil {
		t.track(lc, +1)
	}
	if ev.Action == webhook.CallEnd {
		if lc.ended {
			t.mu.Unlock()
			return nil
		}
		t.track(lc, -1)
		lc.ended = true
		lc.info.State = Ended
		lc.info.ConnectTime, lc.info.DisconnectTime = ev.Call.ConnectTime, ev.Call.DisconnectTime
		lc.info.DurationSec = int64(ev.Call.Duration / time.Second)
		typ = TypeEnd
	}
	lc.seen = now
	t.calls[ev.Call.ID] = lc
	msg := t.message(typ, lc)
	t.mu.Unlock()
	return t.publish(ctx, msg)
}

func (t *Tracker) publish(ctx context.Context, m Message) error {
	if _, err := t.broker.Publish(ctx, m); err != nil {
		return fmt.Errorf("screenpop: publish: %w", err)
	}
	return nil
}

// newCall routes and matches a call seen for the first time. It returns
// nil for an unrouted event.
func (t *Tracker) newCall(ctx context.Context, ev webhook.Event, now time.Time) (*liveCall, error) {
	at := ev.Call.DetectTime.Time()
	if at.IsZero() {
		at = now
	}
	agent, ok, err := t.dir.AgentFor(ctx, ev.Call.Endpoint, at)
	if err != nil {
		return nil, fmt.Errorf("screenpop: directory: %w", err)
	}
	if !ok {
		t.logger.WarnContext(ctx, "screenpop: event for an unmapped endpoint; map it in the agents admin",
			"endpoint_id", ev.Call.Endpoint.ID, "callid", ev.Call.ID, "action", ev.Action)
		if t.onUnrouted != nil {
			t.onUnrouted(ev)
		}
		return nil, nil
	}
	raw := ev.Call.Direction.Customer(ev.Call.ANI, ev.Call.DNIS)
	info := CallInfo{CallID: ev.Call.ID, Endpoint: agent.Endpoint, Direction: ev.Call.Direction, Number: raw,
		State: Ringing, DetectTime: ev.Call.DetectTime, ConnectTime: ev.Call.ConnectTime}
	if !ev.Call.ConnectTime.IsZero() {
		info.State = Connected
	}
	n, perr := number.Parse(raw, t.region)
	if perr == nil && !n.Withheld {
		info.NumberE164 = n.E164
	}
	m, err := t.match(ctx, agent, ev, n, perr)
	if err != nil {
		return nil, err
	}
	return &liveCall{info: info, agent: agent, match: m}, nil
}

func (t *Tracker) match(ctx context.Context, agent Agent, ev webhook.Event, n number.Number, perr error) (Match, error) {
	if ev.Call.Direction == callmyway.DirectionOutbound {
		t.mu.Lock()
		for _, name := range []string{agent.Endpoint.ID, agent.Endpoint.User} {
			exp, ok := t.expected[name]
			if name != "" && ok && (exp.e164 == n.E164 || exp.e164 == "") && t.now().Sub(exp.at) <= t.expectOK {
				delete(t.expected, agent.Endpoint.ID)
				delete(t.expected, agent.Endpoint.User)
				t.mu.Unlock()
				return Match{Kind: MatchKnown, Contacts: []Contact{exp.contact}}, nil
			}
		}
		t.mu.Unlock()
	}
	if n.Withheld || ev.Call.Direction == callmyway.DirectionInternal {
		return Match{Kind: MatchWithheld, Offer: []string{"search", "ignore"}}, nil
	}
	if perr != nil {
		return Match{Kind: MatchUnknown, Offer: []string{"create", "link", "ignore"}}, nil
	}
	found, err := t.contacts.FindByNumber(ctx, n.E164)
	if err != nil {
		return Match{}, fmt.Errorf("screenpop: contacts: %w", err)
	}
	switch len(found) {
	case 0:
		return Match{Kind: MatchUnknown, Offer: []string{"create", "link", "ignore"}}, nil
	case 1:
		return Match{Kind: MatchKnown, Contacts: found}, nil
	}
	// Rank: the contact this agent picked last time for this number first.
	t.mu.Lock()
	pick := t.picks[agent.ID+"|"+n.E164]
	t.mu.Unlock()
	for i, c := range found {
		if c.ID == pick && i > 0 {
			found = append([]Contact{c}, append(found[:i:i], found[i+1:]...)...)
			break
		}
	}
	return Match{Kind: MatchCandidates, Contacts: found, Offer: []string{"pick", "create", "link", "ignore"}}, nil
}

// Pick records the agent's choice of contact for a call (from the
// candidates, a search, or a new contact), publishes an update with that
// contact, and remembers it to rank that number's contacts next time.
func (t *Tracker) Pick(ctx context.Context, callID string, c Contact) error {
	if !t.ok() {
		return ErrNoTracker
	}
	t.mu.Lock()
	lc := t.calls[callID]
	if lc == nil {
		t.mu.Unlock()
		return fmt.Errorf("screenpop: Pick: no call %q", callID)
	}
	if lc.info.NumberE164 != "" {
		t.picks[lc.agent.ID+"|"+lc.info.NumberE164] = c.ID
		if len(t.picks) > 100_000 {
			clear(t.picks)
		}
	}
	lc.match = Match{Kind: MatchKnown, Contacts: []Contact{c}}
	msg := t.message(TypeUpdate, lc)
	t.mu.Unlock()
	return t.publish(ctx, msg)
}

// message builds a Message for lc. t.mu held.
func (t *Tracker) message(typ string, lc *liveCall) Message {
	m := lc.match
	m.Contacts = append([]Contact(nil), m.Contacts...)
	return Message{Version: MessageVersion, Type: typ, Agent: lc.agent, Call: lc.info, Match: m}
}

// track counts lc as live (+1) or no longer live (-1). t.mu held.
func (t *Tracker) track(lc *liveCall, d int) {
	for _, k := range []string{"id:" + lc.agent.ID, "ep:" + lc.agent.Endpoint.ID, "user:" + lc.agent.Endpoint.User} {
		if t.liveBy[k] += d; t.liveBy[k] <= 0 {
			delete(t.liveBy, k)
		}
	}
}

// expire forgets ended calls after a while and live calls whose callEnd
// never came. It scans at most once a second. t.mu held.
func (t *Tracker) expire(now time.Time) {
	if now.Sub(t.lastExpire) < time.Second && !now.Before(t.lastExpire) {
		return
	}
	t.lastExpire = now
	for id, lc := range t.calls {
		switch {
		case lc.ended && now.Sub(lc.seen) > t.keepEnd:
			delete(t.calls, id)
		case !lc.ended && now.Sub(lc.seen) > t.maxAge:
			t.track(lc, -1)
			delete(t.calls, id)
		}
	}
	for k, e := range t.expected {
		if now.Sub(e.at) > t.expectOK {
			delete(t.expected, k)
		}
	}
}

// LiveCalls returns the calls in progress (ringing or connected).
func (t *Tracker) LiveCalls() []CallInfo {
	if !t.ok() {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expire(t.now())
	var out []CallInfo
	for _, lc := range t.calls {
		if !lc.ended {
			out = append(out, lc.info)
		}
	}
	return out
}

// Call returns a tracked call (live or recently ended), its agent and match.
func (t *Tracker) Call(callID string) (CallInfo, Agent, Match, bool) {
	if !t.ok() {
		return CallInfo{}, Agent{}, Match{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	lc := t.calls[callID]
	if lc == nil {
		return CallInfo{}, Agent{}, Match{}, false
	}
	return lc.info, lc.agent, lc.match, true
}

// HasLiveCall implements click2dial.LiveCalls: whether the agent's phone,
// named by either name, has a call ringing or connected.
func (t *Tracker) HasLiveCall(_ context.Context, agent callmyway.Endpoint) (bool, error) {
	if !t.ok() {
		return false, ErrNoTracker
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expire(t.now())
	return agent.ID != "" && t.liveBy["ep:"+agent.ID] > 0 || agent.User != "" && t.liveBy["user:"+agent.User] > 0, nil
}

// HasLiveCallAgent reports whether the CRM agent with id agentID has a
// call ringing or connected.
func (t *Tracker) HasLiveCallAgent(agentID string) bool {
	if !t.ok() {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expire(t.now())
	return t.liveBy["id:"+agentID] > 0
}
