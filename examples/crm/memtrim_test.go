package main

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// After a burst the freed heap goes back to the system: trimMemory sees
// more than its threshold free and returns it.
func TestTrimMemoryReturnsABurst(t *testing.T) {
	burst := make([][]byte, 64)
	for i := range burst {
		burst[i] = make([]byte, 1<<20)
		burst[i][0] = 1
	}
	runtime.KeepAlive(burst)
	burst = nil
	runtime.GC()
	require.Greater(t, reclaimable(), uint64(16<<20), "the burst's 64 MiB are free but still mapped")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); trimMemory(ctx, 10*time.Millisecond, 8<<20) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for reclaimable() > 8<<20 {
		require.True(t, time.Now().Before(deadline), "still %d bytes reclaimable", reclaimable())
		time.Sleep(10 * time.Millisecond)
	}
}
