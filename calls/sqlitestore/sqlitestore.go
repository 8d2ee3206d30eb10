// Package sqlitestore keeps a calls.Ledger in SQLite (modernc.org/sqlite,
// pure Go). It does not link pgx.
//
// Every update is one writer transaction (BEGIN IMMEDIATE), so updates
// are serialised across every Ledger and process sharing the file, and
// the change stream's sequence is max+1 inside it. Reads run beside
// writes (WAL mode). Calls are kept until calls.Ledger.Archive deletes
// those over for good (see calls' Tombstones).
package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/overlay"
	"github.com/callmyway-go/sdk/internal/migrate"
)

// Store is a calls.Store in a SQLite database.
//
// Create it with Open or New; the zero value is not usable. It is safe
// for concurrent use.
type Store struct {
	db    *sql.DB
	owned bool
	poll  time.Duration

	wmu      sync.Mutex // one writer per Store; BEGIN IMMEDIATE across Stores
	wconn    *sql.Conn  // the writer's connection, kept with its statements
	stmts    map[string]*sql.Stmt
	lastUse  time.Time   // of wconn
	idle     *time.Timer // releases wconn after WriterIdle unused
	isClosed bool

	mu      sync.Mutex
	changed chan struct{} // closed on each commit of this Store
}

var _ calls.Store = (*Store)(nil)

// Option configures a Store.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type Option func(*Store) error

// WithPollInterval sets how often Wait looks for changes written by
// other processes (default 250 ms; between 10 ms and 1 min). Changes of
// the same Store wake it at once.
func WithPollInterval(d time.Duration) Option {
	return func(s *Store) error {
		if d < 10*time.Millisecond || d > time.Minute {
			return &calls.InvalidError{Field: "WithPollInterval", Reason: fmt.Sprintf("%v is not between 10ms and 1m", d)}
		}
		s.poll = d
		return nil
	}
}

// Open opens (creating if needed) the SQLite database file at path in
// WAL mode with a busy timeout, and migrates it. Commits are synchronous
// (synchronous=FULL): a committed change, and so an acknowledged webhook
// event, survives a power loss, not only a crash of the process.
// Concurrent writers share commits (see calls' group commit), so the
// flush is paid once per group, not once per event.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	s, err := New(ctx, db, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a Store over db, a database opened with the "sqlite" driver
// of modernc.org/sqlite, and migrates it. Closing the Store does not
// close db.
func New(ctx context.Context, db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, &calls.InvalidError{Field: "db", Reason: "nil"}
	}
	s := &Store{db: db, poll: 250 * time.Millisecond, changed: make(chan struct{})}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the Store's connection, and closes the database if
// Open opened it.
func (s *Store) Close() error {
	s.wmu.Lock()
	s.dropConn()
	s.isClosed = true
	if s.idle != nil {
		s.idle.Stop()
	}
	s.wmu.Unlock()
	if s.owned {
		return s.db.Close()
	}
	return nil
}

// dropConn closes the writer's connection and statements. s.wmu is held.
func (s *Store) dropConn() {
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	if s.wconn != nil {
		s.wconn.Close()
		s.wconn = nil
	}
}

// stmt returns q prepared on the writer's connection. s.wmu is held.
func (s *Store) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.wconn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[q] = st
	return st, nil
}

func (s *Store) exec(ctx context.Context, q string, args ...any) error {
	st, err := s.stmt(ctx, q)
	if err == nil {
		_, err = st.ExecContext(ctx, args...)
	}
	return err
}

func (s *Store) ok() error {
	if s == nil || s.db == nil {
		return &calls.InvalidError{Field: "sqlitestore.Store", Reason: "not created with Open or New"}
	}
	return nil
}

// WriterIdle is how long the writer's connection stays open without an
// update. A SQLite connection in WAL mode holds a shared lock on the file
// while open, and the descriptors of the pool's closed connections stay
// parked until no connection holds one: releasing the writer when idle
// lets a quiet process go back to its idle descriptors and memory.
const WriterIdle = 10 * time.Second

