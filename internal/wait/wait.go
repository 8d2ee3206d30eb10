// Package wait holds the context-aware waits our limiters and pollers
// share.
package wait

import (
	"context"
	"fmt"
	"time"
)

// Sleep waits d, or until ctx is done and then returns ctx's error.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Turn waits d for a limiter's turn. When ctx's deadline comes before the
// turn it fails at once, with an error matching context.DeadlineExceeded,
// instead of sleeping in vain.
func Turn(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && d > 0 && time.Until(dl) < d {
		return fmt.Errorf("the next query is allowed in %v, after the deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	return Sleep(ctx, d)
}
