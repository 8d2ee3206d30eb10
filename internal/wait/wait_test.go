package wait

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		assert.NoError(t, Sleep(t.Context(), 3*time.Second))
		assert.Equal(t, 3*time.Second, time.Since(start))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		assert.ErrorIs(t, Sleep(ctx, time.Minute), context.DeadlineExceeded)
		assert.Equal(t, 4*time.Second, time.Since(start), "woke at the deadline")
		assert.ErrorIs(t, Sleep(ctx, 0), context.DeadlineExceeded, "a done ctx is reported even without waiting")
	})
}

func TestTurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := Turn(ctx, 4*time.Second)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, time.Since(start), "fails at once")
		assert.NoError(t, Turn(ctx, 500*time.Millisecond))
		assert.Equal(t, 500*time.Millisecond, time.Since(start))
		assert.NoError(t, Turn(t.Context(), 0))
	})
}
