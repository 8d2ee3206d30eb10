package screenpop

import (
	"context"
	"errors"
	"sync"
)

// Broker carries messages from the Tracker to the Hubs. Implementations
// must be safe for concurrent use. The in-memory
// broker serves one process; a broker over a shared database lets a
// webhook received by one CRM instance pop on a browser connected to
// another. Publish assigns the message its monotonic ID.
//
// A nil Broker is refused by NewHub and NewTracker.
type Broker interface {
	Publish(ctx context.Context, m Message) (Message, error)
	// Subscribe calls deliver for every message published from now on,
	// in ID order, from one goroutine, until stop is called.
	Subscribe(deliver func(Message)) (stop func(), err error)
}

// MemoryBroker is a Broker inside one process. The zero MemoryBroker is
// ready to use; it is safe for concurrent use.
type MemoryBroker struct {
	mu     sync.Mutex
	nextID uint64
	subs   map[int]func(Message)
	seq    int
	closed bool
}

// NewMemoryBroker returns an empty MemoryBroker.
func NewMemoryBroker() *MemoryBroker { return &MemoryBroker{subs: map[int]func(Message){}} }

// ErrClosed is returned by a closed broker.
var ErrClosed = errors.New("screenpop: broker closed")

// Publish implements Broker. Delivery is synchronous: subscribers must not
// block (Hub.Deliver does not).
func (b *MemoryBroker) Publish(_ context.Context, m Message) (Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return m, ErrClosed
	}
	b.nextID++
	m.ID = b.nextID
	m.Version = MessageVersion
	for _, f := range b.subs {
		f(m)
	}
	return m, nil
}

// Subscribe implements Broker.
func (b *MemoryBroker) Subscribe(deliver func(Message)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	if deliver == nil {
		return nil, errors.New("screenpop: Subscribe: nil deliver func")
	}
	if b.subs == nil {
		b.subs = map[int]func(Message){}
	}
	b.seq++
	id := b.seq
	b.subs[id] = deliver
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}, nil
}

// Close stops the broker.
func (b *MemoryBroker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.subs = map[int]func(Message){}
}
