package calls

import (
	"context"
	"time"
)

// Report is the reconciliation of the calls that started in [From, To):
// what the webhook and the CDR do not agree on.
//
// A Report is a snapshot: a plain value, safe to copy and to read from
// several goroutines. Its zero value is an empty report.
//
// Copies may be read from several goroutines concurrently.
type Report struct {
	From, To time.Time
	Calls    int // calls in the range
	// NoCDR are webhook calls whose CDR has not arrived within the
	// ledger's bound (WithCDRWithin) after they ended.
	NoCDR []Call
	// NoWebhook are calls known only from their CDR: the webhook missed
	// them.
	NoWebhook []Call
	// NeverArrived are dials no webhook and no CDR reported.
	NeverArrived []Call
	// Mismatched are calls whose webhook and CDR differ beyond the
	// ledger's tolerance (see Call.Diffs).
	Mismatched []Call
}

// Report reconciles the calls that started in [from, to).
func (l *Ledger) Report(ctx context.Context, from, to time.Time) (Report, error) {
	if err := l.ok(); err != nil {
		return Report{}, err
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return Report{}, invalid("to", "the range [%v, %v) is empty or unbounded", from, to)
	}
	rep := Report{From: from, To: to}
	now := l.now()
	for c, err := range l.Calls(ctx, Query{From: from, To: to}) {
		if err != nil {
			return Report{}, err
		}
		rep.Calls++
		switch {
		case c.Outcome == OutcomeNeverArrived:
			rep.NeverArrived = append(rep.NeverArrived, c)
		case c.WebhookMissed():
			rep.NoWebhook = append(rep.NoWebhook, c)
		case c.WebhookSeen && !c.CDRSeen && !c.Live:
			end := c.Disconnect
			if end.IsZero() {
				end = c.Start
			}
			if !now.Before(end.Add(l.cfg.cdrWithin)) {
				rep.NoCDR = append(rep.NoCDR, c)
			}
		}
		if len(c.Diffs) > 0 {
			rep.Mismatched = append(rep.Mismatched, c)
		}
	}
	return rep, nil
}
