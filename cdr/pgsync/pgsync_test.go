package pgsync_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/internal/storetest"
	"github.com/callmyway-go/sdk/cdr/pgsync"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/postgres"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// killLeader terminates the connection holding the advisory lock and
// returns its application name.
func killLeader(t *testing.T, dsn string) string {
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var app string
	require.Eventually(t, func() bool {
		err = conn.QueryRow(context.Background(), `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'inst%' AND pg_terminate_backend(a.pid)`).Scan(&app)
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "a leader holds the lock")
	return app
}

// TestFailover: three instances on one database, one Syncer leads; its
// connection is killed mid-backfill; another takes over. CallMyWay sees no
// penalty, and every record is stored once.
func TestFailover(t *testing.T) {
	dsn := pgtest.Schema(t)
	fake := cmwtest.NewServer(cmwtest.InProcess())
	defer fake.Close()
	now := time.Now()
	start := now.Add(-5 * 24 * time.Hour)
	fake.GenerateHistory(2500, start, now.Add(-time.Hour), 9)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var leads [3]atomic.Int32
	var store *sqlstore.Store
	for i := 0; i < 3; i++ {
		app := fmt.Sprintf("inst%d", i)
		pool := pgtest.Pool(t, dsn, app)
		st, err := postgres.Open(ctx, dsn, storetest.Account)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		store = st
		lim, err := pgsync.NewLimiter(ctx, pool, fake.Account().Username)
		require.NoError(t, err)
		client, err := fake.NewClient(callmyway.WithQueryLimiter(lim))
		require.NoError(t, err)
		syncer, err := cdr.NewSyncer(client, st, cdr.StartAt(start), cdr.SyncPageSize(500), cdr.TailEvery(time.Hour))
		require.NoError(t, err)
		el, err := pgsync.NewElector(pool, "cdr-sync:"+fake.Account().Username, pgsync.WithRetry(500*time.Millisecond))
		require.NoError(t, err)
		wg.Go(func() {
			el.Run(ctx, func(lctx context.Context) error {
				leads[i].Add(1)
				return syncer.Run(lctx)
			})
		})
	}
	count := func() int {
		n, err := store.Count(context.Background(), "")
		require.NoError(t, err)
		return n
	}
	require.Eventually(t, func() bool { return count() >= 1000 }, 60*time.Second, 100*time.Millisecond, "the first leader syncs")
	killed := killLeader(t, dsn)
	t.Logf("killed the leader's connection (%s) at %d records", killed, count())
	require.Eventually(t, func() bool { return count() == 2500 }, 90*time.Second, 100*time.Millisecond, "another instance finishes the sync")
	cancel()

	total := 0
	for i := range leads {
		total += int(leads[i].Load())
	}
	assert.GreaterOrEqual(t, total, 2, "leadership changed hands")
	assert.Zero(t, fake.Violations(), "no instance ever broke the 4-second rule")
	ids := map[string]bool{}
	recs, err := store.List(context.Background(), sqlstore.Filter{Limit: 10_000})
	require.NoError(t, err)
	for _, r := range recs {
		assert.False(t, ids[r.CallID], "stored once")
		ids[r.CallID] = true
	}
	for _, r := range fake.CDRs() {
		assert.True(t, ids[r.CallID], "record %s not lost", r.CallID)
	}
}

func TestLimiterSpacesInstances(t *testing.T) {
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	a, err := pgsync.NewLimiter(ctx, pgtest.Pool(t, dsn, "a"), "acct", pgsync.WithQueryMargin(0))
	require.NoError(t, err)
	b, err := pgsync.NewLimiter(ctx, pgtest.Pool(t, dsn, "b"), "acct", pgsync.WithQueryMargin(0))
	require.NoError(t, err)
	require.NoError(t, a.Wait(ctx))
	start := time.Now()
	require.NoError(t, b.Wait(ctx))
	assert.GreaterOrEqual(t, time.Since(start), callmyway.QueryInterval-50*time.Millisecond, "the other instance waited its turn")
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	assert.ErrorIs(t, a.Wait(dctx), context.DeadlineExceeded)
}

func TestOptionsValidate(t *testing.T) {
	ctx := context.Background()
	_, err := pgsync.NewLimiter(ctx, nil, "acct", pgsync.WithQueryMargin(-time.Second))
	assert.ErrorContains(t, err, "WithQueryMargin")
	_, err = pgsync.NewLimiter(ctx, nil, "acct")
	assert.ErrorContains(t, err, "nil pool")
	for _, o := range []pgsync.ElectorOption{pgsync.WithRetry(0), pgsync.WithRetry(time.Hour), pgsync.WithLogger(nil)} {
		_, err := pgsync.NewElector(nil, "x", o)
		assert.Error(t, err)
	}
	_, err = pgsync.NewElector(nil, "x")
	assert.ErrorContains(t, err, "nil pool")
}

func TestZeroValues(t *testing.T) {
	assert.ErrorIs(t, (&pgsync.Limiter{}).Wait(context.Background()), pgsync.ErrNotInitialized)
	err := (&pgsync.Elector{}).Run(context.Background(), func(context.Context) error { return nil })
	assert.ErrorIs(t, err, pgsync.ErrNotInitialized)
}
