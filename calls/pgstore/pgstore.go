// Package pgstore keeps a calls.Ledger in PostgreSQL through pgx/v5's
// pgxpool. It does not link SQLite.
//
// Several Ledgers (replicas, in one process or many) share one database:
// each update is a transaction that first takes
// pg_advisory_xact_lock(hashtextextended(key)) on each of its keys (the
// customer's number, the callids), reads rows FOR UPDATE, and is retried
// on serialisation failures, deadlocks and lost insert races.
//
// Change sequence numbers are given in a separate step after the update
// commits, so that writers do not serialise on them: an update writes its
// rows "pending", with a negative seq (minus a number drawn from the
// sequence, in Put order), and commits; then a numbering pass, in a tiny
// transaction of its own under a global advisory lock held until its
// commit, gives every pending row a positive seq from the sequence. Passes
// are serialised, so positive seqs are committed in order and a reader
// resuming after a number never misses a change; a pass numbers every
// pending row at once, so concurrent updates share one (one pass at a
// time per Store; the updates waiting meanwhile share the next). Update
// returns after a pass that began after its commit. An update that finds
// the lock free takes it itself (until its commit) and writes its rows
// numbered, saving the pass: uncontended, an update is one transaction as
// before; contended, it never waits for the lock. Pending rows are
// invisible to Changes and Wait, and Get and Scan report them with Seq 0;
// rows left pending by a crash are numbered by the next pass (any Update,
// Open, or Wait's poll). Passes NOTIFY ledger_calls; Wait LISTENs. Calls
// are deleted only by calls.Ledger.Archive, which the Store supports
// (calls.TxDeleter): calls over for good, older than a retention of at
// least calls.MinArchiveAge.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/overlay"
	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/migrate/pgxmigrate"
	"github.com/callmyway-go/sdk/internal/pgplan"
)

// Store is a calls.Store in PostgreSQL.
//
// Create it with Open or New; the zero value is not usable. It is safe
// for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	owned bool
	poll  time.Duration

	mu      sync.Mutex
	passing bool         // a goroutine runs numbering passes
	waiting []chan error // for the next pass
}

var _ calls.Store = (*Store)(nil)

// Option configures a Store.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type Option func(*Store) error

// WithPollInterval sets how often Wait checks for changes even without a
// notification (default 5 s; between 10 ms and 1 min).
func WithPollInterval(d time.Duration) Option {
	return func(s *Store) error {
		if d < 10*time.Millisecond || d > time.Minute {
			return &calls.InvalidError{Field: "WithPollInterval", Reason: fmt.Sprintf("%v is not between 10ms and 1m", d)}
		}
		s.poll = d
		return nil
	}
}

// Open connects to the database named by dsn (a URL or key=value string)
// and migrates it. Close closes the pool.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s, err := New(ctx, pool, opts...)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store over pool and migrates the database. Closing the
// Store does not close pool.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, &calls.InvalidError{Field: "pool", Reason: "nil"}
	}
	s := &Store{pool: pool, poll: 5 * time.Second}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	// Rows a crashed process left pending.
	if err := s.number(ctx); err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return s, nil
}

// Close closes the pool if Open opened it.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

func (s *Store) ok() error {
	if s == nil || s.pool == nil {
		return &calls.InvalidError{Field: "pgstore.Store", Reason: "not created with Open or New"}
	}
	return nil
}

// lockPrefix namespaces the ledger's advisory locks.
const lockPrefix = "cmw-ledger:"

func (s *Store) migrate(ctx context.Context) error {
	steps := make([]migrate.Step, len(Migrations))
	for i, m := range Migrations {
		steps[i] = migrate.Step{Version: i + 1, SQL: m}
	}
	if _, err := pgxmigrate.Apply(ctx, s.pool, "calls", steps); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}

const cols = `id, alias_of, seq, agent_id, agent_user, busy, number, start_at, state, contact, case_id, doc::text`

