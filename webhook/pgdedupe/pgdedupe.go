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
	"github.com/callmyway-go/sdk/internal/wait"
	"github.com/callmyway-go/sdk/webhook"
)

// Deduper is a webhook.Deduper over a PostgreSQL table. It is safe for
// concurrent use, by any number of goroutines and instances. Its zero
// value is not usable (its methods return ErrNotInitialized): get one
// from New.
type Deduper struct {
	pool     *pgxpool.Pool
	window   time.Duration
	claimTTL time.Duration
	poll     time.Duration
}

// ErrNotInitialized is returned by the methods of a Deduper not made by
// New.
var ErrNotInitialized = errors.New("pgdedupe: Deduper not made by New")

// Option configures a Deduper. Options check their values: New returns
// the first option's error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type Option func(*Deduper) error

// WithWindow sets how long a processed event is remembered (default
// webhook.DefaultDedupeWindow); it must be positive.
func WithWindow(d time.Duration) Option {
	return func(dd *Deduper) error {
		if d <= 0 {
			return fmt.Errorf("pgdedupe: WithWindow(%v): must be positive", d)
		}
		dd.window = d
		return nil
	}
}

// WithClaimTTL sets after how long a claim held by an instance that died
// is taken over (default 30 s; use the webhook listener timeout plus a
// margin). It must be positive.
func WithClaimTTL(d time.Duration) Option {
	return func(dd *Deduper) error {
		if d <= 0 {
			return fmt.Errorf("pgdedupe: WithClaimTTL(%v): must be positive", d)
		}
		dd.claimTTL = d
		return nil
	}
}

// WithPoll sets how often Acquire looks again at a key another instance
// is processing (default 50 ms); between 1 ms and 10 s.
func WithPoll(d time.Duration) Option {
	return func(dd *Deduper) error {
		if d < time.Millisecond || d > 10*time.Second {
			return fmt.Errorf("pgdedupe: WithPoll(%v): between 1ms and 10s", d)
		}
		dd.poll = d
		return nil
	}
}

// DefaultClaimTTL is the default of WithClaimTTL.
const DefaultClaimTTL = 30 * time.Second

// New returns a Deduper on pool, creating or upgrading its table
// (component "webhook_dedupe" of schema_migrations).
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Deduper, error) {
	d := &Deduper{pool: pool, window: webhook.DefaultDedupeWindow, claimTTL: DefaultClaimTTL, poll: 50 * time.Millisecond}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if pool == nil {
		return nil, errors.New("pgdedupe: New: nil pool")
	}
	if _, err := pgxmigrate.Apply(ctx, pool, "webhook_dedupe", migrations); err != nil {
		return nil, fmt.Errorf("pgdedupe: %w", err)
	}
	return d, nil
}

// migrations are the "webhook_dedupe" component's schema steps.
var migrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_webhook_dedupe (
		key TEXT PRIMARY KEY, done BOOLEAN NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`},
}

// Acquire implements webhook.Deduper.
func (d *Deduper) Acquire(ctx context.Context, key string) (bool, error) {
	if d.pool == nil {
		return false, ErrNotInitialized
	}
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
		if err := wait.Sleep(ctx, d.poll); err != nil {
			return false, err
		}
	}
}

// Release implements webhook.Deduper.
func (d *Deduper) Release(ctx context.Context, key string, success bool) error {
	if d.pool == nil {
		return ErrNotInitialized
	}
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
	if d.pool == nil {
		return 0, ErrNotInitialized
	}
	tag, err := d.pool.Exec(ctx, `DELETE FROM cmw_webhook_dedupe WHERE expires_at < now()`)
	return tag.RowsAffected(), err
}

func interval(d time.Duration) string { return fmt.Sprintf("%d milliseconds", d.Milliseconds()) }

var _ webhook.Deduper = (*Deduper)(nil)
