package calls

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/internal/valid"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/webhook"
)

// This file wires the ledger to the SDK's three sources of facts: the
// webhook handler (HandleEvent), click to dial (RecordAccepted) and the
// CDR Syncer (ReconcileCDRs).

// change is a call before and after a write, for the OnChange hook.
type change struct{ before, after Call }

// notify runs the OnChange hook for committed changes.
func (l *Ledger) notify(ctx context.Context, changes []change) {
	for _, ch := range changes {
		if ch.after.Live && ch.after.Connect.IsZero() {
			l.rang.Store(true)
		}
	}
	if l.cfg.onChange == nil {
		return
	}
	for _, ch := range changes {
		if err := l.cfg.onChange(ctx, ch.before, ch.after); err != nil {
			l.cfg.log.ErrorContext(ctx, "calls: OnChange hook failed; the change stays applied", "call", ch.after.ID, "error", err.Error())
		}
	}
}

// PhoneBook completes a phone's names. CallMyWay names a phone by endpoint
// id in webhooks and by username in CDRs; without both names the ledger
// cannot tell that a webhook call and its CDR leg rang the same phone.
// The CRM's endpoint mapping (a screenpop Directory) knows both.
// Implementations must be safe for concurrent use.
//
// A nil PhoneBook is refused by WithPhoneBook.
type PhoneBook interface {
	// Phone returns the phone e names (by either name) with both names,
	// ok false when it does not know it.
	Phone(ctx context.Context, e callmyway.Endpoint) (phone callmyway.Endpoint, ok bool, err error)
}

// phone completes e through the PhoneBook, if any.
func (l *Ledger) phone(ctx context.Context, e callmyway.Endpoint) (callmyway.Endpoint, error) {
	if l.cfg.phones == nil || e.IsZero() || (e.ID != "" && e.User != "") {
		return e, nil
	}
	p, ok, err := l.cfg.phones.Phone(ctx, e)
	if err != nil {
		return e, fmt.Errorf("calls: phone book: %w", err)
	}
	if !ok || !p.Same(e) {
		return e, nil
	}
	return p, nil
}

// HandleEvent implements webhook.Listener: it applies a callStart or
// callEnd, so the webhook handler acks it only once it is durable. An
// event the ledger can never store (webhook.Parse refuses all of them, but
// a router may build events by other means) is an *InvalidError that also
// matches webhook.ErrInvalidEvent: the handler answers 400, not a 500 the
// sender would retry for ever.
func (l *Ledger) HandleEvent(ctx context.Context, ev webhook.Event) error {
	if err := l.ok(); err != nil {
		return err
	}
	e := EventOf(l.acct, ev)
	if _, err := normEvent(e); err != nil {
		return fmt.Errorf("%w: %w", webhook.ErrInvalidEvent, err)
	}
	var err error
	if e.Endpoint, err = l.phone(ctx, e.Endpoint); err != nil {
		return err
	}
	_, err = l.ApplyEvent(ctx, e)
	return err
}

// NeverArrivedAfter returns how long after its acceptance a dial with no
// webhook and no CDR keeps counting as live (WithNeverArrivedAfter; 0 for
// a Ledger not made by New). It makes the Ledger a click2dial.DialForgetter:
// click2dial.New refuses a double-click window longer than it, which would
// let a repeated click ring the customer again once the dial is
// forgotten. It is safe for concurrent use.
func (l *Ledger) NeverArrivedAfter() time.Duration {
	if l.ok() != nil {
		return 0
	}
	return l.cfg.neverArrivedAfter
}

// RecordAccepted records an accepted click to dial with its metadata: give
// it to click2dial.WithOnAccepted. The dial is then the agent's live call
// (the one-call guard reads HasLiveCall) until its webhook call ends, or
// it never arrives.
func (l *Ledger) RecordAccepted(ctx context.Context, res click2dial.Result) error {
	if err := l.ok(); err != nil {
		return err
	}
	_, err := l.RecordDial(ctx, DialOf(res))
	return err
}

// ReconcileCDRs applies CDR records: give it to cdr.OnCommit, so every
// page the Syncer commits is reconciled with the ledger first.
//
// A record with a field the ledger cannot store is repaired, not dropped:
// the call is kept with that field cut to its limit (ANI, DNIS, end
// reason: valid UTF-8 without NUL, at most 1 KiB) or left empty (an agent
// phone, number, time, duration or amount out of range), and the repair
// is logged at Warn (WithLogger). Only a record whose own id cannot be
// stored (over MaxIDLen bytes, or a ledger prefix such as "dial:") is
// skipped, logged the same way, rather than returned as an error: the
// provider sends the same page again on every poll, so one bad record
// would stop the sync for good. Ids with NUL, control characters or bytes
// that are not UTF-8 are not bad: they are kept escaped (see
// cdr.EscapedIDPrefix), never merged with another call's.
func (l *Ledger) ReconcileCDRs(ctx context.Context, recs []cdr.Record) error {
	if err := l.ok(); err != nil {
		return err
	}
	now := l.now()
	legs := make([]Leg, 0, len(recs))
	for _, r := range recs {
		lg := LegOf(l.acct.Region, r, now)
		if _, err := normLeg("Leg", lg); err != nil {
			lg = repairLeg(lg)
			if _, err2 := normLeg("Leg", lg); err2 != nil {
				l.cfg.log.WarnContext(ctx, "calls: CDR record skipped: the ledger cannot store it", "callid", lg.CallID, "error", err2.Error())
				continue
			}
			l.cfg.log.WarnContext(ctx, "calls: CDR record repaired: a field the ledger cannot store was cut or left empty", "callid", lg.CallID, "error", err.Error())
		}
		var err error
		if lg.Agent, err = l.phone(ctx, lg.Agent); err != nil {
			return err
		}
		legs = append(legs, lg)
	}
	return l.ApplyLegs(ctx, legs)
}