func scanRecord(row pgx.Row) (calls.Record, error) {
	var r calls.Record
	var seq int64
	var busy, state string
	var doc *string
	if err := row.Scan(&r.ID, &r.AliasOf, &seq, &r.Index.Agent.ID, &r.Index.Agent.User, &busy, &r.Index.Number,
		&r.Index.Start, &state, &r.Index.Contact, &r.Index.Case, &doc); err != nil {
		return r, err
	}
	if seq > 0 { // a pending row (negative) has no Seq yet
		r.Seq = uint64(seq)
	}
	r.Index.Busy = overlay.ParseBusy(busy)
	r.Index.Start = r.Index.Start.UTC()
	r.Index.State = calls.State(state)
	if doc != nil {
		r.Doc = []byte(*doc)
	}
	return r, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryRecords(ctx context.Context, q querier, sql string, args ...any) ([]calls.Record, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calls.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// maxAttempts bounds the retries of an update.
const maxAttempts = 20

// retryable reports errors after which the whole update may run again:
// serialisation failure, deadlock, and a unique violation (another
// replica inserted the same new call first).
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505":
			return true
		}
	}
	return false
}

// Update implements calls.Store.
func (s *Store) Update(ctx context.Context, keys []string, f func(context.Context, calls.Tx) error) error {
	if err := s.ok(); err != nil {
		return err
	}
	lockKeys := make([]string, len(keys))
	for i, k := range keys {
		lockKeys[i] = lockPrefix + k
	}
	for attempt := 1; ; attempt++ {
		t, err := s.updateOnce(ctx, lockKeys, f)
		if err == nil {
			// Number what this update wrote, and what it saw pending
			// (a row a pass skipped while this update had it locked).
			if t.wrote || t.sawPending {
				if err := s.number(ctx); err != nil {
					return fmt.Errorf("pgstore: numbering committed changes: %w", err)
				}
			}
			return nil
		}
		if !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return fmt.Errorf("pgstore: %w", err)
		}
	}
}

// lockSQL takes the advisory locks of keys ($1), in hash order, so that
// two updates never wait on each other's locks in opposite orders.
const lockSQL = `SELECT pg_advisory_xact_lock(h) FROM
	(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS l`

// updateOnce runs one attempt of an update: BEGIN and the key locks in one
// round trip, f, the writes, COMMIT.
func (s *Store) updateOnce(ctx context.Context, lockKeys []string, f func(context.Context, calls.Tx) error) (t *pgTx, err error) {
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	b.Queue(pgplan.SetLocal) // the ledger's table grows from empty: see internal/pgplan
	if len(lockKeys) > 0 {
		b.Queue(lockSQL, lockKeys)
	}
	br := s.pool.SendBatch(ctx, b)
	err = br.Close()
	tx := br.Tx()
	if tx == nil { // cannot happen with BeginTx; be safe
		if err == nil {
			err = errors.New("no transaction")
		}
		return nil, err
	}
	defer func() {
		if err != nil {
			// Also releases the connection when BEGIN itself failed.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err != nil {
		return nil, err
	}
	t = &pgTx{tx: tx}
	if err := f(ctx, t); err != nil {
		return nil, err
	}
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t, tx.Commit(ctx)
}

type pgTx struct {
	tx         pgx.Tx
	ov         overlay.Overlay
	wrote      bool // flush wrote pending rows
	sawPending bool // a row read FOR UPDATE was pending
}

// saw notes whether recs hold a pending row.
func (t *pgTx) saw(recs []calls.Record) {
	for _, r := range recs {
		if r.Seq == 0 {
			t.sawPending = true
		}
	}
}

func (t *pgTx) Get(ctx context.Context, ids ...string) ([]calls.Record, error) {
	hit, miss := t.ov.Get(ids)
	if len(miss) == 0 {
		return hit, nil
	}
	recs, err := queryRecords(ctx, t.tx, "SELECT "+cols+" FROM ledger_calls WHERE id = ANY($1) FOR UPDATE", miss)
	if err != nil {
		return nil, err
	}
	t.saw(recs)
	t.ov.Seen(miss, recs)
	return append(hit, recs...), nil
}

func (t *pgTx) Candidates(ctx context.Context, number string, from, to time.Time) ([]calls.Record, error) {
	recs, err := queryRecords(ctx, t.tx, "SELECT "+cols+" FROM ledger_calls WHERE number = $1 AND alias_of = '' AND start_at BETWEEN $2 AND $3 FOR UPDATE",
		number, from, to)
	if err != nil {
		return nil, err
	}
	t.saw(recs)
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	t.ov.Seen(ids, recs)
	return t.ov.Candidates(recs, number, from, to), nil
}

func (t *pgTx) Find(ctx context.Context, f calls.Filter) ([]calls.Record, error) {
	where, args := filterSQL(f)
	recs, err := queryRecords(ctx, t.tx, "SELECT "+cols+" FROM ledger_calls WHERE "+where+" ORDER BY start_at, id", args...)
	if err != nil {
		return nil, err
	}
	return t.ov.Find(recs, f), nil
}

func (t *pgTx) ChargeOwners(ctx context.Context, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	rows, err := t.tx.Query(ctx, "SELECT key, call_id FROM ledger_charges WHERE key = ANY($1)", keys)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			rows.Close()
			return nil, err
		}
		out[k] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if _, ok := out[k]; !ok {
			if id, ok := t.ov.ChargeOwner(k); ok {
				out[k] = id
			}
		}
	}
	return out, nil
}

