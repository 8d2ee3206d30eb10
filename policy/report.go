package policy

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
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
// Customers are sorted by subject. It holds the whole range in memory:
// ReportSeq yields the same report one customer at a time.
func (p *Policy) Report(ctx context.Context, from, to time.Time) ([]CustomerAttempts, error) {
	if err := p.ok(); err != nil {
		return nil, err
	}
	if err := checkReportRange("Report", from, to); err != nil {
		return nil, err
	}
	by := map[string]*CustomerAttempts{}
	for c, err := range p.ledger.Calls(ctx, calls.Query{From: from, To: to, Refusals: true}) {
		if err != nil {
			return nil, fmt.Errorf("policy: report: %w", err)
		}
		subject, a, ok := attemptOf(c)
		if !ok {
			continue
		}
		r := by[subject]
		if r == nil {
			r = &CustomerAttempts{Subject: subject}
			by[subject] = r
		}
		r.add(a)
	}
	out := make([]CustomerAttempts, 0, len(by))
	for _, r := range by {
		r.sort()
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b CustomerAttempts) int { return cmp.Compare(a.Subject, b.Subject) })
	return out, nil
}

// ReportSeq yields the report of Report one customer at a time, in the
// same order (by subject), without holding the range in memory. It reads
// the range once to list its customers (memory grows with the customers of
// the range, not with their calls), then, for each customer in turn, the
// customer's calls of the range (one ledger query by case, contact or
// number, the indexed columns of this module's stores) and yields that
// customer: memory holds one customer's attempts. A customer with no case,
// contact or number (no query can find it) is kept from the first read.
//
// It is not a snapshot: a call recorded while it runs may be left out,
// or counted under a customer listed before it. It yields one error and
// stops on failure (nothing after it is valid). Breaking out of the loop
// stops the reads.
func (p *Policy) ReportSeq(ctx context.Context, from, to time.Time) iter.Seq2[CustomerAttempts, error] {
	return func(yield func(CustomerAttempts, error) bool) {
		if err := p.ok(); err != nil {
			yield(CustomerAttempts{}, err)
			return
		}
		if err := checkReportRange("ReportSeq", from, to); err != nil {
			yield(CustomerAttempts{}, err)
			return
		}
		subjects := map[string]bool{}
		unqueryable := map[string]*CustomerAttempts{}
		for c, err := range p.ledger.Calls(ctx, calls.Query{From: from, To: to, Refusals: true}) {
			if err != nil {
				yield(CustomerAttempts{}, fmt.Errorf("policy: report: %w", err))
				return
			}
			subject, a, ok := attemptOf(c)
			if !ok {
				continue
			}
			subjects[subject] = true
			if _, ok := subjectQuery(subject); !ok {
				r := unqueryable[subject]
				if r == nil {
					r = &CustomerAttempts{Subject: subject}
					unqueryable[subject] = r
				}
				r.add(a)
			}
		}
		for _, subject := range slices.Sorted(maps.Keys(subjects)) {
			r := unqueryable[subject]
			if r == nil {
				r = &CustomerAttempts{Subject: subject}
				q, _ := subjectQuery(subject)
				q.From, q.To, q.Refusals = from, to, true
				for c, err := range p.ledger.Calls(ctx, q) {
					if err != nil {
						yield(CustomerAttempts{}, fmt.Errorf("policy: report: %s: %w", subject, err))
						return
					}
					if s, a, ok := attemptOf(c); ok && s == subject {
						r.add(a)
					}
				}
				if len(r.Attempts) == 0 {
					continue // gone meanwhile
				}
			}
			r.sort()
			if !yield(*r, nil) {
				return
			}
		}
	}
}

// checkReportRange refuses an empty or unbounded range.
func checkReportRange(name string, from, to time.Time) error {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return fmt.Errorf("policy: %s: the range is empty or unbounded", name)
	}
	return nil
}

// subjectQuery is the ledger query that finds a subject's calls (a
// superset: the caller keeps those whose attemptOf subject matches), as
// Ledger.Admit reads a subject's history; false for a subject no query
// can find.
func subjectQuery(subject string) (calls.Query, bool) {
	kind, id, _ := strings.Cut(subject, ":")
	if id == "" {
		return calls.Query{}, false
	}
	switch kind {
	case "case":
		return calls.Query{Case: id}, true
	case "contact":
		return calls.Query{Contact: id}, true
	case "number":
		return calls.Query{Number: id}, true
	}
	return calls.Query{}, false
}

// attemptOf is the report's view of a call and the subject it counts
// under: the admission's, else the call's; false for a call the report
// leaves out (inbound).
func attemptOf(c calls.Call) (string, Attempt, bool) {
	if c.Direction != callmyway.DirectionOutbound {
		return "", Attempt{}, false
	}
	a := Attempt{At: c.Start, CallID: c.ID, Agent: c.Agent, Number: c.Number, State: c.State, Outcome: c.Outcome, Campaign: c.Meta["campaign"]}
	subject := c.Subject()
	if ad := c.Admission; !ad.IsZero() {
		subject = ad.Subject
		a.At, a.Refused, a.Rule, a.NextAllowed, a.Detail = ad.At, ad.Refused, Rule(ad.Rule), ad.NextAllowed, ad.Detail
		a.OverrideBy, a.OverrideReason = ad.OverrideBy, ad.OverrideReason
	}
	return subject, a, true
}

// add appends a and counts it.
func (r *CustomerAttempts) add(a Attempt) {
	r.Attempts = append(r.Attempts, a)
	switch {
	case a.Refused:
		r.Refused++
	case a.Outcome == calls.OutcomeNotPlaced:
		r.NotPlaced++
	default:
		r.Dialled++
		if a.OverrideBy != "" {
			r.Overridden++
		}
	}
}

// sort orders the attempts by time then call id.
func (r *CustomerAttempts) sort() {
	slices.SortFunc(r.Attempts, func(a, b Attempt) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.CallID, b.CallID)) })
}

// WriteReportCSV writes a report as CSV for a spreadsheet: a UTF-8 byte
// order mark, a header row, then one row per attempt or refusal: subject,
// time (RFC 3339), call id, agent, number, result (dialled, refused,
// overridden, not-placed), rule, next allowed, detail, override by, override
// reason, campaign. Text a spreadsheet would run as a formula is
// neutralised. WriteReportCSVSeq writes the same from ReportSeq.
func WriteReportCSV(w io.Writer, rep []CustomerAttempts) error {
	return WriteReportCSVSeq(w, func(yield func(CustomerAttempts, error) bool) {
		for _, c := range rep {
			if !yield(c, nil) {
				return
			}
		}
	})
}

// WriteReportCSVSeq writes the customers rep yields (such as ReportSeq's)
// as WriteReportCSV does, row by row as they come: w receives the rows of
// the first customers (in blocks of 4 KiB) before the later ones are read.
// An error rep yields is returned as is, with the rows before it already
// written: the output is then incomplete, and a caller that already sent
// part of it must make that visible (an HTTP handler aborts the response).
func WriteReportCSVSeq(w io.Writer, rep iter.Seq2[CustomerAttempts, error]) error {
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
	for c, err := range rep {
		if err != nil {
			return err
		}
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
