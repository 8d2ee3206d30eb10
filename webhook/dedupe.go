package webhook

import (
	"context"
	"hash/maphash"
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
//
// A processed key is remembered as a 128-bit hash (seeded per process) and
// its expiry, in maps and a slice without pointers: about 50 bytes a key
// rather than the key's string, an entry and its pointer. After a burst
// the window holds every key of the burst (issue 16: 70,000 keys for a
// 20-second load test), and the garbage collector need not scan them.
type MemoryDeduper struct {
	window time.Duration
	max    int
	now    func() time.Time

	mu       sync.Mutex
	seeds    [2]maphash.Seed
	base     time.Time                   // expiries are offsets from base (monotonic)
	done     map[dedupeKey]time.Duration // processed keys and their expiry
	inflight map[dedupeKey]chan struct{} // claimed keys; closed when the claim ends
	order    []dedupeKey                 // done keys in completion order (== expiry order)
}

// dedupeKey is the hash of a key. Two keys share one with probability
// 2^-128 per pair, and the seeds are unknown outside the process.
type dedupeKey [2]uint64

// NewMemoryDeduper returns a MemoryDeduper remembering keys for window
// (<= 0 means DefaultDedupeWindow), at most max of them (<= 0 means
// 100,000).
func NewMemoryDeduper(window time.Duration, max int) *MemoryDeduper {
	if max <= 0 {
		max = 100_000
	}
	return &MemoryDeduper{window: window, max: max, now: time.Now}
}

// init fills in the zero value's defaults. d.mu held.
func (d *MemoryDeduper) init() {
	if d.done == nil {
		d.done = map[dedupeKey]time.Duration{}
		d.inflight = map[dedupeKey]chan struct{}{}
		d.seeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
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
	if d.base.IsZero() {
		d.base = d.now()
	}
}

// hash returns the dedupeKey of key. d.mu held, d.init done.
func (d *MemoryDeduper) hash(key string) dedupeKey {
	return dedupeKey{maphash.String(d.seeds[0], key), maphash.String(d.seeds[1], key)}
}

// Len returns how many keys are held (done or in flight).
func (d *MemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.done) + len(d.inflight)
}

// Acquire implements Deduper.
func (d *MemoryDeduper) Acquire(ctx context.Context, key string) (bool, error) {
	for {
		d.mu.Lock()
		d.init()
		d.expire()
		k := d.hash(key)
		if _, ok := d.done[k]; ok {
			d.mu.Unlock()
			return true, nil
		}
		wait, ok := d.inflight[k]
		if !ok {
			d.inflight[k] = make(chan struct{})
			d.mu.Unlock()
			return false, nil
		}
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
	k := d.hash(key)
	wait, ok := d.inflight[k]
	if !ok {
		return nil
	}
	close(wait)
	delete(d.inflight, k)
	if !success {
		return nil
	}
	d.done[k] = d.now().Sub(d.base) + d.window
	d.order = append(d.order, k)
	for len(d.order) > d.max {
		d.forget()
	}
	return nil
}

// expire drops done keys past their window. d.mu held.
func (d *MemoryDeduper) expire() {
	now := d.now().Sub(d.base)
	for len(d.order) > 0 {
		if exp, ok := d.done[d.order[0]]; ok && now < exp {
			return
		}
		d.forget()
	}
}

// forget drops the oldest done key. d.mu held.
func (d *MemoryDeduper) forget() {
	delete(d.done, d.order[0])
	d.order = d.order[1:]
	if cap(d.order) > 2*d.max && len(d.order) < d.max {
		d.order = append([]dedupeKey(nil), d.order...)
	}
}
