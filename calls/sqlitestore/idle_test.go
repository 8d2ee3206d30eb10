package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/calls"
)

// The writer's connection is released once WriterIdle passes without an
// update (a quiet process holds no connection, so SQLite can close the
// descriptors it parked), and the next update opens it again.
func TestWriterReleasedWhenIdle(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "calls.db"))
	require.NoError(t, err)
	defer s.Close()
	put := func(id string) {
		require.NoError(t, s.Update(ctx, []string{id}, func(ctx context.Context, tx calls.Tx) error {
			return tx.Put(ctx, calls.Record{ID: id, Index: calls.Index{Number: "+50688887777", Start: time.Now(), State: calls.StateRinging}, Doc: []byte("{}")})
		}))
	}
	put("a")
	require.Equal(t, 1, s.db.Stats().InUse, "the writer keeps its connection between updates")

	s.releaseIdle() // too early: kept
	require.Equal(t, 1, s.db.Stats().InUse)

	s.wmu.Lock()
	s.lastUse = time.Now().Add(-WriterIdle)
	s.wmu.Unlock()
	s.releaseIdle()
	require.Zero(t, s.db.Stats().InUse, "released after WriterIdle")

	put("b")
	_, err = s.Get(ctx, "b")
	require.NoError(t, err)
}
