package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/click2dial"
)

// ErrRefused is matched (errors.Is) by every refusal of the policy, a
// *RefusalError. It is click2dial.ErrRefusedByPolicy, so code that only
// knows the Dialer (a Campaign) recognises a refusal too.
var ErrRefused = click2dial.ErrRefusedByPolicy

// ErrNoPolicy is returned by the methods of a zero or nil Policy.
var ErrNoPolicy = errors.New("policy: Policy not initialised: create it with policy.New")

// RefusalError is a dial the policy refused: which rule, for whom, and
// when the next attempt is allowed. The refusal is recorded in the ledger
// as call CallID ("refusal:"+ref). It matches ErrRefused (and so
// click2dial.ErrRefusedByPolicy).
//
// The zero RefusalError names no rule. It is a plain value; copies may be
// read from several goroutines concurrently.
type RefusalError struct {
	Rule    Rule   // the first rule that refused (Detail names every one)
	Subject string // "case:"+id, "contact:"+id or "number:"+E.164
	// NextAllowed is when every rule allows a dial again; zero when no
	// time will (do-not-call).
	NextAllowed time.Time
	Detail      string
	CallID      string // the refusal's id in the ledger
}

// Error implements error.
func (e *RefusalError) Error() string {
	s := fmt.Sprintf("policy: dial to %s refused by rule %s", e.Subject, e.Rule)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.NextAllowed.IsZero() {
		return s + "; no next attempt allowed"
	}
	return s + "; next attempt allowed at " + e.NextAllowed.Format(time.RFC3339)
}

// Is reports whether target is ErrRefused.
func (e *RefusalError) Is(target error) bool { return target == ErrRefused }

// Subject names a customer to the policy: its case, contact and number
// (E.164). The policy counts a customer's calls by case, else contact,
// else number (calls.SubjectOf).
//
// The zero Subject names no one. It is a plain value; copies may be read
// from several goroutines concurrently.
type Subject struct {
	Case, Contact, Number string
}

// Key is calls.SubjectOf(s.Case, s.Contact, s.Number).
func (s Subject) Key() string { return calls.SubjectOf(s.Case, s.Contact, s.Number) }

// Customer is what the CRM knows of a customer that the policy needs:
// whether not to call at all, the customer's own zone, and limits of its
// own.
//
// The zero Customer is a customer with no overrides (the account's
// limits, the zone of the number). It is a plain value; copies may be
// read from several goroutines concurrently.
type Customer struct {
	DoNotCall bool
	// Zone, when not nil, is the customer's time zone, for the calling
	// hours (else the zones of the number's region).
	Zone *time.Location
	// Limits, when not nil, replace the account's limits for this
	// customer.
	Limits *Limits
}

// Customers looks customers up for the policy; the CRM implements it
// over its own tables. It is called before every dial and check, outside
// any ledger transaction, and must be safe for concurrent use. A
// customer it does not know is the zero Customer and a nil error.
//
// A nil Customers is refused by WithCustomers.
type Customers interface {
	Customer(ctx context.Context, s Subject) (Customer, error)
}

// Option configures a Policy. Options validate their arguments.
//
// A nil Option is refused by New. Options are plain functions, safe to
// reuse and to share between goroutines concurrently.
type Option func(*Policy) error

// WithCustomers sets where the policy finds do-not-call flags, zones and
// per-customer limits (default: every customer is the zero Customer).
func WithCustomers(c Customers) Option {
	return func(p *Policy) error {
		if c == nil {
			return errors.New("policy: WithCustomers: nil")
		}
		p.customers = c
		return nil
	}
}

// WithClock sets the policy's clock (default time.Now). Give it the
// ledger's clock.
func WithClock(now func() time.Time) Option {
	return func(p *Policy) error {
		if now == nil {
			return errors.New("policy: WithClock: nil")
		}
		p.now = now
		return nil
	}
}

// WithMaxCallLength sets how long a call may last, for how far back the
// cool-down looks (default calls.DefaultMaxLiveAge, 4 h).
func WithMaxCallLength(d time.Duration) Option {
	return func(p *Policy) error {
		if d <= 0 || d > calls.MaxDuration {
			return fmt.Errorf("policy: WithMaxCallLength(%v): out of range", d)
		}
		p.maxCall = d
		return nil
	}
}

// Policy is the contact policy of one account, checked before every dial
// over the calls ledger, the one source of truth: attempts are the
// ledger's outbound calls, and each decision (an admitted attempt, a
// refusal, an override) is recorded there atomically per customer
// (calls.Ledger.Admit), so every replica sharing the ledger's store
// agrees, and two replicas never both pass a cap.
//
// Give it to the Dialer (click2dial.WithPolicy); a Campaign dials through
// its Dialer and so through the policy.
//
// Create it with New; the methods of the zero Policy return ErrNoPolicy.
// A Policy is safe for concurrent use.
type Policy struct {
	acct      callmyway.Account
	ledger    *calls.Ledger
	limits    Limits
	customers Customers
	now       func() time.Time
	maxCall   time.Duration
}

var _ click2dial.Policy = (*Policy)(nil)

