package sqlstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/internal/storetest"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
)

const turn = callmyway.QueryInterval + callmyway.DefaultQueryMargin

// openProcess opens the SQLite file at path as one CRM process would, and
// returns its store and limiter.
func openProcess(t *testing.T, path string) (*sqlstore.Store, *sqlstore.QueryLimiter) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, storetest.Account)
	require.NoError(t, err)
	lim, err := s.QueryLimiter(t.Context(), "8000001")
	require.NoError(t, err)
	return s, lim
}

// TestQueryLimiterSurvivesRestart: a process restarted one second after a
// query waits out the rest of the interval (the in-memory limiter it
// replaces would have let it query at once), and two processes sharing
// the file take turns one interval apart. Times are synctest's fake
// clock, so the assertions are exact.
func TestQueryLimiterSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "crm.db")
		s, lim := openProcess(t, path)
		require.NoError(t, lim.Wait(t.Context()), "the first query of a fresh file goes at once")
		first := time.Now()
		require.NoError(t, s.Close()) // kill

		time.Sleep(time.Second) // restart one second later
		s, lim = openProcess(t, path)
		require.NoError(t, lim.Wait(t.Context()))
		assert.Equal(t, turn, time.Since(first), "the restarted process waits for the rest of the interval")
		require.NoError(t, s.Close())

		// Two processes polling the same account take turns.
		a, la := openProcess(t, path)
		b, lb := openProcess(t, path)
		defer a.Close()
		defer b.Close()
		var mu sync.Mutex
		var at []time.Time
		var wg sync.WaitGroup
		for _, l := range []*sqlstore.QueryLimiter{la, lb, la, lb} {
			wg.Go(func() {
				for range 3 {
					if !assert.NoError(t, l.Wait(t.Context())) {
						return
					}
					mu.Lock()
					at = append(at, time.Now())
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.SortFunc(at, time.Time.Compare)
		require.Len(t, at, 12)
		for i := 1; i < len(at); i++ {
			assert.GreaterOrEqual(t, at[i].Sub(at[i-1]), turn, "query %d came too soon", i)
		}
	})
}

// TestQueryLimiterClockAndDeadline: a clock stepped back by an hour costs
// one interval, not an hour; a deadline before the next turn fails at once
// without reserving the turn.
func TestQueryLimiterClockAndDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, lim := openProcess(t, filepath.Join(t.TempDir(), "crm.db"))
		defer s.Close()
		var offset time.Duration
		sqlstore.SetClock(lim, func() time.Time { return time.Now().Add(offset) })
		require.NoError(t, lim.Wait(t.Context()))
		first := time.Now()

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := lim.Wait(ctx)
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, first, time.Now(), "failed at once")
		require.NoError(t, lim.Wait(t.Context()))
		assert.Equal(t, turn, time.Since(first), "the failed wait reserved nothing")

		offset = -time.Hour // the clock is stepped back
		start := time.Now()
		require.NoError(t, lim.Wait(t.Context()))
		assert.Equal(t, turn, time.Since(start), "one interval from the new clock, not an hour")

		cctx, ccancel := context.WithCancel(t.Context())
		ccancel()
		assert.ErrorIs(t, lim.Wait(cctx), context.Canceled)
	})
}

func TestQueryLimiterRefusals(t *testing.T) {
	var zero sqlstore.QueryLimiter
	assert.ErrorIs(t, zero.Wait(t.Context()), sqlstore.ErrNotInitialized)
	var zs sqlstore.Store
	_, err := zs.QueryLimiter(t.Context(), "a")
	assert.ErrorIs(t, err, sqlstore.ErrNotInitialized)

	s := storetest.OpenSQLite(t)
	_, err = s.QueryLimiter(t.Context(), "")
	assert.Error(t, err)
	_, err = s.QueryLimiter(t.Context(), "a", sqlstore.WithQueryMargin(-time.Second))
	assert.Error(t, err)
	_, err = s.QueryLimiter(t.Context(), "a", nil)
	assert.Error(t, err)
	l, err := s.QueryLimiter(t.Context(), "a", sqlstore.WithQueryMargin(0))
	require.NoError(t, err)
	require.NoError(t, l.Wait(t.Context()))

	pg, err := sqlstore.New(s.DB(), sqlstore.Postgres, storetest.Account)
	require.NoError(t, err)
	_, err = pg.QueryLimiter(t.Context(), "a")
	assert.True(t, errors.Is(err, errors.ErrUnsupported), "%v", err)
}
