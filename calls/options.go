package calls

import (
	"context"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"
)

// Defaults of the ledger's settings.
const (
	DefaultNeverArrivedAfter = 2 * time.Minute
	DefaultMaxLiveAge        = 4 * time.Hour
	DefaultWindowBefore      = 30 * time.Second
	DefaultWindowAfter       = 2 * time.Minute
	DefaultToleranceDuration = 2 * time.Second
	DefaultCDRWithin         = 15 * time.Minute
)

// DefaultToleranceCost is the cost difference WithTolerance allows by
// default: 0.01.
var DefaultToleranceCost = decimal.New(1, -2)

type config struct {
	now               func() time.Time
	neverArrivedAfter time.Duration
	maxLiveAge        time.Duration
	before, after     time.Duration
	tolDuration       time.Duration
	tolCost           decimal.Decimal
	cdrWithin         time.Duration
	log               *slog.Logger
	loc               *time.Location
	onChange          func(ctx context.Context, before, after Call) error
	phones            PhoneBook
}

func defaults() config {
	return config{
		now:               time.Now,
		neverArrivedAfter: DefaultNeverArrivedAfter,
		maxLiveAge:        DefaultMaxLiveAge,
		before:            DefaultWindowBefore,
		after:             DefaultWindowAfter,
		tolDuration:       DefaultToleranceDuration,
		tolCost:           DefaultToleranceCost,
		cdrWithin:         DefaultCDRWithin,
		log:               slog.New(slog.DiscardHandler),
	}
}

// Option configures a Ledger. Options validate their arguments: New
// returns the first error, an *InvalidError naming the option. A nil
// Option is refused.
//
// Options are plain functions, safe to reuse and to share between
// goroutines concurrently.
type Option func(*config) error

// WithClock sets the ledger's clock (default time.Now). NeverArrived,
// the max live age and the stamps of facts without a time read it.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return invalid("WithClock", "nil")
		}
		c.now = now
		return nil
	}
}

// WithNeverArrivedAfter sets how long after its acceptance a dial with
// no webhook and no CDR is reported as OutcomeNeverArrived (default 2
// minutes; between 1 second and 1 hour).
func WithNeverArrivedAfter(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > time.Hour {
			return invalid("WithNeverArrivedAfter", "%v is not between 1s and 1h", d)
		}
		c.neverArrivedAfter = d
		return nil
	}
}

// WithMaxLiveAge sets how long after its start a call whose end never
// came stops counting as live (default 4 hours; between 1 minute and 48
// hours, and not above the store's retention).
func WithMaxLiveAge(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute || d > 48*time.Hour {
			return invalid("WithMaxLiveAge", "%v is not between 1m and 48h", d)
		}
		c.maxLiveAge = d
		return nil
	}
}

// WithCorrelationWindow sets when a webhook or CDR call may belong to a
// dial: detected between before the dial's acceptance and after it
// (default 30 s before, 2 min after; each between 0 and 1 hour). CDR legs
// meet their webhook call within after of its detect time.
func WithCorrelationWindow(before, after time.Duration) Option {
	return func(c *config) error {
		if before < 0 || before > time.Hour {
			return invalid("WithCorrelationWindow", "before %v is not between 0 and 1h", before)
		}
		if after <= 0 || after > time.Hour {
			return invalid("WithCorrelationWindow", "after %v is not between 0 (excluded) and 1h", after)
		}
		c.before, c.after = before, after
		return nil
	}
}

// WithTolerance sets how far the webhook's duration and cost may be from
// the CDR's before the call is reported as mismatched (default 2 s and
// 0.01).
func WithTolerance(duration time.Duration, cost decimal.Decimal) Option {
	return func(c *config) error {
		if duration < 0 {
			return invalid("WithTolerance", "duration %v is negative", duration)
		}
		if cost.IsNegative() {
			return invalid("WithTolerance", "cost %s is negative", cost)
		}
		c.tolDuration, c.tolCost = duration, cost
		return nil
	}
}

// WithCDRWithin sets how long after a call ended its CDR is expected;
// Report lists a webhook call without a CDR after that (default 15
// minutes; between 1 minute and 48 hours).
func WithCDRWithin(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Minute || d > 48*time.Hour {
			return invalid("WithCDRWithin", "%v is not between 1m and 48h", d)
		}
		c.cdrWithin = d
		return nil
	}
}

// WithLogger makes the ledger log correlations and merges at debug level
// (default: silent).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("WithLogger", "nil")
		}
		c.log = l
		return nil
	}
}

// WithPhoneBook completes the phones of webhook events and CDR records
// (HandleEvent, ReconcileCDRs) with both of their names, so a call's
// webhook events and its CDR legs are known to ring the same phone.
func WithPhoneBook(p PhoneBook) Option {
	return func(c *config) error {
		if p == nil {
			return invalid("WithPhoneBook", "nil")
		}
		c.phones = p
		return nil
	}
}

// WithOnChange calls f after every write that changed a call, with the
// call as it was (the zero Call for a new one; the merged view of every
// record it absorbed) and as it is: the hook screenpop's Tracker pops
// from. It runs on the goroutine that applied the change, after the
// change is durable, once per change and only on the Ledger (replica)
// that made it; a fact applied again changes nothing and calls nothing.
// An error from f is logged: the change stays applied.
func WithOnChange(f func(ctx context.Context, before, after Call) error) Option {
	return func(c *config) error {
		if f == nil {
			return invalid("WithOnChange", "nil")
		}
		c.onChange = f
		return nil
	}
}
