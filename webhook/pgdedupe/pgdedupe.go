// Package pgdedupe is a webhook.Deduper in PostgreSQL, shared by every
// CRM instance: a duplicate delivery landing on another replica is still
// recognised. Keys are unique (callid, action) rows that expire.
//
// # Claims die with their replica
//
// While a delivery is processed its key is claimed, and a re-delivery
// waits for the outcome. Each Deduper keeps one database session of its
// own (a dedicated connection, outside the pool) and takes every claim on
// it, recording the session's backend pid and start time with the claim.
// A claim whose session is no longer in pg_stat_activity is free: when a
// replica is killed, PostgreSQL ends its session as soon as the
// connection closes, and a re-delivery on another replica takes the claim
// over within one poll interval (50 ms by default) instead of waiting for
// the claim TTL. The TTL (WithClaimTTL) remains the bound for a replica
// that hangs with its session alive, for a host that vanished without
// closing its connections (until the server's TCP keepalive notices), and
// for claims whose session cannot be told apart from a newer one with the
// same pid (pg_stat_activity hides backend_start of other roles' sessions
// without pg_read_all_stats).
//
// A replica whose session dies while it processes a delivery (a network
// blip, a database restart) is taken for dead too: a re-delivery landing
// meanwhile elsewhere is processed again. The Deduper reconnects its
// session on the next claim. Behind a transaction-pooling proxy (such as
// PgBouncer in transaction mode) the recorded pid is a server connection
// of the proxy, which outlives the replica: claims then wait for the TTL,
// as they did before sessions were recorded.
//
// # Bounded table
//
// Expired rows (done keys older than the window, claims older than the
// claim TTL) are deleted by Acquire at most once a minute per Deduper, at
// most 10,000 rows each time in batches of 1,000 (so the table holds about
// one window of keys plus what the pruning of busy minutes leaves for the
// next), and on demand by Prune.
package pgdedupe

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
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
// from New, and Close it when done to end its database session.
type Deduper struct {
	pool     *pgxpool.Pool
	window   time.Duration
	claimTTL time.Duration
	poll     time.Duration

	// sem is the session's single slot: the connection runs one statement
	// at a time. Holding it guards conn and closed.
	sem    chan struct{}
	conn   *pgx.Conn // the session claims are tied to; nil: connect on next use
	closed bool

	lastPrune atomic.Int64 // Unix nanoseconds of the last automatic prune
}

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("pgdedupe: Deduper closed")

// Pruning bounds: Acquire prunes at most once per pruneEvery, at most
// pruneBatches batches of pruneBatch rows.
const (
	pruneEvery   = time.Minute
	pruneBatch   = 1000
	pruneBatches = 10
)

// sessionTimeout bounds one statement on the session. The caller's
// cancellation does not reach it: cancelling a statement may close the
// connection, and that would free every claim of the replica.
const sessionTimeout = 10 * time.Second

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
// (component "webhook_dedupe" of schema_migrations), and opens its session:
// a dedicated connection with pool's configuration, closed by Close.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Deduper, error) {
	d := &Deduper{pool: pool, window: webhook.DefaultDedupeWindow, claimTTL: DefaultClaimTTL, poll: 50 * time.Millisecond,
		sem: make(chan struct{}, 1)}
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
	if err := d.onSession(ctx, func(context.Context, *pgx.Conn) error { return nil }); err != nil {
		return nil, err
	}
	return d, nil
}

// Close ends the Deduper's session. Its claims in flight become free at
// once; later calls of Acquire return ErrClosed (Release still works,
// through the pool).
func (d *Deduper) Close() error {
	if d.pool == nil {
		return ErrNotInitialized
	}
	d.sem <- struct{}{}
	defer func() { <-d.sem }()
	d.closed = true
	if d.conn == nil {
		return nil
	}
	err := d.conn.Close(context.Background())
	d.conn = nil
	return err
}

// onSession runs f on the session, connecting it first if needed. If the
// session turns out dead, its claims are free already: f runs once more on
// a new session.
func (d *Deduper) onSession(ctx context.Context, f func(ctx context.Context, conn *pgx.Conn) error) error {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.sem }()
	for attempt := 0; ; attempt++ {
		if d.closed {
			return ErrClosed
		}
		if d.conn == nil {
			conn, err := pgx.ConnectConfig(ctx, d.pool.Config().ConnConfig.Copy())
			if err != nil {
				return fmt.Errorf("pgdedupe: session: %w", err)
			}
			d.conn = conn
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sessionTimeout)
		err := f(sctx, d.conn)
		cancel()
		if err == nil || !d.conn.IsClosed() || attempt > 0 {
			return err
		}
		d.conn = nil
	}
}

