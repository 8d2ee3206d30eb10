package cmwtest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
)

// This file holds the fault knobs the homologation scenarios turn (see
// package cmwtest/homologation): each is an Option for a fake started for
// one test, and a Server method to turn it at run time.

// WithDeliveryCopies makes the fake deliver every webhook event n times
// (n from 1 to 10; 1 is the default): CallMyWay may re-deliver.
func WithDeliveryCopies(n int) Option {
	return func(s *Server) error {
		if n < 1 || n > 10 {
			return fmt.Errorf("cmwtest: WithDeliveryCopies(%d): want 1 to 10", n)
		}
		s.hooks.mode.Duplicates = n - 1
		return nil
	}
}

// WithReversedEvents makes the fake hold each callStart back and deliver
// it after its callEnd.
func WithReversedEvents() Option {
	return func(s *Server) error { s.hooks.mode.EndBeforeStart = true; return nil }
}

// WithRedeliveryAfter makes the fake deliver every event once more d after
// its first delivery, on the fake's clock (d from 1 s to 48 h): with a
// JumpClock, Advance moves a test an hour ahead without waiting an hour.
func WithRedeliveryAfter(d time.Duration) Option {
	return func(s *Server) error {
		if d < time.Second || d > 48*time.Hour {
			return fmt.Errorf("cmwtest: WithRedeliveryAfter(%v): want 1s to 48h", d)
		}
		s.hooks.mode.RedeliverAfter = d
		return nil
	}
}

// WithWebhookOutage makes every webhook event the fake would deliver in
// [from, to) (on its clock) lost: never delivered, never retried, as when
// the CRM's endpoint was down and CallMyWay did not retry. The calls of
// the outage exist only in the CDRs. Server.WebhookOutage starts one at
// run time.
func WithWebhookOutage(from, to time.Time) Option {
	return func(s *Server) error {
		if !from.Before(to) {
			return fmt.Errorf("cmwtest: WithWebhookOutage(%v, %v): from is not before to", from, to)
		}
		s.hooks.outages = append(s.hooks.outages, [2]time.Time{from, to})
		return nil
	}
}

// WebhookOutage starts a webhook outage of d from now on the fake's clock
// (see WithWebhookOutage) and returns when it ends.
func (s *Server) WebhookOutage(d time.Duration) time.Time {
	now := s.clock.Now()
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.outages = append(s.hooks.outages, [2]time.Time{now, now.Add(d)})
	return now.Add(d)
}

// WithCDRDelay makes each CDR appear in getCdrs answers only d after its
// call ended, on the fake's clock (d from 0 to 48 h): a CDR that arrives
// late. Server.SetCDRDelay changes it at run time.
func WithCDRDelay(d time.Duration) Option {
	return func(s *Server) error {
		if d < 0 || d > 48*time.Hour {
			return fmt.Errorf("cmwtest: WithCDRDelay(%v): want 0 to 48h", d)
		}
		s.cdrDelay = d
		return nil
	}
}

// SetCDRDelay changes the delay of WithCDRDelay (a negative d is taken as
// 0).
func (s *Server) SetCDRDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdrDelay = max(d, 0)
}

// ErrNoCDR means ReviseCDR was given a callid the fake has no record of.
var ErrNoCDR = errors.New("cmwtest: no CDR with this callid")