// releaseIdle drops the writer's connection if no update used it for
// WriterIdle.
func (s *Store) releaseIdle() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.wconn != nil && time.Since(s.lastUse) >= WriterIdle {
		s.dropConn()
	}
}

// exclusive runs f inside BEGIN IMMEDIATE on the writer's connection,
// which it keeps (with its prepared statements) from one update to the
// next, until WriterIdle passes without one.
func (s *Store) exclusive(ctx context.Context, f func() error) (err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed {
		return &calls.InvalidError{Field: "sqlitestore.Store", Reason: "closed"}
	}
	defer func() {
		s.lastUse = time.Now()
		if s.idle == nil {
			s.idle = time.AfterFunc(WriterIdle, s.releaseIdle)
		} else {
			s.idle.Reset(WriterIdle)
		}
	}()
	if s.wconn == nil {
		if s.wconn, err = s.db.Conn(ctx); err != nil {
			return err
		}
		if !s.owned {
			if _, err := s.wconn.ExecContext(ctx, "PRAGMA busy_timeout = 10000"); err != nil {
				s.dropConn()
				return err
			}
		}
	}
	if err := s.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.dropConn() // maybe broken: the next update starts afresh
		return err
	}
	defer func() {
		if err != nil {
			// Without ctx's cancellation: the rollback must run even
			// when ctx is what failed.
			if rerr := s.exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
				s.dropConn()
			}
		}
	}()
	if err = f(); err != nil {
		return err
	}
	return s.exec(ctx, "COMMIT")
}

