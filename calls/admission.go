package calls

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
)

// RefusalPrefix prefixes the id of a refused attempt: "refusal:"+ref.
const RefusalPrefix = valid.RefusalPrefix

// Admission is a contact policy's decision on one dial, recorded in the
// ledger before the dial is sent (Ledger.Admit): an attempt admitted (the
// pending dial "dial:"+Ref, which the accepted dial with the same Ref
// joins) or refused (the refusal "refusal:"+Ref, never live and left out
// of Calls unless Query.Refusals asks for it). Attempts, refusals and
// overrides are thus ledger facts, which every replica reads alike.
//
// Admission is a plain value, safe to copy; its zero value is no
// admission (Ref is required).
//
// Copies may be read from several goroutines concurrently.
type Admission struct {
	// Ref is the dial's ref (required): the Ref of the click2dial Result
	// once accepted.
	Ref    string             `json:"ref"`
	Agent  callmyway.Endpoint `json:"agent"`  // the dialling phone (required)
	Number string             `json:"number"` // the customer's, E.164 (required)
	// At is when the policy decided (the ledger's clock when zero).
	At   time.Time         `json:"at"`
	Meta map[string]string `json:"meta,omitempty"` // the dial's metadata (contact, case, campaign...)
	// Subject is whom the policy counted attempts of: SubjectOf the
	// dial's case, contact and number. Set by Admit.
	Subject string `json:"subject"`

	// Refused reports that the dial was not allowed: Rule refused it.
	Refused bool `json:"refused,omitempty"`
	// Rule is the rule that refused the dial; on an admitted dial, the
	// rule an override let it through despite ("" when none applied).
	Rule string `json:"rule,omitempty"`
	// NextAllowed is the earliest time the rule allows a dial again
	// (zero: no time is known, such as do-not-call).
	NextAllowed time.Time `json:"next_allowed,omitzero"`
	Detail      string    `json:"detail,omitempty"` // a sentence for people
	// OverrideBy and OverrideReason are the supervisor who let the dial
	// through despite Rule, and why (both required for an override).
	OverrideBy     string `json:"override_by,omitempty"`
	OverrideReason string `json:"override_reason,omitempty"`

	// NotPlaced reports that the admitted dial was never placed: the
	// provider refused the request (Ledger.NotPlaced). It no longer counts
	// as an attempt nor as a live call.
	NotPlaced       bool   `json:"not_placed,omitempty"`
	NotPlacedReason string `json:"not_placed_reason,omitempty"`
}

// Overridden reports whether a supervisor let the dial through despite
// its Rule.
func (a Admission) Overridden() bool { return !a.Refused && a.OverrideBy != "" }

// ID is the id the attempt is recorded under: "dial:"+Ref when
// admitted, "refusal:"+Ref when refused.
func (a Admission) ID() string {
	if a.Refused {
		return RefusalPrefix + a.Ref
	}
	return DialPrefix + a.Ref
}

// IsZero reports whether a is no admission.
func (a Admission) IsZero() bool { return a.Ref == "" }

// SubjectOf is whom a contact policy counts a customer's calls by: the
// case ("case:"+id), else the contact ("contact:"+id), else the number
// ("number:"+E.164); "" when all three are empty.
func SubjectOf(caseID, contact, number string) string {
	switch {
	case caseID != "":
		return "case:" + caseID
	case contact != "":
		return "contact:" + contact
	case number != "":
		return "number:" + number
	}
	return ""
}

// Subject is SubjectOf the call's Case, Contact and Number.
func (c Call) Subject() string { return SubjectOf(c.Case, c.Contact, c.Number) }

// joinAdmission joins two versions of one admission: NotPlaced once set
// stays set; anything else that differs is settled by the canonical
// order.
func joinAdmission(x, y Admission) Admission {
	np := x.NotPlaced || y.NotPlaced
	reason := max(x.NotPlacedReason, y.NotPlacedReason)
	x.NotPlaced, x.NotPlacedReason, y.NotPlaced, y.NotPlacedReason = false, "", false, ""
	z := greater(x, y)
	z.NotPlaced, z.NotPlacedReason = np, reason
	return z
}

