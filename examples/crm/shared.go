package main

import (
	"context"
	"fmt"
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
// It is safe for concurrent use, with singleflight semantics: a caller
// that finds no fresh value starts one load, and every caller arriving
// while it runs waits for that load's result (or for its own context).
// The value is fresh for ttl from when its load finished. A failed load
// caches nothing; its error goes to the callers that waited on it.
type shared[T any] struct {
	mu     sync.Mutex
	at     time.Time // when v's load finished; zero: nothing loaded
	v      T
	flight *flight[T] // the load in flight, if any
}

// flight is one load of a shared and the callers waiting on it.
type flight[T any] struct {
	done    chan struct{} // closed when v and err are set
	v       T
	err     error
	waiters int                // callers waiting on done; guarded by shared.mu
	cancel  context.CancelFunc // cancels the load (once no one waits on it)
}

// get returns the value whose load finished within ttl before clock()
// (a clock that went back loads again), else the result of the load in
// flight, else starts one with load. The load runs on its own goroutine
// with ctx's values but not its cancellation: a caller whose ctx ends
// returns ctx.Err() at once while the others keep waiting; the load is
// cancelled when its last caller has gone (and a new caller starts a
// new one).
func (s *shared[T]) get(ctx context.Context, clock func() time.Time, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	s.mu.Lock()
	if now := clock(); !s.at.IsZero() && !now.Before(s.at) && now.Sub(s.at) < ttl {
		v := s.v
		s.mu.Unlock()
		return v, nil
	}
	f := s.flight
	if f == nil {
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[T]{done: make(chan struct{}), cancel: cancel}
		s.flight = f
		go s.run(lctx, f, clock, load)
	}
	f.waiters++
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.v, f.err
	case <-ctx.Done():
		s.mu.Lock()
		if f.waiters--; f.waiters == 0 {
			f.cancel()
			if s.flight == f {
				s.flight = nil // abandoned: the next caller loads afresh
			}
		}
		s.mu.Unlock()
		var zero T
		return zero, ctx.Err()
	}
}

// run loads f and hands its result to f's waiters; the value is cached,
// stamped with the clock when the load finished, if it succeeded and
// f is still s's flight (not abandoned nor invalidated meanwhile).
func (s *shared[T]) run(ctx context.Context, f *flight[T], clock func() time.Time, load func(context.Context) (T, error)) {
	defer close(f.done)
	defer f.cancel()
	v, err := func() (v T, err error) {
		defer func() {
			if p := recover(); p != nil { // not to crash the server: net/http recovers handlers, not this goroutine
				err = fmt.Errorf("crm: shared load panicked: %v", p)
			}
		}()
		return load(ctx)
	}()
	s.mu.Lock()
	defer s.mu.Unlock()
	f.v, f.err = v, err
	if s.flight != f {
		return
	}
	s.flight = nil
	if err == nil {
		s.v, s.at = v, clock()
	}
}

// invalidate makes the next get load again: the value is dropped, and a
// load in flight (begun before the change) is not cached; its waiters
// still get its result.
func (s *shared[T]) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	s.v, s.at, s.flight = zero, time.Time{}, nil
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
	all, err := a.cache.callbacks.get(ctx, time.Now, callbacksTTL, func(ctx context.Context) ([]casefile.Callback, error) {
		return a.callbacks.Open(ctx, casefile.CallbackQuery{})
	})
	if err != nil {
		return nil, err
	}
	now := time.Now()
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
	return a.cache.board(l).get(ctx, a.clock, boardTTL, func(ctx context.Context) (Board, error) {
		return a.Board(ctx, l)
	})
}
