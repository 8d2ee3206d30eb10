// Package postgres opens a cdr/sqlstore Store in PostgreSQL through
// jackc/pgx. A program importing it links no SQLite driver.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

// MaxOpenConns bounds the connections a store opened by Open keeps to
// the server.
const MaxOpenConns = 16

// MaxIdleTime is how long a connection of a store opened by Open stays
// open unused (the pool reuses the most recent first, so a quiet pool
// shrinks to what its load needs).
const MaxIdleTime = 10 * time.Second

// Open opens the PostgreSQL database at dsn (a URL or key=value string),
// migrated and ready, reading times in acct's zone. An incomplete acct is
// an error matching callmyway.ErrInvalidAccount.
func Open(ctx context.Context, dsn string, acct callmyway.Account) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore/postgres: open: %w", err)
	}
	// A bounded pool that stays open: database/sql keeps only 2 idle
	// connections by default, so under load it opens a server process
	// per query and closes it after (forking a backend costs far more
	// than the query), and unbounded it can exceed max_connections.
	// Requests beyond the bound wait for a connection.
	db.SetMaxOpenConns(MaxOpenConns)
	db.SetMaxIdleConns(MaxOpenConns)
	// After a burst, connections left idle are closed, so descriptors
	// and per-connection caches go back to their idle baseline.
	db.SetConnMaxIdleTime(MaxIdleTime)
	return sqlstore.Open(ctx, db, sqlstore.Postgres, acct)
}