func (t *pgTx) Put(ctx context.Context, recs ...calls.Record) error {
	t.ov.Put(recs...)
	return ctx.Err()
}

// seqLock is the global advisory lock under which numbering passes draw
// sequence numbers; held until the pass commits, it makes seq order commit
// order.
const seqLock = lockPrefix + "seq"

// tryLockSQL takes seqLock if it is free, until the commit, and records
// whether it did for fromArrays in a setting local to the transaction.
const tryLockSQL = `SELECT set_config('cmw_ledger.numbered',
	CASE WHEN pg_try_advisory_xact_lock(hashtextextended('` + seqLock + `', 0)) THEN 'on' ELSE 'off' END, true) = 'on'`

// numberSQL is a numbering pass's statements, sent in one round trip (a
// pipeline with one Sync: an implicit transaction, so the lock is held
// until the commit). The UPDATE's snapshot is taken after the lock is
// granted, so it sees every earlier pass. It skips pending rows that an
// update in progress holds locked: that update numbers them itself after
// its commit (it saw them pending, or rewrote them).
var numberSQL = []string{
	"SELECT pg_advisory_xact_lock(hashtextextended('" + seqLock + "', 0))",
	// In the order the rows were written (pending seqs count down), and
	// NOTIFY when there were some.
	`WITH p AS (SELECT id, seq FROM ledger_calls WHERE seq < 0 ORDER BY seq DESC FOR UPDATE SKIP LOCKED),
		n AS (SELECT id, nextval('ledger_calls_seq') AS seq FROM (SELECT id, seq FROM p ORDER BY seq DESC) AS o),
		u AS (UPDATE ledger_calls AS c SET seq = n.seq FROM n WHERE c.id = n.id RETURNING 1),
		k AS (SELECT count(*) AS n FROM u)
	SELECT k.n FROM k LEFT JOIN LATERAL (SELECT pg_notify('ledger_calls', '') WHERE k.n > 0) AS t ON true`,
}

// asyncCommit lets the transaction it runs in commit without waiting for
// the disk (synchronous_commit off for that transaction only).
const asyncCommit = `SELECT set_config('synchronous_commit', 'off', true)`

// number returns after a numbering pass that began after it was called.
// Passes run one at a time per Store, on a goroutine of their own; the
// callers waiting for the next one share it.
func (s *Store) number(ctx context.Context) error {
	done := make(chan error, 1)
	s.mu.Lock()
	s.waiting = append(s.waiting, done)
	if !s.passing {
		s.passing = true
		go s.passes()
	}
	s.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// passTimeout bounds a numbering pass.
const passTimeout = 30 * time.Second

// passes runs numbering passes while callers wait for one.
func (s *Store) passes() {
	for {
		s.mu.Lock()
		w := s.waiting
		s.waiting = nil
		if len(w) == 0 {
			s.passing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), passTimeout)
		err := s.pass(ctx)
		cancel()
		for _, c := range w {
			c <- err
		}
	}
}

// pass numbers the pending rows, retrying a deadlock or serialisation
// failure.
func (s *Store) pass(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := s.passOnce(ctx)
		if err == nil || !retryable(err) || attempt == maxAttempts || ctx.Err() != nil {
			return err
		}
	}
}

func (s *Store) passOnce(ctx context.Context) error {
	batch := &pgx.Batch{}
	// The pass need not wait for its commit to reach the disk: the
	// changes it numbers are durable already, and should the server lose
	// the pass in a crash, those rows are pending again and the next pass
	// numbers them (after every number a reader may have seen). So the
	// ledger's updates are the only commits an event waits to flush.
	batch.Queue(asyncCommit)
	for _, q := range numberSQL {
		batch.Queue(q)
	}
	return s.pool.SendBatch(ctx, batch).Close()
}

const insertCols = `id, alias_of, seq, agent_id, agent_user, busy, number, start_at, state, contact, case_id, doc`

