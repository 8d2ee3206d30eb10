package cmwtest

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// TestCDRRetention: the fake's history keeps records for its retention
// (7 days by default) after they were added, pruned every 1,024 records
// added and by PruneCDRs; a history loaded with old detect times stays
// whole for the retention; the recent query answers the last 24 h; 0
// keeps everything; less than 24 h is refused.
func TestCDRRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess())
		defer s.Close()
		s.AddCDRs(CDR{CallID: "first", DetectTime: time.Now().Add(-time.Hour), Type: "incoming"})
		time.Sleep(DefaultCDRRetention + time.Hour)
		s.AddCDRs(CDR{CallID: "second", DetectTime: time.Now().Add(-time.Hour), Type: "incoming"})
		assert.Len(t, s.CDRs(), 2, "pruned every 1,024 records, not at each add")
		assert.Equal(t, 1, s.PruneCDRs())
		require.Len(t, s.CDRs(), 1)
		assert.Equal(t, "second", s.CDRs()[0].CallID)
		code, body := get(t, s, "/getCdrs.php", creds(map[string][]string{"recent": {"1"}, "format": {"json"}}))
		require.Equal(t, http.StatusOK, code)
		assert.Contains(t, body, `"second"`)

		// A history of 60 days ago, loaded now, stays for the retention;
		// a week later, the next 1,024 records added prune it.
		history := func(prefix string) []CDR {
			var many []CDR
			for i := range cdrPruneEvery {
				many = append(many, CDR{CallID: fmt.Sprint(prefix, i), DetectTime: time.Now().Add(-60 * 24 * time.Hour), Type: "incoming"})
			}
			return many
		}
		s.AddCDRs(history("a")...)
		assert.Len(t, s.CDRs(), 1+cdrPruneEvery)
		time.Sleep(DefaultCDRRetention + time.Hour)
		s.AddCDRs(history("b")...)
		assert.Len(t, s.CDRs(), cdrPruneEvery)
		assert.Equal(t, "b0", s.CDRs()[0].CallID)
		assert.Equal(t, 2+cdrPruneEvery, s.PrunedCDRs())

		keep := NewServer(InProcess(), WithCDRRetention(0))
		defer keep.Close()
		keep.AddCDRs(history("c")...)
		time.Sleep(DefaultCDRRetention + time.Hour)
		keep.AddCDRs(history("d")...)
		assert.Zero(t, keep.PruneCDRs())
		assert.Len(t, keep.CDRs(), 2*cdrPruneEvery)
		_, err := Start(InProcess(), WithCDRRetention(time.Hour))
		assert.ErrorContains(t, err, "24 h")
	})
}

// TestWebhookQueueIsBounded: while the CRM does not answer, the fake
// queues at most its limit of events and drops the oldest, logged as
// lost and counted; the rest are delivered once it answers.
func TestWebhookQueueIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		rec := &recorder{}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release // the CRM hangs
			rec.ServeHTTP(w, r)
		})
		s := newSimServer(h, WithWebhookQueueLimit(2))
		defer s.Close()
		for range 3 {
			_, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
			require.NoError(t, err)
			time.Sleep(time.Minute)
		}
		synctest.Wait()
		assert.Equal(t, 3, s.DroppedWebhooks(), "6 events: one in flight, 2 queued, 3 dropped")
		close(release)
		require.NoError(t, s.Flush(t.Context()))
		assert.Len(t, rec.actions(), 3)
		lost := 0
		for _, d := range s.Deliveries() {
			if d.Lost {
				lost++
				assert.Contains(t, d.Err, "queue full")
			}
		}
		assert.Equal(t, 3, lost)
		_, err := Start(InProcess(), WithWebhookQueueLimit(0))
		assert.Error(t, err)
	})
}