// ReviseCDR changes the cost of the record callid, as when CallMyWay
// re-rates a call after the CRM first read it. The record shows again
// from now on (its revision counts from now for WithCDRDelay). A cost
// that is not a decimal, or an unknown callid (ErrNoCDR), is an error.
func (s *Server) ReviseCDR(callid, cost string) error {
	c, err := decimal.NewFromString(cost)
	if err != nil {
		return fmt.Errorf("cmwtest: ReviseCDR(%s): cost %q: %w", callid, cost, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.cdrs.recs {
		if s.cdrs.recs[i].CallID == callid {
			s.cdrs.recs[i].Cost = c.StringFixed(4)
			if s.revised == nil {
				s.revised = map[string]time.Time{}
			}
			s.revised[callid] = s.clock.Now()
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrNoCDR, callid)
}

// visible drops the records still held back by WithCDRDelay. s.mu held.
func (s *Server) visible(recs []CDR) []CDR {
	if s.cdrDelay <= 0 {
		return recs
	}
	now := s.clock.Now()
	out := make([]CDR, 0, len(recs))
	for _, r := range recs {
		at := r.DisconnectTime
		if t, ok := s.revised[r.CallID]; ok && t.After(at) {
			at = t
		}
		if !now.Before(at.Add(s.cdrDelay)) {
			out = append(out, r)
		}
	}
	return out
}

// WithQueryFaults makes the next getCdrs queries fail with faults, in
// order, one fault per query: bursts of 429 (FaultRateLimited) and 5xx
// (Fault5xx, its Status such as 503). Unlike FailNext they touch only CDR queries, and a failed
// query still counts for the 4-second rule (Violations), as at the real
// provider. Server.FailQueries adds faults at run time.
func WithQueryFaults(faults ...Fault) Option {
	return func(s *Server) error {
		for _, f := range faults {
			if f.Kind == FaultNone {
				return errors.New("cmwtest: WithQueryFaults: FaultNone is no fault")
			}
			if f.Kind == Fault5xx && f.Status != 0 && (f.Status < 500 || f.Status > 599) {
				return fmt.Errorf("cmwtest: WithQueryFaults: Fault5xx with status %d, want 500 to 599", f.Status)
			}
		}
		s.queryFaults = append(s.queryFaults, faults...)
		return nil
	}
}

// FailQueries makes the next n getCdrs queries fail with f (see
// WithQueryFaults).
func (s *Server) FailQueries(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queryFaults = append(s.queryFaults, f)
	}
}

// WithClockSkew runs the fake's clock d ahead of the clock it was given
// (negative: behind; within 24 h), as a provider whose clock is off:
// every time it writes in webhooks and CDRs is off by d. It combines with
// WithClock in any order. Server.SetClockSkew changes it at run time.
func WithClockSkew(d time.Duration) Option {
	return func(s *Server) error {
		if err := checkSkew(d); err != nil {
			return fmt.Errorf("cmwtest: WithClockSkew(%v): %w", d, err)
		}
		s.skew.Store(int64(d))
		return nil
	}
}

// ErrSkew means a clock skew of more than 24 hours was asked for.
var ErrSkew = errors.New("want a skew within 24h")

func checkSkew(d time.Duration) error {
	if d < -24*time.Hour || d > 24*time.Hour {
		return ErrSkew
	}
	return nil
}

// SetClockSkew sets how far the fake's clock runs ahead of the clock it
// was given (see WithClockSkew), from now on: the provider's clock jumps
// by the change, and timers already set keep their remaining durations.
// A skew beyond 24 h either way is refused with ErrSkew.
func (s *Server) SetClockSkew(d time.Duration) error {
	if err := checkSkew(d); err != nil {
		return fmt.Errorf("cmwtest: SetClockSkew(%v): %w", d, err)
	}
	s.skew.Store(int64(d))
	return nil
}

// ClockSkew returns how far the fake's clock runs ahead of the clock it
// was given (WithClockSkew, SetClockSkew).
func (s *Server) ClockSkew() time.Duration { return time.Duration(s.skew.Load()) }

// skewed is the fake's clock: the clock it was given plus the skew.
type skewed struct {
	Clock
	d *atomic.Int64
}

func (c skewed) Now() time.Time { return c.Clock.Now().Add(time.Duration(c.d.Load())) }

// JumpClock is a Clock that runs with real time plus an offset that
// Advance moves forward: timers whose time is passed by a jump fire at
// once. It gives a test "an hour later" without waiting an hour, while
// the fake's short simulated calls still run in real time.
//
// The zero JumpClock is usable (no offset). A JumpClock is safe for
// concurrent use; do not copy one after first use.
type JumpClock struct {
	mu     sync.Mutex
	offset time.Duration
	timers map[int]*jumpTimer
	seq    int
}

type jumpTimer struct {
	at time.Time
	t  *time.Timer
	f  func()
}

// Now returns the real time plus the offset.
func (c *JumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// AfterFunc implements Clock: f runs after d of real time, or at once
// when Advance passes its time.
func (c *JumpClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timers == nil {
		c.timers = map[int]*jumpTimer{}
	}
	c.seq++
	id := c.seq
	jt := &jumpTimer{at: time.Now().Add(c.offset + d), f: f}
	jt.t = time.AfterFunc(d, func() { c.fire(id) })
	c.timers[id] = jt
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.timers[id]; !ok {
			return false
		}
		delete(c.timers, id)
		return jt.t.Stop()
	}
}

// fire runs timer id once.
func (c *JumpClock) fire(id int) {
	c.mu.Lock()
	jt, ok := c.timers[id]
	delete(c.timers, id)
	c.mu.Unlock()
	if ok {
		jt.f()
	}
}

// Advance moves the clock d ahead (d <= 0 does nothing) and fires, in
// time order, every timer the jump passed.
func (c *JumpClock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.offset += d
	now := time.Now().Add(c.offset)
	type due struct {
		id int
		at time.Time
	}
	var list []due
	for id, jt := range c.timers {
		if !jt.at.After(now) {
			jt.t.Stop()
			list = append(list, due{id, jt.at})
		}
	}
	c.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].at.Before(list[j].at) })
	for _, d := range list {
		c.fire(d.id)
	}
}

// Offset returns how far Advance has moved the clock ahead of real time.
func (c *JumpClock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}
