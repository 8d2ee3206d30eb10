package screenpop

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/callmyway-go/sdk/calls"
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
	onUnrouted func(calls.Call)

	// Hub
	bufSize   int
	queueSize int
	heartbeat time.Duration
}

// Defaults of the options.
const (
	DefaultMaxCallAge   = 4 * time.Hour
	DefaultReplayBuffer = 256
	DefaultQueueSize    = 64
	DefaultHeartbeat    = 15 * time.Second
)

func newOptions(target string, opts []Option) (options, error) {
	o := options{target: target, logger: slog.New(slog.DiscardHandler), now: time.Now,
		maxAge:  DefaultMaxCallAge,
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

// WithMaxCallAge makes a Tracker publish nothing for changes of calls that
// started more than d ago (default DefaultMaxCallAge, 4 h): an old event
// delivered again is history, not a pop. Whether a call is live is the
// ledger's to say (calls.WithMaxLiveAge).
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

// OnUnrouted makes a Tracker call f for a call whose phone is not mapped
// to any agent (it is also logged at Warn): such calls are never silently
// dropped. f runs on the goroutine of the change (OnChange).
func OnUnrouted(f func(calls.Call)) Option {
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
