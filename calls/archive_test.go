package calls

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArchiveBatches: Archive hands its copy at most ArchiveBatch calls
// at a time and deletes each batch.
func TestArchiveBatches(t *testing.T) {
	clk := newClock()
	st, err := NewMemoryStore(WithStoreClock(clk.Now), WithRetention(10*365*24*time.Hour))
	require.NoError(t, err)
	l, err := New(testAcct, st, WithClock(clk.Now))
	require.NoError(t, err)
	const n = 2*ArchiveBatch + 50
	for i := range n {
		endedCall(t, l, clk, fmt.Sprint("c", i), fmt.Sprintf("+506111%05d", i))
	}
	clk.Advance(MinArchiveAge + time.Hour)
	var sizes []int
	got, err := l.Archive(t.Context(), clk.Now().Add(-MinArchiveAge), func(_ context.Context, cs []Call) error {
		sizes = append(sizes, len(cs))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, n, got)
	assert.Equal(t, []int{ArchiveBatch, ArchiveBatch, 50}, sizes)
	assert.Empty(t, st.recs)
}

// noDeleteStore is a Store whose Tx cannot delete.
type noDeleteStore struct{ *MemoryStore }

type plainTx struct{ Tx }

func (s noDeleteStore) Update(ctx context.Context, keys []string, f func(context.Context, Tx) error) error {
	return s.MemoryStore.Update(ctx, keys, func(ctx context.Context, tx Tx) error { return f(ctx, plainTx{tx}) })
}

func TestArchiveUnsupported(t *testing.T) {
	_, st, clk := setup(t)
	l, err := New(testAcct, noDeleteStore{st}, WithClock(clk.Now))
	require.NoError(t, err)
	endedCall(t, l, clk, "A", "+50611110000")
	clk.Advance(MinArchiveAge + time.Hour)
	n, err := l.Archive(t.Context(), clk.Now().Add(-MinArchiveAge), nil)
	assert.Zero(t, n)
	assert.ErrorIs(t, err, ErrArchiveUnsupported)
	_, err = l.Get(t.Context(), "A")
	assert.NoError(t, err)
	var zero Ledger
	_, err = zero.Archive(t.Context(), time.Now(), nil)
	assert.ErrorIs(t, err, ErrNoLedger)
}
