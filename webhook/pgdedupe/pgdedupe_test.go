package pgdedupe_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/internal/pgtest"
	"github.com/callmyway-go/sdk/webhook/pgdedupe"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestExactlyOnceAcrossInstances(t *testing.T) {
	dsn := pgtest.Schema(t)
	var ds []*pgdedupe.Deduper
	for i := 0; i < 3; i++ {
		d, err := pgdedupe.New(context.Background(), pgtest.Pool(t, dsn, fmt.Sprintf("d%d", i)), pgdedupe.WithWindow(time.Minute), pgdedupe.WithClaimTTL(30*time.Second))
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		ds = append(ds, d)
	}
	var mu sync.Mutex
	processed := map[string]int{}
	var wg sync.WaitGroup
	for k := 0; k < 100; k++ {
		key := fmt.Sprintf("call-%d|callStart", k)
		for _, d := range ds { // the same event lands on three replicas at once
			wg.Go(func() {
				ctx := context.Background()
				done, err := d.Acquire(ctx, key)
				if !assert.NoError(t, err) || done {
					return
				}
				mu.Lock()
				processed[key]++
				mu.Unlock()
				assert.NoError(t, d.Release(ctx, key, true))
			})
		}
	}
	wg.Wait()
	assert.Len(t, processed, 100)
	for k, n := range processed {
		assert.Equal(t, 1, n, k)
	}
}

