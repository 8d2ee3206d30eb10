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