// ObserveLive applies the calls of a live-calls query (cdr.Live) as
// sightings (ActionLive): a call in it with a connect time shows as
// Connected (talking), which no webhook tells. Records that are not in
// progress (a disconnect time or a duration) are skipped, and a sighting
// never ends a call nor counts as its webhook or CDR, so polling live calls
// can only add the connect time. Poll at most once per 4 seconds per
// account with the CDR sync (the Client's limiter enforces it).
func (l *Ledger) ObserveLive(ctx context.Context, recs []cdr.Record) error {
	if err := l.ok(); err != nil {
		return err
	}
	now := l.now()
	var ins []facts
	for _, r := range recs {
		e, ok := LiveOf(l.acct.Region, r, now)
		if !ok {
			continue
		}
		if _, err := normEvent(e); err != nil {
			l.cfg.log.WarnContext(ctx, "calls: live record skipped: the ledger cannot store it", "callid", e.CallID, "error", err.Error())
			continue
		}
		var err error
		if e.Endpoint, err = l.phone(ctx, e.Endpoint); err != nil {
			return err
		}
		if e, err = normEvent(e); err != nil {
			return err
		}
		ins = append(ins, facts{Events: map[string]Event{eventKey(e): e}})
	}
	// One transaction per poll (in batches), not one per call.
	for len(ins) > 0 {
		n := min(len(ins), applyBatch)
		if _, err := l.applyAll(ctx, ins[:n]); err != nil {
			return err
		}
		ins = ins[n:]
	}
	return nil
}

// LiveOf converts a record of a live-calls query to a sighting of its
// call (ActionLive), keyed by the call's group id (its original callid,
// else its callid: the webhook's callid). ok is false for a record that
// is not in progress. seenAt is when the query answered. The id is the
// record's raw id keyed with cdr.EscapeID, as in LegOf and EventOf.
func LiveOf(region string, r cdr.Record, seenAt time.Time) (e Event, ok bool) {
	if !r.DisconnectTime.Time().IsZero() || r.Duration != 0 {
		return Event{}, false
	}
	id := r.CallID
	if r.OriginalCallID != "" && r.OriginalCallID != "0" {
		id = r.OriginalCallID
	}
	id = cdr.EscapeID(id)
	return Event{
		CallID: id, Action: ActionLive, Endpoint: r.Agent(), Direction: r.Direction,
		ANI: r.ANI, DNIS: r.DNIS, Number: e164(r.CustomerNumber(), region),
		Detect: r.DetectTime.Time(), Connect: r.ConnectTime.Time(), ReceivedAt: seenAt,
	}, true
}

// EventOf converts a webhook event to the ledger's Event, reading the
// customer's number in the account's region. The callid is keyed with
// cdr.EscapeID, as LegOf keys a CDR's, so a webhook and a CDR of the same
// call meet: a plain callid is its own key.
func EventOf(acct callmyway.Account, ev webhook.Event) Event {
	action := ActionStart
	if ev.Action == webhook.CallEnd {
		action = ActionEnd
	}
	return Event{
		CallID: cdr.EscapeID(ev.Call.ID), Action: action, Endpoint: ev.Call.Endpoint, Direction: ev.Call.Direction,
		ANI: ev.Call.ANI, DNIS: ev.Call.DNIS, Number: e164(ev.Call.Direction.Customer(ev.Call.ANI, ev.Call.DNIS), acct.Region),
		Detect: ev.Call.DetectTime.Time(), Connect: ev.Call.ConnectTime.Time(), Disconnect: ev.Call.DisconnectTime.Time(),
		Duration: ev.Call.Duration, Cost: ev.Call.Cost, ReceivedAt: ev.ReceivedAt,
	}
}

// LegOf converts a CDR record to the ledger's Leg, reading the customer's
// number in region; seenAt is when this version of the record was read.
// Its ids are the record's raw ids (as cdr.DecodePage leaves them, or as
// built by hand) keyed with cdr.EscapeID, the one escaping of ids: two
// records are legs of one call exactly when their raw ids are equal.
func LegOf(region string, r cdr.Record, seenAt time.Time) Leg {
	return Leg{
		CallID: cdr.EscapeID(r.CallID), OriginalCallID: cdr.EscapeID(r.OriginalCallID), RefCallID: cdr.EscapeID(r.RefCallID), Agent: r.Agent(),
		ANI: r.ANI, DNIS: r.DNIS, Number: e164(r.CustomerNumber(), region), Direction: r.Direction,
		Detect: r.DetectTime.Time(), Connect: r.ConnectTime.Time(), Disconnect: r.DisconnectTime.Time(),
		Duration: r.Duration, Cost: r.Cost, Rate: r.Rate, AccessFee: r.AccessFee, EndReason: r.EndReason, SeenAt: seenAt,
	}
}