func TestFailureFreesTheKeyAndDeadClaimsExpire(t *testing.T) {
	dsn := pgtest.Schema(t)
	pool := pgtest.Pool(t, dsn, "d")
	d, err := pgdedupe.New(context.Background(), pool, pgdedupe.WithWindow(time.Minute), pgdedupe.WithClaimTTL(300*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	ctx := context.Background()
	done, err := d.Acquire(ctx, "k")
	require.NoError(t, err)
	require.False(t, done)
	require.NoError(t, d.Release(ctx, "k", false)) // the listener failed: a retry is processed
	done, err = d.Acquire(ctx, "k")
	require.NoError(t, err)
	assert.False(t, done)

	// The claim's holder dies without releasing: after claimTTL another
	// delivery takes it over.
	start := time.Now()
	done, err = d.Acquire(ctx, "k")
	require.NoError(t, err)
	assert.False(t, done)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
	require.NoError(t, d.Release(ctx, "k", true))
	done, err = d.Acquire(ctx, "k")
	require.NoError(t, err)
	assert.True(t, done)

	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = d.Acquire(ctx, "other")
	require.NoError(t, err)
	_, err = d.Acquire(cctx, "other") // in flight elsewhere: waits, then gives up with ctx
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestOptionsValidate(t *testing.T) {
	ctx := context.Background()
	for _, o := range []pgdedupe.Option{pgdedupe.WithWindow(0), pgdedupe.WithClaimTTL(-time.Second), pgdedupe.WithPoll(0)} {
		_, err := pgdedupe.New(ctx, nil, o)
		assert.Error(t, err)
	}
	_, err := pgdedupe.New(ctx, nil)
	assert.ErrorContains(t, err, "nil pool")
}

func TestZeroValue(t *testing.T) {
	var d pgdedupe.Deduper
	ctx := context.Background()
	_, err := d.Acquire(ctx, "k")
	assert.ErrorIs(t, err, pgdedupe.ErrNotInitialized)
	assert.ErrorIs(t, d.Release(ctx, "k", true), pgdedupe.ErrNotInitialized)
	_, err = d.Prune(ctx)
	assert.ErrorIs(t, err, pgdedupe.ErrNotInitialized)
}

// newDeduper returns a Deduper on its own pool tagged app (a replica),
// closed when t ends.
func newDeduper(t *testing.T, dsn, app string, opts ...pgdedupe.Option) *pgdedupe.Deduper {
	t.Helper()
	d, err := pgdedupe.New(context.Background(), pgtest.Pool(t, dsn, app), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// TestDeadReplicaClaimIsTakenOverFast: a replica is killed while it
// processes a delivery (its database backends are terminated, what kill -9
// does to its connections); a re-delivery on another replica takes the
// claim over within 2 s, far below the 30 s claim TTL. A live replica's
// claim is never taken, and the killed Deduper claims again once its
// session is back.
func TestDeadReplicaClaimIsTakenOverFast(t *testing.T) {
	dsn := pgtest.Schema(t)
	a := newDeduper(t, dsn, "replica-a")
	b := newDeduper(t, dsn, "replica-b")
	ctx := context.Background()

	done, err := a.Acquire(ctx, "c1|callStart")
	require.NoError(t, err)
	require.False(t, done)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = b.Acquire(short, "c1|callStart")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "a live replica's claim is not taken")

	require.Positive(t, pgtest.Terminate(t, dsn, "replica-a", ""))
	bound, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	done, err = b.Acquire(bound, "c1|callStart")
	require.NoError(t, err, "the dead replica's claim is free within 2 s")
	require.False(t, done)
	require.NoError(t, b.Release(ctx, "c1|callStart", true))

	done, err = a.Acquire(ctx, "c1|callStart")
	require.NoError(t, err)
	assert.True(t, done, "the killed Deduper reconnects and sees the outcome")
	done, err = a.Acquire(ctx, "c2|callStart")
	require.NoError(t, err)
	assert.False(t, done)
	require.NoError(t, a.Release(ctx, "c2|callStart", true))

	require.NoError(t, a.Close())
	_, err = a.Acquire(ctx, "c3|callStart")
	assert.ErrorIs(t, err, pgdedupe.ErrClosed)
	require.NoError(t, b.Close())
	assert.NoError(t, b.Release(ctx, "c3|callStart", false), "Release still works after Close")
}

// TestAcquirePrunesExpiredRows: the table does not grow without bound.
// Acquire wakes the Deduper's pruning goroutine, which deletes expired
// rows (at most once a minute), keeping the keys still within their
// window.
func TestAcquirePrunesExpiredRows(t *testing.T) {
	dsn := pgtest.Schema(t)
	pool := pgtest.Pool(t, dsn, "d")
	d := newDeduper(t, dsn, "d", pgdedupe.WithWindow(time.Hour))
	ctx := context.Background()
	count := func(where string) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM cmw_webhook_dedupe WHERE `+where).Scan(&n))
		return n
	}
	expire := func(n, from int) {
		_, err := pool.Exec(ctx, `INSERT INTO cmw_webhook_dedupe (key, done, expires_at)
			SELECT 'old-' || i, true, now() - interval '1 minute' FROM generate_series($1::int, $2::int) i`, from, from+n-1)
		require.NoError(t, err)
	}
	expire(1204, 0)
	_, err := d.Acquire(ctx, "live|callStart")
	require.NoError(t, err)
	require.NoError(t, d.Release(ctx, "live|callStart", true))
	require.Eventually(t, func() bool { return count("expires_at < now()") == 0 },
		10*time.Second, 10*time.Millisecond, "expired rows are pruned")
	assert.Equal(t, 1, count("true"), "the live key stays")

	expire(10, 5000)
	_, err = d.Acquire(ctx, "live|callEnd")
	require.NoError(t, err)
	assert.Equal(t, 10, count("expires_at < now()"), "not again within the minute")
	n, err := d.Prune(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 10, n)
}

// TestAcquirePrunesABacklog: a backlog larger than one prune's cap
// (10,000 rows) is not left for the next minute: the following prunes come
// a second apart until it is gone, so expired keys never pile up faster
// than they are deleted under load.
func TestAcquirePrunesABacklog(t *testing.T) {
	dsn := pgtest.Schema(t)
	pool := pgtest.Pool(t, dsn, "d")
	d := newDeduper(t, dsn, "d", pgdedupe.WithWindow(time.Hour))
	ctx := context.Background()
	expired := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM cmw_webhook_dedupe WHERE expires_at < now()`).Scan(&n))
		return n
	}
	_, err := pool.Exec(ctx, `INSERT INTO cmw_webhook_dedupe (key, done, expires_at)
		SELECT 'old-' || i, true, now() - interval '1 minute' FROM generate_series(1, 25000) i`)
	require.NoError(t, err)

	acquire := func(i int) {
		key := fmt.Sprintf("live-%d|callStart", i)
		_, err := d.Acquire(ctx, key)
		require.NoError(t, err)
		require.NoError(t, d.Release(ctx, key, true))
	}
	acquire(0)
	require.Eventually(t, func() bool { return expired() <= 15000 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, 15000, expired(), "one prune deletes at most 10,000 rows")
	i := 1
	require.Eventually(t, func() bool { acquire(i); i++; return expired() == 0 },
		30*time.Second, 100*time.Millisecond, "the backlog is pruned a second at a time, not a minute")
}

// TestPruneDoesNotDelayAcquire: the prune runs beside the deliveries, not
// inside one. The expired rows are locked by another transaction, so the
// prune's DELETE waits for that lock: Acquire returns meanwhile (before,
// it waited for the prune) and the DELETE is seen waiting in the
// background. Close stops the goroutine while its DELETE waits (goleak
// checks it is gone); once the lock is released, a Deduper prunes the
// rows.
func TestPruneDoesNotDelayAcquire(t *testing.T) {
	dsn := pgtest.Schema(t)
	pool := pgtest.Pool(t, dsn, "test")
	d, err := pgdedupe.New(context.Background(), pgtest.Pool(t, dsn, "pruner"), pgdedupe.WithWindow(time.Hour))
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() }) // Close is called below; again does no harm
	ctx := context.Background()
	_, err = pool.Exec(ctx, `INSERT INTO cmw_webhook_dedupe (key, done, expires_at)
		SELECT 'old-' || i, true, now() - interval '1 minute' FROM generate_series(1, 100) i`)
	require.NoError(t, err)
	lock, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer lock.Rollback(ctx)
	_, err = lock.Exec(ctx, `SELECT key FROM cmw_webhook_dedupe WHERE expires_at < now() FOR UPDATE`)
	require.NoError(t, err)

	bounded, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done, err := d.Acquire(bounded, "live|callStart")
	require.NoError(t, err)
	require.False(t, done)
	require.NoError(t, d.Release(bounded, "live|callStart", true))
	require.NoError(t, bounded.Err(), "Acquire returns without waiting for the prune")
	waiting := func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE application_name = 'pruner' AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM cmw_webhook_dedupe%'`).Scan(&n))
		return n > 0
	}
	require.Eventually(t, waiting, 10*time.Second, 10*time.Millisecond, "the prune runs in the background, blocked by the lock")

	// Close while the prune waits: the DELETE is cancelled, Close returns.
	require.NoError(t, d.Close())
	assert.Eventually(t, func() bool { return !waiting() }, 10*time.Second, 10*time.Millisecond, "Close cancelled the prune")

	require.NoError(t, lock.Rollback(ctx))
	d2 := newDeduper(t, dsn, "pruner2", pgdedupe.WithWindow(time.Hour))
	_, err = d2.Acquire(ctx, "live|callEnd")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM cmw_webhook_dedupe WHERE expires_at < now()`).Scan(&n))
		return n == 0
	}, 10*time.Second, 10*time.Millisecond, "once the lock is gone, the expired rows go")
}
