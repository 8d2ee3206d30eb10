package screenpop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/number"
)

// Tracker puts the calls of the ledger (package calls) on their agents'
// screens. It holds no call state of its own: whether a call is
// requested, ringing, connected or ended is the ledger's, and the Tracker
// turns each change the ledger reports (OnChange) into a Message. It
// routes the call to its agent through the Directory, matches its number
// against the CRM's Contacts (the dialled contact, from the dial's
// metadata, for outbound calls; one contact or ranked candidates for
// inbound ones; unknown; withheld) and publishes through the Broker.
//
// Create it with NewTracker; the zero Tracker is not usable (its methods
// return ErrNoTracker). A Tracker is safe for concurrent use: OnChange
// runs on the goroutine that applied the change (a webhook delivery, a
// dial), and it calls the Directory, Contacts and Broker from there,
// concurrently.
type Tracker struct {
	region     string
	loc        *time.Location
	dir        Directory
	contacts   Contacts
	broker     Broker
	logger     *slog.Logger
	maxAge     time.Duration
	now        func() time.Time
	onUnrouted func(calls.Call)

	mu    sync.Mutex
	picks map[string]string // agentID|e164 -> contact id, to rank shared numbers (bounded)
}

// maxPicks bounds the Tracker's memory of picks.
const maxPicks = 100_000

// ErrNoTracker is returned by the methods of a zero or nil Tracker.
var ErrNoTracker = errors.New("screenpop: Tracker not initialised: create it with NewTracker")

// NewTracker returns a Tracker for account acct (whose zone and region
// read the calls' times and numbers), routing through dir, matching
// against contacts and publishing through broker, configured by the
// Tracker options (WithMaxCallAge, OnUnrouted, WithClock, WithLogger).
// Give its OnChange to the ledger (calls.WithOnChange).
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
	return &Tracker{region: acct.Region, loc: acct.Location, dir: dir, contacts: contacts, broker: broker,
		logger: o.logger, maxAge: o.maxAge, now: o.now, onUnrouted: o.onUnrouted, picks: map[string]string{}}, nil
}

func (t *Tracker) ok() bool { return t != nil && t.picks != nil }

// OnChange publishes what the agent's screen must show after a change of
// the ledger: a pop for a call that starts (dialled or ringing), an update
// when its state or owner changes, an end when it ends. before is the call
// as it was (the zero Call for a new one). Changes that are not news on a
// screen publish nothing: a re-delivered event (the ledger reports no
// change), a call the webhook never reported (known only from the CDR),
// the reconciliation of an ended call with its CDR, a call older than the
// max call age. Give it to calls.WithOnChange.
func (t *Tracker) OnChange(ctx context.Context, before, after calls.Call) error {
	if !t.ok() {
		return ErrNoTracker
	}
	typ, ok := t.news(before, after)
	if !ok {
		return nil
	}
	m, ok, err := t.message(ctx, typ, after)
	if err != nil || !ok {
		return err
	}
	return t.publish(ctx, m)
}

// news decides which message, if any, a change is.
func (t *Tracker) news(before, after calls.Call) (string, bool) {
	if after.ID == "" || after.AliasOf != "" {
		return "", false
	}
	if !after.WebhookSeen && after.DialRef == "" {
		return "", false // known only from the CDR: history, not a screen
	}
	if t.now().Sub(after.Start) > t.maxAge {
		return "", false // an old call delivered again
	}
	wasEnded := ended(before.State)
	switch {
	case ended(after.State) && wasEnded:
		return "", false // reconciled with its CDR, or more facts of an ended call
	case ended(after.State):
		return TypeEnd, true
	case before.ID == "" || before.State == "":
		return TypePop, true
	case before.State != after.State || !before.Agent.Same(after.Agent):
		return TypeUpdate, true
	}
	return "", false
}

func ended(s calls.State) bool { return s == calls.StateEnded || s == calls.StateFinal }

func (t *Tracker) publish(ctx context.Context, m Message) error {
	if _, err := t.broker.Publish(ctx, m); err != nil {
		return fmt.Errorf("screenpop: publish: %w", err)
	}
	return nil
}

// Message returns the message of type typ (TypePop, TypeUpdate, TypeEnd)
// an agent's screen shows for call c: its agent, state and contact match.
// ok is false when c's phone is not mapped to an agent (OnUnrouted is then
// called). A CRM uses it to restore a reloaded screen's cards from the
// ledger's live calls.
func (t *Tracker) Message(ctx context.Context, typ string, c calls.Call) (m Message, ok bool, err error) {
	if !t.ok() {
		return Message{}, false, ErrNoTracker
	}
	return t.message(ctx, typ, c)
}

