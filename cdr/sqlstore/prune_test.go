package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

// TestPrune: Prune refuses a cutoff within MinPruneAge, keeps a batch its
// copy failed on, deletes the old records of the account asked (across
// batches, handing each to the copy first), keeps a record upserted after
// it was copied and the recent ones, and then every account's.
func TestPrune(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		old := make([]cdr.Record, sqlstore.PruneBatch+5)
		for i := range old {
			old[i] = record(i)
		}
		recent := record(99999)
		recent.CallID = "recent"
		recent.DetectTime = callmyway.NewTime(time.Now().Add(-time.Hour))
		require.NoError(t, s.Commit(ctx, "acct", append(old, recent), cdr.Checkpoint{}))
		other := record(1)
		other.CallID = "other"
		require.NoError(t, s.Commit(ctx, "acct2", []cdr.Record{other}, cdr.Checkpoint{}))
		committed := time.Now().Unix()

		n, err := s.Prune(ctx, "acct", time.Now().Add(-sqlstore.MinPruneAge+time.Minute), nil)
		assert.Zero(t, n)
		require.ErrorIs(t, err, sqlstore.ErrPruneTooRecent)
		var pe *sqlstore.PruneCutoffError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, sqlstore.MinPruneAge, pe.Min)

		boom := errors.New("cold storage down")
		n, err = s.Prune(ctx, "acct", time.Now().Add(-sqlstore.MinPruneAge), func(context.Context, []cdr.Record) error { return boom })
		assert.Zero(t, n)
		require.ErrorIs(t, err, boom)
		count, err := s.Count(ctx, "acct")
		require.NoError(t, err)
		assert.Equal(t, len(old)+1, count)

		for time.Now().Unix() == committed {
			time.Sleep(50 * time.Millisecond) // an upsert in a later second
		}
		copied := map[string]bool{}
		var batches int
		n, err = s.Prune(ctx, "acct", time.Now().Add(-sqlstore.MinPruneAge), func(ctx context.Context, recs []cdr.Record) error {
			batches++
			for _, r := range recs {
				copied[r.CallID] = true
			}
			if batches == 1 {
				// A revised version of a record just copied: kept.
				rev := recs[0]
				rev.EndReason = "CANCELLED"
				return s.Upsert(ctx, "acct", []cdr.Record{rev})
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, 2, batches)
		assert.Len(t, copied, len(old))
		assert.Equal(t, len(old)-1, n)
		rev, ok, err := s.Get(ctx, old[0].CallID)
		require.NoError(t, err)
		require.True(t, ok, "upserted after the copy: kept")
		assert.Equal(t, "CANCELLED", rev.EndReason)
		_, ok, err = s.Get(ctx, "recent")
		require.NoError(t, err)
		assert.True(t, ok)
		count, err = s.Count(ctx, "acct2")
		require.NoError(t, err)
		assert.Equal(t, 1, count, "another account is not pruned")

		n, err = s.Prune(ctx, "", time.Now().Add(-sqlstore.MinPruneAge), nil)
		require.NoError(t, err)
		assert.Equal(t, 2, n, fmt.Sprint("every account's: ", old[0].CallID, " and other"))
		count, err = s.Count(ctx, "")
		require.NoError(t, err)
		assert.Equal(t, 1, count)
	})
}

// TestPruneOddCallIDs: the table keys records by their escaped ids
// (cdr.EscapeID) while a Record holds them raw; Prune deletes and pages by
// the stored form. Old records with a NUL, invalid UTF-8 or an "esc:"
// callid are pruned (PostgreSQL refused the raw NUL and rolled the batch
// back at every run; SQLite left them for good), and a recent record whose
// raw id is the literal text of an old one's escaped form is kept.
func TestPruneOddCallIDs(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		var old []cdr.Record
		for i, id := range []string{"plain", "bad\x00id", "bad\xffid", "esc:x", "c\x00"} {
			r := record(i)
			r.CallID, r.OriginalCallID = id, id
			old = append(old, r)
		}
		lookalike := record(10)
		lookalike.CallID = cdr.EscapeID("c\x00") // a raw id that reads as an escaped one
		lookalike.OriginalCallID = lookalike.CallID
		lookalike.DetectTime = callmyway.NewTime(time.Now().Add(-time.Hour))
		require.NoError(t, s.Commit(ctx, "acct", append(old, lookalike), cdr.Checkpoint{}))

		copied := map[string]bool{}
		n, err := s.Prune(ctx, "acct", time.Now().Add(-sqlstore.MinPruneAge), func(_ context.Context, recs []cdr.Record) error {
			for _, r := range recs {
				copied[r.CallID] = true
			}
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, len(old), n, "every old record pruned")
		for _, r := range old {
			assert.True(t, copied[r.CallID], "%q copied out raw", r.CallID)
			_, ok, err := s.Get(ctx, r.CallID)
			require.NoError(t, err)
			assert.False(t, ok, "%q pruned", r.CallID)
		}
		got, ok, err := s.Get(ctx, lookalike.CallID)
		require.NoError(t, err)
		require.True(t, ok, "the recent look-alike is kept")
		assert.Equal(t, lookalike.CallID, got.CallID)
		count, err := s.Count(ctx, "acct")
		require.NoError(t, err)
		assert.Equal(t, 1, count)
	})
}