// fromArrays gives the rows numbers from the sequence, in order: their
// seqs when the update holds seqLock (see tryLockSQL), else minus them,
// pending.
const fromArrays = ` SELECT id, alias_of,
		CASE WHEN current_setting('cmw_ledger.numbered') = 'on' THEN 1 ELSE -1 END * nextval('ledger_calls_seq'), agent_id, agent_user, busy, number, start_at, state, contact, case_id, NULLIF(doc, '')::json
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[])
	AS t(id, alias_of, agent_id, agent_user, busy, number, start_at, state, contact, case_id, doc)`

// flush writes the pending records in two statements (new rows, which
// must not exist, then the others) and their charge keys.
func (t *pgTx) flush(ctx context.Context) error {
	recs, isNew := t.ov.Writes()
	if len(recs) == 0 {
		return nil
	}
	// One round trip. When no one holds seqLock, the update takes it
	// until its commit and numbers its rows itself, as a pass would (an
	// uncontended update saves the pass's transaction); else they are
	// pending, numbered by a pass after the commit.
	var numbered bool
	batch := &pgx.Batch{}
	batch.Queue(tryLockSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&numbered) })
	var ins, ups [11][]string
	var insT, upsT []time.Time
	var chargeKeys, chargeIDs []string
	seenKey := map[string]bool{}
	for i, r := range recs {
		dst, dt := &ups, &upsT
		if isNew[i] {
			dst, dt = &ins, &insT
		}
		for j, v := range []string{r.ID, r.AliasOf, r.Index.Agent.ID, r.Index.Agent.User, overlay.Busy(r.Index.Busy), r.Index.Number,
			"", string(r.Index.State), r.Index.Contact, r.Index.Case, string(r.Doc)} {
			dst[j] = append(dst[j], v)
		}
		*dt = append(*dt, r.Index.Start)
		for _, k := range r.Index.ChargeKeys {
			if !seenKey[k] {
				seenKey[k] = true
				chargeKeys, chargeIDs = append(chargeKeys, k), append(chargeIDs, r.ID)
			}
		}
	}
	args := func(a [11][]string, ts []time.Time) []any {
		return []any{a[0], a[1], a[2], a[3], a[4], a[5], ts, a[7], a[8], a[9], a[10]}
	}
	if len(insT) > 0 {
		batch.Queue("INSERT INTO ledger_calls ("+insertCols+")"+fromArrays, args(ins, insT)...)
	}
	if len(upsT) > 0 {
		batch.Queue("INSERT INTO ledger_calls ("+insertCols+")"+fromArrays+`
			ON CONFLICT (id) DO UPDATE SET alias_of = excluded.alias_of, seq = excluded.seq, agent_id = excluded.agent_id,
			agent_user = excluded.agent_user, busy = excluded.busy, number = excluded.number, start_at = excluded.start_at,
			state = excluded.state, contact = excluded.contact, case_id = excluded.case_id, doc = excluded.doc`, args(ups, upsT)...)
	}
	if len(chargeKeys) > 0 {
		batch.Queue(`INSERT INTO ledger_charges (key, call_id) SELECT * FROM unnest($1::text[], $2::text[])
			ON CONFLICT (key) DO NOTHING`, chargeKeys, chargeIDs)
	}
	// Numbered rows are changes at the commit: wake the readers then.
	batch.Queue("SELECT pg_notify('ledger_calls', '') WHERE current_setting('cmw_ledger.numbered') = 'on'")
	if err := t.tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	t.wrote = !numbered
	return nil
}

