package cmwtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// cdrIDs lists the callids and costs a recent=1 query answers.
func recentCosts(t *testing.T, s *Server) map[string]string {
	t.Helper()
	code, body := get(t, s, "/getCdrs.php", creds(url.Values{"recent": {"1"}}))
	require.Equal(t, 200, code, body)
	var recs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &recs), body)
	out := map[string]string{}
	for _, r := range recs {
		out[r["callid"].(string)] = r["cost"].(string)
	}
	return out
}

func TestDeliveryCopiesAndReversed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec, WithDeliveryCopies(3), WithReversedEvents())
		defer s.Close()
		id, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		require.NoError(t, s.Flush(t.Context()))
		e, st := "callEnd:"+id, "callStart:"+id
		assert.Equal(t, []string{e, e, e, st, st, st}, rec.actions())
	})
}

func TestRedeliveryAfterAnHourOnAJumpClock(t *testing.T) {
	rec := &recorder{}
	clock := &JumpClock{}
	s := newSimServer(rec, WithClock(clock), WithRedeliveryAfter(time.Hour))
	defer s.Close()
	id, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"}, WithScript(Script{Ring: 10 * time.Millisecond, Talk: 10 * time.Millisecond}))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rec.actions()) == 2 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Flush(t.Context()))
	clock.Advance(59 * time.Minute)
	require.NoError(t, s.Flush(t.Context()))
	assert.Len(t, rec.actions(), 2, "not yet an hour")
	clock.Advance(2 * time.Minute)
	require.Eventually(t, func() bool { return len(rec.actions()) == 4 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, []string{"callStart:" + id, "callEnd:" + id, "callStart:" + id, "callEnd:" + id}, rec.actions())
	ds := s.Deliveries()
	assert.False(t, ds[1].Redelivery)
	assert.True(t, ds[3].Redelivery)
	assert.GreaterOrEqual(t, ds[3].At.Sub(ds[1].At), time.Hour)
}

func TestWebhookOutageLosesEventsButNotCDRs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec)
		defer s.Close()
		end := s.WebhookOutage(10 * time.Minute)
		assert.Equal(t, 10*time.Minute, time.Until(end))
		lost, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		time.Sleep(10 * time.Minute)
		require.NoError(t, s.Flush(t.Context()))
		assert.Empty(t, rec.actions(), "nothing reached the receiver during the outage")
		ds := s.Deliveries()
		require.Len(t, ds, 2)
		assert.True(t, ds[0].Lost && ds[1].Lost)
		assert.False(t, ds[0].Acked())
		assert.Contains(t, recentCosts(t, s), lost, "the CDR is there")

		after, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		require.NoError(t, s.Flush(t.Context()))
		assert.Equal(t, []string{"callStart:" + after, "callEnd:" + after}, rec.actions(), "delivered again after the outage")
	})
	_, err := Start(InProcess(), WithWebhookOutage(time.Now(), time.Now().Add(-time.Second)))
	assert.Error(t, err)
}

func TestLateAndRevisedCDR(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSimServer(&recorder{}, WithCDRDelay(5*time.Minute))
		defer s.Close()
		id, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"}, WithScript(Script{Ring: time.Second, Talk: 90 * time.Second}))
		require.NoError(t, err)
		time.Sleep(2 * time.Minute)
		assert.NotContains(t, recentCosts(t, s), id, "held back")
		time.Sleep(5 * time.Minute) // ended at 91 s, visible from 6 min 31 s
		costs := recentCosts(t, s)
		require.Contains(t, costs, id, "arrived late")
		first := costs[id]

		require.NoError(t, s.ReviseCDR(id, "1.5"))
		time.Sleep(5 * time.Second)
		assert.NotContains(t, recentCosts(t, s), id, "the revision is late too")
		time.Sleep(5 * time.Minute)
		assert.Equal(t, "1.5000", recentCosts(t, s)[id])
		assert.NotEqual(t, first, "1.5000")

		assert.ErrorIs(t, s.ReviseCDR("nope", "1"), ErrNoCDR)
		assert.Error(t, s.ReviseCDR(id, "one"))
	})
}

func TestQueryFaultsCountForThePenalty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess(), WithQueryFaults(Fault{Kind: FaultRateLimited, Delay: 4 * time.Second}))
		defer s.Close()
		s.FailQueries(1, Fault{Kind: Fault5xx})
		q := creds(url.Values{"recent": {"1"}})
		code, _ := get(t, s, "/Welcome/ClickToDialExtenal", dialQ("8000001", "88887777"))
		assert.Equal(t, 200, code, "click to dial is not a query")
		code, _ = get(t, s, "/getCdrs.php", q)
		assert.Equal(t, 429, code)
		time.Sleep(4 * time.Second)
		code, _ = get(t, s, "/getCdrs.php", q)
		assert.Equal(t, 500, code)
		assert.Zero(t, s.Violations())
		code, _ = get(t, s, "/getCdrs.php", q) // at once: early
		assert.Equal(t, 200, code)
		assert.Equal(t, 1, s.Violations())
	})
	_, err := Start(InProcess(), WithQueryFaults(Fault{}))
	assert.Error(t, err)
	_, err = Start(InProcess(), WithQueryFaults(Fault{Kind: Fault5xx, Status: 429}))
	assert.Error(t, err, "a 5xx fault with a 4xx status")
}

