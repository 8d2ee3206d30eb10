// Package sqlstore is a cdr.Store over database/sql, with a SQLite dialect
// and a PostgreSQL dialect. Both use the same migrations; records are
// upserted by callid in batches, and the sync checkpoint is saved in the
// same transaction. Records are kept until Prune deletes those older than
// a cutoff the operator chooses (at least MinPruneAge).
//
// This package links no database driver. Open a store with
// cdr/sqlstore/sqlite (modernc.org/sqlite, no cgo) or cdr/sqlstore/postgres
// (jackc/pgx), so a program links only the driver it uses; or bring your
// own *sql.DB to Open or New.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/unixtime"
)

// Dialect selects the SQL flavour. The zero Dialect is SQLite.
//
// It may be used concurrently.
type Dialect int

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// String names the dialect.
func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Store is a cdr.Store in a SQL database. It is safe for concurrent use.
// Its zero value is not usable: get one from New, Open, sqlite.Open or
// postgres.Open.
type Store struct {
	db      *sql.DB
	dialect Dialect
	loc     *time.Location
	batch   int
}

// New returns a Store on db, whose times are read in acct's zone. It
// returns acct.Validate's error (matching callmyway.ErrInvalidAccount) for
// an incomplete account. Call Migrate before use, or use Open.
func New(db *sql.DB, d Dialect, acct callmyway.Account) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: New: nil *sql.DB")
	}
	if d != SQLite && d != Postgres {
		return nil, fmt.Errorf("sqlstore: New: unknown dialect %d", int(d))
	}
	if err := acct.Validate(); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return &Store{db: db, dialect: d, loc: acct.Location, batch: 500}, nil
}

