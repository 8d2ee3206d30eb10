// Package migrate applies numbered, forward-only schema migrations, the
// one mechanism every package of the module uses to create its tables.
//
// Each component (for example "cdr", "webhook_dedupe") has its own list
// of Steps, version 1, 2, 3... Apply records every applied step in one
// table, schema_migrations(component, version, applied_at), and applies
// each missing step in its own transaction together with its record, so a
// step is applied completely or not at all. On PostgreSQL every
// transaction first takes a transaction-scoped advisory lock, so several
// processes starting at once apply each step exactly once; on SQLite the
// transaction takes the write lock at once (BEGIN IMMEDIATE), which
// serialises them the same way.
//
// Apply works over anything implementing DB: SQL adapts a *sql.DB, and
// package pgxmigrate adapts a pgx pool (kept apart so that a program
// using SQLite never links pgx).
package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Dialect is the SQL flavour of a DB.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Step is one migration: version n of a component, one or more SQL
// statements without parameters. A step, once released, never changes:
// change the schema with a new step.
type Step struct {
	Version int
	SQL     string
}

// DB is what Apply needs from a database.
type DB interface {
	// Dialect reports the database's SQL flavour.
	Dialect() Dialect
	// InTx runs f in a transaction that holds the database's write lock
	// on SQLite (BEGIN IMMEDIATE), committing if f returns nil and rolling
	// back otherwise.
	InTx(ctx context.Context, f func(Tx) error) error
}

// Tx is one transaction of a DB.
type Tx interface {
	// Exec runs statements; args fill the dialect's placeholders
	// (? on SQLite, $1, $2... on PostgreSQL).
	Exec(ctx context.Context, query string, args ...any) error
	// QueryInt runs a query returning one integer.
	QueryInt(ctx context.Context, query string, args ...any) (int64, error)
}

// ErrBadSteps is matched by the error Apply returns for steps that are not
// numbered 1, 2, 3... in order, or that are empty.
var ErrBadSteps = errors.New("migrate: steps must be numbered 1, 2, 3... and hold SQL")

// ErrNewerSchema is matched by the error Apply returns when the database
// records a version of the component that the program does not know: a
// newer program migrated it.
var ErrNewerSchema = errors.New("migrate: the database holds a newer schema than this program knows")

// lockKey is the PostgreSQL advisory lock key serialising migrations (any
// fixed number; "cmw-migrate" in ASCII, truncated).
const lockKey = 0x636d772d6d6967

// Apply brings component's schema on db up to its last step, applying the
// missing steps in order, each in its own transaction with its record in
// schema_migrations. It is idempotent and safe to call from several
// processes at once. It returns the component's version after the call.
func Apply(ctx context.Context, db DB, component string, steps []Step) (int, error) {
	if component == "" {
		return 0, errors.New("migrate: empty component name")
	}
	for i, s := range steps {
		if s.Version != i+1 || s.SQL == "" {
			return 0, fmt.Errorf("%w: %s step %d has version %d", ErrBadSteps, component, i+1, s.Version)
		}
	}
	d := db.Dialect()
	if d != SQLite && d != Postgres {
		return 0, fmt.Errorf("migrate: unknown dialect %q", d)
	}
	current := 0
	for {
		var applied bool
		err := db.InTx(ctx, func(tx Tx) error {
			var err error
			current, applied, err = next(ctx, tx, d, component, steps)
			return err
		})
		if err != nil {
			return 0, err
		}
		if !applied {
			return current, nil
		}
	}
}

// next applies the first missing step, if any, in tx.
func next(ctx context.Context, tx Tx, d Dialect, component string, steps []Step) (version int, applied bool, err error) {
	if d == Postgres {
		if err := tx.Exec(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockKey)); err != nil {
			return 0, false, fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		component TEXT NOT NULL,
		version INTEGER NOT NULL,
		applied_at BIGINT NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return 0, false, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	v, err := tx.QueryInt(ctx, rebind(d, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?`), component)
	if err != nil {
		return 0, false, fmt.Errorf("migrate: %s: read version: %w", component, err)
	}
	switch {
	case int(v) > len(steps):
		return int(v), false, fmt.Errorf("%w: %s is at version %d, this program knows %d", ErrNewerSchema, component, v, len(steps))
	case int(v) == len(steps):
		return int(v), false, nil
	}
	s := steps[v]
	if err := tx.Exec(ctx, s.SQL); err != nil {
		return int(v), false, fmt.Errorf("migrate: %s step %d: %w", component, s.Version, err)
	}
	if err := tx.Exec(ctx, rebind(d, `INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)`),
		component, s.Version, time.Now().Unix()); err != nil {
		return int(v), false, fmt.Errorf("migrate: %s step %d: record: %w", component, s.Version, err)
	}
	return s.Version, true, nil
}

// rebind turns the two placeholders of our queries into $1, $2 on
// PostgreSQL.
func rebind(d Dialect, q string) string {
	if d != Postgres {
		return q
	}
	out := make([]byte, 0, len(q)+4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = fmt.Appendf(out, "$%d", n)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
