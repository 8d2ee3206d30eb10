package cdr_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/internal/storetest"
	"github.com/callmyway-go/sdk/cmwtest"
)

// fakeAndClient returns an in-process fake, closed when t ends, and a
// Client of its account. Call inside a synctest bubble.
func fakeAndClient(t *testing.T) (*cmwtest.Server, *callmyway.Client) {
	t.Helper()
	fake := cmwtest.NewServer(cmwtest.InProcess())
	t.Cleanup(fake.Close)
	c, err := fake.NewClient()
	require.NoError(t, err)
	return fake, c
}

func rangeRequests(fake *cmwtest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Query["dateStart"] != "" {
			n++
		}
	}
	return n
}

// minimumRequests is what an uninterrupted backfill from start needs: per
// chunk, one request per full page plus the short page that ends it.
func minimumRequests(recs []cmwtest.CDR, start, now time.Time, chunk time.Duration, pageSize int) int {
	total := 0
	for s := start; s.Before(now); {
		e := s.Add(chunk)
		if e.After(now) {
			e = now
		}
		n := 0
		for _, r := range recs {
			if !r.DetectTime.Before(s) && !r.DetectTime.After(e) {
				n++
			}
		}
		total += n/pageSize + 1
		s = e
	}
	return total
}

func TestBackfillUsesMinimumRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		now := time.Now()
		start := now.Add(-30 * 24 * time.Hour)
		fake.GenerateHistory(12_345, start, now.Add(-time.Hour), 11)
		store := cdr.NewMemoryStore()
		var last cdr.Progress
		s, err := cdr.NewSyncer(c, store, cdr.StartAt(start), cdr.TailEvery(time.Hour), cdr.OnProgress(func(p cdr.Progress) { last = p }))
		require.NoError(t, err)
		for {
			p, err := s.SyncOnce(t.Context())
			require.NoError(t, err)
			if p.Backfilling {
				assert.Positive(t, p.Remaining)
			} else {
				break
			}
		}
		assert.False(t, last.Backfilling)
		assert.Equal(t, 12_345, store.Len())
		assert.Equal(t, minimumRequests(fake.CDRs(), start, now, cdr.DefaultChunkSize, 1000), rangeRequests(fake))
		assert.Zero(t, fake.Violations())
	})
}

// TestBackfillCancelledAndResumed: a 50,000-record backfill cancelled at
// 20 random points and resumed each time ends with exactly 50,000 rows, no
// duplicates, no penalty, on every store.
func TestBackfillCancelledAndResumed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open storetest.Opener) {
		synctest.Test(t, func(t *testing.T) {
			fake, c := fakeAndClient(t)
			store := open(t)
			now := time.Now()
			start := now.Add(-30 * 24 * time.Hour)
			fake.GenerateHistory(50_000, start, now.Add(-2*time.Hour), 42)
			rng := rand.New(rand.NewPCG(1, 2))
			resumes := 0
			for i := 0; i < 20; i++ {
				ctx, cancel := context.WithTimeout(t.Context(), time.Duration(1+rng.IntN(12_000))*time.Millisecond)
				s, err := cdr.NewSyncer(c, store, cdr.StartAt(start), cdr.TailEvery(time.Hour)) // a restarted process
				require.NoError(t, err)
				err = s.Run(ctx)
				cancel()
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				resumes++
			}
			s, err := cdr.NewSyncer(c, store, cdr.StartAt(start), cdr.TailEvery(time.Hour))
			require.NoError(t, err)
			for {
				p, err := s.SyncOnce(t.Context())
				require.NoError(t, err)
				if !p.Backfilling {
					break
				}
			}
			ids := storetest.CallIDs(t, store)
			assert.Len(t, ids, 50_000)
			for _, r := range fake.CDRs() {
				if !ids[r.CallID] {
					t.Errorf("record %s lost", r.CallID)
					break
				}
			}
			assert.Zero(t, fake.Violations())
			// Each resume re-reads at most the page it was cut in.
			assert.LessOrEqual(t, rangeRequests(fake), minimumRequests(fake.CDRs(), start, now, cdr.DefaultChunkSize, 1000)+resumes)
		})
	})
}

// TestLateRecordsInsideOverlap: a record that shows up late, with a detect
// time inside the overlap window, is caught by the steady poll.
func TestLateRecordsInsideOverlap(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, open storetest.Opener) {
		synctest.Test(t, func(t *testing.T) {
			fake, c := fakeAndClient(t)
			store := open(t)
			_, err := fake.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
			require.NoError(t, err)
			time.Sleep(time.Minute)
			s, err := cdr.NewSyncer(c, store, cdr.Overlap(15*time.Minute), cdr.Interval(30*time.Second))
			require.NoError(t, err)
			p, err := s.SyncOnce(t.Context())
			require.NoError(t, err)
			assert.False(t, p.Backfilling)
			require.Len(t, storetest.CallIDs(t, store), 1)

			// Ten minutes later a record from 12 minutes ago appears.
			time.Sleep(10 * time.Minute)
			late := cmwtest.CDR{CallID: "late-1", OriginalCallID: "late-1", RefCallID: "0", ANI: "50688880000",
				DNIS: "8000002", DNISUser: "8000002", DetectTime: time.Now().Add(-12 * time.Minute), Type: "incoming",
				Cost: "0.0000", Rate: "0.0000", AccessFee: "0.0000", EndReason: "NO_ANSWER"}
			fake.AddCDRs(late)
			_, err = s.SyncOnce(t.Context())
			require.NoError(t, err)
			ids := storetest.CallIDs(t, store)
			assert.True(t, ids["late-1"], "late record inside the overlap caught")
			assert.Len(t, ids, 2)
			assert.Zero(t, fake.Violations())
		})
	})
}

func TestProvisionalRecordUpdatedInPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		store := cdr.NewMemoryStore()
		id, err := fake.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		time.Sleep(5 * time.Second)
		live, err := cdr.Live(t.Context(), c)
		require.NoError(t, err)
		require.NoError(t, store.Commit(t.Context(), c.Account().Username, live, cdr.Checkpoint{}))
		require.True(t, store.Records()[0].Live())

		time.Sleep(time.Minute)
		s, err := cdr.NewSyncer(c, store)
		require.NoError(t, err)
		_, err = s.SyncOnce(t.Context())
		require.NoError(t, err)
		recs := store.Records()
		require.Len(t, recs, 1)
		assert.Equal(t, id, recs[0].CallID)
		assert.False(t, recs[0].Live())
		assert.Equal(t, 30*time.Second, recs[0].Duration)
	})
}

func TestSyncerOptionsValidate(t *testing.T) {
	_, c := fakeAndClient(t)
	for _, o := range []cdr.SyncOption{cdr.Interval(time.Second), cdr.Overlap(-1), cdr.SyncPageSize(0), cdr.SyncChunk(time.Second),
		cdr.TailEvery(0), cdr.StartAt(time.Time{}), cdr.WithLogger(nil), cdr.OnProgress(nil)} {
		_, err := cdr.NewSyncer(c, cdr.NewMemoryStore(), o)
		assert.Error(t, err)
	}
	_, err := cdr.NewSyncer(nil, cdr.NewMemoryStore())
	assert.Error(t, err)
}

func TestTailStaysFreshDuringBackfill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		now := time.Now()
		start := now.Add(-60 * 24 * time.Hour)
		fake.GenerateHistory(20_000, start, now.Add(-48*time.Hour), 5)
		_, err := fake.Inbound("88887777", callmyway.Endpoint{ID: "5001"}) // a call right now
		require.NoError(t, err)
		time.Sleep(time.Minute)
		store := cdr.NewMemoryStore()
		s, err := cdr.NewSyncer(c, store, cdr.StartAt(start), cdr.TailEvery(20*time.Second))
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		_ = s.Run(ctx)
		cp, err := store.LoadCheckpoint(t.Context(), c.Account().Username)
		require.NoError(t, err)
		assert.True(t, cp.Through.Before(now.Add(-24*time.Hour)), "still backfilling")
		found := false
		for _, r := range store.Records() {
			found = found || !r.DetectTime.Time().Before(now)
		}
		assert.True(t, found, "the call of a minute ago is stored while the backfill runs")
		assert.Zero(t, fake.Violations())
	})
}

func TestZeroValues(t *testing.T) {
	var s cdr.Syncer
	_, err := s.SyncOnce(context.Background())
	assert.ErrorIs(t, err, cdr.ErrNotInitialized)
	assert.ErrorIs(t, s.Run(context.Background()), cdr.ErrNotInitialized)

	// The zero MemoryStore is an empty store.
	var m cdr.MemoryStore
	cp, err := m.LoadCheckpoint(context.Background(), "a")
	require.NoError(t, err)
	assert.True(t, cp.Through.IsZero())
	require.NoError(t, m.Commit(context.Background(), "a", []cdr.Record{{CallID: "1"}}, cdr.Checkpoint{Through: time.Unix(1, 0)}))
	assert.Equal(t, 1, m.Len())
	cp, err = m.LoadCheckpoint(context.Background(), "a")
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1, 0), cp.Through)
}

func TestTimeLeft(t *testing.T) {
	per := callmyway.QueryInterval + callmyway.DefaultQueryMargin
	assert.Zero(t, cdr.TimeLeft(time.Hour, 10, 0, 0, 0))
	assert.Equal(t, 3*per, cdr.TimeLeft(0, 0, 25*24*time.Hour, 0, 0), "one request per 10-day chunk")
	// 2000 records a day, 2 days left, 1000 a page: 4 pages plus 1 chunk.
	assert.Equal(t, 5*per, cdr.TimeLeft(24*time.Hour, 2000, 48*time.Hour, 1000, 0))
}

// OnCommit sees every record before it is committed; a failing hook
// commits nothing and moves no checkpoint, and the records come again.
func TestOnCommitHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		now := time.Now()
		start := now.Add(-2 * time.Hour)
		fake.GenerateHistory(50, start, now.Add(-time.Hour), 3)
		store := cdr.NewMemoryStore()
		fail := true
		seen := map[string]int{}
		s, err := cdr.NewSyncer(c, store, cdr.StartAt(start), cdr.OnCommit(func(_ context.Context, recs []cdr.Record) error {
			if fail {
				return assert.AnError
			}
			for _, r := range recs {
				seen[r.CallID]++
			}
			return nil
		}))
		require.NoError(t, err)
		_, err = s.SyncOnce(t.Context())
		require.ErrorIs(t, err, assert.AnError)
		assert.Zero(t, store.Len(), "nothing committed when the hook fails")
		fail = false
		for {
			p, err := s.SyncOnce(t.Context())
			require.NoError(t, err)
			if !p.Backfilling {
				break
			}
		}
		assert.Equal(t, 50, store.Len())
		assert.Len(t, seen, 50, "the hook saw every record")
		_, err = cdr.NewSyncer(c, store, cdr.OnCommit(nil))
		assert.Error(t, err)
	})
}