// Open returns a Store on db after checking the connection and migrating
// the schema. On failure it closes db.
func Open(ctx context.Context, db *sql.DB, d Dialect, acct callmyway.Account) (*Store, error) {
	s, err := New(db, d, acct)
	if err == nil {
		if err = db.PingContext(ctx); err != nil {
			err = fmt.Errorf("sqlstore: connect (%s): %w", d, err)
		}
	}
	if err == nil {
		err = s.Migrate(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, err
	}
	return s, nil
}

// ErrNotInitialized is returned by the methods of a Store not made by New
// or Open.
var ErrNotInitialized = errors.New("sqlstore: Store not made by New or Open")

// Close closes the database.
func (s *Store) Close() error {
	if s.db == nil {
		return ErrNotInitialized
	}
	return s.db.Close()
}

// DB returns the underlying database.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// columns of cmw_cdr in insert order.
var columns = []string{"callid", "account", "original_callid", "ref_callid", "ani", "dnis", "ani_user", "dnis_user",
	"detect_time", "connect_time", "disconnect_time", "duration_s", "ring_time_s", "cost", "access_fee", "rate",
	"route_pattern", "route_name", "end_reason", "name_endpoint_ani", "name_endpoint_dnis", "direction", "type",
	"extra", "live", "updated_at"}

// migrations are the "cdr" component's migrate steps; {MONEY} and {BOOL}
// are per dialect. IF NOT EXISTS lets databases created before
// schema_migrations existed adopt them.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS cmw_cdr (
		callid TEXT PRIMARY KEY,
		account TEXT NOT NULL,
		original_callid TEXT NOT NULL DEFAULT '',
		ref_callid TEXT NOT NULL DEFAULT '',
		ani TEXT NOT NULL DEFAULT '',
		dnis TEXT NOT NULL DEFAULT '',
		ani_user TEXT NOT NULL DEFAULT '',
		dnis_user TEXT NOT NULL DEFAULT '',
		detect_time BIGINT NOT NULL,
		connect_time BIGINT NOT NULL,
		disconnect_time BIGINT NOT NULL,
		duration_s BIGINT NOT NULL,
		ring_time_s BIGINT NOT NULL,
		cost {MONEY} NOT NULL,
		access_fee {MONEY} NOT NULL,
		rate {MONEY} NOT NULL,
		route_pattern TEXT NOT NULL DEFAULT '',
		route_name TEXT NOT NULL DEFAULT '',
		end_reason TEXT NOT NULL DEFAULT '',
		name_endpoint_ani TEXT NOT NULL DEFAULT '',
		name_endpoint_dnis TEXT NOT NULL DEFAULT '',
		direction TEXT NOT NULL DEFAULT '',
		type TEXT NOT NULL DEFAULT '',
		extra TEXT NOT NULL DEFAULT '{}',
		live {BOOL} NOT NULL,
		updated_at BIGINT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS cmw_cdr_account_detect ON cmw_cdr (account, detect_time)`,
	`CREATE INDEX IF NOT EXISTS cmw_cdr_original ON cmw_cdr (original_callid)`,
	`CREATE TABLE IF NOT EXISTS cmw_sync_checkpoint (
		account TEXT PRIMARY KEY,
		through BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	)`,
}

func (s *Store) ddl(q string) string {
	money, boolean := "TEXT", "INTEGER"
	if s.dialect == Postgres {
		money, boolean = "NUMERIC", "BOOLEAN"
	}
	return strings.NewReplacer("{MONEY}", money, "{BOOL}", boolean).Replace(q)
}

// Migrate creates or upgrades the schema through internal/migrate
// (component "cdr" in schema_migrations). It is idempotent and safe when
// several processes start at once.
func (s *Store) Migrate(ctx context.Context) error {
	if s.db == nil {
		return ErrNotInitialized
	}
	steps := make([]migrate.Step, len(migrations))
	for i, q := range migrations {
		steps[i] = migrate.Step{Version: i + 1, SQL: s.ddl(q)}
	}
	d := migrate.SQLite
	if s.dialect == Postgres {
		d = migrate.Postgres
	}
	if _, err := migrate.Apply(ctx, migrate.SQL(s.db, d), "cdr", steps); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	return nil
}

// rebind turns ? placeholders into the dialect's form.
func (s *Store) rebind(q string) string { return s.dialect.Rebind(q) }

// Rebind turns ? placeholders into $1, $2... for PostgreSQL (SQLite keeps
// ?), so one query text serves both dialects. It does not look inside
// string literals: keep ? out of them.
func (d Dialect) Rebind(q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// LoadCheckpoint implements cdr.Store.
func (s *Store) LoadCheckpoint(ctx context.Context, account string) (cdr.Checkpoint, error) {
	if s.db == nil {
		return cdr.Checkpoint{}, ErrNotInitialized
	}
	var through int64
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT through FROM cmw_sync_checkpoint WHERE account = ?`), account).Scan(&through)
	if errors.Is(err, sql.ErrNoRows) {
		return cdr.Checkpoint{}, nil
	}
	if err != nil {
		return cdr.Checkpoint{}, fmt.Errorf("sqlstore: load checkpoint: %w", err)
	}
	return cdr.Checkpoint{Through: time.Unix(through, 0).In(s.loc)}, nil
}

