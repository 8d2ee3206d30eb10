package calls

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"sort"
	"sync"
	"time"
)

// DefaultRetention is how long a MemoryStore keeps a call after it
// started: 48 hours.
const DefaultRetention = 48 * time.Hour

// MinRetention is the shortest retention a MemoryStore accepts: one hour,
// the horizon of re-deliveries the ledger is built for. A fact delivered
// again after its call was pruned starts a new call, so New also refuses
// a max live age longer than the store's retention: such a call can
// never count as live.
const MinRetention = time.Hour

// MemoryStore is a Store in memory: for tests, demos and single-process
// CRMs that can lose their ledger on restart. It prunes calls older than
// its retention (WithRetention, default 48 h), measured from their start,
// or from when the store first saw them for a record with no start time.
//
// Create it with NewMemoryStore; the zero value is not usable. It is safe
// for concurrent use; updates are serialised by one mutex.
type MemoryStore struct {
	retention time.Duration
	now       func() time.Time

	mu      sync.Mutex
	recs    map[string]Record
	byNum   map[string]map[string]struct{} // number -> ids
	byKey   map[string]map[string]struct{} // "c:"+case, "p:"+contact -> ids
	charges map[string]string              // charge key -> id
	// undated holds when each record with no start time (a zero
	// Index.Start) was first written: prune measures its age from then.
	undated map[string]time.Time
	log     []seqID // Puts in Seq order; stale entries skipped
	seq     uint64
	puts    int
	changed chan struct{} // closed and replaced on every commit
}

var _ Store = (*MemoryStore)(nil)

type seqID struct {
	seq uint64
	id  string
}

// MemoryOption configures a MemoryStore; NewMemoryStore returns the first
// error, an *InvalidError naming the option.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type MemoryOption func(*MemoryStore) error

// WithRetention sets how long the store keeps a call after its Start
// (default DefaultRetention, at least MinRetention).
func WithRetention(d time.Duration) MemoryOption {
	return func(s *MemoryStore) error {
		if d < MinRetention {
			return invalid("WithRetention", "%v is shorter than %v, the re-delivery horizon", d, MinRetention)
		}
		s.retention = d
		return nil
	}
}

