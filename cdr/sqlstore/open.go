package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// OpenSQLite opens (creating if needed) a SQLite database file in WAL mode
// with a busy timeout, migrated and ready.
func OpenSQLite(ctx context.Context, path string, loc *time.Location) (*Store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	return ready(ctx, db, SQLite, loc)
}

// OpenPostgres opens a PostgreSQL database through pgx, migrated and
// ready. dsn is a URL or key=value string.
func OpenPostgres(ctx context.Context, dsn string, loc *time.Location) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open postgres: %w", err)
	}
	return ready(ctx, db, Postgres, loc)
}

func ready(ctx context.Context, db *sql.DB, d Dialect, loc *time.Location) (*Store, error) {
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect (%s): %w", d, err)
	}
	s := New(db, d, loc)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
