// Package pgbroker is a screenpop.Broker over PostgreSQL, so a call event
// received by one CRM instance pops on a browser connected to another.
//
// Publish stores the message in a table and NOTIFYs its id (so messages
// larger than NOTIFY's 8000-byte payload limit are fine); publishers are
// serialised by a transaction advisory lock so ids commit in order. The
// messages published concurrently in one process share a transaction (one
// round trip, one commit, one NOTIFY): while one is in flight, the next
// gathers the Publish calls made meanwhile. Each
// subscriber LISTENs on a dedicated connection and reads new rows by id;
// after a dropped connection it reconnects and catches up from the last
// id it delivered, so no pop is lost.
//
// Rows older than the retention (WithRetention, 1 h by default) are
// deleted by a goroutine of the Broker, started by New and stopped by
// Close: once a minute, and sooner after every 500th message the Broker
// publishes. So a quiet instance keeps no stale rows beyond a minute past
// the retention, and a busy one at most 500 of its own.
package pgbroker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/migrate/pgxmigrate"
	"github.com/callmyway-go/sdk/internal/wait"
	"github.com/callmyway-go/sdk/screenpop"
)

const (
	channel   = "cmw_pops"
	publishLk = 7417101 // advisory lock key serialising publishers
)

// Broker is a screenpop.Broker over PostgreSQL. It is safe for concurrent
// use. Its zero value is not usable (its methods return
// ErrNotInitialized): get one from New, and Close it when done to stop
// its pruning goroutine.
type Broker struct {
	pool       *pgxpool.Pool
	retention  time.Duration
	pruneEvery time.Duration
	logger     *slog.Logger

	// The pruning goroutine: Publish wakes it (kick) every 500th message;
	// Close cancels its context (stopPrune) and waits for it (pruned).
	kick      chan struct{}
	stopPrune context.CancelFunc
	pruned    chan struct{}
	closeOnce sync.Once

	mu         sync.Mutex
	published  int
	publishing bool          // a goroutine runs publishing transactions
	queue      []*publishReq // for the next one
}

// publishReq is a Publish call waiting for its transaction.
type publishReq struct {
	m    screenpop.Message
	body []byte
	err  error
	done chan struct{}
}

// ErrNotInitialized is returned by the methods of a Broker not made by
// New.
var ErrNotInitialized = errors.New("pgbroker: Broker not made by New")

// Option configures a Broker. Options check their values: New returns the
// first option's error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type Option func(*Broker) error

// WithRetention keeps messages this long for catch-up (default 1 h); at
// least one minute, so a subscriber reconnecting after a short outage
// still finds what it missed.
func WithRetention(d time.Duration) Option {
	return func(b *Broker) error {
		if d < time.Minute {
			return fmt.Errorf("pgbroker: WithRetention(%v): at least 1m", d)
		}
		b.retention = d
		return nil
	}
}

// WithLogger sets the logger (silent by default); nil is an error.
func WithLogger(l *slog.Logger) Option {
	return func(b *Broker) error {
		if l == nil {
			return errors.New("pgbroker: WithLogger(nil)")
		}
		b.logger = l
		return nil
	}
}

// pruneEvery is how often the pruning goroutine deletes old rows;
// pruneAfter is how many publishes wake it sooner.
const (
	pruneEvery = time.Minute
	pruneAfter = 500
)

// New returns a Broker on pool, creating or upgrading its table
// (component "screenpop_broker" of schema_migrations), and starts its
// pruning goroutine, stopped by Close. ctx bounds New only: the goroutine
// keeps ctx's values, not its cancellation.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Broker, error) {
	b := &Broker{pool: pool, retention: time.Hour, pruneEvery: pruneEvery, logger: slog.New(slog.DiscardHandler),
		kick: make(chan struct{}, 1), pruned: make(chan struct{})}
	for _, o := range opts {
		if err := o(b); err != nil {
			return nil, err
		}
	}
	if pool == nil {
		return nil, errors.New("pgbroker: New: nil pool")
	}
	if _, err := pgxmigrate.Apply(ctx, pool, "screenpop_broker", migrations); err != nil {
		return nil, fmt.Errorf("pgbroker: %w", err)
	}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.stopPrune = cancel
	go b.pruneLoop(pctx)
	return b, nil
}