// Commit implements cdr.Store: the records are upserted by callid in
// batches and the checkpoint saved, in one transaction.
func (s *Store) Commit(ctx context.Context, account string, recs []cdr.Record, cp cdr.Checkpoint) error {
	if s.db == nil {
		return ErrNotInitialized
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	defer tx.Rollback()
	if err := s.upsert(ctx, tx, account, recs); err != nil {
		return err
	}
	now := time.Now().Unix()
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO cmw_sync_checkpoint (account, through, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (account) DO UPDATE SET through = excluded.through, updated_at = excluded.updated_at`),
		account, cp.Through.Unix(), now); err != nil {
		return fmt.Errorf("sqlstore: save checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit: %w", err)
	}
	return nil
}

// Upsert stores records by callid without touching the checkpoint (for
// records that arrive by other paths, such as provisional webhook rows).
func (s *Store) Upsert(ctx context.Context, account string, recs []cdr.Record) error {
	if s.db == nil {
		return ErrNotInitialized
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: upsert: %w", err)
	}
	defer tx.Rollback()
	if err := s.upsert(ctx, tx, account, recs); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) upsert(ctx context.Context, tx *sql.Tx, account string, recs []cdr.Record) error {
	// Text is stored by the rule of every cdr.Store (PostgreSQL's TEXT
	// refuses NUL and invalid UTF-8): see cdr.Record.SanitizeText.
	clean := make([]cdr.Record, len(recs))
	for i, r := range recs {
		clean[i] = r.SanitizeText()
	}
	// Within one statement a callid may appear once (PostgreSQL refuses a
	// row affected twice): keep the last version of each.
	recs = lastByCallID(clean)
	now := time.Now().Unix()
	var set []string
	for _, c := range columns[1:] {
		set = append(set, c+" = excluded."+c)
	}
	for len(recs) > 0 {
		n := min(len(recs), s.batch)
		batch := recs[:n]
		recs = recs[n:]
		var q strings.Builder
		q.WriteString("INSERT INTO cmw_cdr (" + strings.Join(columns, ", ") + ") VALUES ")
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
		args := make([]any, 0, n*len(columns))
		for i, r := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
			extra := "{}"
			if len(r.Extra) > 0 {
				b, err := json.Marshal(r.Extra)
				if err != nil {
					return fmt.Errorf("sqlstore: record %s: extra: %w", r.CallID, err)
				}
				extra = string(b)
			}
			args = append(args, r.CallID, account, r.OriginalCallID, r.RefCallID, r.ANI, r.DNIS, r.ANIUser, r.DNISUser,
				unix(r.DetectTime), unix(r.ConnectTime), unix(r.DisconnectTime),
				int64(r.Duration/time.Second), int64(r.RingTime/time.Second),
				cdr.Money(r.Cost), cdr.Money(r.AccessFee), cdr.Money(r.Rate),
				r.RoutePattern, r.RouteName, r.EndReason, r.NameEndpointANI, r.NameEndpointDNIS,
				string(r.Direction), r.Type, extra, r.Live(), now)
		}
		q.WriteString(" ON CONFLICT (callid) DO UPDATE SET " + strings.Join(set, ", "))
		if _, err := tx.ExecContext(ctx, s.rebind(q.String()), args...); err != nil {
			return fmt.Errorf("sqlstore: upsert %d records: %w", n, err)
		}
	}
	return nil
}

func lastByCallID(recs []cdr.Record) []cdr.Record {
	seen := make(map[string]int, len(recs))
	dup := false
	for i, r := range recs {
		if _, ok := seen[r.CallID]; ok {
			dup = true
		}
		seen[r.CallID] = i
	}
	if !dup {
		return recs
	}
	out := make([]cdr.Record, 0, len(seen))
	for i, r := range recs {
		if seen[r.CallID] == i {
			out = append(out, r)
		}
	}
	return out
}

func unix(t callmyway.Time) int64 { return unixtime.Seconds(t.Time()) }

func (s *Store) fromUnix(n int64) callmyway.Time { return callmyway.NewTime(unixtime.Time(n, s.loc)) }

// Filter selects records for List. Zero fields select everything, so the
// zero Filter lists the first 1000 records.
//
// It may be read concurrently.
type Filter struct {
	Account  string
	From, To time.Time // detect time, From inclusive, To exclusive
	User     string    // ani_user or dnis_user (an agent's endpoint)
	Number   string    // ani or dnis
	Limit    int       // default 1000
	Offset   int
}

// List returns records matching f in detect order.
func (s *Store) List(ctx context.Context, f Filter) ([]cdr.Record, error) {
	if s.db == nil {
		return nil, ErrNotInitialized
	}
	q := "SELECT " + strings.Join(columns, ", ") + " FROM cmw_cdr WHERE 1=1"
	var args []any
	if f.Account != "" {
		q += " AND account = ?"
		args = append(args, f.Account)
	}
	if !f.From.IsZero() {
		q += " AND detect_time >= ?"
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		q += " AND detect_time < ?"
		args = append(args, f.To.Unix())
	}
	if f.User != "" {
		q += " AND (ani_user = ? OR dnis_user = ?)"
		args = append(args, f.User, f.User)
	}
	if f.Number != "" {
		q += " AND (ani = ? OR dnis = ?)"
		args = append(args, f.Number, f.Number)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q += " ORDER BY detect_time, callid LIMIT ? OFFSET ?"
	args = append(args, f.Limit, f.Offset)
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	defer rows.Close()
	var out []cdr.Record
	for rows.Next() {
		r, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Get returns the record with callid (raw, as the provider sent it, like
// Record.CallID), and whether it exists.
func (s *Store) Get(ctx context.Context, callid string) (cdr.Record, bool, error) {
	callid = cdr.EscapeID(callid)
	if s.db == nil {
		return cdr.Record{}, false, ErrNotInitialized
	}
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT "+strings.Join(columns, ", ")+" FROM cmw_cdr WHERE callid = ?"), callid)
	if err != nil {
		return cdr.Record{}, false, fmt.Errorf("sqlstore: get: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return cdr.Record{}, false, rows.Err()
	}
	r, err := s.scan(rows)
	return r, err == nil, err
}

// Count returns how many records account has ("" for all).
func (s *Store) Count(ctx context.Context, account string) (int, error) {
	if s.db == nil {
		return 0, ErrNotInitialized
	}
	var n int
	q, args := "SELECT COUNT(*) FROM cmw_cdr", []any{}
	if account != "" {
		q += " WHERE account = ?"
		args = append(args, account)
	}
	err := s.db.QueryRowContext(ctx, s.rebind(q), args...).Scan(&n)
	return n, err
}

func (s *Store) scan(rows *sql.Rows) (cdr.Record, error) {
	r, _, err := s.scanUpdated(rows)
	return r, err
}

// scanUpdated scans a row of columns, and returns its updated_at too.
func (s *Store) scanUpdated(rows *sql.Rows) (cdr.Record, int64, error) {
	var (
		r                     cdr.Record
		account, dir, extra   string
		cost, fee, rate       string
		detect, connect, disc int64
		dur, ring, updated    int64
		live                  bool
	)
	if err := rows.Scan(&r.CallID, &account, &r.OriginalCallID, &r.RefCallID, &r.ANI, &r.DNIS, &r.ANIUser, &r.DNISUser,
		&detect, &connect, &disc, &dur, &ring, &cost, &fee, &rate,
		&r.RoutePattern, &r.RouteName, &r.EndReason, &r.NameEndpointANI, &r.NameEndpointDNIS,
		&dir, &r.Type, &extra, &live, &updated); err != nil {
		return r, 0, fmt.Errorf("sqlstore: scan: %w", err)
	}
	r.DetectTime, r.ConnectTime, r.DisconnectTime = s.fromUnix(detect), s.fromUnix(connect), s.fromUnix(disc)
	r.Duration, r.RingTime = time.Duration(dur)*time.Second, time.Duration(ring)*time.Second
	r.Direction = callmyway.Direction(dir)
	var err error
	for _, m := range []struct {
		in  string
		out *decimal.Decimal
	}{{cost, &r.Cost}, {fee, &r.AccessFee}, {rate, &r.Rate}} {
		if *m.out, err = decimal.NewFromString(m.in); err != nil {
			return r, 0, fmt.Errorf("sqlstore: record %s: money %q: %w", r.CallID, m.in, err)
		}
	}
	if extra != "" && extra != "{}" {
		if err := json.Unmarshal([]byte(extra), &r.Extra); err != nil {
			return r, 0, fmt.Errorf("sqlstore: record %s: extra: %w", r.CallID, err)
		}
	}
	// The ids are stored escaped (cdr.EscapeID); a Record holds them raw.
	if r, err = r.UnescapeIDs(); err != nil {
		return r, updated, fmt.Errorf("sqlstore: %w", err)
	}
	return r, updated, nil
}
