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

// ErrNotInitialized is returned by the methods of a Limiter or Elector
// not made by NewLimiter or NewElector.
var ErrNotInitialized = errors.New("pgsync: not made by NewLimiter or NewElector")

// Limiter is a callmyway.Limiter shared through PostgreSQL: every query of
// the account, from any instance, waits until QueryInterval plus a margin
// has passed since the previous one (measured on the database's clock).
// It is safe for concurrent use. Its zero value is not usable (Wait
// returns ErrNotInitialized): get one from NewLimiter.
type Limiter struct {
	pool     *pgxpool.Pool
	account  string
	interval time.Duration
}

// LimiterOption configures a Limiter; NewLimiter returns its error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type LimiterOption func(*Limiter) error

// WithQueryMargin adds d to callmyway.QueryInterval between two queries
// (default callmyway.DefaultQueryMargin); between 0 and 1 minute.
func WithQueryMargin(d time.Duration) LimiterOption {
	return func(l *Limiter) error {
		if d < 0 || d > time.Minute {
			return fmt.Errorf("pgsync: WithQueryMargin(%v): between 0 and 1m", d)
		}
		l.interval = callmyway.QueryInterval + d
		return nil
	}
}

// NewLimiter returns account's shared Limiter (account is the CallMyWay
// username), creating or upgrading its table (component
// "cdr_query_clock" of schema_migrations).
func NewLimiter(ctx context.Context, pool *pgxpool.Pool, account string, opts ...LimiterOption) (*Limiter, error) {
	l := &Limiter{pool: pool, account: account, interval: callmyway.QueryInterval + callmyway.DefaultQueryMargin}
	for _, o := range opts {
		if err := o(l); err != nil {
			return nil, err
		}
	}
	if pool == nil {
		return nil, errors.New("pgsync: NewLimiter: nil pool")
	}
	if account == "" {
		return nil, errors.New("pgsync: NewLimiter: empty account")
	}
	if _, err := pgxmigrate.Apply(ctx, pool, "cdr_query_clock", migrations); err != nil {
		return nil, fmt.Errorf("pgsync: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO cmw_query_clock (account, last_query) VALUES ($1, 'epoch') ON CONFLICT DO NOTHING`, account); err != nil {
		return nil, fmt.Errorf("pgsync: init clock: %w", err)
	}
	return l, nil
}

// migrations are the "cdr_query_clock" component's schema steps.
var migrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_query_clock (account TEXT PRIMARY KEY, last_query TIMESTAMPTZ NOT NULL)`},
}

// Wait implements callmyway.Limiter. It holds the account's row lock while
// it waits, so instances take turns.
func (l *Limiter) Wait(ctx context.Context) error {
	if l.pool == nil {
		return ErrNotInitialized
	}
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

// Elector runs a function on one instance at a time per key. Run may be
// called from several goroutines (they campaign like separate
// instances). Its zero value is not usable (Run returns
// ErrNotInitialized): get one from NewElector. An Elector is safe for
// concurrent use.
type Elector struct {
	pool   *pgxpool.Pool
	key    int64
	retry  time.Duration
	logger *slog.Logger
}

// ElectorOption configures an Elector; NewElector returns its error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type ElectorOption func(*Elector) error

// WithRetry sets how often a follower tries to become leader, and half of
// it how often the leader checks its lock's connection (default 1 s);
// between 10 ms and 1 minute.
func WithRetry(d time.Duration) ElectorOption {
	return func(e *Elector) error {
		if d < 10*time.Millisecond || d > time.Minute {
			return fmt.Errorf("pgsync: WithRetry(%v): between 10ms and 1m", d)
		}
		e.retry = d
		return nil
	}
}

// WithLogger sets the logger (silent by default); nil is an error.
func WithLogger(l *slog.Logger) ElectorOption {
	return func(e *Elector) error {
		if l == nil {
			return errors.New("pgsync: WithLogger(nil)")
		}
		e.logger = l
		return nil
	}
}

// NewElector returns an Elector for name (for example "cdr-sync:" plus
// the account).
func NewElector(pool *pgxpool.Pool, name string, opts ...ElectorOption) (*Elector, error) {
	e := &Elector{pool: pool, retry: time.Second, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	if pool == nil {
		return nil, errors.New("pgsync: NewElector: nil pool")
	}
	if name == "" {
		return nil, errors.New("pgsync: NewElector: empty name")
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	e.key = int64(h.Sum64() >> 1)
	return e, nil
}

// ErrLostLeadership cancels the leader's context when its connection dies.
var ErrLostLeadership = errors.New("pgsync: leadership lost")

// Run campaigns for leadership until ctx is done; while leader it runs
// lead with a context cancelled (cause ErrLostLeadership) as soon as the
// lock's connection fails. lead may run several times over Run's life.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	if e.pool == nil {
		return ErrNotInitialized
	}
	if lead == nil {
		return errors.New("pgsync: Run: nil lead")
	}
	for {
		if err := e.term(ctx, lead); err != nil && ctx.Err() == nil {
			e.logger.WarnContext(ctx, "pgsync: leadership term ended", "error", err)
		}
		if err := wait.Sleep(ctx, e.retry); err != nil {
			return err
		}
	}
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