// Verdict is what a contact policy decides about an attempt, given the
// subject's calls (Ledger.Admit).
//
// The zero Verdict admits the dial. It is a plain value; copies may be
// read from several goroutines concurrently.
type Verdict struct {
	// Refused refuses the dial; Rule is then required.
	Refused bool
	// Rule names the rule that refused it, or that an override let it
	// through despite (with Admission.OverrideBy set).
	Rule        string
	NextAllowed time.Time
	Detail      string
}

func normAdmission(a Admission, now time.Time) (Admission, error) {
	if a.At.IsZero() {
		a.At = now
	}
	d, err := normDial(Dial{Ref: a.Ref, Agent: a.Agent, Number: a.Number, At: a.At, Meta: a.Meta})
	if err != nil {
		return a, err
	}
	if len(RefusalPrefix)+len(a.Ref) > MaxIDLen {
		return a, invalid("Admission.Ref", "%d bytes, longer than %d", len(a.Ref), MaxIDLen-len(RefusalPrefix))
	}
	a.Meta, a.At = d.Meta, d.At
	for _, f := range []struct{ name, v string }{{"Admission.OverrideBy", a.OverrideBy}} {
		if err := checkID(f.name, f.v, false); err != nil {
			return a, err
		}
	}
	for _, f := range []struct{ name, v string }{{"Admission.OverrideReason", a.OverrideReason},
		{"Admission.Rule", a.Rule}, {"Admission.Detail", a.Detail}, {"Admission.NotPlacedReason", a.NotPlacedReason}} {
		if err := checkText(f.name, f.v, maxText); err != nil {
			return a, err
		}
	}
	if (a.OverrideBy == "") != (strings.TrimSpace(a.OverrideReason) == "") {
		return a, invalid("Admission.OverrideReason", "an override needs both who (OverrideBy) and why (OverrideReason)")
	}
	if err := normTime("Admission.NextAllowed", &a.NextAllowed); err != nil {
		return a, err
	}
	a.Subject = SubjectOf(a.Meta["case"], a.Meta["contact"], a.Number)
	return a, nil
}

// Admit records one attempt to dial under a contact policy, atomically
// for its subject across every Ledger sharing the store: under the lock
// of the subject (SubjectOf the Meta "case", "contact" and the number),
// it reads the subject's calls that started at or after since (by start
// time then id; refusals left out, so a customer clicked thousands of
// times makes no admission slower), asks decide, and records the
// attempt: admitted, as the pending dial "dial:"+a.Ref (in
// StateRequested, live, so a concurrent Admit counts it; the accepted dial
// with the same Ref, RecordAccepted, joins it; NotPlaced ends it), or
// refused, as the refusal "refusal:"+a.Ref. It returns that call.
//
// decide may run more than once (a store may retry the transaction); it
// must depend on its argument only. A Verdict that refuses is recorded
// as a refusal even when a.OverrideBy is set: the policy decides what an
// override may overrule, and returns an admitting Verdict naming the
// overruled Rule. Recording the same Ref again returns the attempt as
// first recorded. Refusals are not reported to the OnChange hook (they
// are not calls any screen shows); they are in Changes.
func (l *Ledger) Admit(ctx context.Context, a Admission, since time.Time, decide func(history []Call) (Verdict, error)) (Call, error) {
	if err := l.ok(); err != nil {
		return Call{}, err
	}
	if decide == nil {
		return Call{}, invalid("decide", "nil")
	}
	a.Refused, a.Rule, a.NextAllowed, a.Detail, a.NotPlaced, a.NotPlacedReason = false, "", time.Time{}, "", false, ""
	now := l.now()
	a, err := normAdmission(a, now)
	if err != nil {
		return Call{}, err
	}
	if err := normTime("since", &since); err != nil {
		return Call{}, err
	}
	keys := []string{"s:" + a.Subject, "n:" + a.Number, "c:" + DialPrefix + a.Ref, "c:" + RefusalPrefix + a.Ref}
	slices.Sort(keys)
	var out Call
	var changed *change
	err = l.store.Update(ctx, keys, func(ctx context.Context, tx Tx) error {
		out, changed = Call{}, nil
		// The same ref again: the attempt as first recorded.
		recs, err := tx.Get(ctx, DialPrefix+a.Ref, RefusalPrefix+a.Ref)
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			found := map[string]node{}
			if _, err := l.resolve(ctx, tx, []string{recs[0].ID}, found); err != nil {
				return err
			}
			for _, n := range found {
				out = derive(n.rec.ID, n.rec.Seq, n.f, l.view(now))
			}
			return nil
		}
		hist, err := l.history(ctx, tx, a, since, now)
		if err != nil {
			return err
		}
		v, err := decide(hist)
		if err != nil {
			return err
		}
		b := a
		b.Refused, b.Rule, b.NextAllowed, b.Detail = v.Refused, v.Rule, v.NextAllowed, v.Detail
		if err := normTime("Verdict.NextAllowed", &b.NextAllowed); err != nil {
			return err
		}
		switch {
		case v.Refused && v.Rule == "":
			return invalid("Verdict.Rule", "a refusal must name its rule")
		case !v.Refused && v.Rule != "" && a.OverrideBy == "":
			return invalid("Verdict.Rule", "an admitted dial names a rule (%q) only when an override let it through", v.Rule)
		}
		if b.Refused {
			b.OverrideBy, b.OverrideReason = "", ""
		}
		for _, f := range []struct{ name, v string }{{"Verdict.Rule", b.Rule}, {"Verdict.Detail", b.Detail}} {
			if err := checkText(f.name, f.v, maxText); err != nil {
				return err
			}
		}
		c, ch, err := l.absorb(ctx, tx, facts{Admissions: map[string]Admission{b.Ref: b}}, now)
		out, changed = c, ch
		return err
	})
	if err != nil {
		return Call{}, fmt.Errorf("calls: admit: %w", err)
	}
	if changed != nil && changed.after.State != StateRefused {
		l.notify(ctx, []change{*changed})
	}
	if l.cfg.loc != nil {
		out.inLocation(l.cfg.loc)
	}
	return out, nil
}