// migrations are the "webhook_dedupe" component's schema steps.
var migrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_webhook_dedupe (
		key TEXT PRIMARY KEY, done BOOLEAN NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`},
	// The claimer's session: NULL for rows of older versions (TTL only).
	{Version: 2, SQL: `ALTER TABLE cmw_webhook_dedupe ADD COLUMN IF NOT EXISTS owner_pid INTEGER,
		ADD COLUMN IF NOT EXISTS owner_start TIMESTAMPTZ`},
	{Version: 3, SQL: `CREATE INDEX IF NOT EXISTS cmw_webhook_dedupe_expires ON cmw_webhook_dedupe (expires_at)`},
}

// claimSQL claims a key on the session: a new key, an expired row, or a
// claim whose session is gone. Another role's session hides its
// backend_start (NULL): then the pid alone keeps the claim. It returns
// whether it claimed the key and, if not, the key's done flag as it was
// before the statement (NULL: no live row, try again).
const claimSQL = `WITH claim AS (INSERT INTO cmw_webhook_dedupe AS d (key, done, expires_at, owner_pid, owner_start)
	VALUES ($1, false, now() + $2::interval, pg_backend_pid(),
		(SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()))
	ON CONFLICT (key) DO UPDATE SET done = false, expires_at = excluded.expires_at,
		owner_pid = excluded.owner_pid, owner_start = excluded.owner_start
	WHERE d.expires_at < now()
		OR (NOT d.done AND d.owner_pid IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM pg_stat_activity a WHERE a.pid = d.owner_pid
				AND (a.backend_start = d.owner_start OR a.backend_start IS NULL OR d.owner_start IS NULL)))
	RETURNING true)
	SELECT EXISTS (SELECT 1 FROM claim), (SELECT done FROM cmw_webhook_dedupe WHERE key = $1 AND expires_at >= now())`

// Acquire implements webhook.Deduper.
func (d *Deduper) Acquire(ctx context.Context, key string) (bool, error) {
	if d.pool == nil {
		return false, ErrNotInitialized
	}
	d.maybePrune(ctx)
	for {
		// Claim the key if it is new, its previous row expired, or its
		// claimer's session is gone; else read its state.
		var claimed bool
		var done *bool
		err := d.onSession(ctx, func(ctx context.Context, conn *pgx.Conn) error {
			return conn.QueryRow(ctx, claimSQL, key, interval(d.claimTTL)).Scan(&claimed, &done)
		})
		switch {
		case err != nil:
			return false, fmt.Errorf("pgdedupe: acquire: %w", err)
		case claimed:
			return false, nil
		case done == nil:
			continue // expired or released meanwhile: try to claim again
		case *done:
			return true, nil
		}
		// Another instance is processing it: wait for its outcome.
		if err := wait.Sleep(ctx, d.poll); err != nil {
			return false, err
		}
	}
}

// Release implements webhook.Deduper. It runs on the Deduper's session
// (reconnected if it died, so a lost connection does not leave the key
// claimed until the TTL), or on the pool after Close.
func (d *Deduper) Release(ctx context.Context, key string, success bool) error {
	if d.pool == nil {
		return ErrNotInitialized
	}
	q, args := `DELETE FROM cmw_webhook_dedupe WHERE key = $1 AND NOT done`, []any{key}
	if success {
		q, args = `UPDATE cmw_webhook_dedupe SET done = true, expires_at = now() + $2::interval WHERE key = $1`, []any{key, interval(d.window)}
	}
	err := d.onSession(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, q, args...)
		return err
	})
	if errors.Is(err, ErrClosed) {
		_, err = d.pool.Exec(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("pgdedupe: release: %w", err)
	}
	return nil
}

// Prune deletes every expired row and returns how many. Acquire already
// prunes at most once a minute (see the package documentation); call
// Prune to clear a backlog at once.
func (d *Deduper) Prune(ctx context.Context) (int64, error) {
	if d.pool == nil {
		return 0, ErrNotInitialized
	}
	tag, err := d.pool.Exec(ctx, `DELETE FROM cmw_webhook_dedupe WHERE expires_at < now()`)
	if err != nil {
		return 0, fmt.Errorf("pgdedupe: prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

// maybePrune deletes up to pruneBatches*pruneBatch expired rows, if this
// Deduper did not in the last pruneEvery. It is best effort: an error
// leaves the rows to the next time.
func (d *Deduper) maybePrune(ctx context.Context) {
	last, now := d.lastPrune.Load(), time.Now().UnixNano()
	if last != 0 && time.Duration(now-last) < pruneEvery || !d.lastPrune.CompareAndSwap(last, now) {
		return
	}
	for range pruneBatches {
		tag, err := d.pool.Exec(ctx, `DELETE FROM cmw_webhook_dedupe WHERE ctid IN (
			SELECT ctid FROM cmw_webhook_dedupe WHERE expires_at < now() LIMIT $1)`, pruneBatch)
		if err != nil || tag.RowsAffected() < pruneBatch {
			return
		}
	}
}

func interval(d time.Duration) string { return fmt.Sprintf("%d milliseconds", d.Milliseconds()) }

var _ webhook.Deduper = (*Deduper)(nil)