// A burst: three 429s, then two 503s, then the answer.
func TestQueryFaultBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess())
		defer s.Close()
		s.FailQueries(3, Fault{Kind: FaultRateLimited, Delay: 4 * time.Second})
		s.FailQueries(2, Fault{Kind: Fault5xx, Status: http.StatusServiceUnavailable})
		var codes []int
		for range 6 {
			code, _ := get(t, s, "/getCdrs.php", creds(url.Values{"recent": {"1"}}))
			codes = append(codes, code)
			time.Sleep(4 * time.Second)
		}
		assert.Equal(t, []int{429, 429, 429, 503, 503, 200}, codes)
		assert.Zero(t, s.Violations())
	})
}

func TestClockSkewAndDialLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec, WithClockSkew(90*time.Second))
		defer s.Close()
		assert.Equal(t, 90*time.Second, time.Until(s.Now()))
		s.ScriptNext(Script{Outcome: DialLost})
		code, body := get(t, s, "/Welcome/ClickToDialExtenal", dialQ("8000001", "88887777"))
		assert.Equal(t, 200, code)
		assert.Equal(t, "OK", body)
		time.Sleep(time.Hour)
		require.NoError(t, s.Flush(t.Context()))
		assert.Empty(t, rec.actions(), "no webhook")
		assert.Empty(t, s.CDRs(), "no CDR")
		assert.False(t, s.Busy(callmyway.Endpoint{User: "8000001"}))
	})
	s := NewServer(InProcess(), WithClockSkew(-time.Minute), WithClock(&JumpClock{}))
	defer s.Close()
	assert.Equal(t, -time.Minute, s.ClockSkew(), "WithClockSkew before WithClock holds")
	assert.WithinDuration(t, time.Now().Add(-time.Minute), s.Now(), 5*time.Second)
	require.NoError(t, s.SetClockSkew(90*time.Second))
	assert.WithinDuration(t, time.Now().Add(90*time.Second), s.Now(), 5*time.Second, "the provider's clock jumped ahead")
	assert.ErrorIs(t, s.SetClockSkew(-25*time.Hour), ErrSkew)
	assert.Equal(t, 90*time.Second, s.ClockSkew(), "a refused skew changes nothing")
	for _, o := range []Option{WithClockSkew(25 * time.Hour), WithDeliveryCopies(0), WithRedeliveryAfter(0), WithCDRDelay(-1)} {
		_, err := Start(InProcess(), o)
		assert.Error(t, err)
	}
}

func TestJumpClockStop(t *testing.T) {
	var c JumpClock
	fired := make(chan struct{}, 1)
	stop := c.AfterFunc(time.Hour, func() { fired <- struct{}{} })
	assert.True(t, stop())
	assert.False(t, stop())
	c.Advance(2 * time.Hour)
	select {
	case <-fired:
		t.Fatal("a stopped timer fired")
	default:
	}
	c.AfterFunc(time.Hour, func() { fired <- struct{}{} })
	c.Advance(time.Hour)
	<-fired
	assert.Equal(t, 3*time.Hour, c.Offset())
	assert.False(t, errors.Is(nil, ErrNoCDR))
}

// A webhook receiver under test meets the provider's faults: every event
// three times, the callEnd first, all again an hour later (a jump of the
// fake's clock, not an hour of waiting).
func ExampleWithRedeliveryAfter() {
	clock := &JumpClock{}
	got := make(chan string, 16)
	s := NewServer(WithClock(clock), WithWebhookClient(&http.Client{Transport: HandlerTransport(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ Action string }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		got <- ev.Action
		_, _ = w.Write([]byte(`{"ack":"ok"}`))
	}), "203.0.113.7:443")}), WithWebhook("http://crm.test/hook"),
		WithDeliveryCopies(3), WithReversedEvents(), WithRedeliveryAfter(time.Hour))
	defer s.Close()
	_, _ = s.Inbound("88887777", callmyway.Endpoint{ID: "5001"}, WithScript(Script{Ring: time.Millisecond, Talk: time.Millisecond}))
	six := func() (out []string) {
		for range 6 {
			out = append(out, <-got)
		}
		return out
	}
	fmt.Println(six())
	clock.Advance(time.Hour) // again, in the order first delivered
	fmt.Println(six())
	// Output:
	// [callEnd callEnd callEnd callStart callStart callStart]
	// [callEnd callEnd callEnd callStart callStart callStart]
}
