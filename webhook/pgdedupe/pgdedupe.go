// Package pgdedupe is a webhook.Deduper in PostgreSQL, shared by every
// CRM instance: a duplicate delivery landing on another replica is still
// recognised. Keys are unique (callid, action) rows that expire.
package pgdedupe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/migrate/pgxmigrate"
	"github.com/callmyway-go/sdk/webhook"
)

// Deduper is a webhook.Deduper over a PostgreSQL table.
type Deduper struct {
	pool     *pgxpool.Pool
	window   time.Duration
	claimTTL time.Duration
	poll     time.Duration
}

// New returns a Deduper remembering processed events for window, creating
// its table if needed. A claim held by an instance that died is taken
// over after claimTTL (use the webhook listener timeout plus a margin).
func New(ctx context.Context, pool *pgxpool.Pool, window, claimTTL time.Duration) (*Deduper, error) {
	if window <= 0 || claimTTL <= 0 {
		return nil, errors.New("pgdedupe: window and claimTTL must be positive")
	}
	if _, err := pgxmigrate.Apply(ctx, pool, "webhook_dedupe", migrations); err != nil {
		return nil, fmt.Errorf("pgdedupe: %w", err)
	}
	return &Deduper{pool: pool, window: window, claimTTL: claimTTL, poll: 50 * time.Millisecond}, nil
}

// migrations are the "webhook_dedupe" component's schema steps.
var migrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_webhook_dedupe (
		key TEXT PRIMARY KEY, done BOOLEAN NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`},
}

// Acquire implements webhook.Deduper.
func (d *Deduper) Acquire(ctx context.Context, key string) (bool, error) {
	for {
		// Claim the key if it is new or its previous row expired.
		var claimed bool
		err := d.pool.QueryRow(ctx, `INSERT INTO cmw_webhook_dedupe (key, done, expires_at) VALUES ($1, false, now() + $2::interval)
			ON CONFLICT (key) DO UPDATE SET done = false, expires_at = excluded.expires_at
			WHERE cmw_webhook_dedupe.expires_at < now()
			RETURNING true`, key, interval(d.claimTTL)).Scan(&claimed)
		if err == nil && claimed {
			return false, nil
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return false, fmt.Errorf("pgdedupe: acquire: %w", err)
		}
		var done bool
		err = d.pool.QueryRow(ctx, `SELECT done FROM cmw_webhook_dedupe WHERE key = $1 AND expires_at >= now()`, key).Scan(&done)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			continue // expired or released meanwhile: try to claim again
		case err != nil:
			return false, fmt.Errorf("pgdedupe: acquire: %w", err)
		case done:
			return true, nil
		}
		// Another instance is processing it: wait for its outcome.
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(d.poll):
		}
	}
}

// Release implements webhook.Deduper.
func (d *Deduper) Release(ctx context.Context, key string, success bool) error {
	var err error
	if success {
		_, err = d.pool.Exec(ctx, `UPDATE cmw_webhook_dedupe SET done = true, expires_at = now() + $2::interval WHERE key = $1`, key, interval(d.window))
	} else {
		_, err = d.pool.Exec(ctx, `DELETE FROM cmw_webhook_dedupe WHERE key = $1 AND NOT done`, key)
	}
	if err != nil {
		return fmt.Errorf("pgdedupe: release: %w", err)
	}
	return nil
}

// Prune deletes expired rows; call it now and then.
func (d *Deduper) Prune(ctx context.Context) (int64, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM cmw_webhook_dedupe WHERE expires_at < now()`)
	return tag.RowsAffected(), err
}

func interval(d time.Duration) string { return fmt.Sprintf("%d milliseconds", d.Milliseconds()) }

var _ webhook.Deduper = (*Deduper)(nil)