// New returns the contact policy of account acct (whose zone is the
// customers' zone when a number's is unknown) with the account's limits,
// recording its decisions in ledger.
func New(acct callmyway.Account, ledger *calls.Ledger, limits Limits, opts ...Option) (*Policy, error) {
	if err := acct.Validate(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if ledger == nil {
		return nil, errors.New("policy: New: nil ledger")
	}
	if err := limits.validate("Limits"); err != nil {
		return nil, err
	}
	p := &Policy{acct: acct, ledger: ledger, limits: limits, now: time.Now, maxCall: calls.DefaultMaxLiveAge}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("policy: New: nil option")
		}
		if err := o(p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Policy) ok() error {
	if p == nil || p.ledger == nil {
		return ErrNoPolicy
	}
	return nil
}

func (p *Policy) clock() time.Time { return p.now().UTC().Truncate(time.Microsecond) }

// customer looks s up and returns the customer with the limits that
// apply to it and its zones.
func (p *Policy) customer(ctx context.Context, s Subject) (Customer, Limits, []*time.Location, error) {
	var c Customer
	if p.customers != nil {
		var err error
		if c, err = p.customers.Customer(ctx, s); err != nil {
			return c, Limits{}, nil, fmt.Errorf("policy: customer %s: %w", s.Key(), err)
		}
	}
	lim := p.limits
	if c.Limits != nil {
		if err := c.Limits.validate("Customer.Limits"); err != nil {
			return c, Limits{}, nil, fmt.Errorf("policy: customer %s: %w", s.Key(), err)
		}
		lim = *c.Limits
	}
	zones := []*time.Location{c.Zone}
	if c.Zone == nil {
		zones = Zones(s.Number, p.acct.Location)
	}
	return c, lim, zones, nil
}

// maxZones is how many zones a number's prefix may span and still be
// read as a place: more (a toll-free or non-geographic number, which
// libphonenumber gives every zone of its country code) means no place.
const maxZones = 4

// zoneCache keeps loaded locations by name (time.LoadLocation reads the
// zone database each time).
var zoneCache sync.Map // string -> *time.Location

func loadZone(name string) (*time.Location, bool) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), true
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zoneCache.Store(name, l)
	return l, true
}

// Zones returns the time zones of an E.164 number's place (libphonenumber's
// time zones for its prefix: one for most numbers, several for an area
// that spans zones, in which the calling hours must hold in every one),
// or fallback alone when none is known or the number is not geographic
// (more than four zones, such as a toll-free number).
func Zones(e164 string, fallback *time.Location) []*time.Location {
	if fallback == nil {
		fallback = time.UTC
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return []*time.Location{fallback}
	}
	names, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(names) > maxZones {
		return []*time.Location{fallback}
	}
	var out []*time.Location
	for _, n := range names {
		if l, ok := loadZone(n); ok && !strings.HasPrefix(n, "Etc/") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return []*time.Location{fallback}
	}
	return out
}

// Check says whether s may be dialled now, without recording anything:
// for a screen that shows when the next attempt is allowed. Only Admit
// (the Dialer's) decides atomically.
func (p *Policy) Check(ctx context.Context, s Subject) (Decision, error) {
	if err := p.ok(); err != nil {
		return Decision{}, err
	}
	if s.Key() == "" {
		return Decision{}, errors.New("policy: Check: the subject has no case, contact or number")
	}
	cust, lim, zones, err := p.customer(ctx, s)
	if err != nil {
		return Decision{}, err
	}
	at := p.clock()
	q := calls.Query{From: at.Add(-lim.lookback(p.maxCall))}
	switch {
	case s.Case != "":
		q.Case = s.Case
	case s.Contact != "":
		q.Contact = s.Contact
	default:
		q.Number = s.Number
	}
	var hist []calls.Call
	if lim.MaxAttempts > 0 || lim.Cooldown > 0 {
		for c, err := range p.ledger.Calls(ctx, q) {
			if err != nil {
				return Decision{}, fmt.Errorf("policy: reading the ledger: %w", err)
			}
			hist = append(hist, c)
		}
	}
	return decide(lim, cust, zones, hist, at), nil
}

// Admit implements click2dial.Policy: it decides about a dial and records
// the decision in the ledger, atomically for the customer across every
// replica. It returns nil when the dial may go (recorded as the
// customer's pending attempt, the accepted dial's call), or a
// *RefusalError (recorded as a refusal). A supervisor's Override lets a
// refused dial go: it is recorded with the rule it overrode, who and why.
func (p *Policy) Admit(ctx context.Context, a click2dial.Attempt) error {
	if err := p.ok(); err != nil {
		return err
	}
	s := Subject{Case: a.Meta["case"], Contact: a.Meta["contact"], Number: a.Number.E164}
	cust, lim, zones, err := p.customer(ctx, s)
	if err != nil {
		return err
	}
	at := p.clock()
	adm := calls.Admission{Ref: a.Ref, Agent: a.Agent, Number: a.Number.E164, At: at, Meta: a.Meta,
		OverrideBy: a.Override.By, OverrideReason: a.Override.Reason}
	c, err := p.ledger.Admit(ctx, adm, at.Add(-lim.lookback(p.maxCall)), func(hist []calls.Call) (calls.Verdict, error) {
		d := decide(lim, cust, zones, hist, at)
		if d.Allowed {
			return calls.Verdict{}, nil
		}
		v := calls.Verdict{Refused: true, Rule: string(d.Rule), NextAllowed: d.NextAllowed, Detail: d.Detail}
		if a.Override.By != "" {
			v.Refused = false
		}
		return v, nil
	})
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	if ad := c.Admission; ad.Refused {
		return &RefusalError{Rule: Rule(ad.Rule), Subject: ad.Subject, NextAllowed: ad.NextAllowed, Detail: ad.Detail, CallID: c.ID}
	}
	return nil
}

// NotPlaced implements click2dial.Policy: the admitted dial ref was
// refused by CallMyWay, so it no longer counts as an attempt.
func (p *Policy) NotPlaced(ctx context.Context, ref string, cause error) error {
	if err := p.ok(); err != nil {
		return err
	}
	reason := ""
	if cause != nil {
		reason = cause.Error()
		if len(reason) > 1000 {
			reason = reason[:1000]
		}
	}
	if _, err := p.ledger.NotPlaced(ctx, ref, strings.ToValidUTF8(reason, "?")); err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return nil
}