// Close stops the Broker's pruning goroutine (cancelling a prune in
// progress) and waits for it. Publish and Subscribe still work after
// Close, but old rows are no longer pruned by this Broker. Calling Close
// again does no harm.
func (b *Broker) Close() error {
	if b.pool == nil {
		return ErrNotInitialized
	}
	b.closeOnce.Do(func() {
		b.stopPrune()
		<-b.pruned
	})
	return nil
}

// pruneLoop deletes the rows older than the retention every pruneEvery
// and when Publish wakes it, until ctx is cancelled by Close. A failed
// prune is logged and left to the next one.
func (b *Broker) pruneLoop(ctx context.Context) {
	defer close(b.pruned)
	ticker := time.NewTicker(b.pruneEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-b.kick:
		}
		if _, err := b.prune(ctx); err != nil && ctx.Err() == nil {
			b.logger.WarnContext(ctx, "pgbroker: pruning old messages failed", "error", err)
		}
	}
}

// pruneTimeout bounds one prune.
const pruneTimeout = 30 * time.Second

// prune deletes the rows older than the retention and returns how many.
func (b *Broker) prune(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, pruneTimeout)
	defer cancel()
	tag, err := b.pool.Exec(ctx, pruneSQL, fmt.Sprintf("%d milliseconds", b.retention.Milliseconds()))
	if err != nil {
		return 0, fmt.Errorf("pgbroker: prune: %w", err)
	}
	return tag.RowsAffected(), nil
}

// pruneSQL deletes the rows older than the retention ($1) by id: every
// row before the first one within the retention, found by walking the
// primary key from the oldest, so a prune reads the rows it deletes and
// one more, not the table (created_at has no index: an hour of pops at
// 2,000 a second is 7 million rows, and a sequential scan of them at every
// prune would cost more than the publishing). Ids follow created_at but
// for publishers racing for the lock (milliseconds), so the cut may be
// off by as much, immaterial beside a retention of a minute or more. When
// no row is within the retention, every row goes.
const pruneSQL = `DELETE FROM cmw_pop_messages WHERE id < COALESCE(
	(SELECT id FROM cmw_pop_messages WHERE created_at >= now() - $1::interval ORDER BY id LIMIT 1),
	(SELECT MAX(id) + 1 FROM cmw_pop_messages))`

