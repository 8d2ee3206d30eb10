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

// MemoryStore is a Store in memory, for tests and examples. It is safe
// for concurrent use, and its zero value is an empty store ready to use.
type MemoryStore struct {
	mu      sync.Mutex
	recs    map[string]Record
	cps     map[string]Checkpoint
	commits int
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{recs: map[string]Record{}, cps: map[string]Checkpoint{}}
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
	return nil
}

// Records returns the stored records in detect order (then by stored id),
// with their ids raw, as the provider sent them.
func (m *MemoryStore) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
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
