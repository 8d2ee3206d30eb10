package screenpop

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/callmyway-go/sdk/webhook"
)

// Option configures a Tracker or a Hub. Options validate their
// arguments; an option given to the type it does not configure (say
// WithReplayBuffer to NewTracker) is an error naming both.
//
// A nil Option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type Option func(*options) error

// options holds the settings of both types; target says which is being
// built.
type options struct {
	target string // "Tracker" or "Hub"

	logger *slog.Logger

	// Tracker
	now        func() time.Time
	maxAge     time.Duration
	keepEnd    time.Duration
	expectOK   time.Duration
	onUnrouted func(webhook.Event)

	// Hub
	bufSize   int
	queueSize int
	heartbeat time.Duration
}

// Defaults of the options.
const (
	DefaultMaxCallAge     = 4 * time.Hour
	DefaultEndedMemory    = 15 * time.Minute
	DefaultOutboundWindow = 2 * time.Minute
	DefaultReplayBuffer   = 256
	DefaultQueueSize      = 64
	DefaultHeartbeat      = 15 * time.Second
)

func newOptions(target string, opts []Option) (options, error) {
	o := options{target: target, logger: slog.New(slog.DiscardHandler), now: time.Now,
		maxAge: DefaultMaxCallAge, keepEnd: DefaultEndedMemory, expectOK: DefaultOutboundWindow,
		bufSize: DefaultReplayBuffer, queueSize: DefaultQueueSize, heartbeat: DefaultHeartbeat}
	for _, opt := range opts {
		if opt == nil {
			return o, fmt.Errorf("screenpop: New%s: nil option", target)
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

// only returns an error when the option named name is given to another
// type than target.
func (o *options) only(target, name string) error {
	if o.target != target {
		return fmt.Errorf("screenpop: %s configures a %s, not a %s", name, target, o.target)
	}
	return nil
}

// WithLogger sets the logger of a Tracker or a Hub (silent by default).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("screenpop: WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithMaxCallAge makes a Tracker forget a live call whose callEnd never
// came after d (default DefaultMaxCallAge, 4 h), so a lost callEnd cannot
// hold an agent busy for ever.
func WithMaxCallAge(d time.Duration) Option {
	return func(o *options) error {
		if err := o.only("Tracker", "WithMaxCallAge"); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("screenpop: WithMaxCallAge(%v): must be positive", d)
		}
		o.maxAge = d
		return nil
	}
}

// WithEndedMemory sets how long a Tracker remembers an ended call
// (default DefaultEndedMemory, 15 min): within it, a re-delivered
// callStart of that call neither pops again nor makes the agent busy. It
// bounds the Tracker's memory; the calls ledger (package calls) keeps
// ended calls for good.
func WithEndedMemory(d time.Duration) Option {
	return func(o *options) error {
		if err := o.only("Tracker", "WithEndedMemory"); err != nil {
			return err
		}
		if d < time.Minute {
			return fmt.Errorf("screenpop: WithEndedMemory(%v): at least 1m", d)
		}
		o.keepEnd = d
		return nil
	}
}

// WithOutboundWindow sets how long after ExpectOutbound a Tracker matches
// the agent's outbound call to the dialled contact (default
// DefaultOutboundWindow, 2 min).
func WithOutboundWindow(d time.Duration) Option {
	return func(o *options) error {
		if err := o.only("Tracker", "WithOutboundWindow"); err != nil {
			return err
		}
		if d <= 0 || d > time.Hour {
			return fmt.Errorf("screenpop: WithOutboundWindow(%v): between 0 and 1h", d)
		}
		o.expectOK = d
		return nil
	}
}

// OnUnrouted makes a Tracker call f for an event whose endpoint is not
// mapped to any agent (it is also logged at Warn): such events are never
// silently dropped. f runs on the webhook delivery's goroutine.
func OnUnrouted(f func(webhook.Event)) Option {
	return func(o *options) error {
		if err := o.only("Tracker", "OnUnrouted"); err != nil {
			return err
		}
		if f == nil {
			return errors.New("screenpop: OnUnrouted: nil func")
		}
		o.onUnrouted = f
		return nil
	}
}

// WithClock sets a Tracker's clock (for tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if err := o.only("Tracker", "WithClock"); err != nil {
			return err
		}
		if now == nil {
			return errors.New("screenpop: WithClock: nil func")
		}
		o.now = now
		return nil
	}
}

// WithReplayBuffer sets how many recent messages a Hub keeps per agent for
// replay after a reconnect (default DefaultReplayBuffer).
func WithReplayBuffer(n int) Option {
	return func(o *options) error {
		if err := o.only("Hub", "WithReplayBuffer"); err != nil {
			return err
		}
		if n < 1 || n > 1<<16 {
			return fmt.Errorf("screenpop: WithReplayBuffer(%d): between 1 and 65536", n)
		}
		o.bufSize = n
		return nil
	}
}

// WithQueueSize sets each Hub subscription's queue (default
// DefaultQueueSize).
func WithQueueSize(n int) Option {
	return func(o *options) error {
		if err := o.only("Hub", "WithQueueSize"); err != nil {
			return err
		}
		if n < 1 || n > 1<<16 {
			return fmt.Errorf("screenpop: WithQueueSize(%d): between 1 and 65536", n)
		}
		o.queueSize = n
		return nil
	}
}

// WithHeartbeat sets a Hub's SSE keep-alive interval (default
// DefaultHeartbeat).
func WithHeartbeat(d time.Duration) Option {
	return func(o *options) error {
		if err := o.only("Hub", "WithHeartbeat"); err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("screenpop: WithHeartbeat(%v): must be positive", d)
		}
		o.heartbeat = d
		return nil
	}
}