// WithStoreClock sets the clock pruning is measured with (default
// time.Now).
func WithStoreClock(now func() time.Time) MemoryOption {
	return func(s *MemoryStore) error {
		if now == nil {
			return invalid("WithStoreClock", "nil")
		}
		s.now = now
		return nil
	}
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(opts ...MemoryOption) (*MemoryStore, error) {
	s := &MemoryStore{
		retention: DefaultRetention,
		now:       time.Now,
		recs:      map[string]Record{},
		byNum:     map[string]map[string]struct{}{},
		byKey:     map[string]map[string]struct{}{},
		charges:   map[string]string{},
		undated:   map[string]time.Time{},
		changed:   make(chan struct{}),
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Retention returns how long the store keeps a call (0 for a store not
// made by NewMemoryStore).
func (s *MemoryStore) Retention() time.Duration {
	if s == nil {
		return 0
	}
	return s.retention
}

func (s *MemoryStore) ok() error {
	if s == nil || s.recs == nil {
		return invalid("MemoryStore", "not created with NewMemoryStore")
	}
	return nil
}

// Update implements Store. All updates are serialised, so keys need no
// locks of their own.
func (s *MemoryStore) Update(ctx context.Context, keys []string, f func(context.Context, Tx) error) error {
	if err := s.ok(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &memTx{s: s, puts: map[string]Record{}}
	if err := f(ctx, tx); err != nil {
		return err
	}
	if len(tx.order) == 0 {
		return nil
	}
	for _, id := range tx.order {
		r := tx.puts[id]
		s.seq++
		r.Seq = s.seq
		if old, ok := s.recs[id]; ok {
			s.unindex(old)
		}
		s.recs[id] = r
		if !r.Index.Start.IsZero() {
			delete(s.undated, id)
		} else if _, ok := s.undated[id]; !ok {
			s.undated[id] = s.now()
		}
		if r.AliasOf == "" {
			addID(s.byNum, r.Index.Number, id)
			addID(s.byKey, caseKey(r.Index.Case), id)
			addID(s.byKey, contactKey(r.Index.Contact), id)
		}
		for _, k := range r.Index.ChargeKeys {
			if _, ok := s.charges[k]; !ok {
				s.charges[k] = id
			}
		}
		s.log = append(s.log, seqID{r.Seq, id})
	}
	close(s.changed)
	s.changed = make(chan struct{})
	if s.puts += len(tx.order); s.puts >= 1024 {
		s.puts = 0
		s.prune()
	}
	return nil
}

func (s *MemoryStore) unindex(r Record) {
	delID(s.byNum, r.Index.Number, r.ID)
	delID(s.byKey, caseKey(r.Index.Case), r.ID)
	delID(s.byKey, contactKey(r.Index.Contact), r.ID)
}

func caseKey(c string) string {
	if c == "" {
		return ""
	}
	return "c:" + c
}

func contactKey(c string) string {
	if c == "" {
		return ""
	}
	return "p:" + c
}

func addID(idx map[string]map[string]struct{}, k, id string) {
	if k == "" {
		return
	}
	m := idx[k]
	if m == nil {
		m = map[string]struct{}{}
		idx[k] = m
	}
	m[id] = struct{}{}
}

func delID(idx map[string]map[string]struct{}, k, id string) {
	if m := idx[k]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(idx, k)
		}
	}
}

// matching returns the committed call records matching f, through an
// index when f names a case, contact or number. s.mu is held.
func (s *MemoryStore) matching(f Filter) []Record {
	var ids map[string]struct{}
	indexed := true
	switch {
	case f.Case != "":
		ids = s.byKey[caseKey(f.Case)]
	case f.Contact != "":
		ids = s.byKey[contactKey(f.Contact)]
	case f.Number != "":
		ids = s.byNum[f.Number]
	default:
		indexed = false
	}
	var out []Record
	if indexed {
		for id := range ids {
			if r := s.recs[id]; r.AliasOf == "" && f.Match(r.Index) {
				out = append(out, r)
			}
		}
		return out
	}
	for _, r := range s.recs {
		if r.AliasOf == "" && f.Match(r.Index) {
			out = append(out, r)
		}
	}
	return out
}

// prune drops records older than the retention (a record with no start
// time by when it was first written) and compacts the change log. s.mu
// is held.
func (s *MemoryStore) prune() {
	cutoff := s.now().Add(-s.retention)
	for id, r := range s.recs {
		start := r.Index.Start
		if start.IsZero() {
			start = s.undated[id]
		}
		if start.Before(cutoff) {
			s.unindex(r)
			delete(s.recs, id)
			delete(s.undated, id)
		}
	}
	for k, id := range s.charges {
		if _, ok := s.recs[id]; !ok {
			delete(s.charges, k)
		}
	}
	live := s.log[:0]
	for _, e := range s.log {
		if r, ok := s.recs[e.id]; ok && r.Seq == e.seq {
			live = append(live, e)
		}
	}
	s.log = slices.Clip(live)
}

// Prune drops the calls older than the retention now: those that started
// before it, and those with no start time (Index.Start zero) first
// written before it. The store also prunes on its own every 1024 writes.
func (s *MemoryStore) Prune() {
	if s.ok() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune()
}

type memTx struct {
	s     *MemoryStore
	puts  map[string]Record
	order []string
}

func (t *memTx) get(id string) (Record, bool) {
	if r, ok := t.puts[id]; ok {
		return r, true
	}
	r, ok := t.s.recs[id]
	return r, ok
}

func (t *memTx) Get(ctx context.Context, ids ...string) ([]Record, error) {
	var out []Record
	for _, id := range ids {
		if r, ok := t.get(id); ok {
			out = append(out, r)
		}
	}
	return out, ctx.Err()
}

func (t *memTx) Candidates(ctx context.Context, number string, from, to time.Time) ([]Record, error) {
	ids := map[string]struct{}{}
	for id := range t.s.byNum[number] {
		ids[id] = struct{}{}
	}
	for id, r := range t.puts {
		if r.Index.Number == number {
			ids[id] = struct{}{}
		}
	}
	var out []Record
	for id := range ids {
		r, ok := t.get(id)
		if ok && r.AliasOf == "" && r.Index.Number == number && !r.Index.Start.Before(from) && !r.Index.Start.After(to) {
			out = append(out, r)
		}
	}
	return out, ctx.Err()
}

func (t *memTx) Find(ctx context.Context, f Filter) ([]Record, error) {
	var out []Record
	for _, r := range t.s.matching(f) {
		if _, ok := t.puts[r.ID]; !ok {
			out = append(out, r)
		}
	}
	for _, id := range t.order {
		if r := t.puts[id]; r.AliasOf == "" && f.Match(r.Index) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, f.Compare)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, ctx.Err()
}

// SortLimit sorts recs by Start then ID and keeps the first limit of
// them (all when limit is 0): the order of Scan and Tx.Find for a Filter
// without Newest (Filter.Compare gives either order).
func SortLimit(recs []Record, limit int) []Record {
	slices.SortFunc(recs, Filter{}.Compare)
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	return recs
}

// Compare orders a and b as Scan and Tx.Find yield them under f: by
// Start then ID, both descending when f.Newest. It is a cmp function for
// slices.SortFunc.
func (f Filter) Compare(a, b Record) int {
	c := cmp.Or(a.Index.Start.Compare(b.Index.Start), cmp.Compare(a.ID, b.ID))
	if f.Newest {
		return -c
	}
	return c
}

func (t *memTx) ChargeOwners(ctx context.Context, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		if id, ok := t.s.charges[k]; ok {
			out[k] = id
			continue
		}
		for _, id := range t.order {
			if slices.Contains(t.puts[id].Index.ChargeKeys, k) {
				out[k] = id
				break
			}
		}
	}
	return out, ctx.Err()
}

func (t *memTx) Put(ctx context.Context, recs ...Record) error {
	for _, r := range recs {
		if _, ok := t.puts[r.ID]; !ok {
			t.order = append(t.order, r.ID)
		}
		r = r.Clone()
		t.puts[r.ID] = r
	}
	return ctx.Err()
}

// Get implements Store.
func (s *MemoryStore) Get(ctx context.Context, id string) (Record, error) {
	if err := s.ok(); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, ctx.Err()
}

// Scan implements Store. It reads every record: a memory store is small.
func (s *MemoryStore) Scan(ctx context.Context, f Filter) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		if err := s.ok(); err != nil {
			yield(Record{}, err)
			return
		}
		s.mu.Lock()
		out := s.matching(f)
		s.mu.Unlock()
		slices.SortFunc(out, f.Compare)
		for i, r := range out {
			if f.Limit > 0 && i >= f.Limit {
				return
			}
			if err := ctx.Err(); err != nil {
				yield(Record{}, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Match reports whether an index matches f (the reference semantics of
// Filter that SQL stores reproduce).
func (f Filter) Match(x Index) bool {
	switch {
	case !f.From.IsZero() && x.Start.Before(f.From):
		return false
	case !f.To.IsZero() && !x.Start.Before(f.To):
		return false
	case !f.Agent.IsZero() && !f.Agent.Same(x.Agent):
		return false
	case f.Contact != "" && f.Contact != x.Contact:
		return false
	case f.Case != "" && f.Case != x.Case:
		return false
	case f.Number != "" && f.Number != x.Number:
		return false
	case len(f.States) > 0 && !slices.Contains(f.States, x.State):
		return false
	case slices.Contains(f.NotStates, x.State):
		return false
	}
	if len(f.Busy) > 0 {
		for _, b := range f.Busy {
			if slices.Contains(x.Busy, b) {
				return true
			}
		}
		return false
	}
	return true
}

// Changes implements Store.
func (s *MemoryStore) Changes(ctx context.Context, after uint64, limit int) ([]Record, error) {
	if err := s.ok(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.log), func(i int) bool { return s.log[i].seq > after })
	var out []Record
	for ; i < len(s.log) && (limit <= 0 || len(out) < limit); i++ {
		e := s.log[i]
		if r, ok := s.recs[e.id]; ok && r.Seq == e.seq {
			out = append(out, r)
		}
	}
	return out, ctx.Err()
}

// Wait implements Store.
func (s *MemoryStore) Wait(ctx context.Context, after uint64) error {
	if err := s.ok(); err != nil {
		return err
	}
	for {
		s.mu.Lock()
		seq, ch := s.seq, s.changed
		s.mu.Unlock()
		if seq > after {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

var _ TxDeleter = (*memTx)(nil)

// Delete implements TxDeleter: the records go at once (the store's one
// mutex is held for the whole update).
func (t *memTx) Delete(ctx context.Context, ids, chargeKeys []string) ([]string, error) {
	s := t.s
	var gone []string
	for _, id := range ids {
		if _, ok := t.puts[id]; ok {
			return gone, invalid("Delete", "record %q was written in this transaction", id)
		}
		if r, ok := s.recs[id]; ok {
			s.unindex(r)
			delete(s.recs, id)
			delete(s.undated, id)
			gone = append(gone, id)
		}
	}
	for _, k := range chargeKeys {
		if owner, ok := s.charges[k]; ok && slices.Contains(ids, owner) {
			delete(s.charges, k)
		}
	}
	return gone, ctx.Err()
}
