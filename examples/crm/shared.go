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

// boardTTL is how long a board computed for one reader serves the others
// (per language): open boards ask every boardRefresh (3 s), so the
// ledger is read once per boardTTL for all of them.
const boardTTL = 2 * time.Second

// shared is a value computed once per ttl for every reader. Readers must
// not modify it. The zero shared is ready to use (it loads on first use).
// It is safe for concurrent use: one caller loads while the others wait
// for its result; a failed load caches nothing (the next caller loads).
type shared[T any] struct {
	mu sync.Mutex
	at time.Time // when v was loaded; zero: nothing loaded
	v  T
}

// get returns the value loaded within ttl before now (a clock that went
// back loads again), else loads it with load.
func (s *shared[T]) get(ctx context.Context, now time.Time, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.at.IsZero() && !now.Before(s.at) && now.Sub(s.at) < ttl {
		return s.v, nil
	}
	v, err := load(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	s.v, s.at = v, now
	return v, nil
}

// invalidate makes the next get load again.
func (s *shared[T]) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	s.v, s.at = zero, time.Time{}
}

// caches are the values the CRM's polled pages share between readers:
// the open callbacks (consoles, the board) and the board per language.
// NewApp (wirePolicy) creates them; safe for concurrent use.
type caches struct {
	callbacks shared[[]casefile.Callback]
	mu        sync.Mutex
	boards    map[string]*shared[Board] // by language
}

// board is the shared board of language l.
func (c *caches) board(l string) *shared[Board] {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.boards == nil {
		c.boards = map[string]*shared[Board]{}
	}
	s := c.boards[l]
	if s == nil {
		s = &shared[Board]{}
		c.boards[l] = s
	}
	return s
}

// openCallbacks are every open callback, from the shared cache (one
// casefile.Callbacks.Open per callbacksTTL), with Overdue as of now. The
// slice is the caller's; the callbacks' Missed slices are shared (read
// only).
func (a *App) openCallbacks(ctx context.Context) ([]casefile.Callback, error) {
	now := time.Now()
	all, err := a.cache.callbacks.get(ctx, now, callbacksTTL, func(ctx context.Context) ([]casefile.Callback, error) {
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

// sharedBoard is the board in language l, computed at most once per
// boardTTL for every reader (read only: it is shared).
func (a *App) sharedBoard(ctx context.Context, l string) (Board, error) {
	return a.cache.board(l).get(ctx, a.clock(), boardTTL, func(ctx context.Context) (Board, error) {
		return a.Board(ctx, l)
	})
}
