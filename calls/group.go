package calls

import (
	"context"
	"sync"
	"time"
)

// Group commit. Webhook events arrive concurrently, one HTTP request
// each, and each must be durable before it is acked. Applied one
// transaction per event, a busy ledger spends most of its time on
// transaction overhead (BEGIN, lock, read, write, COMMIT: several round
// trips to a database server). ApplyEvent instead queues its event; one
// goroutine at a time takes everything queued (up to maxGroup events) and
// applies it in a single transaction, and each caller returns when the
// transaction holding its event has committed. Alone, an event goes
// straight through (no timer, no added wait); under load the batches
// grow with the queue, so throughput rises instead of requests being
// refused. A batch that fails is retried one event at a time, so one bad
// event never fails its neighbours.

// maxGroup bounds the events one transaction applies.
const maxGroup = 64

// groupTimeout bounds a batch: it runs detached from its callers'
// cancellation (one caller giving up must not abort the others' events).
const groupTimeout = time.Minute

type grouper struct {
	mu      sync.Mutex
	queue   []*groupItem
	running bool
}

type groupItem struct {
	ctx  context.Context
	in   facts
	done chan groupResult // buffered: the runner never blocks on it

	mu   sync.Mutex
	gone bool // the caller gave up: the runner runs the hook itself
}

// finish hands r to the item's caller, or runs its OnChange hook when
// the caller is gone (a committed change always reaches the hook: a
// re-delivery of the event would change nothing and pop nothing).
func (l *Ledger) finish(it *groupItem, r groupResult) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if !it.gone {
		it.done <- r
		return
	}
	if r.err == nil && r.change != nil {
		l.notify(context.WithoutCancel(it.ctx), []change{*r.change})
	}
}

type groupResult struct {
	call   Call
	change *change // for the caller's OnChange hook; nil: none
	err    error
}

// applyGrouped applies in within a shared transaction and returns its
// call once that transaction has committed.
func (l *Ledger) applyGrouped(ctx context.Context, in facts) (Call, error) {
	it := &groupItem{ctx: ctx, in: in, done: make(chan groupResult, 1)}
	g := &l.group
	g.mu.Lock()
	g.queue = append(g.queue, it)
	if !g.running {
		g.running = true
		go l.runGroups()
	}
	g.mu.Unlock()
	select {
	case r := <-it.done:
		if r.err == nil && r.change != nil {
			// The hook runs on the caller's goroutine, as it would
			// without group commit: a batch's pops go out in parallel,
			// and the webhook still acks after its event's pop.
			l.notify(ctx, []change{*r.change})
		}
		return r.call, r.err
	case <-ctx.Done():
		// The event may still be applied: facts are idempotent, and an
		// unacked webhook is delivered again.
		it.mu.Lock()
		it.gone = true
		select {
		case r := <-it.done: // committed meanwhile: its hook still runs
			if r.err == nil && r.change != nil {
				l.notify(context.WithoutCancel(ctx), []change{*r.change})
			}
		default:
		}
		it.mu.Unlock()
		return Call{}, ctx.Err()
	}
}

// runGroups applies the queue batch by batch until it is empty.
func (l *Ledger) runGroups() {
	g := &l.group
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.running = false
			g.queue = nil
			g.mu.Unlock()
			return
		}
		batch := make([]*groupItem, 0, n)
		for _, it := range g.queue[:n] {
			if it.ctx.Err() == nil { // its caller gave up: skip it
				batch = append(batch, it)
			}
		}
		g.queue = g.queue[n:]
		g.mu.Unlock()
		if len(batch) > 0 {
			l.applyBatch(batch)
		}
	}
}

// applyBatch applies one batch, and on failure each of its events alone.
func (l *Ledger) applyBatch(batch []*groupItem) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), groupTimeout)
	defer cancel()
	ins := make([]facts, len(batch))
	for i, it := range batch {
		ins[i] = it.in
	}
	out, changes, err := l.commitAll(ctx, ins)
	if err == nil {
		for i, it := range batch {
			l.finish(it, groupResult{call: out[i], change: changes[i]})
		}
		return
	}
	if len(batch) == 1 {
		l.finish(batch[0], groupResult{err: err})
		return
	}
	for _, it := range batch {
		out, changes, err := l.commitAll(it.ctx, []facts{it.in})
		if err != nil {
			l.finish(it, groupResult{err: err})
			continue
		}
		l.finish(it, groupResult{call: out[0], change: changes[0]})
	}
}