func (t *Tracker) message(ctx context.Context, typ string, c calls.Call) (Message, bool, error) {
	phone := c.Agent
	if phone.IsZero() && len(c.Rung) == 1 {
		phone = c.Rung[0]
	}
	at := c.Detect
	if at.IsZero() {
		at = c.Start
	}
	agent, ok, err := t.dir.AgentFor(ctx, phone, at)
	if err != nil {
		return Message{}, false, fmt.Errorf("screenpop: directory: %w", err)
	}
	if !ok {
		t.logger.WarnContext(ctx, "screenpop: a call for an unmapped endpoint; map it in the agents admin",
			"endpoint", phone.String(), "call", c.ID)
		if t.onUnrouted != nil {
			t.onUnrouted(c)
		}
		return Message{}, false, nil
	}
	match, err := t.match(ctx, agent, c)
	if err != nil {
		return Message{}, false, err
	}
	return Message{Version: MessageVersion, Type: typ, Agent: agent, Call: t.info(c, agent), Match: match}, true, nil
}

// info is the call part of a message, times in the account's zone.
func (t *Tracker) info(c calls.Call, agent Agent) CallInfo {
	at := func(x time.Time) callmyway.Time {
		if x.IsZero() {
			return callmyway.Time{}
		}
		return callmyway.NewTime(x.In(t.loc))
	}
	display := ""
	if n, err := number.Parse(c.Number, t.region); err == nil && !n.Withheld {
		display = n.National(t.region)
	}
	return CallInfo{CallID: c.ID, DialRef: c.DialRef, Endpoint: agent.Endpoint, Direction: c.Direction, Number: sentNumber(c), NumberE164: c.Number,
		NumberDisplay: display, State: c.State, Live: c.Live, DetectTime: at(c.Detect), ConnectTime: at(c.Connect), DisconnectTime: at(c.Disconnect),
		DurationSec: int64(c.Duration / time.Second)}
}

// sentNumber is the customer's number as the webhook sent it (the E.164
// form when no webhook event has arrived yet).
func sentNumber(c calls.Call) string {
	if len(c.Events) > 0 {
		e := c.Events[0]
		return e.Direction.Customer(e.ANI, e.DNIS)
	}
	return c.Number
}

// match finds the call's contacts: the ledger's contact for the call (the
// dialled one for a call placed by click, from the dial's metadata, so
// there is no picker; or the one its disposition named), else by number.
func (t *Tracker) match(ctx context.Context, agent Agent, c calls.Call) (Match, error) {
	if id := c.Contact; id != "" {
		ct, ok, err := t.contacts.Contact(ctx, id)
		if err != nil {
			return Match{}, fmt.Errorf("screenpop: contacts: %w", err)
		}
		if !ok {
			ct = Contact{ID: id}
		}
		return Match{Kind: MatchKnown, Contacts: []Contact{ct}}, nil
	}
	if c.Direction == callmyway.DirectionInternal {
		return Match{Kind: MatchWithheld, Offer: []string{"search", "ignore"}}, nil
	}
	if c.Number == "" { // withheld, or not a number
		if number.IsWithheld(sentNumber(c)) {
			return Match{Kind: MatchWithheld, Offer: []string{"search", "ignore"}}, nil
		}
		return Match{Kind: MatchUnknown, Offer: []string{"create", "link", "ignore"}}, nil
	}
	found, err := t.contacts.FindByNumber(ctx, c.Number)
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
	pick := t.picks[agent.ID+"|"+c.Number]
	t.mu.Unlock()
	if i := slices.IndexFunc(found, func(ct Contact) bool { return ct.ID == pick }); i > 0 {
		found = append([]Contact{found[i]}, append(found[:i:i], found[i+1:]...)...)
	}
	return Match{Kind: MatchCandidates, Contacts: found, Offer: []string{"pick", "create", "link", "ignore"}}, nil
}

// Pick records the agent's choice of contact for call c (from the
// candidates, a search, or a new contact), publishes an update with that
// contact, and remembers it to rank that number's contacts next time.
func (t *Tracker) Pick(ctx context.Context, c calls.Call, ct Contact) error {
	if !t.ok() {
		return ErrNoTracker
	}
	m, ok, err := t.message(ctx, TypeUpdate, c)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("screenpop: Pick: call %q has no agent", c.ID)
	}
	if c.Number != "" {
		t.mu.Lock()
		if len(t.picks) >= maxPicks {
			clear(t.picks)
		}
		t.picks[m.Agent.ID+"|"+c.Number] = ct.ID
		t.mu.Unlock()
	}
	m.Match = Match{Kind: MatchKnown, Contacts: []Contact{ct}}
	return t.publish(ctx, m)
}
