package main

import (
	"context"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/casefile"
)

// callbacksTTL is how long the open callbacks computed for one console
// serve every other: each open console asks every 3 s (static/console.js)
// and the board's page on each load, so the ledger computes them once
// per callbacksTTL for all of them, not twice per console.
const callbacksTTL = 2 * time.Second

// callbackCache shares the open callbacks (every owner's) between the
// consoles and the board: one casefile.Callbacks.Open per callbacksTTL
// however many read them. Readers filter the shared list by owner; they
// must not modify it. A dismissal or a returned call invalidates it, so
// the agent who acted sees the change at once; others within
// callbacksTTL.
//
// The zero callbackCache is ready to use (it loads on first use). It is
// safe for concurrent use: one caller loads while the others wait for its
// result.
type callbackCache struct {
	mu   sync.Mutex
	at   time.Time // when open was loaded; zero: nothing loaded
	open []casefile.Callback
}

// get returns the cached callbacks, loading them with load when none
// were loaded within callbacksTTL of now. A failed load caches nothing.
func (c *callbackCache) get(ctx context.Context, now time.Time, load func(context.Context) ([]casefile.Callback, error)) ([]casefile.Callback, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && now.Sub(c.at) < callbacksTTL && !now.Before(c.at) {
		return c.open, nil
	}
	open, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.open, c.at = open, now
	return open, nil
}

// invalidate makes the next get load again.
func (c *callbackCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open, c.at = nil, time.Time{}
}

// openCallbacks are every open callback, from the shared cache, with
// Overdue as of now.
func (a *App) openCallbacks(ctx context.Context) ([]casefile.Callback, error) {
	now := time.Now()
	all, err := a.cbCache.get(ctx, now, func(ctx context.Context) ([]casefile.Callback, error) {
		return a.callbacks.Open(ctx, casefile.CallbackQuery{})
	})
	if err != nil {
		return nil, err
	}
	out := make([]casefile.Callback, len(all))
	for i, cb := range all {
		cb.Overdue = !now.Before(cb.Due)
		out[i] = cb
	}
	return out, nil
}