// DialOf converts an accepted click to dial to the ledger's Dial.
func DialOf(res click2dial.Result) Dial {
	return Dial{Ref: res.Ref, Agent: res.Agent, CallerID: callerID(res), Number: res.Number.E164, At: res.At, Meta: res.Meta}
}

func callerID(res click2dial.Result) callmyway.Endpoint {
	if res.CallerID == "" || res.CallerID == res.Agent.User {
		return callmyway.Endpoint{}
	}
	return callmyway.Endpoint{User: res.CallerID}
}

// e164 is raw's E.164 form in region, "" when withheld or not a number.
func e164(raw, region string) string {
	n, err := number.Parse(raw, region)
	if err != nil || n.Withheld {
		return ""
	}
	return n.E164
}

// WatchLive polls the account's live calls (cdr.Live) every interval while
// the ledger holds a live call that has not connected yet, and applies
// them with ObserveLive: that is when the ledger learns a ringing call was
// answered. It polls nothing while no call rings, so it leaves the
// account's 4-second query budget to the CDR Syncer (the Client's limiter
// spaces the two anyway). It reads the store at the first tick after this
// Ledger wrote a ringing call, and every WatchIdleCheck otherwise (calls
// that other replicas wrote), so a quiet CRM leaves its database idle. A
// failed poll is logged (WithLogger) and retried at the next tick. It
// returns ctx's error when ctx is done. Run one WatchLive per account, as
// the CDR Syncer (on several replicas, under the same leadership).
func (l *Ledger) WatchLive(ctx context.Context, c *callmyway.Client, interval time.Duration) error {
	if err := l.ok(); err != nil {
		return err
	}
	if c == nil {
		return invalid("WatchLive", "nil Client")
	}
	if interval <= 0 {
		return invalid("WatchLive", "interval %v is not positive", interval)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	ringing, checked := true, time.Time{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if !ringing && !l.rang.Load() && time.Since(checked) < WatchIdleCheck {
			continue
		}
		l.rang.Store(false)
		var err error
		ringing, err = l.pollLive(ctx, c)
		checked = time.Now()
		if err != nil && ctx.Err() == nil {
			ringing = true // look again at the next tick
			l.cfg.log.WarnContext(ctx, "calls: live-calls poll failed", "error", err.Error())
		}
	}
}

// WatchIdleCheck is how often WatchLive reads the store for ringing calls
// when this Ledger wrote none.
const WatchIdleCheck = 30 * time.Second

// pollLive runs one poll of WatchLive, when a call rings, and reports
// whether one did.
func (l *Ledger) pollLive(ctx context.Context, c *callmyway.Client) (bool, error) {
	now := l.now()
	ringing := false
	for r, err := range l.store.Scan(ctx, Filter{States: []State{StateRequested, StateRinging}, From: now.Add(-l.cfg.maxLiveAge)}) {
		if err != nil {
			return false, err
		}
		call, err := l.callOf(r, now)
		if err != nil {
			return false, err
		}
		if call.Live {
			ringing = true
			break
		}
	}
	if !ringing {
		return false, nil
	}
	recs, err := cdr.Live(ctx, c)
	if err != nil {
		return true, err
	}
	return true, l.ObserveLive(ctx, recs)
}

// repairLeg returns lg with every field the ledger cannot store cut to
// its limit (text) or cleared (the rest); its ids are left as they are.
func repairLeg(lg Leg) Leg {
	for _, t := range []*string{&lg.ANI, &lg.DNIS, &lg.EndReason} {
		if valid.Text(*t, maxText) != nil {
			*t = cutText(*t, maxText)
		}
	}
	if checkEndpoint("", lg.Agent, false) != nil {
		lg.Agent = callmyway.Endpoint{}
	}
	if checkNumber("", lg.Number, false) != nil {
		lg.Number = ""
	}
	if checkDirection("", lg.Direction) != nil {
		lg.Direction = callmyway.DirectionUnknown
	}
	for _, t := range []*time.Time{&lg.Detect, &lg.Connect, &lg.Disconnect, &lg.SeenAt} {
		if normTime("", t) != nil {
			*t = time.Time{}
		}
	}
	if checkDuration("", lg.Duration) != nil {
		lg.Duration = 0
	}
	for _, d := range []*decimal.Decimal{&lg.Cost, &lg.Rate, &lg.AccessFee} {
		if checkAmount("", *d) != nil {
			*d = decimal.Decimal{}
		}
	}
	return lg
}

// cutText returns s as valid UTF-8 without NUL bytes, cut at a rune
// boundary to at most max bytes.
func cutText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) { // a rune cut in two: at most 3 bytes to drop
		s = s[:len(s)-1]
	}
	return s
}
