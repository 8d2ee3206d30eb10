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
// The session runs one transaction at a time: the claims and releases
// asked for meanwhile, by any number of goroutines, share the next one
// (one round trip, one commit).
//
// # Bounded table
//
// Expired rows (done keys older than the window, claims older than the
// claim TTL) are deleted by a goroutine of the Deduper, started by New and
// stopped by Close, never by a delivery: Acquire at most wakes it. It
// prunes once a minute, and as soon as an Acquire finds a minute passed
// since the last prune; each prune deletes at most 10,000 rows in batches
// of 1,000, and while a prune leaves a backlog, the next one comes a
// second later instead of a minute. So each Deduper can delete 10,000
// expired keys a second, more than one instance receives (two keys per
// call), and the table holds about one window of keys plus one second's
// backlog. Prune deletes every expired row at once.
package pgdedupe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/migrate/pgxmigrate"
	"github.com/callmyway-go/sdk/internal/pgplan"
	"github.com/callmyway-go/sdk/internal/wait"
	"github.com/callmyway-go/sdk/webhook"
)

// Deduper is a webhook.Deduper over a PostgreSQL table. It is safe for
// concurrent use, by any number of goroutines and instances. Its zero
// value is not usable (its methods return ErrNotInitialized): get one
// from New, and Close it when done to end its database session and its
// pruning goroutine.
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

	// The pruning goroutine: Acquire wakes it (kick) once nextPrune, in
	// Unix nanoseconds, has passed; Close cancels its context (stopPrune)
	// and waits for it (pruned).
	nextPrune atomic.Int64
	kick      chan struct{}
	stopPrune context.CancelFunc
	pruned    chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	running bool   // a goroutine runs the queued requests
	queue   []*req // for the next transaction on the session
}

// req is a claim or a release waiting for the session.
type req struct {
	key     string
	claim   bool // else a release
	success bool // of a release

	claimed bool  // the claim's outcome
	done    *bool // when not claimed: the key's done flag (nil: no live row)
	err     error
	ready   chan struct{}
}

// ErrClosed is returned by Acquire after Close.
var ErrClosed = errors.New("pgdedupe: Deduper closed")

// Pruning bounds: the pruning goroutine prunes once per pruneEvery, at
// most pruneBatches batches of pruneBatch rows; a prune that hit that cap
// is followed by the next one after pruneBacklogEvery.
const (
	pruneEvery        = time.Minute
	pruneBacklogEvery = time.Second
	pruneBatch        = 1000
	pruneBatches      = 10
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
// (component "webhook_dedupe" of schema_migrations), opens its session (a
// dedicated connection with pool's configuration) and starts its pruning
// goroutine; Close ends both. ctx bounds New only: the goroutine keeps
// ctx's values, not its cancellation.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Deduper, error) {
	d := &Deduper{pool: pool, window: webhook.DefaultDedupeWindow, claimTTL: DefaultClaimTTL, poll: 50 * time.Millisecond,
		sem: make(chan struct{}, 1), kick: make(chan struct{}, 1), pruned: make(chan struct{})}
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
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.stopPrune = cancel
	go d.pruneLoop(pctx)
	return d, nil
}

// Close stops the pruning goroutine (cancelling a prune in progress) and
// ends the Deduper's session. Its claims in flight become free at once;
// later calls of Acquire return ErrClosed (Release still works, through
// the pool, and so does Prune). Calling Close again does no harm.
func (d *Deduper) Close() error {
	if d.pool == nil {
		return ErrNotInitialized
	}
	d.closeOnce.Do(func() {
		d.stopPrune()
		<-d.pruned
	})
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
			// The table grows from empty: see internal/pgplan.
			if err := pgplan.Session(ctx, conn); err != nil {
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

// do queues r for the next transaction on the session and returns it
// done. It does not give up when the caller's context is done: an
// abandoned claim would keep its key until the session ends; the session's
// statements are bounded by sessionTimeout.
func (d *Deduper) do(r *req) *req {
	r.ready = make(chan struct{})
	d.mu.Lock()
	d.queue = append(d.queue, r)
	if !d.running {
		d.running = true
		go d.run()
	}
	d.mu.Unlock()
	<-r.ready
	return r
}

// run runs the queued requests, a transaction for all those queued at
// once, until the queue is empty.
func (d *Deduper) run() {
	for {
		d.mu.Lock()
		rs := d.queue
		d.queue = nil
		if len(rs) == 0 {
			d.running = false
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		var err error
		for attempt := 1; attempt <= 5; attempt++ {
			err = d.onSession(context.Background(), func(ctx context.Context, conn *pgx.Conn) error {
				return d.runBatch(ctx, conn, rs)
			})
			// Another replica's transaction on the same keys, in
			// another order: run again.
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "40P01" {
				break
			}
		}
		for _, r := range rs {
			if r.err == nil {
				r.err = err
			}
			close(r.ready)
		}
	}
}

// runBatch runs rs in one pipeline (an implicit transaction): the
// releases, then the claims. A key claimed twice in rs is claimed once;
// its other claims see it in progress, as they would one after the other.
func (d *Deduper) runBatch(ctx context.Context, conn *pgx.Conn, rs []*req) error {
	var done, failed, keys []string
	claims := map[string][]*req{}
	for _, r := range rs {
		r.claimed, r.done, r.err = false, nil, nil
		switch {
		case !r.claim && r.success:
			done = append(done, r.key)
		case !r.claim:
			failed = append(failed, r.key)
		default:
			if claims[r.key] == nil {
				keys = append(keys, r.key)
			}
			claims[r.key] = append(claims[r.key], r)
		}
	}
	// In one order everywhere, so that two replicas' batches lock their
	// rows in the same order.
	slices.Sort(done)
	slices.Sort(failed)
	slices.Sort(keys)
	b := &pgx.Batch{}
	if len(done) > 0 {
		b.Queue(doneSQL, done, interval(d.window))
	}
	if len(failed) > 0 {
		b.Queue(failSQL, failed)
	}
	if len(keys) > 0 {
		b.Queue(claimSQL, keys, interval(d.claimTTL)).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var key string
				var claimed bool
				var was *bool
				if err := rows.Scan(&key, &claimed, &was); err != nil {
					return err
				}
				for i, r := range claims[key] {
					if i == 0 {
						r.claimed, r.done = claimed, was
					} else {
						inProgress := false
						r.done = &inProgress
					}
				}
			}
			return rows.Err()
		})
	}
	return conn.SendBatch(ctx, b).Close()
}

