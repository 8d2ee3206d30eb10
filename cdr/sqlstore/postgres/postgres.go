// Package postgres opens a cdr/sqlstore Store in PostgreSQL through
// jackc/pgx. A program importing it links no SQLite driver.
package postgres

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

// Open opens the PostgreSQL database at dsn (a URL or key=value string),
// migrated and ready, reading times in acct's zone. An incomplete acct is
// an error matching callmyway.ErrInvalidAccount.
func Open(ctx context.Context, dsn string, acct callmyway.Account) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore/postgres: open: %w", err)
	}
	return sqlstore.Open(ctx, db, sqlstore.Postgres, acct)
}
