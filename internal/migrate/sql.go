package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/internal/wait"
)

// SQL adapts a *sql.DB of dialect d to DB. On SQLite each transaction is
// opened with BEGIN IMMEDIATE on a dedicated connection, so it holds the
// write lock from its first statement and concurrent migrators wait for
// each other (within the database's busy timeout) instead of failing.
func SQL(db *sql.DB, d Dialect) DB { return sqlDB{db: db, d: d} }

type sqlDB struct {
	db *sql.DB
	d  Dialect
}

func (s sqlDB) Dialect() Dialect { return s.d }

func (s sqlDB) InTx(ctx context.Context, f func(Tx) error) error {
	if s.db == nil {
		return errors.New("migrate: nil *sql.DB")
	}
	if s.d != SQLite {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: begin: %w", err)
		}
		defer tx.Rollback()
		if err := f(sqlTx{tx}); err != nil {
			return err
		}
		return tx.Commit()
	}
	conn, err := connect(ctx, s.db)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	if err := f(sqlTx{conn}); err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// sqlTx runs statements on a *sql.Tx or on a *sql.Conn inside BEGIN.
type sqlTx struct {
	q interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (t sqlTx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := t.q.ExecContext(ctx, query, args...)
	return err
}

func (t sqlTx) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := t.q.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// connect opens a connection, retrying for up to five seconds while SQLite
// reports the database busy: several processes opening a new file at once
// race to switch it to WAL, and the loser's connection setup (its
// journal_mode pragma) fails at once instead of waiting.
func connect(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	for attempt := 0; ; attempt++ {
		conn, err := db.Conn(ctx)
		if err == nil || attempt >= 50 || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return conn, err
		}
		if err := wait.Sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
}
