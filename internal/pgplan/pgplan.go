// Package pgplan keeps the SDK's PostgreSQL statements on plans made for
// their arguments.
//
// pgx prepares and caches every statement. After five executions
// PostgreSQL may switch a prepared statement to a generic plan, made once
// without the arguments, and it keeps it while the table grows. The SDK's
// tables start empty: on an empty table a generic plan for
// "key = ANY($1)" is a sequential scan, and it stays one when the table
// holds a million rows. Measured on the webhook's de-duplication table: 353
// sequential scans reading 1.3 million rows in a 10-second load run, the
// session's UPDATE at 5.7 ms for 20 rows, and throughput halving as the
// table filled. Forcing custom plans costs a plan per execution (tens of
// microseconds) and keeps every lookup on its index.
//
// Session configures a connection the SDK owns; SetLocal is the statement
// for a transaction on a pool the caller owns, scoped to that transaction
// so the caller's own statements are not affected.
package pgplan

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// SetLocal makes the statements of the current transaction plan for
// their arguments. Queue it right after BEGIN.
const SetLocal = "SET LOCAL plan_cache_mode = force_custom_plan"

// Session makes the later statements of conn, a connection the SDK opened
// itself, plan for their arguments. It is a SET after connecting rather
// than a startup parameter, which PgBouncer refuses ("unsupported startup
// parameter") unless told to ignore it. A failure on a connection still
// open is not fatal: the statements then run on PostgreSQL's default plans
// (slower as tables grow, never wrong), so it is returned only when the
// connection is closed.
func Session(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "SET plan_cache_mode = force_custom_plan"); err != nil && conn.IsClosed() {
		return err
	}
	return nil
}