// history reads the calls of a's subject that started at or after since,
// refusals left out.
func (l *Ledger) history(ctx context.Context, tx Tx, a Admission, since, now time.Time) ([]Call, error) {
	var recs []Record
	var err error
	f := Filter{From: since, NotStates: []State{StateRefused}}
	switch kind, id, _ := strings.Cut(a.Subject, ":"); kind {
	case "case":
		f.Case = id
	case "contact":
		f.Contact = id
	default:
		f.Number = a.Number
	}
	recs, err = tx.Find(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Call, 0, len(recs))
	for _, r := range recs {
		if r.AliasOf != "" {
			continue
		}
		c, err := l.callOf(r, now)
		if err != nil {
			return nil, err
		}
		if l.cfg.loc != nil {
			c.inLocation(l.cfg.loc)
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y Call) int {
		if d := x.Start.Compare(y.Start); d != 0 {
			return d
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out, nil
}

// NotPlaced marks the admitted dial ref as never placed: the provider
// refused the request before it could ring anyone. The attempt stays in
// the ledger, ended with OutcomeNotPlaced; it is no longer live and no
// longer counts as an attempt. Do not call it when the request may have
// reached the provider without an answer (the call may be ringing): the
// pending dial then ends as OutcomeNeverArrived, or joins its webhook call.
func (l *Ledger) NotPlaced(ctx context.Context, ref, reason string) (Call, error) {
	if err := l.ok(); err != nil {
		return Call{}, err
	}
	if err := checkID("ref", ref, true); err != nil {
		return Call{}, err
	}
	if err := checkText("reason", reason, maxText); err != nil {
		return Call{}, err
	}
	cur, err := l.Get(ctx, DialPrefix+ref)
	if err != nil {
		return Call{}, err
	}
	if cur.Admission.IsZero() {
		return Call{}, invalid("ref", "%q is a dial recorded without an admission", ref)
	}
	a := cur.Admission
	a.NotPlaced, a.NotPlacedReason = true, reason
	a.At, a.NextAllowed = a.At.UTC(), a.NextAllowed.UTC()
	return l.apply(ctx, facts{Admissions: map[string]Admission{a.Ref: a}})
}