// migrations are the "screenpop_broker" component's schema steps.
var migrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_pop_messages (
		id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL DEFAULT now(), body JSONB NOT NULL)`},
}

// Publish implements screenpop.Broker: the message gets the row's id.
func (b *Broker) Publish(ctx context.Context, m screenpop.Message) (screenpop.Message, error) {
	if b.pool == nil {
		return m, ErrNotInitialized
	}
	m.Version = screenpop.MessageVersion
	body, err := json.Marshal(m)
	if err != nil {
		return m, fmt.Errorf("pgbroker: publish: %w", err)
	}
	req := &publishReq{m: m, body: body, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, req)
	if !b.publishing {
		b.publishing = true
		go b.publishLoop()
	}
	b.mu.Unlock()
	select {
	case <-req.done:
	case <-ctx.Done():
		// The message may still be published.
		return m, fmt.Errorf("pgbroker: publish: %w", ctx.Err())
	}
	m, err = req.m, req.err
	if err != nil {
		return m, fmt.Errorf("pgbroker: publish: %w", err)
	}
	b.mu.Lock()
	b.published++
	prune := b.published%pruneAfter == 0
	b.mu.Unlock()
	if prune { // wake the pruning goroutine; never wait for it
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return m, nil
}

// publishTimeout bounds a publishing transaction.
const publishTimeout = 30 * time.Second

// publishLoop publishes the queued messages, a transaction for all those
// queued at once, until the queue is empty.
func (b *Broker) publishLoop() {
	for {
		b.mu.Lock()
		reqs := b.queue
		b.queue = nil
		if len(reqs) == 0 {
			b.publishing = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		err := b.publishBatch(ctx, reqs)
		cancel()
		for _, r := range reqs {
			r.err = err
			close(r.done)
		}
	}
}

// publishSQL inserts messages (a jsonb[] of bodies) with ids from the
// sequence, stored in their bodies, and returns each one's (1-based)
// position and id.
const publishSQL = `WITH s AS (SELECT o, b, nextval(pg_get_serial_sequence('cmw_pop_messages', 'id')) AS id
		FROM unnest($1::jsonb[]) WITH ORDINALITY AS u(b, o)),
	i AS (INSERT INTO cmw_pop_messages (id, body) SELECT id, jsonb_set(b, '{id}', to_jsonb(id)) FROM s)
	SELECT o, id FROM s`

// publishBatch publishes reqs in one transaction, sent in one round trip
// (a pipeline with one Sync is an implicit transaction: the lock is held
// until the commit), and sets their ids.
func (b *Broker) publishBatch(ctx context.Context, reqs []*publishReq) error {
	bodies := make([]string, len(reqs))
	for i, r := range reqs {
		bodies[i] = string(r.body)
	}
	batch := &pgx.Batch{}
	// A pop is a view of the ledger, not a record: its commit need not
	// wait for the disk (a server crash may lose the last pops; screens
	// resynchronise from the ledger). This keeps a disk flush off the
	// path of every webhook.
	batch.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	batch.Queue(`SELECT pg_advisory_xact_lock($1)`, publishLk)
	ids := make([]int64, len(reqs))
	batch.Queue(publishSQL, bodies).Query(func(rows pgx.Rows) error {
		n := 0
		for rows.Next() {
			var o, id int64
			if err := rows.Scan(&o, &id); err != nil {
				return err
			}
			if o < 1 || o > int64(len(ids)) {
				return fmt.Errorf("position %d out of range", o)
			}
			ids[o-1] = id
			n++
		}
		if n != len(ids) {
			return fmt.Errorf("%d ids for %d messages", n, len(ids))
		}
		return rows.Err()
	})
	batch.Queue(`SELECT pg_notify($1, (SELECT COALESCE(MAX(id), 0) FROM cmw_pop_messages)::text)`, channel)
	if err := b.pool.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	for i, r := range reqs {
		r.m.ID = uint64(ids[i])
	}
	return nil
}

// Subscribe implements screenpop.Broker: deliver is called, in id order,
// for every message published after the call, by any instance.
func (b *Broker) Subscribe(deliver func(screenpop.Message)) (func(), error) {
	if b.pool == nil {
		return nil, ErrNotInitialized
	}
	if deliver == nil {
		return nil, errors.New("pgbroker: Subscribe: nil deliver")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var last int64
	if err := b.pool.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM cmw_pop_messages`).Scan(&last); err != nil {
		cancel()
		return nil, fmt.Errorf("pgbroker: subscribe: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.listen(ctx, last, deliver)
	}()
	return func() { cancel(); <-done }, nil
}

// listen keeps a LISTEN connection, reconnecting and catching up.
func (b *Broker) listen(ctx context.Context, last int64, deliver func(screenpop.Message)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		var err error
		last, err = b.session(ctx, last, deliver)
		if ctx.Err() != nil {
			return
		}
		b.logger.Warn("pgbroker: listener connection lost; reconnecting and catching up", "error", err, "last_id", last)
		if wait.Sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// session runs one LISTEN connection until it fails; it returns the last
// id delivered.
func (b *Broker) session(ctx context.Context, last int64, deliver func(screenpop.Message)) (int64, error) {
	pc, err := b.pool.Acquire(ctx)
	if err != nil {
		return last, err
	}
	// The connection ends up LISTENing or broken: never return it to the
	// pool.
	conn := pc.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return last, err
	}
	// Catch up on what was published while we were away, then follow.
	for {
		if last, err = b.catchUp(ctx, conn, last, deliver); err != nil {
			return last, err
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return last, err
		}
	}
}

func (b *Broker) catchUp(ctx context.Context, conn *pgx.Conn, last int64, deliver func(screenpop.Message)) (int64, error) {
	for {
		rows, err := conn.Query(ctx, `SELECT id, body FROM cmw_pop_messages WHERE id > $1 ORDER BY id LIMIT 500`, last)
		if err != nil {
			return last, err
		}
		n := 0
		for rows.Next() {
			var id int64
			var body []byte
			if err := rows.Scan(&id, &body); err != nil {
				rows.Close()
				return last, err
			}
			var m screenpop.Message
			if err := json.Unmarshal(body, &m); err != nil {
				b.logger.Error("pgbroker: unreadable message", "id", id, "error", err)
			} else {
				m.ID = uint64(id)
				deliver(m)
			}
			last, n = id, n+1
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return last, err
		}
		if n < 500 {
			return last, nil
		}
	}
}

var _ screenpop.Broker = (*Broker)(nil)
