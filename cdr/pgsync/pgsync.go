// Package pgsync runs one cdr.Syncer per CallMyWay account across every
// instance of a CRM that shares a PostgreSQL database: leadership through
// a session advisory lock (released by PostgreSQL the moment the leader's
// connection dies, so another instance takes over within about one retry
// interval), and a query Limiter whose last query time lives in the
// database, so a new leader never queries sooner than 4 s after the old
// one.
package pgsync

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/migrate/pgxmigrate"
	"github.com/callmyway-go/sdk/internal/wait"
)

// Limiter is a callmyway.Limiter shared through PostgreSQL: every query of
// the account, from any instance, waits until QueryInterval plus a margin
// has passed since the previous one (measured on the database's clock).
type Limiter struct {
	pool     *pgxpool.Pool
	account  string
	interval time.Duration
}

// NewLimiter returns the account's shared Limiter, creating its table.
func NewLimiter(ctx context.Context, pool *pgxpool.Pool, account string, margin time.Duration) (*Limiter, error) {
	if _, err := pgxmigrate.Apply(ctx, pool, "cdr_query_clock", migrations); err != nil {
		return nil, fmt.Errorf("pgsync: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO cmw_query_clock (account, last_query) VALUES ($1, 'epoch') ON CONFLICT DO NOTHING`, account); err != nil {
		return nil, fmt.Errorf("pgsync: init clock: %w", err)
	}
	return &Limiter{pool: pool, account: account, interval: callmyway.QueryInterval + margin}, nil
}

// migrations are the "cdr_query_clock" component's schema steps.
var migrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_query_clock (account TEXT PRIMARY KEY, last_query TIMESTAMPTZ NOT NULL)`},
}

// Wait implements callmyway.Limiter. It holds the account's row lock while
// it waits, so instances take turns.
func (l *Limiter) Wait(ctx context.Context) error {
	return pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		var micros int64
		err := tx.QueryRow(ctx, `SELECT GREATEST(0, EXTRACT(EPOCH FROM (last_query + $2::interval - clock_timestamp())) * 1e6)::bigint
			FROM cmw_query_clock WHERE account = $1 FOR UPDATE`, l.account, fmt.Sprintf("%d milliseconds", l.interval.Milliseconds())).Scan(&micros)
		if err != nil {
			return fmt.Errorf("pgsync: limiter: %w", err)
		}
		if err := wait.Turn(ctx, time.Duration(micros)*time.Microsecond); err != nil {
			return fmt.Errorf("pgsync: limiter: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE cmw_query_clock SET last_query = clock_timestamp() WHERE account = $1`, l.account)
		return err
	})
}

// Elector runs a function on one instance at a time per key.
type Elector struct {
	pool   *pgxpool.Pool
	key    int64
	retry  time.Duration
	logger *slog.Logger
}

// NewElector returns an Elector for name (for example "cdr-sync:" plus
// the account), retrying leadership every retry (default 1 s).
func NewElector(pool *pgxpool.Pool, name string, retry time.Duration, logger *slog.Logger) *Elector {
	h := fnv.New64a()
	h.Write([]byte(name))
	if retry <= 0 {
		retry = time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Elector{pool: pool, key: int64(h.Sum64() >> 1), retry: retry, logger: logger}
}

// ErrLostLeadership cancels the leader's context when its connection dies.
var ErrLostLeadership = errors.New("pgsync: leadership lost")

// Run campaigns for leadership until ctx is done; while leader it runs
// lead with a context cancelled (cause ErrLostLeadership) as soon as the
// lock's connection fails. lead may run several times over Run's life.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	for ctx.Err() == nil {
		if err := e.term(ctx, lead); err != nil && ctx.Err() == nil {
			e.logger.Warn("pgsync: leadership term ended", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(e.retry):
		}
	}
	return ctx.Err()
}

// term tries once to become leader and, if it does, leads until the
// connection or lead fails.
func (e *Elector) term(ctx context.Context, lead func(ctx context.Context) error) error {
	pc, err := e.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // the lock lives and dies with this connection
	defer conn.Close(context.Background())
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, e.key).Scan(&got); err != nil || !got {
		return err
	}
	e.logger.Info("pgsync: became leader", "key", e.key)
	lctx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	defer func() { cancel(nil); <-watched }() // before the deferred Close
	go func() {                               // watch the lock's connection
		defer close(watched)
		t := time.NewTicker(e.retry / 2)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				// A killed connection fails at once; a generous timeout keeps
				// a merely slow server from flapping the leadership.
				pctx, pcancel := context.WithTimeout(lctx, max(5*time.Second, 5*e.retry))
				err := conn.Ping(pctx)
				pcancel()
				if err != nil && lctx.Err() == nil {
					cancel(ErrLostLeadership)
					return
				}
			}
		}
	}()
	err = lead(lctx)
	if cause := context.Cause(lctx); errors.Is(cause, ErrLostLeadership) {
		return ErrLostLeadership
	}
	return err
}
