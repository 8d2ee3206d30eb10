package click2dial

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/time/rate"

	"github.com/callmyway-go/sdk/callmyway"
)

// Campaign dials a list of numbers (a BLAST campaign, see
// docs/provider.md, Click to dial) through a
// Dialer: paced, at most one call per agent at a time, skipping numbers
// that are invalid, on a do-not-call list or outside calling hours.
// Coordinate BLAST campaigns with CallMyWay before running them.
type Campaign struct {
	Dialer      *Dialer
	Agents      []string      // agents taking the calls; each has one call at a time
	PerMinute   int           // pace across the campaign, dials per minute (> 0)
	Concurrency int           // agents dialling at once (default: all of them)
	Order       Order         // AgentFirst (default) or ContactFirst
	CallerID    string        // optional caller-ID endpoint (see Request.CallerID)
	Hours       *CallingHours // optional calling-hours window in the contact's zone
	// DoNotCall, if set, is asked about every number; true skips it.
	DoNotCall func(ctx context.Context, n callmyway.Number) (bool, error)
	// Progress, if set, is called after every number (from one goroutine
	// at a time).
	Progress func(Progress)
}

// CallingHours is a daily window in the contact's local time, found from
// the number's country (the first of its time zones); Fallback is used
// when none is known (default UTC).
type CallingHours struct {
	Start, End time.Duration  // since local midnight, e.g. 8*time.Hour and 20*time.Hour
	Days       []time.Weekday // allowed days; empty means every day
	Fallback   *time.Location
}

// Allows reports whether a call to n at t falls inside the window.
func (h *CallingHours) Allows(n callmyway.Number, t time.Time) bool {
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
	y, m, d := local.Date()
	since := local.Sub(time.Date(y, m, d, 0, 0, 0, 0, loc))
	return since >= h.Start && since < h.End
}

// Status is what happened to one number of a campaign.
type Status int

// Statuses.
const (
	Pending Status = iota // not reached (the campaign stopped first)
	Dialled               // the click to dial was accepted
	Skipped               // not dialled: invalid, do-not-call or outside hours
	Failed                // the click to dial failed
)

// String names the status.
func (s Status) String() string {
	return [...]string{"pending", "dialled", "skipped", "failed"}[s]
}

// NumberResult is the outcome of one number.
type NumberResult struct {
	Input  string
	Number callmyway.Number
	Agent  string
	Status Status
	Reason string // why it was skipped or failed
	Result Result
}

// Progress counts a running campaign.
type Progress struct {
	Total, Dialled, Skipped, Failed int
}

// Run dials numbers and returns one NumberResult per input, in input
// order. It stops cleanly when ctx is done (numbers not reached stay
// Pending) and then returns ctx's error.
func (c *Campaign) Run(ctx context.Context, numbers []string) ([]NumberResult, error) {
	if c.Dialer == nil {
		return nil, errors.New("click2dial: Campaign: nil Dialer")
	}
	if len(c.Agents) == 0 {
		return nil, errors.New("click2dial: Campaign: no agents")
	}
	if c.PerMinute <= 0 {
		return nil, fmt.Errorf("click2dial: Campaign: PerMinute %d must be positive", c.PerMinute)
	}
	workers := len(c.Agents)
	if c.Concurrency > 0 && c.Concurrency < workers {
		workers = c.Concurrency
	}
	pace := rate.NewLimiter(rate.Limit(float64(c.PerMinute)/60), 1)
	results := make([]NumberResult, len(numbers))
	for i, n := range numbers {
		results[i] = NumberResult{Input: n}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		mu   sync.Mutex
		prog = Progress{Total: len(numbers)}
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
		if c.Progress != nil {
			c.Progress(prog)
		}
	}
	for w := 0; w < workers; w++ {
		agent := c.Agents[w]
		wg.Go(func() {
			for i := range jobs {
				if r, ok := c.one(ctx, pace, agent, numbers[i]); ok {
					report(i, r)
				}
			}
		})
	}
feed:
	for i := range numbers {
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
func (c *Campaign) one(ctx context.Context, pace *rate.Limiter, agent, input string) (NumberResult, bool) {
	r := NumberResult{Input: input, Agent: agent}
	_, n, err := c.Dialer.Normalize(Request{Agent: agent, Contact: input})
	r.Number = n
	if err != nil {
		r.Status, r.Reason = Skipped, err.Error()
		return r, true
	}
	if c.DoNotCall != nil {
		dnc, err := c.DoNotCall(ctx, n)
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
	if c.Hours != nil && !c.Hours.Allows(n, c.Dialer.now()) {
		r.Status, r.Reason = Skipped, "outside calling hours"
		return r, true
	}
	for {
		if err := c.Dialer.WaitIdle(ctx, agent); err != nil {
			return r, false
		}
		if err := pace.Wait(ctx); err != nil {
			return r, false
		}
		res, err := c.Dialer.Dial(ctx, Request{Agent: agent, Contact: input, Order: c.Order, CallerID: c.CallerID})
		switch {
		case err == nil:
			r.Status, r.Result = Dialled, res
			return r, true
		case ctx.Err() != nil:
			return r, false
		case errors.Is(err, ErrCallInProgress) && !errorIsProvider(err):
			continue // the agent took another call meanwhile: wait again
		default:
			r.Status, r.Reason = Failed, err.Error()
			return r, true
		}
	}
}

func errorIsProvider(err error) bool {
	var ae *callmyway.APIError
	return errors.As(err, &ae)
}
