package webhook

import (
	"context"
	"sync"
	"time"
)

// Deduper remembers which events were processed, so a repeated delivery is
// acked without reaching the listeners again. CallMyWay sends no event id:
// the key is (callid, action). Implementations shared by several CRM
// instances (a database table) make a duplicate landing on another
// instance recognisable too.
//
// A nil Deduper is refused by WithDeduper. Implementations must be safe for
// concurrent use: the handler calls them from concurrent deliveries.
type Deduper interface {
	// Acquire claims key for processing. done is true when key was already
	// processed within the window: the caller acks without processing. If
	// another delivery of key is being processed, Acquire waits for it and
	// then reports done (it succeeded) or claims key (it failed).
	Acquire(ctx context.Context, key string) (done bool, err error)
	// Release ends a claim. With success the key is remembered for the
	// window; without, it is freed so a retry is processed.
	Release(ctx context.Context, key string, success bool) error
}

// MemoryDeduper is a Deduper in process memory, bounded by a window and a
// maximum number of keys (the oldest are forgotten first). It is safe for
// concurrent use. The zero MemoryDeduper is usable: it remembers keys for
// DefaultDedupeWindow, at most 100,000 of them.
type MemoryDeduper struct {
	window time.Duration
	max    int
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*dedupeEntry
	order   []string // done keys in completion order (== expiry order)
}

type dedupeEntry struct {
	done    bool
	expires time.Time
	wait    chan struct{} // closed when an in-flight claim ends
}

// NewMemoryDeduper returns a MemoryDeduper remembering keys for window
// (<= 0 means DefaultDedupeWindow), at most max of them (<= 0 means
// 100,000).
func NewMemoryDeduper(window time.Duration, max int) *MemoryDeduper {
	if max <= 0 {
		max = 100_000
	}
	return &MemoryDeduper{window: window, max: max, now: time.Now, entries: map[string]*dedupeEntry{}}
}

// init fills in the zero value's defaults. d.mu held.
func (d *MemoryDeduper) init() {
	if d.entries == nil {
		d.entries = map[string]*dedupeEntry{}
	}
	if d.window <= 0 {
		d.window = DefaultDedupeWindow
	}
	if d.max <= 0 {
		d.max = 100_000
	}
	if d.now == nil {
		d.now = time.Now
	}
}

// Len returns how many keys are held (done or in flight).
func (d *MemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.entries)
}

// Acquire implements Deduper.
func (d *MemoryDeduper) Acquire(ctx context.Context, key string) (bool, error) {
	for {
		d.mu.Lock()
		d.init()
		d.expire()
		e, ok := d.entries[key]
		if !ok {
			d.entries[key] = &dedupeEntry{wait: make(chan struct{})}
			d.mu.Unlock()
			return false, nil
		}
		if e.done {
			d.mu.Unlock()
			return true, nil
		}
		wait := e.wait
		d.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// Release implements Deduper.
func (d *MemoryDeduper) Release(_ context.Context, key string, success bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	e, ok := d.entries[key]
	if !ok || e.done {
		return nil
	}
	close(e.wait)
	if !success {
		delete(d.entries, key)
		return nil
	}
	e.done, e.expires, e.wait = true, d.now().Add(d.window), nil
	d.order = append(d.order, key)
	for len(d.order) > d.max {
		d.forget()
	}
	return nil
}

// expire drops done keys past their window. d.mu held.
func (d *MemoryDeduper) expire() {
	now := d.now()
	for len(d.order) > 0 {
		e := d.entries[d.order[0]]
		if e != nil && e.done && now.Before(e.expires) {
			return
		}
		d.forget()
	}
}

// forget drops the oldest done key. d.mu held.
func (d *MemoryDeduper) forget() {
	key := d.order[0]
	d.order[0] = ""
	d.order = d.order[1:]
	if e := d.entries[key]; e != nil && e.done {
		delete(d.entries, key)
	}
	if cap(d.order) > 2*d.max && len(d.order) < d.max {
		d.order = append([]string(nil), d.order...)
	}
}