func (s *Store) migrate(ctx context.Context) error {
	steps := make([]migrate.Step, len(Migrations))
	for i, m := range Migrations {
		steps[i] = migrate.Step{Version: i + 1, SQL: m}
	}
	if _, err := migrate.Apply(ctx, migrate.SQL(s.db, migrate.SQLite), "calls", steps); err != nil {
		return fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return nil
}

const cols = `id, alias_of, seq, agent_id, agent_user, busy, number, start_us, state, contact, case_id, doc`

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (calls.Record, error) {
	var r calls.Record
	var seq, start int64
	var busy, state string
	var doc sql.NullString
	if err := row.Scan(&r.ID, &r.AliasOf, &seq, &r.Index.Agent.ID, &r.Index.Agent.User, &busy, &r.Index.Number,
		&start, &state, &r.Index.Contact, &r.Index.Case, &doc); err != nil {
		return r, err
	}
	r.Seq = uint64(seq)
	r.Index.Busy = overlay.ParseBusy(busy)
	r.Index.Start = time.UnixMicro(start).UTC()
	r.Index.State = calls.State(state)
	if doc.Valid {
		r.Doc = []byte(doc.String)
	}
	return r, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryRecords(ctx context.Context, q queryer, query string, args ...any) ([]calls.Record, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Update implements calls.Store. keys need no locks of their own: the
// transaction is the only writer.
func (s *Store) Update(ctx context.Context, keys []string, f func(context.Context, calls.Tx) error) error {
	if err := s.ok(); err != nil {
		return err
	}
	wrote := false
	err := s.exclusive(ctx, func() error {
		tx := &sqliteTx{s: s}
		if err := f(ctx, tx); err != nil {
			return err
		}
		wrote = tx.ov.Len() > 0
		return tx.flush(ctx)
	})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	if wrote {
		s.mu.Lock()
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
	return nil
}

type sqliteTx struct {
	s  *Store
	ov overlay.Overlay
}

// query runs q, prepared once on the writer's connection.
func (t *sqliteTx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (t *sqliteTx) records(ctx context.Context, q string, args ...any) ([]calls.Record, error) {
	st, err := t.s.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return queryRecords(ctx, stmtQueryer{st}, "", args...)
}

type stmtQueryer struct{ st *sql.Stmt }

func (q stmtQueryer) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

// jsonArray encodes ids as one parameter for json_each: one prepared
// statement serves any number of ids.
func jsonArray(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

func (t *sqliteTx) Get(ctx context.Context, ids ...string) ([]calls.Record, error) {
	hit, miss := t.ov.Get(ids)
	if len(miss) == 0 {
		return hit, nil
	}
	recs, err := t.records(ctx, "SELECT "+cols+" FROM ledger_calls WHERE id IN (SELECT value FROM json_each(?))", jsonArray(miss))
	if err != nil {
		return nil, err
	}
	return append(hit, recs...), nil
}

func (t *sqliteTx) Candidates(ctx context.Context, number string, from, to time.Time) ([]calls.Record, error) {
	recs, err := t.records(ctx, "SELECT "+cols+" FROM ledger_calls WHERE number = ? AND alias_of = '' AND start_us BETWEEN ? AND ?",
		number, from.UnixMicro(), to.UnixMicro())
	if err != nil {
		return nil, err
	}
	return t.ov.Candidates(recs, number, from, to), nil
}

func (t *sqliteTx) Find(ctx context.Context, f calls.Filter) ([]calls.Record, error) {
	where, args := filterSQL(f)
	recs, err := t.records(ctx, "SELECT "+cols+" FROM ledger_calls WHERE "+where+" ORDER BY start_us, id", args...)
	if err != nil {
		return nil, err
	}
	return t.ov.Find(recs, f), nil
}

func (t *sqliteTx) ChargeOwners(ctx context.Context, keys ...string) (map[string]string, error) {
	out := map[string]string{}
	rows, err := t.query(ctx, "SELECT key, call_id FROM ledger_charges WHERE key IN (SELECT value FROM json_each(?))", jsonArray(keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			return nil, err
		}
		out[k] = id
	}
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

func (t *sqliteTx) Put(ctx context.Context, recs ...calls.Record) error {
	t.ov.Put(recs...)
	return ctx.Err()
}

const putSQL = `INSERT INTO ledger_calls (` + cols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT (id) DO UPDATE SET alias_of = excluded.alias_of, seq = excluded.seq, agent_id = excluded.agent_id,
	agent_user = excluded.agent_user, busy = excluded.busy, number = excluded.number, start_us = excluded.start_us,
	state = excluded.state, contact = excluded.contact, case_id = excluded.case_id, doc = excluded.doc`

// flush writes the pending records, numbered after the greatest seq.
func (t *sqliteTx) flush(ctx context.Context) error {
	recs, _ := t.ov.Writes()
	if len(recs) == 0 {
		return nil
	}
	rows, err := t.query(ctx, "SELECT COALESCE(MAX(seq), 0) FROM ledger_calls")
	if err != nil {
		return err
	}
	var seq int64
	for rows.Next() {
		err = rows.Scan(&seq)
	}
	rows.Close()
	if err != nil {
		return err
	}
	put, err := t.s.stmt(ctx, putSQL)
	if err != nil {
		return err
	}
	charge, err := t.s.stmt(ctx, "INSERT INTO ledger_charges (key, call_id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING")
	if err != nil {
		return err
	}
	for _, r := range recs {
		seq++
		var doc any
		if r.Doc != nil {
			doc = string(r.Doc)
		}
		if _, err := put.ExecContext(ctx, r.ID, r.AliasOf, seq, r.Index.Agent.ID, r.Index.Agent.User, overlay.Busy(r.Index.Busy),
			r.Index.Number, r.Index.Start.UnixMicro(), string(r.Index.State), r.Index.Contact, r.Index.Case, doc); err != nil {
			return err
		}
		for _, k := range r.Index.ChargeKeys {
			if _, err := charge.ExecContext(ctx, k, r.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Get implements calls.Store.
func (s *Store) Get(ctx context.Context, id string) (calls.Record, error) {
	if err := s.ok(); err != nil {
		return calls.Record{}, err
	}
	r, err := scanRecord(s.db.QueryRowContext(ctx, "SELECT "+cols+" FROM ledger_calls WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, calls.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("sqlitestore: %w", err)
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
		recs, err := queryRecords(ctx, s.db, q, a...)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: scan: %w", err)
		}
		return recs, nil
	})
}

// scanSQL is the query of Scan's page of at most n records after the
// record after (nil: the first page). A later page leaves out the range
// bound its keyset implies (overlay.Resume): SQLite would otherwise start
// every page's index search at that bound, reading n²/2/scanPage entries
// to scan n rows.
func scanSQL(f calls.Filter, after *calls.Record, n int) (string, []any) {
	cmp, order := overlay.Keyset(f.Newest, "start_us")
	if after != nil {
		f = overlay.Resume(f)
	}
	where, a := filterSQL(f)
	q := "SELECT " + cols + " FROM ledger_calls WHERE " + where
	if after != nil {
		q += " AND (start_us, id) " + cmp + " (?, ?)"
		a = append(a, after.Index.Start.UnixMicro(), after.ID)
	}
	return q + " ORDER BY " + order + " LIMIT ?", append(a, n)
}

// filterSQL translates f (see calls.Filter.Match) into a WHERE clause.
func filterSQL(f calls.Filter) (string, []any) {
	w := []string{"alias_of = ''"}
	var args []any
	if !f.From.IsZero() {
		w, args = append(w, "start_us >= ?"), append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		w, args = append(w, "start_us < ?"), append(args, f.To.UnixMicro())
	}
	if !f.Agent.IsZero() {
		w = append(w, agentSQL(f.Agent, &args))
	}
	if f.Contact != "" {
		// "<> ''" lets the planner use the partial index (it cannot
		// prove a bound parameter is not empty).
		w, args = append(w, "contact = ? AND contact <> ''"), append(args, f.Contact)
	}
	if f.Case != "" {
		w, args = append(w, "case_id = ? AND case_id <> ''"), append(args, f.Case)
	}
	if f.Number != "" {
		w, args = append(w, "number = ?"), append(args, f.Number)
	}
	if len(f.States) > 0 {
		w = append(w, "state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if len(f.NotStates) > 0 {
		w = append(w, "state NOT IN ("+placeholders(len(f.NotStates))+")")
		for _, st := range f.NotStates {
			args = append(args, string(st))
		}
	}
	if len(f.Busy) > 0 {
		var or []string
		for _, b := range f.Busy {
			or, args = append(or, "instr(busy, ?) > 0"), append(args, overlay.Sep+b+overlay.Sep)
		}
		w = append(w, "("+strings.Join(or, " OR ")+")")
	}
	return strings.Join(w, " AND "), args
}

func agentSQL(e callmyway.Endpoint, args *[]any) string {
	var or []string
	if e.ID != "" {
		or, *args = append(or, "(agent_id = ? AND agent_id <> '')"), append(*args, e.ID)
	}
	if e.User != "" {
		or, *args = append(or, "(agent_user = ? AND agent_user <> '')"), append(*args, e.User)
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// Changes implements calls.Store.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]calls.Record, error) {
	if err := s.ok(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = -1
	}
	recs, err := queryRecords(ctx, s.db, "SELECT "+cols+" FROM ledger_calls WHERE seq > ? ORDER BY seq LIMIT ?", int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: changes: %w", err)
	}
	return recs, nil
}

// Wait implements calls.Store: it wakes on this Store's commits at once
// and polls for other writers' every poll interval.
func (s *Store) Wait(ctx context.Context, after uint64) error {
	if err := s.ok(); err != nil {
		return err
	}
	t := time.NewTimer(s.poll)
	defer t.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		var seq int64
		if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM ledger_calls").Scan(&seq); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("sqlitestore: wait: %w", err)
		}
		if uint64(seq) > after {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-t.C:
			t.Reset(s.poll)
		}
	}
}
