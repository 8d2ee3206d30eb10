package callmyway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// QueryInterval is the provider's rule: at most one CDR or live-call query
// every 4 seconds per account. Faster queries are delayed by CallMyWay and
// the delays accumulate, so the SDK never sends them.
const QueryInterval = 4 * time.Second

// DefaultQueryMargin is added to QueryInterval by the default limiter, to
// absorb clock and network jitter between this machine and the provider.
const DefaultQueryMargin = 250 * time.Millisecond

// Limiter paces CDR and live-call queries. Wait blocks until one query may
// be sent or ctx is done. *rate.Limiter from golang.org/x/time/rate
// satisfies it.
//
// A nil Limiter is refused by WithQueryLimiter. Implementations must be
// safe for concurrent use: every Client of the account calls Wait.
type Limiter interface {
	Wait(ctx context.Context) error
}

// NewQueryLimiter returns the limiter the SDK uses by default: one query
// every QueryInterval+margin, burst 1.
func NewQueryLimiter(margin time.Duration) *rate.Limiter {
	return rate.NewLimiter(rate.Every(QueryInterval+margin), 1)
}

// account is the state shared by every Client of one account in this
// process: the provider counts queries per account, not per Client.
type account struct {
	limiter  Limiter
	inflight chan struct{} // one query in flight per account
}

var (
	accountsMu sync.Mutex
	accounts   = map[string]*account{}
)

// sharedAccount returns the process-wide state for key, creating it with a
// default limiter on first use.
func sharedAccount(key string, margin time.Duration) *account {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	a, ok := accounts[key]
	if !ok {
		a = &account{limiter: NewQueryLimiter(margin), inflight: make(chan struct{}, 1)}
		accounts[key] = a
	}
	return a
}

// acquire waits for the account's single query slot and then for the
// limiter. The returned release must be called when the query is over.
func (a *account) acquire(ctx context.Context) (release func(), err error) {
	select {
	case a.inflight <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() { <-a.inflight }, nil
}

// wait waits on the limiter and makes a deadline failure match
// context.DeadlineExceeded (rate.Limiter reports an early "would exceed
// context deadline" error that does not).
func (a *account) wait(ctx context.Context) error {
	err := a.limiter.Wait(ctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &limiterError{err: err}
		}
		return &limiterError{err: ctx.Err(), detail: err}
	}
	if _, ok := ctx.Deadline(); ok {
		return &limiterError{err: context.DeadlineExceeded, detail: err}
	}
	return &limiterError{err: err}
}

// limiterError is a failure to get a query slot before the caller's
// deadline. It matches context.DeadlineExceeded or context.Canceled.
type limiterError struct {
	err    error
	detail error
}

func (e *limiterError) Error() string {
	if e.detail != nil {
		return fmt.Sprintf("waiting for the 4-second query limiter: %v (%v)", e.err, e.detail)
	}
	return fmt.Sprintf("waiting for the 4-second query limiter: %v", e.err)
}

func (e *limiterError) Unwrap() error { return e.err }
