package click2dial

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/time/rate"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/number"
)

// Campaign dials a list of numbers (a BLAST campaign, see docs/provider.md,
// Click to dial) through a Dialer:
// paced, at most one call per agent at a time, skipping numbers that are
// invalid, on a do-not-call list or outside calling hours. Coordinate
// BLAST campaigns with CallMyWay before running them.
//
// Create it with NewCampaign, configured with options as a Dialer is; the
// zero Campaign is not usable (Run returns an error). A Campaign is safe
// for concurrent use, and may be Run several times.
type Campaign struct {
	dialer      *Dialer
	agents      []callmyway.Endpoint
	perMinute   int
	concurrency int
	order       Order
	callerID    string
	hours       *CallingHours
	doNotCall   func(ctx context.Context, n number.Number) (bool, error)
	progress    func(Progress)
	meta        map[string]string
}

// CampaignOption configures a Campaign. Options validate their arguments.
//
// A nil CampaignOption is refused by NewCampaign. Options are plain
// functions, safe to reuse and to share between goroutines concurrently.
type CampaignOption func(*Campaign) error

// WithPace sets the pace across the campaign, in dials per minute
// (default 10).
func WithPace(perMinute int) CampaignOption {
	return func(c *Campaign) error {
		if perMinute <= 0 || perMinute > 6000 {
			return fmt.Errorf("click2dial: WithPace(%d): between 1 and 6000 dials per minute", perMinute)
		}
		c.perMinute = perMinute
		return nil
	}
}