// doneSQL marks keys ($1) done for the window ($2); failSQL frees the
// keys ($1) of failed deliveries.
const (
	doneSQL = `UPDATE cmw_webhook_dedupe SET done = true, expires_at = now() + $2::interval WHERE key = ANY($1)`
	failSQL = `DELETE FROM cmw_webhook_dedupe WHERE key = ANY($1) AND NOT done`
)

// claimSQL claims keys ($1, distinct) on the session: each a new key, an
// expired row, or a claim whose session is gone. Another role's session
// hides its backend_start (NULL): then the pid alone keeps the claim. It
// returns, for each key, whether it claimed it and, if not, the key's
// done flag as it was before the statement (NULL: no live row, try
// again).
const claimSQL = `WITH k AS (SELECT unnest($1::text[]) AS key),
	claim AS (INSERT INTO cmw_webhook_dedupe AS d (key, done, expires_at, owner_pid, owner_start)
	SELECT key, false, now() + $2::interval, pg_backend_pid(),
		(SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()) FROM k
	ON CONFLICT (key) DO UPDATE SET done = false, expires_at = excluded.expires_at,
		owner_pid = excluded.owner_pid, owner_start = excluded.owner_start
	WHERE d.expires_at < now()
		OR (NOT d.done AND d.owner_pid IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM pg_stat_activity a WHERE a.pid = d.owner_pid
				AND (a.backend_start = d.owner_start OR a.backend_start IS NULL OR d.owner_start IS NULL)))
	RETURNING d.key)
	SELECT k.key, EXISTS (SELECT 1 FROM claim c WHERE c.key = k.key),
		(SELECT done FROM cmw_webhook_dedupe c WHERE c.key = k.key AND c.expires_at >= now()) FROM k`

// Acquire implements webhook.Deduper.
func (d *Deduper) Acquire(ctx context.Context, key string) (bool, error) {
	if d.pool == nil {
		return false, ErrNotInitialized
	}
	d.wakePruner()
	for {
		// Claim the key if it is new, its previous row expired, or its
		// claimer's session is gone; else read its state.
		r := d.do(&req{key: key, claim: true})
		claimed, done, err := r.claimed, r.done, r.err
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
	err := d.do(&req{key: key, success: success}).err
	if errors.Is(err, ErrClosed) {
		q, args := failSQL, []any{[]string{key}}
		if success {
			q, args = doneSQL, []any{[]string{key}, interval(d.window)}
		}
		_, err = d.pool.Exec(ctx, q, args...)
	}
	if err != nil {
		return fmt.Errorf("pgdedupe: release: %w", err)
	}
	return nil
}

// Prune deletes every expired row and returns how many. The Deduper
// already prunes in the background (see the package documentation); call
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

// wakePruner wakes the pruning goroutine if a prune is due. It never
// waits: a wake-up already pending is enough.
func (d *Deduper) wakePruner() {
	if time.Now().UnixNano() < d.nextPrune.Load() {
		return
	}
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// pruneLoop is the pruning goroutine: it prunes when woken by Acquire
// (if due) or when its timer fires, until ctx is cancelled by Close.
func (d *Deduper) pruneLoop(ctx context.Context) {
	defer close(d.pruned)
	timer := time.NewTimer(pruneEvery)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
			if time.Now().UnixNano() < d.nextPrune.Load() {
				continue // woken twice for one prune
			}
		case <-timer.C:
		}
		next := pruneEvery
		if d.prune(ctx) {
			next = pruneBacklogEvery
		}
		d.nextPrune.Store(time.Now().Add(next).UnixNano())
		timer.Reset(next)
	}
}

// prune deletes up to pruneBatches*pruneBatch expired rows and reports
// whether it deleted that many (rows may remain). It is best effort: an
// error leaves the rows to the next time.
func (d *Deduper) prune(ctx context.Context) (backlog bool) {
	for range pruneBatches {
		sctx, cancel := context.WithTimeout(ctx, sessionTimeout)
		tag, err := d.pool.Exec(sctx, `DELETE FROM cmw_webhook_dedupe WHERE ctid IN (
			SELECT ctid FROM cmw_webhook_dedupe WHERE expires_at < now() LIMIT $1)`, pruneBatch)
		cancel()
		if err != nil || tag.RowsAffected() < pruneBatch {
			return false
		}
	}
	return true
}

func interval(d time.Duration) string { return fmt.Sprintf("%d milliseconds", d.Milliseconds()) }

var _ webhook.Deduper = (*Deduper)(nil)
