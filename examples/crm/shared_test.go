package main

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// heldLoad is a load that blocks until released (or its context ends),
// counting its calls; its value is its call's number, or err.
type heldLoad struct {
	loads   atomic.Int32
	started chan struct{} // one send per load
	release chan struct{} // closed: every load returns
	once    sync.Once
	err     error
}

func newHeldLoad(t *testing.T) *heldLoad {
	h := &heldLoad{started: make(chan struct{}, 100), release: make(chan struct{})}
	t.Cleanup(h.free) // a failed test leaves no goroutine behind
	return h
}

func (h *heldLoad) free() { h.once.Do(func() { close(h.release) }) }

func (h *heldLoad) load(ctx context.Context) (int, error) {
	n := h.loads.Add(1)
	h.started <- struct{}{}
	select {
	case <-h.release:
		return int(n), h.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// waitingCtx tells when get waits on it (calls Done): the caller has
// joined the load in flight.
type waitingCtx struct {
	context.Context
	once    sync.Once
	waiting chan struct{}
}

func newWaitingCtx(ctx context.Context) *waitingCtx {
	return &waitingCtx{Context: ctx, waiting: make(chan struct{})}
}

func (c *waitingCtx) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

type sharedResult struct {
	v   int
	err error
}

// goGet calls s.get on a goroutine; its result arrives on the channel.
func goGet(ctx context.Context, s *shared[int], clk *testClock, h *heldLoad) <-chan sharedResult {
	res := make(chan sharedResult, 1)
	go func() {
		v, err := s.get(ctx, clk.now, 2*time.Second, h.load)
		res <- sharedResult{v, err}
	}()
	return res
}

// within waits for ch; a watchdog, not a timing assertion: it turns a
// hang (a caller stuck behind the load) into a failure.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still blocked", what)
		panic("unreachable")
	}
}

// Callers arriving while a load is in flight wait for it, even when the
// load outlasts the ttl: one load for all, not one each in turn; the
// value is fresh for ttl from when the load finished.
func TestSharedOneLoadForCallersInFlight(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	h := newHeldLoad(t)
	var s shared[int]
	leader := goGet(context.Background(), &s, clk, h)
	within(t, h.started, "the load")
	clk.advance(3 * time.Second) // the load outlasts the 2 s ttl
	var others []<-chan sharedResult
	for range 8 {
		ctx := newWaitingCtx(context.Background())
		others = append(others, goGet(ctx, &s, clk, h))
		within(t, ctx.waiting, "a caller joining the load")
	}
	h.free()
	for i, res := range append(others, leader) {
		got := within(t, res, "a caller")
		assert.NoError(t, got.err, "caller %d", i)
		assert.Equal(t, 1, got.v, "caller %d has the one load's value", i)
	}
	assert.Equal(t, int32(1), h.loads.Load(), "one load for nine callers")

	clk.advance(time.Second) // 4 s after the load began, 1 s after it finished
	v, err := s.get(context.Background(), clk.now, 2*time.Second, h.load)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
	assert.Equal(t, int32(1), h.loads.Load(), "fresh for ttl from the load's end")
}

// A slow load's value is stamped when it finished: a caller right after
// it does not load again.
func TestSharedFreshFromTheLoadsEnd(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	var s shared[int]
	loads := 0
	slow := func(context.Context) (int, error) {
		loads++
		clk.advance(5 * time.Second)
		return loads, nil
	}
	for range 3 {
		v, err := s.get(context.Background(), clk.now, 2*time.Second, slow)
		require.NoError(t, err)
		assert.Equal(t, 1, v)
	}
	assert.Equal(t, 1, loads, "read within ttl of the load's end")
	clk.advance(2 * time.Second)
	v, err := s.get(context.Background(), clk.now, 2*time.Second, slow)
	require.NoError(t, err)
	assert.Equal(t, 2, v, "stale after ttl: loaded again")
}

// A caller whose context ends while it waits returns ctx.Err() at once;
// the others still get the load, which goes on while someone waits; a
// load no one waits for any more is cancelled, and the next caller
// starts a new one.
func TestSharedWaiterCancelled(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	h := newHeldLoad(t)
	var s shared[int]
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := goGet(ctx1, &s, clk, h) // it starts the load
	within(t, h.started, "the load")
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	w2 := newWaitingCtx(ctx2)
	waiter := goGet(w2, &s, clk, h)
	within(t, w2.waiting, "the waiter joining the load")
	w3 := newWaitingCtx(context.Background())
	last := goGet(w3, &s, clk, h)
	within(t, w3.waiting, "the last caller joining the load")

	cancel2()
	got := within(t, waiter, "the cancelled waiter")
	assert.ErrorIs(t, got.err, context.Canceled)
	cancel1()
	got = within(t, first, "the cancelled first caller")
	assert.ErrorIs(t, got.err, context.Canceled, "the caller that started the load")
	h.free()
	got = within(t, last, "the last caller")
	require.NoError(t, got.err, "the load went on for the one still waiting")
	assert.Equal(t, 1, got.v)
	assert.Equal(t, int32(1), h.loads.Load())

	// Abandoned: no one waits, the load is cancelled, nothing cached.
	h2 := newHeldLoad(t)
	var s2 shared[int]
	ctx4, cancel4 := context.WithCancel(context.Background())
	alone := goGet(ctx4, &s2, clk, h2)
	within(t, h2.started, "the load")
	cancel4()
	got = within(t, alone, "the cancelled caller")
	assert.ErrorIs(t, got.err, context.Canceled)
	next := goGet(context.Background(), &s2, clk, h2)
	within(t, h2.started, "a new load for the next caller")
	h2.free()
	got = within(t, next, "the next caller")
	require.NoError(t, got.err)
	assert.Equal(t, 2, got.v, "its own load, not the abandoned one")
}

// A failed load caches nothing: its error goes to those waiting on it,
// and the next caller loads again.
func TestSharedFailedLoadCachesNothing(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	h := newHeldLoad(t)
	h.err = errors.New("ledger down")
	var s shared[int]
	first := goGet(context.Background(), &s, clk, h)
	within(t, h.started, "the load")
	w := newWaitingCtx(context.Background())
	waiter := goGet(w, &s, clk, h)
	within(t, w.waiting, "the waiter joining the load")
	h.free()
	for _, res := range []<-chan sharedResult{first, waiter} {
		got := within(t, res, "a caller")
		assert.EqualError(t, got.err, "ledger down")
	}
	assert.Equal(t, int32(1), h.loads.Load(), "the waiter had the load's error, not a load of its own")
	_, err := s.get(context.Background(), clk.now, 2*time.Second, func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	v, err := s.get(context.Background(), clk.now, 2*time.Second, h.load)
	require.NoError(t, err)
	assert.Equal(t, 7, v, "the next caller loaded; its value is cached")
}