// WithConcurrency sets how many agents dial at once (default: all of
// them).
func WithConcurrency(n int) CampaignOption {
	return func(c *Campaign) error {
		if n <= 0 {
			return fmt.Errorf("click2dial: WithConcurrency(%d): must be positive", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithOrder sets which party is rung first (default AgentFirst).
func WithOrder(o Order) CampaignOption {
	return func(c *Campaign) error {
		if o != AgentFirst && o != ContactFirst {
			return fmt.Errorf("click2dial: WithOrder(%v): unknown order", o)
		}
		c.order = o
		return nil
	}
}

// WithCampaignCallerID bills the campaign's calls to this registered
// caller-ID endpoint (see Request.CallerID).
func WithCampaignCallerID(username string) CampaignOption {
	return func(c *Campaign) error {
		if strings.TrimSpace(username) == "" {
			return errors.New("click2dial: WithCampaignCallerID: empty username")
		}
		c.callerID = username
		return nil
	}
}

// WithCallingHours skips numbers outside h in the contact's zone.
func WithCallingHours(h CallingHours) CampaignOption {
	return func(c *Campaign) error {
		if h.Start < 0 || h.End > 24*time.Hour || h.Start >= h.End {
			return fmt.Errorf("click2dial: WithCallingHours: window %v-%v must be within a day and not empty", h.Start, h.End)
		}
		c.hours = &h
		return nil
	}
}

// WithDoNotCall asks f about every number; true skips it. f is called
// concurrently from the campaign's workers.
func WithDoNotCall(f func(ctx context.Context, n number.Number) (bool, error)) CampaignOption {
	return func(c *Campaign) error {
		if f == nil {
			return errors.New("click2dial: WithDoNotCall: nil")
		}
		c.doNotCall = f
		return nil
	}
}

// WithProgress calls f after every number, from one goroutine at a time.
func WithProgress(f func(Progress)) CampaignOption {
	return func(c *Campaign) error {
		if f == nil {
			return errors.New("click2dial: WithProgress: nil")
		}
		c.progress = f
		return nil
	}
}

// WithCampaignMeta adds metadata to every dial of the campaign (for
// example "campaign": "november-arrears"), as Request.Meta.
func WithCampaignMeta(meta map[string]string) CampaignOption {
	return func(c *Campaign) error {
		c.meta = maps.Clone(meta)
		return nil
	}
}

// NewCampaign returns a Campaign dialling through d for agents (each has
// one call at a time; give both names of each endpoint).
func NewCampaign(d *Dialer, agents []callmyway.Endpoint, opts ...CampaignOption) (*Campaign, error) {
	if !d.ok() {
		return nil, ErrNoDialer
	}
	if len(agents) == 0 {
		return nil, errors.New("click2dial: NewCampaign: no agents")
	}
	for _, a := range agents {
		if a.User == "" {
			return nil, fmt.Errorf("click2dial: NewCampaign: agent %s has no username", a)
		}
	}
	c := &Campaign{dialer: d, agents: slices.Clone(agents), perMinute: 10}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("click2dial: NewCampaign: nil option")
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// CallingHours is a daily window in the contact's local time, found from
// the number's country (the first of its time zones); Fallback is used
// when none is known (default UTC). Start and End are wall-clock times of
// day, also on the days daylight saving time changes. (package policy has
// calling hours checked in every zone of the number, with the next
// allowed time, for every dial.)
//
// The zero CallingHours allows nothing (an empty window); WithCallingHours
// refuses it. It is a plain value: safe to copy, and to read from several
// goroutines concurrently.
type CallingHours struct {
	Start, End time.Duration  // since local midnight, e.g. 8*time.Hour and 20*time.Hour
	Days       []time.Weekday // allowed days; empty means every day
	Fallback   *time.Location
}

// Allows reports whether a call to n at t falls inside the window.
func (h *CallingHours) Allows(n number.Number, t time.Time) bool {
	loc := h.Fallback
	if loc == nil {
		loc = time.UTC
	}
	if p, err := phonenumbers.Parse(n.E164, ""); err == nil {
		if zones, err := phonenumbers.GetTimezonesForNumber(p); err == nil && len(zones) > 0 {
			if l, err := time.LoadLocation(zones[0]); err == nil {
				loc = l
			}
		}
	}
	local := t.In(loc)
	if len(h.Days) > 0 {
		ok := false
		for _, d := range h.Days {
			ok = ok || d == local.Weekday()
		}
		if !ok {
			return false
		}
	}
	// The wall-clock time of day, not the time since midnight: on the
	// days the clocks change they differ by an hour.
	clock := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute +
		time.Duration(local.Second())*time.Second + time.Duration(local.Nanosecond())
	return clock >= h.Start && clock < h.End
}

// Status is what happened to one number of a campaign.
//
// The zero Status is Pending. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Status int

// Statuses.
const (
	Pending Status = iota // not reached (the campaign stopped first)
	Dialled               // the click to dial was accepted
	Skipped               // not dialled: invalid, do-not-call or outside hours
	Failed                // the click to dial failed
)

// String names the status: "pending", "dialled", "skipped", "failed", or
// "Status(N)" for any other value.
func (s Status) String() string {
	switch s {
	case Pending:
		return "pending"
	case Dialled:
		return "dialled"
	case Skipped:
		return "skipped"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// NumberResult is the outcome of one number.
//
// The zero NumberResult is a Pending number with no input. It is a plain
// value: safe to copy, and to read from several goroutines concurrently.
type NumberResult struct {
	Input  string
	Number number.Number
	Agent  callmyway.Endpoint
	Status Status
	Reason string // why it was skipped or failed
	// Err is the error that skipped or failed the number, when there was
	// one: errors.As finds a contact policy's refusal in it
	// (ErrRefusedByPolicy skips a number).
	Err    error
	Result Result
}

// Target is one number of a campaign with its own metadata (the
// customer's "case" and "contact", which the contact policy counts
// attempts by), added to the campaign's (WithCampaignMeta) for its dial.
//
// The zero Target has no number (it is skipped). It is a plain value;
// copies may be read from several goroutines concurrently.
type Target struct {
	Number string
	Meta   map[string]string
}

// Progress counts a running campaign.
//
// The zero Progress counts nothing. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type Progress struct {
	Total, Dialled, Skipped, Failed int
}

// Run dials numbers and returns one NumberResult per input, in input
// order. It stops cleanly when ctx is done (numbers not reached stay
// Pending) and then returns ctx's error.
func (c *Campaign) Run(ctx context.Context, numbers []string) ([]NumberResult, error) {
	targets := make([]Target, len(numbers))
	for i, n := range numbers {
		targets[i] = Target{Number: n}
	}
	return c.RunTargets(ctx, targets)
}

// RunTargets is Run for numbers with their own metadata: each dial
// carries the campaign's metadata and its target's (the target's wins on
// a shared key).
func (c *Campaign) RunTargets(ctx context.Context, targets []Target) ([]NumberResult, error) {
	if c == nil || !c.dialer.ok() {
		return nil, errors.New("click2dial: Campaign not initialised: create it with NewCampaign")
	}
	workers := len(c.agents)
	if c.concurrency > 0 && c.concurrency < workers {
		workers = c.concurrency
	}
	pace := rate.NewLimiter(rate.Limit(float64(c.perMinute)/60), 1)
	results := make([]NumberResult, len(targets))
	for i, t := range targets {
		results[i] = NumberResult{Input: t.Number}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		mu   sync.Mutex
		prog = Progress{Total: len(targets)}
		wg   sync.WaitGroup
	)
	report := func(i int, r NumberResult) {
		mu.Lock()
		defer mu.Unlock()
		results[i] = r
		switch r.Status {
		case Dialled:
			prog.Dialled++
		case Skipped:
			prog.Skipped++
		case Failed:
			prog.Failed++
		}
		if c.progress != nil {
			c.progress(prog)
		}
	}
	for w := 0; w < workers; w++ {
		agent := c.agents[w]
		wg.Go(func() {
			for i := range jobs {
				if r, ok := c.one(ctx, pace, agent, targets[i]); ok {
					report(i, r)
				}
			}
		})
	}
feed:
	for i := range targets {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return results, ctx.Err()
}

// one handles a number; ok is false when ctx ended before it was decided.
func (c *Campaign) one(ctx context.Context, pace *rate.Limiter, agent callmyway.Endpoint, t Target) (NumberResult, bool) {
	input := t.Number
	meta := c.meta
	if len(t.Meta) > 0 {
		meta = maps.Clone(c.meta)
		if meta == nil {
			meta = map[string]string{}
		}
		maps.Copy(meta, t.Meta)
	}
	r := NumberResult{Input: input, Agent: agent}
	_, n, err := c.dialer.Normalize(Request{Agent: agent, Number: input})
	r.Number = n
	if err != nil {
		r.Status, r.Reason, r.Err = Skipped, err.Error(), err
		return r, true
	}
	if c.doNotCall != nil {
		dnc, err := c.doNotCall(ctx, n)
		if err != nil {
			if ctx.Err() != nil {
				return r, false
			}
			r.Status, r.Reason = Failed, "do-not-call check: "+err.Error()
			return r, true
		}
		if dnc {
			r.Status, r.Reason = Skipped, "on the do-not-call list"
			return r, true
		}
	}
	if c.hours != nil && !c.hours.Allows(n, c.dialer.now()) {
		r.Status, r.Reason = Skipped, "outside calling hours"
		return r, true
	}
	for {
		if err := c.dialer.WaitIdle(ctx, agent); err != nil {
			return r, false
		}
		if err := pace.Wait(ctx); err != nil {
			return r, false
		}
		res, err := c.dialer.Dial(ctx, Request{Agent: agent, Number: input, Order: c.order, CallerID: c.callerID, Meta: meta})
		switch {
		case err == nil:
			r.Status, r.Result = Dialled, res
			return r, true
		case ctx.Err() != nil:
			return r, false
		case errors.Is(err, ErrRefusedByPolicy):
			r.Status, r.Reason, r.Err = Skipped, err.Error(), err
			return r, true
		case errors.Is(err, ErrCallInProgress) && !errorIsProvider(err):
			continue // the agent took another call meanwhile: wait again
		default:
			r.Status, r.Reason, r.Err = Failed, err.Error(), err
			return r, true
		}
	}
}

func errorIsProvider(err error) bool {
	var ae *callmyway.APIError
	return errors.As(err, &ae)
}
