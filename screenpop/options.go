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
	bufSize     int
	queueSize   int
	heartbeat   time.Duration
	maxPerAgent int
	maxStreams  int
}

// Defaults of the options.
const (
	DefaultMaxCallAge   = 4 * time.Hour
	DefaultReplayBuffer = 256
	DefaultQueueSize    = 64
	DefaultHeartbeat    = 15 * time.Second

	// DefaultMaxStreamsPerAgent is how many SSE streams one agent may hold
	// open in a Hub (WithMaxStreamsPerAgent): generous for an agent with a
	// few tabs and screens, small enough that a script reloading a page in
	// a loop holds at most that many.
	DefaultMaxStreamsPerAgent = 16
	// DefaultMaxStreams is how many SSE streams a Hub holds open across
	// all agents (WithMaxStreams): about 16 streams for each of 600
	// agents. Each open stream holds a goroutine, its connection's buffers
	// and a queue of WithQueueSize messages (tens of KiB in all).
	DefaultMaxStreams = 10_000
)

// ErrInvalidOption is matched (errors.Is) by the error of an option given
// an invalid argument.
var ErrInvalidOption = errors.New("screenpop: invalid option")

func newOptions(target string, opts []Option) (options, error) {
	o := options{target: target, logger: slog.New(slog.DiscardHandler), now: time.Now,
		maxAge:  DefaultMaxCallAge,
		bufSize: DefaultReplayBuffer, queueSize: DefaultQueueSize, heartbeat: DefaultHeartbeat,
		maxPerAgent: DefaultMaxStreamsPerAgent, maxStreams: DefaultMaxStreams}
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
			return fmt.Errorf("%w: WithLogger: nil logger", ErrInvalidOption)
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
			return fmt.Errorf("%w: WithMaxCallAge(%v): must be positive", ErrInvalidOption, d)
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
			return fmt.Errorf("%w: OnUnrouted: nil func", ErrInvalidOption)
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
			return fmt.Errorf("%w: WithClock: nil func", ErrInvalidOption)
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
			return fmt.Errorf("%w: WithReplayBuffer(%d): between 1 and 65536", ErrInvalidOption, n)
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
			return fmt.Errorf("%w: WithQueueSize(%d): between 1 and 65536", ErrInvalidOption, n)
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
			return fmt.Errorf("%w: WithHeartbeat(%v): must be positive", ErrInvalidOption, d)
		}
		o.heartbeat = d
		return nil
	}
}

// WithMaxStreamsPerAgent caps how many streams (subscriptions) one agent
// holds open in a Hub, 1 to 1,024 (default DefaultMaxStreamsPerAgent,
// 16). A subscription beyond the cap ends the agent's OLDEST one instead
// of being refused: a reload must always work, and the stream of a tab
// that was closed or reloaded may look alive to the server for a while
// (until a heartbeat write fails), so refusing the new stream would leave
// the agent's only live tab without pops. The ended stream's browser, if
// it is still open, gets an "superseded" event and reconnects with its
// Last-Event-ID and replays what it missed from the agent's buffer, so no
// pop is lost for any tab; with more live tabs than the cap they take
// turns (each reconnect ends the then-oldest), which is why the default
// is generous.
//
// An out-of-range n gives an error matching ErrInvalidOption.
func WithMaxStreamsPerAgent(n int) Option {
	return func(o *options) error {
		if err := o.only("Hub", "WithMaxStreamsPerAgent"); err != nil {
			return err
		}
		if n < 1 || n > 1<<10 {
			return fmt.Errorf("%w: WithMaxStreamsPerAgent(%d): between 1 and 1024", ErrInvalidOption, n)
		}
		o.maxPerAgent = n
		return nil
	}
}

// WithMaxStreams caps how many streams a Hub holds open across all agents,
// 1 to 1,000,000 (default DefaultMaxStreams, 10,000). At the cap, a new
// stream of an agent who already has one ends that agent's oldest (a
// reload still works, see WithMaxStreamsPerAgent); a first stream is
// refused: Subscribe returns ErrTooManyStreams, and Handler answers it as
// an SSE stream that only asks the browser to retry in 10 s (an
// EventSource never retries after an error status), so a browser waits
// for a free place rather than giving up.
//
// An out-of-range n gives an error matching ErrInvalidOption.
func WithMaxStreams(n int) Option {
	return func(o *options) error {
		if err := o.only("Hub", "WithMaxStreams"); err != nil {
			return err
		}
		if n < 1 || n > 1_000_000 {
			return fmt.Errorf("%w: WithMaxStreams(%d): between 1 and 1000000", ErrInvalidOption, n)
		}
		o.maxStreams = n
		return nil
	}
}
