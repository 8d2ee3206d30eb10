package cdr_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cmwtest"
)

func TestRangePagingAndChunks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		from := time.Now().Add(-30 * 24 * time.Hour)
		gen := fake.GenerateHistory(2500, from, from.Add(25*24*time.Hour), 3)
		var pages []cdr.Page
		seen := map[string]int{}
		for r, err := range cdr.Range(t.Context(), c, from, time.Now(), cdr.PageSize(1000), cdr.OnPage(func(p cdr.Page) { pages = append(pages, p) })) {
			require.NoError(t, err)
			seen[r.CallID]++
		}
		assert.Len(t, seen, 2500)
		for id, n := range seen {
			assert.Equal(t, 1, n, id)
		}
		for _, g := range gen {
			assert.Contains(t, seen, g.CallID)
		}
		// 30 days in 10-day chunks of ~1000 records each: one full page and one short page per chunk at most.
		assert.Equal(t, len(pages), rangeRequests(fake))
		for _, p := range pages {
			assert.LessOrEqual(t, p.To.Sub(p.From), cdr.DefaultChunkSize)
		}
		assert.Zero(t, fake.Violations())
	})
}

func TestRangeExactPagesAndBoundaries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		base := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
		// Records exactly on a chunk boundary are yielded once.
		var recs []cmwtest.CDR
		for i := 0; i < 10; i++ {
			recs = append(recs, cmwtest.CDR{CallID: "b" + string(rune('0'+i)), DetectTime: base.Add(time.Hour), Type: "incoming", Cost: "0"})
		}
		fake.AddCDRs(recs...)
		n := 0
		for _, err := range cdr.Range(t.Context(), c, base, base.Add(2*time.Hour), cdr.ChunkSize(time.Hour), cdr.PageSize(4)) {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 10, n)
		// chunk 1: pages of 4,4,2 (3 requests); chunk 2: same records again, 3 requests, all dropped as repeats.
		assert.Equal(t, 6, rangeRequests(fake))
	})
}

func TestRangeYieldsOneErrorAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		from := time.Now().Add(-time.Hour)
		fake.GenerateHistory(30, from, time.Now(), 1)
		fake.SetCDRMode(cmwtest.CDRMode{Shape: cmwtest.ShapeError, ErrorMessage: "IP not allowed"})
		var errs []error
		for _, err := range cdr.Range(t.Context(), c, from, time.Now()) {
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], callmyway.ErrIPNotAllowed)

		// Breaking out early stops the requests.
		fake.SetCDRMode(cmwtest.CDRMode{})
		before := rangeRequests(fake)
		for range cdr.Range(t.Context(), c, from, time.Now(), cdr.PageSize(5)) {
			break
		}
		assert.Equal(t, before+1, rangeRequests(fake))

		for _, err := range cdr.Range(t.Context(), c, time.Now(), from) {
			assert.ErrorContains(t, err, "before")
		}
		for _, err := range cdr.Range(t.Context(), c, from, time.Now(), cdr.PageSize(0)) {
			assert.ErrorContains(t, err, "page size")
		}
	})
}

func TestRecentLiveAndShapes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		_, err := fake.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		live, err := cdr.Live(t.Context(), c)
		require.NoError(t, err)
		require.Len(t, live, 1)
		assert.True(t, live[0].Live())
		assert.False(t, live[0].Connected())
		assert.Zero(t, live[0].Duration)

		time.Sleep(time.Minute)
		for _, shape := range []cmwtest.Shape{cmwtest.ShapeArray, cmwtest.ShapeObject} {
			fake.SetCDRMode(cmwtest.CDRMode{Shape: shape, StringNumbers: true, EmptyConnectTime: true})
			recs, err := cdr.Recent(t.Context(), c)
			require.NoError(t, err)
			require.Len(t, recs, 1)
			assert.Equal(t, 30*time.Second, recs[0].Duration)
			assert.Contains(t, recs[0].Extra, "x_trunk")
		}
		fake.SetCDRMode(cmwtest.CDRMode{Shape: cmwtest.ShapeEmpty})
		recs, err := cdr.Recent(t.Context(), c)
		require.NoError(t, err)
		assert.Empty(t, recs)
		fake.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultWrongCredentials})
		_, err = cdr.Recent(t.Context(), c)
		assert.ErrorIs(t, err, callmyway.ErrUnauthorized)
		fake.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultTruncated})
		_, err = cdr.Recent(t.Context(), c)
		assert.ErrorIs(t, err, callmyway.ErrMalformedResponse)
		assert.Zero(t, fake.Violations())
	})
}

func TestConcurrentQueriesNeverViolate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		c2, err := fake.NewClient() // a second Client of the same account shares the limiter
		require.NoError(t, err)
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			cl := c
			if i%2 == 0 {
				cl = c2
			}
			wg.Go(func() {
				_, err := cdr.Recent(context.Background(), cl)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		assert.Equal(t, 10, fake.RequestCount(callmyway.PathCDR))
		assert.Zero(t, fake.Violations())
	})
}

func TestGroupCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, c := fakeAndClient(t)
		parent, err := fake.Inbound("88887777", callmyway.Endpoint{ID: "5001"}, cmwtest.RingGroup(callmyway.Endpoint{ID: "5002"}, callmyway.Endpoint{ID: "5003"}))
		require.NoError(t, err)
		_, err = fake.Inbound("88886666", callmyway.Endpoint{ID: "5002"})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		recs, err := cdr.Recent(t.Context(), c)
		require.NoError(t, err)
		calls := cdr.GroupCalls(recs)
		require.Len(t, calls, 2)
		var group cdr.Call
		for _, cl := range calls {
			if cl.ID == parent {
				group = cl
			}
		}
		require.NotNil(t, group.Parent)
		assert.Equal(t, parent, group.Parent.CallID)
		assert.Len(t, group.Legs, 3)
		ans, ok := group.Answered()
		require.True(t, ok)
		assert.Equal(t, "8000001", ans.DNISUser)
	})
}
