package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/wait"
)

// QueryLimiter is a callmyway.Limiter whose last query time lives in the
// store's SQLite file, so the 4-second rule holds across restarts and
// across every process sharing the file: a CRM restarted a second after a
// query still waits until QueryInterval plus a margin has passed since
// that query.
//
// Each Wait takes the file's write lock (BEGIN IMMEDIATE), reads the
// account's last query time, reserves the next turn (the later of now and
// last query + interval) by writing it, commits, and only then sleeps until
// that turn. Unlike cdr/pgsync's Limiter, which holds a row lock while it
// sleeps, it never holds the lock while waiting: SQLite has one write lock
// for the whole file, and the CRM's webhooks, ledger and CDRs would stall
// behind it. Waiters of several processes thus queue up one interval apart.
// A reserved turn that goes unused (the process died, or ctx ended while
// waiting) only delays the next query: the rule errs on the safe side.
//
// Times are the machine's wall clock, in Unix milliseconds: the only clock
// processes share (Go's monotonic clock does not survive a restart). A
// clock stepped forward can shorten one wait by the step; a last query time
// more than a minute ahead of the clock (the clock was stepped back, or the
// file came from another machine) is not trusted: the next query waits one
// interval from now.
//
// A QueryLimiter is safe for concurrent use. Its zero value is not usable
// (Wait returns ErrNotInitialized): get one from Store.QueryLimiter.
type QueryLimiter struct {
	db       migrate.DB
	account  string
	interval time.Duration
	now      func() time.Time
}

// LimiterOption configures a QueryLimiter; Store.QueryLimiter returns its
// error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type LimiterOption func(*QueryLimiter) error

// WithQueryMargin adds d to callmyway.QueryInterval between two queries
// (default callmyway.DefaultQueryMargin); between 0 and 1 minute.
func WithQueryMargin(d time.Duration) LimiterOption {
	return func(l *QueryLimiter) error {
		if d < 0 || d > time.Minute {
			return fmt.Errorf("sqlstore: WithQueryMargin(%v): between 0 and 1m", d)
		}
		l.interval = callmyway.QueryInterval + d
		return nil
	}
}

// maxAhead is how far in the future a last query time may lie before it is
// taken for a clock stepped back: turns reserved by waiting processes, one
// interval each, stay well within it.
const maxAhead = time.Minute

// clockMigrations are the "cdr_query_clock" component's steps on SQLite
// (on PostgreSQL the component belongs to cdr/pgsync).
var clockMigrations = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE IF NOT EXISTS cmw_query_clock (account TEXT PRIMARY KEY, last_query BIGINT NOT NULL)`},
}

// QueryLimiter returns account's query limiter kept in the store's
// database (account is the CallMyWay username), creating its table if
// needed (component "cdr_query_clock" of schema_migrations). Give it to
// the account's Client with callmyway.WithQueryLimiter.
//
// It works on SQLite only; on PostgreSQL it returns an error matching
// errors.ErrUnsupported: use cdr/pgsync.NewLimiter, which also spaces the
// queries of every instance sharing the database.
func (s *Store) QueryLimiter(ctx context.Context, account string, opts ...LimiterOption) (*QueryLimiter, error) {
	if s.db == nil {
		return nil, ErrNotInitialized
	}
	l := &QueryLimiter{db: migrate.SQL(s.db, migrate.SQLite), account: account,
		interval: callmyway.QueryInterval + callmyway.DefaultQueryMargin, now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sqlstore: QueryLimiter: nil option")
		}
		if err := o(l); err != nil {
			return nil, err
		}
	}
	if s.dialect != SQLite {
		return nil, fmt.Errorf("sqlstore: QueryLimiter on %s (use cdr/pgsync.NewLimiter): %w", s.dialect, errors.ErrUnsupported)
	}
	if account == "" {
		return nil, errors.New("sqlstore: QueryLimiter: empty account")
	}
	if _, err := migrate.Apply(ctx, l.db, "cdr_query_clock", clockMigrations); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO cmw_query_clock (account, last_query) VALUES (?, 0) ON CONFLICT DO NOTHING`, account); err != nil {
		return nil, fmt.Errorf("sqlstore: init query clock: %w", err)
	}
	return l, nil
}

// Wait implements callmyway.Limiter: it returns when one query of the
// account may be sent. When ctx's deadline comes before the account's
// next turn it fails at once, without reserving the turn, with an error
// matching context.DeadlineExceeded.
func (l *QueryLimiter) Wait(ctx context.Context) error {
	if l.db == nil {
		return ErrNotInitialized
	}
	var d time.Duration
	err := l.db.InTx(ctx, func(tx migrate.Tx) error {
		last, err := tx.QueryInt(ctx, `SELECT last_query FROM cmw_query_clock WHERE account = ?`, l.account)
		if err != nil {
			return err
		}
		now := l.now()
		turn := time.UnixMilli(last).Add(l.interval)
		switch {
		case turn.After(now.Add(maxAhead + l.interval)): // the clock went back
			turn = now.Add(l.interval)
		case turn.Before(now):
			turn = now
		}
		d = turn.Sub(now)
		if dl, ok := ctx.Deadline(); ok && d > 0 && dl.Before(turn) {
			return fmt.Errorf("the next query is allowed in %v, after the deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
		}
		// Rounded up, so the next waiter never gets a turn a fraction of a
		// millisecond early.
		ms := turn.UnixMilli()
		if time.UnixMilli(ms).Before(turn) {
			ms++
		}
		return tx.Exec(ctx, `UPDATE cmw_query_clock SET last_query = ? WHERE account = ?`, ms, l.account)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: query limiter: %w", err)
	}
	if err := wait.Sleep(ctx, d); err != nil {
		return fmt.Errorf("sqlstore: query limiter: %w", err)
	}
	return nil
}

var _ callmyway.Limiter = (*QueryLimiter)(nil)
