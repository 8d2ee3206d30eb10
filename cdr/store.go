package cdr

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Checkpoint is how far a Syncer got: every record detected before
// Through has been stored (records that arrive late inside the overlap
// window are caught by the next polls). The zero Checkpoint means
// "nothing synced yet".
//
// It may be read concurrently.
type Checkpoint struct {
	Through time.Time
}

// Store keeps records and the sync checkpoint. Implementations must make
// Commit atomic: the records and the checkpoint are saved together or not
// at all, so the checkpoint never moves past records that were not
// committed. Records are upserted by CallID (a later version of a record,
// such as the final form of a live one, replaces the earlier), and their
// text is stored as Record.SanitizeText repairs it (see the package
// documentation, Text); records read back carry their ids raw, as the
// provider sent them (Record.UnescapeIDs). cdr/sqlstore implements it over SQLite and
// PostgreSQL.
//
// A nil Store is refused by NewSyncer. Implementations must be safe for
// concurrent use.
type Store interface {
	LoadCheckpoint(ctx context.Context, account string) (Checkpoint, error)
	Commit(ctx context.Context, account string, recs []Record, cp Checkpoint) error
}

// DefaultMemoryMaxRecords is how many records a MemoryStore keeps unless
// told otherwise (WithMaxRecords): 100,000.
const DefaultMemoryMaxRecords = 100_000

// MemoryStore is a Store in memory, for tests and examples. It keeps at
// most its cap of records (WithMaxRecords, DefaultMemoryMaxRecords by
// default): beyond, a Commit first drops the records detected earliest,
// down to nine tenths of the cap, and Dropped counts them. Prune drops
// records by age. It is safe for concurrent use, and its zero value is
// an empty store ready to use, with the default cap.
type MemoryStore struct {
	mu      sync.Mutex
	max     int
	recs    map[string]Record
	cps     map[string]Checkpoint
	commits int
	dropped int
}

// MemoryOption configures a MemoryStore. A nil option is ignored.
// Options are plain functions, safe to reuse and for concurrent use.
type MemoryOption func(*MemoryStore)

// WithMaxRecords sets how many records the store keeps (at least 1; a
// smaller n keeps the default, DefaultMemoryMaxRecords).
func WithMaxRecords(n int) MemoryOption {
	return func(m *MemoryStore) {
		if n >= 1 {
			m.max = n
		}
	}
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	m := &MemoryStore{recs: map[string]Record{}, cps: map[string]Checkpoint{}}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	return m
}

// limit returns the store's cap. m.mu is held.
func (m *MemoryStore) limit() int {
	if m.max >= 1 {
		return m.max
	}
	return DefaultMemoryMaxRecords
}

// LoadCheckpoint implements Store.
func (m *MemoryStore) LoadCheckpoint(_ context.Context, account string) (Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cps[account], nil
}

// Commit implements Store.
func (m *MemoryStore) Commit(ctx context.Context, account string, recs []Record, cp Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs == nil {
		m.recs, m.cps = map[string]Record{}, map[string]Checkpoint{}
	}
	for _, r := range recs {
		// Keyed by the stored form of its id, kept with its ids raw, as
		// a database Store gives them back.
		c := r.SanitizeText()
		c.CallID, c.OriginalCallID, c.RefCallID = r.CallID, r.OriginalCallID, r.RefCallID
		m.recs[EscapeID(r.CallID)] = c
	}
	m.cps[account] = cp
	m.commits++
	if lim := m.limit(); len(m.recs) > lim {
		old := m.sorted()
		n := len(old) - lim + lim/10
		for _, r := range old[:n] {
			delete(m.recs, EscapeID(r.CallID))
		}
		m.dropped += n
	}
	return nil
}

// Prune drops the records detected before before, and returns how many
// it dropped (they are not counted in Dropped).
func (m *MemoryStore) Prune(before time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, r := range m.recs {
		if r.DetectTime.Time().Before(before) {
			delete(m.recs, id)
			n++
		}
	}
	return n
}

// Dropped returns how many records Commit dropped to keep the store
// within its cap.
func (m *MemoryStore) Dropped() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

// Records returns the stored records in detect order (then by stored id),
// with their ids raw, as the provider sent them.
func (m *MemoryStore) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sorted()
}

// sorted returns the records in detect order. m.mu is held.
func (m *MemoryStore) sorted() []Record {
	out := make([]Record, 0, len(m.recs))
	for _, r := range m.recs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DetectTime.Equal(out[j].DetectTime) {
			return out[i].DetectTime.Time().Before(out[j].DetectTime.Time())
		}
		return EscapeID(out[i].CallID) < EscapeID(out[j].CallID)
	})
	return out
}

// Len returns how many records are stored.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs)
}