// Get implements calls.Store.
func (s *Store) Get(ctx context.Context, id string) (calls.Record, error) {
	if err := s.ok(); err != nil {
		return calls.Record{}, err
	}
	r, err := scanRecord(s.pool.QueryRow(ctx, "SELECT "+cols+" FROM ledger_calls WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, calls.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("pgstore: %w", err)
	}
	return r, nil
}

const scanPage = 200

// Scan implements calls.Store, reading pages of records by (start, id),
// descending for f.Newest.
func (s *Store) Scan(ctx context.Context, f calls.Filter) iter.Seq2[calls.Record, error] {
	return overlay.Pages(f.Limit, scanPage, func(after *calls.Record, n int) ([]calls.Record, error) {
		if err := s.ok(); err != nil {
			return nil, err
		}
		q, a := scanSQL(f, after, n)
		recs, err := queryRecords(ctx, s.pool, q, a...)
		if err != nil {
			return nil, fmt.Errorf("pgstore: scan: %w", err)
		}
		return recs, nil
	})
}

// scanSQL is the query of Scan's page of at most n records after the
// record after (nil: the first page).
func scanSQL(f calls.Filter, after *calls.Record, n int) (string, []any) {
	cmp, order := overlay.Keyset(f.Newest, "start_at")
	where, a := filterSQL(f)
	q := "SELECT " + cols + " FROM ledger_calls WHERE " + where
	if after != nil {
		a = append(a, after.Index.Start, after.ID)
		q += fmt.Sprintf(" AND (start_at, id) %s ($%d, $%d)", cmp, len(a)-1, len(a))
	}
	a = append(a, n)
	return q + " ORDER BY " + order + " LIMIT $" + strconv.Itoa(len(a)), a
}

// filterSQL translates f (see calls.Filter.Match) into a WHERE clause.
func filterSQL(f calls.Filter) (string, []any) {
	w := []string{"alias_of = ''"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if !f.From.IsZero() {
		w = append(w, "start_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		w = append(w, "start_at < "+arg(f.To))
	}
	if !f.Agent.IsZero() {
		var or []string
		if f.Agent.ID != "" {
			or = append(or, "(agent_id = "+arg(f.Agent.ID)+" AND agent_id <> '')")
		}
		if f.Agent.User != "" {
			or = append(or, "(agent_user = "+arg(f.Agent.User)+" AND agent_user <> '')")
		}
		w = append(w, "("+strings.Join(or, " OR ")+")")
	}
	if f.Contact != "" {
		// "<> ''" lets a generic plan use the partial index.
		w = append(w, "contact = "+arg(f.Contact)+" AND contact <> ''")
	}
	if f.Case != "" {
		w = append(w, "case_id = "+arg(f.Case)+" AND case_id <> ''")
	}
	if f.Number != "" {
		w = append(w, "number = "+arg(f.Number))
	}
	if len(f.States) > 0 {
		st := make([]string, len(f.States))
		for i, s := range f.States {
			st[i] = string(s)
		}
		w = append(w, "state = ANY("+arg(st)+"::text[])")
	}
	if len(f.NotStates) > 0 {
		st := make([]string, len(f.NotStates))
		for i, s := range f.NotStates {
			st[i] = string(s)
		}
		w = append(w, "state <> ALL("+arg(st)+"::text[])")
	}
	if len(f.Busy) > 0 {
		var or []string
		for _, b := range f.Busy {
			or = append(or, "strpos(busy, "+arg(overlay.Sep+b+overlay.Sep)+") > 0")
		}
		w = append(w, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(w, " AND "), args
}

// Changes implements calls.Store.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]calls.Record, error) {
	if err := s.ok(); err != nil {
		return nil, err
	}
	var lim any
	if limit > 0 {
		lim = limit
	}
	recs, err := queryRecords(ctx, s.pool, "SELECT "+cols+" FROM ledger_calls WHERE seq > $1 ORDER BY seq LIMIT $2", int64(after), lim)
	if err != nil {
		return nil, fmt.Errorf("pgstore: changes: %w", err)
	}
	return recs, nil
}

// Wait implements calls.Store. It holds one connection of the pool,
// LISTENing on ledger_calls, and also looks every poll interval.
func (s *Store) Wait(ctx context.Context, after uint64) error {
	if err := s.ok(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: wait: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN ledger_calls"); err != nil {
		return fmt.Errorf("pgstore: wait: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "UNLISTEN ledger_calls"); err != nil {
			// A connection in an unknown state must not go back to the
			// pool still listening.
			conn.Hijack().Close(uctx)
		}
	}()
	for {
		var seq int64
		if err := conn.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) FROM ledger_calls").Scan(&seq); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("pgstore: wait: %w", err)
		}
		if uint64(seq) > after {
			return nil
		}
		wctx, cancel := context.WithTimeout(ctx, s.poll)
		_, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
			return fmt.Errorf("pgstore: wait: %w", err)
		}
		if err != nil {
			// A quiet poll interval: number rows that an update which
			// failed after its commit (or a crashed process) left pending.
			var pending bool
			if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ledger_calls WHERE seq < 0)").Scan(&pending); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("pgstore: wait: %w", err)
			}
			if pending {
				if err := s.number(ctx); err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					return fmt.Errorf("pgstore: wait: numbering: %w", err)
				}
			}
		}
	}
}
