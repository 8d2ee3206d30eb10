package calls

import (
	"context"
	"fmt"

	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
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
// callEnd, so the webhook handler acks it only once it is durable.
func (l *Ledger) HandleEvent(ctx context.Context, ev webhook.Event) error {
	if err := l.ok(); err != nil {
		return err
	}
	e := EventOf(l.acct, ev)
	var err error
	if e.Endpoint, err = l.phone(ctx, e.Endpoint); err != nil {
		return err
	}
	_, err = l.ApplyEvent(ctx, e)
	return err
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
func (l *Ledger) ReconcileCDRs(ctx context.Context, recs []cdr.Record) error {
	if err := l.ok(); err != nil {
		return err
	}
	now := l.now()
	legs := make([]Leg, 0, len(recs))
	for _, r := range recs {
		lg := LegOf(l.acct.Region, r, now)
		var err error
		if lg.Agent, err = l.phone(ctx, lg.Agent); err != nil {
			return err
		}
		legs = append(legs, lg)
	}
	return l.ApplyLegs(ctx, legs)
}

// EventOf converts a webhook event to the ledger's Event, reading the
// customer's number in the account's region.
func EventOf(acct callmyway.Account, ev webhook.Event) Event {
	action := ActionStart
	if ev.Action == webhook.CallEnd {
		action = ActionEnd
	}
	return Event{
		CallID: ev.Call.ID, Action: action, Endpoint: ev.Call.Endpoint, Direction: ev.Call.Direction,
		ANI: ev.Call.ANI, DNIS: ev.Call.DNIS, Number: e164(ev.Call.Direction.Customer(ev.Call.ANI, ev.Call.DNIS), acct.Region),
		Detect: ev.Call.DetectTime.Time(), Connect: ev.Call.ConnectTime.Time(), Disconnect: ev.Call.DisconnectTime.Time(),
		Duration: ev.Call.Duration, Cost: ev.Call.Cost, ReceivedAt: ev.ReceivedAt,
	}
}

// LegOf converts a CDR record to the ledger's Leg, reading the customer's
// number in region; seenAt is when this version of the record was read.
func LegOf(region string, r cdr.Record, seenAt time.Time) Leg {
	return Leg{
		CallID: r.CallID, OriginalCallID: r.OriginalCallID, RefCallID: r.RefCallID, Agent: r.Agent(),
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
