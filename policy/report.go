package policy

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/internal/safetext"
)

// Attempt is one dial to a customer, or one refusal, as the report
// shows it: when, by whom, and under which rule.
//
// The zero Attempt is no attempt. It is a plain value; copies may be read
// from several goroutines concurrently.
type Attempt struct {
	At      time.Time // when the policy decided (else the call's start)
	CallID  string    // the call, or the refusal ("refusal:"+ref)
	Agent   callmyway.Endpoint
	Number  string
	Refused bool
	// Rule is the rule that refused the dial, or that an override let
	// it through despite ("" for a dial no rule objected to).
	Rule           Rule
	NextAllowed    time.Time
	Detail         string
	OverrideBy     string
	OverrideReason string
	State          calls.State
	Outcome        calls.Outcome
	Campaign       string // the dial's Meta["campaign"]
}

// CustomerAttempts are the attempts and refusals of one customer, by
// time then call id, with their counts.
//
// The zero CustomerAttempts has none. It is a plain value; copies may be
// read from several goroutines concurrently.
type CustomerAttempts struct {
	Subject  string // "case:"+id, "contact:"+id or "number:"+E.164
	Attempts []Attempt
	// Dialled counts the dials placed (or that may have been); Refused the
	// refusals; Overridden the dials a supervisor let through; NotPlaced
	// the admitted dials CallMyWay refused.
	Dialled, Refused, Overridden, NotPlaced int
}

// Report returns, per customer (by subject), every outbound dial and
// every refusal that started in [from, to), read from the ledger.
// Customers are sorted by subject.
func (p *Policy) Report(ctx context.Context, from, to time.Time) ([]CustomerAttempts, error) {
	if err := p.ok(); err != nil {
		return nil, err
	}
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return nil, errors.New("policy: Report: the range is empty or unbounded")
	}
	by := map[string]*CustomerAttempts{}
	for c, err := range p.ledger.Calls(ctx, calls.Query{From: from, To: to, Refusals: true}) {
		if err != nil {
			return nil, fmt.Errorf("policy: report: %w", err)
		}
		if c.Direction != callmyway.DirectionOutbound {
			continue
		}
		a := Attempt{At: c.Start, CallID: c.ID, Agent: c.Agent, Number: c.Number, State: c.State, Outcome: c.Outcome, Campaign: c.Meta["campaign"]}
		subject := c.Subject()
		if ad := c.Admission; !ad.IsZero() {
			subject = ad.Subject
			a.At, a.Refused, a.Rule, a.NextAllowed, a.Detail = ad.At, ad.Refused, Rule(ad.Rule), ad.NextAllowed, ad.Detail
			a.OverrideBy, a.OverrideReason = ad.OverrideBy, ad.OverrideReason
		}
		r := by[subject]
		if r == nil {
			r = &CustomerAttempts{Subject: subject}
			by[subject] = r
		}
		r.Attempts = append(r.Attempts, a)
		switch {
		case a.Refused:
			r.Refused++
		case c.Outcome == calls.OutcomeNotPlaced:
			r.NotPlaced++
		default:
			r.Dialled++
			if a.OverrideBy != "" {
				r.Overridden++
			}
		}
	}
	out := make([]CustomerAttempts, 0, len(by))
	for _, r := range by {
		slices.SortFunc(r.Attempts, func(a, b Attempt) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CallID, b.CallID)) })
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b CustomerAttempts) int { return cmp.Compare(a.Subject, b.Subject) })
	return out, nil
}

// WriteReportCSV writes a report as CSV for a spreadsheet: a UTF-8 byte
// order mark, a header row, then one row per attempt or refusal: subject,
// time (RFC 3339), call id, agent, number, result (dialled, refused,
// overridden, not-placed), rule, next allowed, detail, override by, override
// reason, campaign. Text a spreadsheet would run as a formula is
// neutralised.
func WriteReportCSV(w io.Writer, rep []CustomerAttempts) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"subject", "at", "call", "agent", "number", "result", "rule", "next_allowed", "detail",
		"override_by", "override_reason", "campaign"}); err != nil {
		return err
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	for _, c := range rep {
		for _, a := range c.Attempts {
			result := "dialled"
			switch {
			case a.Refused:
				result = "refused"
			case a.Outcome == calls.OutcomeNotPlaced:
				result = "not-placed"
			case a.OverrideBy != "":
				result = "overridden"
			}
			row := []string{c.Subject, ts(a.At), a.CallID, a.Agent.String(), a.Number, result, string(a.Rule), ts(a.NextAllowed),
				a.Detail, a.OverrideBy, a.OverrideReason, a.Campaign}
			if err := cw.Write(safetext.CSVRow(row)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
