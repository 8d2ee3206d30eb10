// Package sqlite opens a cdr/sqlstore Store in a SQLite file through
// modernc.org/sqlite (pure Go, no cgo). A program importing it links no
// PostgreSQL driver.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

// MaxOpenConns bounds the connections (and file descriptors) a store
// opened by Open keeps on its file.
const MaxOpenConns = 16

// MaxIdleTime is how long a connection of a store opened by Open stays
// open unused (the pool reuses the most recent first, so a quiet pool
// shrinks to what its load needs).
const MaxIdleTime = 10 * time.Second

// Open opens (creating if needed) the SQLite database file at path in WAL
// mode with a busy timeout and synchronous commits (synchronous=FULL: a
// commit survives a power loss, so a CRM that keeps its ledger in this
// database acknowledges only what is on disk), migrated and ready, reading times in acct's
// zone. An incomplete acct is an error matching callmyway.ErrInvalidAccount.
func Open(ctx context.Context, path string, acct callmyway.Account) (*sqlstore.Store, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore/sqlite: open %s: %w", path, err)
	}
	// A bounded pool that stays open: SQLite serialises writers anyway,
	// and a connection closed while the process holds locks on the file
	// leaves its descriptor parked until exit, so an unbounded pool that
	// grows under load and shrinks after it keeps hundreds of descriptors.
	// Requests beyond the bound wait for a connection (backpressure, not
	// refusal).
	db.SetMaxOpenConns(MaxOpenConns)
	db.SetMaxIdleConns(MaxOpenConns)
	// After a burst, connections left idle are closed, so descriptors
	// and per-connection caches go back to their idle baseline.
	db.SetConnMaxIdleTime(MaxIdleTime)
	return sqlstore.Open(ctx, db, sqlstore.SQLite, acct)
}
