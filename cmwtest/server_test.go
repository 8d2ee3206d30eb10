package cmwtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// get performs a GET through the in-process client.
func get(t *testing.T, s *Server, path string, q url.Values) (int, string) {
	t.Helper()
	resp, err := s.Client().Get(s.URL + path + "?" + q.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func creds(extra url.Values) url.Values {
	q := url.Values{"username": {DefaultUsername}, "password": {DefaultPassword}}
	for k, v := range extra {
		q[k] = v
	}
	return q
}

func dialQ(first, second string) url.Values {
	return creds(url.Values{"first_num": {first}, "second_num": {second}})
}

// recorder is a webhook receiver that keeps every body it got.
type recorder struct {
	mu     sync.Mutex
	bodies []map[string]any
	raw    []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.raw = append(r.raw, string(b))
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		r.bodies = append(r.bodies, m)
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"ack":"ok"}`)
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		d := b["data"].(map[string]any)
		out = append(out, b["action"].(string)+":"+d["callid"].(string))
	}
	return out
}

// newSimServer is a fake whose webhooks reach rec in process.
func newSimServer(rec http.Handler, opts ...Option) *Server {
	opts = append([]Option{InProcess(), WithWebhook("http://crm.test/hook"),
		WithWebhookClient(&http.Client{Transport: HandlerTransport(rec, "203.0.113.7:443")})}, opts...)
	return NewServer(opts...)
}

func TestDialBothPathsAndOneCallPerUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec)
		defer s.Close()
		for _, path := range []string{"/Welcome/ClickToDialExtenal", "/clickToDial.php"} {
			code, body := get(t, s, path, dialQ("8000002", "50688887777"))
			assert.Equal(t, 200, code)
			assert.Equal(t, "OK", body, path)
			// The agent is busy now: a second dial is refused.
			code, body = get(t, s, path, dialQ("8000002", "50688880000"))
			assert.Equal(t, 200, code)
			assert.Contains(t, body, "already has an active call")
			assert.True(t, s.Busy(callmyway.Endpoint{User: "8000002"}))
			time.Sleep(time.Minute) // default script: 3+3 s ring, 30 s talk
			synctest.Wait()
			assert.False(t, s.Busy(callmyway.Endpoint{User: "8000002"}))
		}
		require.NoError(t, s.Flush(t.Context()))
		acts := rec.actions()
		require.Len(t, acts, 4)
		assert.True(t, strings.HasPrefix(acts[0], "callStart:"))
		assert.True(t, strings.HasPrefix(acts[1], "callEnd:"))
		cdrs := s.CDRs()
		require.Len(t, cdrs, 2)
		assert.Equal(t, "OK", cdrs[0].EndReason)
		assert.Equal(t, 30, cdrs[0].Duration)
		assert.Equal(t, "0.0450", cdrs[0].Cost, "30 s to a CR mobile: one minute at 0.0450")
		assert.Equal(t, 4, s.RequestCount(""))
	})
}

func TestDialValidation(t *testing.T) {
	s := NewServer(WithAllowedFirstNumbers("50622223333"))
	defer s.Close()
	cases := []struct {
		q    url.Values
		want string
	}{
		{url.Values{"username": {DefaultUsername}, "password": {"wrong"}, "first_num": {"8000001"}, "second_num": {"1"}}, "Invalid username or password"},
		{creds(url.Values{"first_num": {"8000001"}}), "missing"},
		{dialQ("50688887777", "50688886666"), "must be an endpoint"},
		{dialQ("50688887777", "8000003"), "not in the allowed list"},
	}
	for _, tc := range cases {
		_, body := get(t, s, "/clickToDial.php", tc.q)
		assert.Contains(t, body, tc.want)
	}
	// Contact-first from an allowed number is accepted and holds the agent.
	_, body := get(t, s, "/clickToDial.php", dialQ("50622223333", "8000003"))
	assert.Equal(t, "OK", body)
	assert.True(t, s.Busy(callmyway.Endpoint{User: "8000003"}))
}

func TestIPAllowList(t *testing.T) {
	s := NewServer(WithClientIP("198.51.100.9"))
	defer s.Close()
	code, body := get(t, s, "/getCdrs.php", creds(url.Values{"recent": {"1"}}))
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "IP not allowed")
	s.SetAllowedIPs("198.51.100.0/24")
	code, _ = get(t, s, "/getCdrs.php", creds(url.Values{"recent": {"1"}}))
	assert.Equal(t, 200, code)

	// Over a real socket the loopback address is allowed by default.
	real := NewServer()
	defer real.Close()
	resp, err := http.Get(real.URL + "/getCdrs.php?" + creds(url.Values{"recent": {"1"}}).Encode())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec)
		defer s.Close()
		s.ScriptNext(Script{Outcome: AgentNoAnswer}, Script{Outcome: ContactBusy}, Script{Outcome: ContactNoAnswer}, Script{Outcome: ContactDeclined})
		for i := 0; i < 4; i++ {
			_, body := get(t, s, "/clickToDial.php", dialQ("8000001", "50688887777"))
			require.Equal(t, "OK", body)
			time.Sleep(time.Minute)
		}
		cdrs := s.CDRs()
		require.Len(t, cdrs, 4)
		for i, want := range []string{"NO_ANSWER", "TEMPORARILY_UNAVAILABLE", "NO_ANSWER", "DECLINE"} {
			assert.Equal(t, want, cdrs[i].EndReason)
			assert.True(t, cdrs[i].ConnectTime.IsZero())
			assert.Zero(t, cdrs[i].Duration)
			assert.Equal(t, "0.0000", cdrs[i].Cost)
		}
		require.NoError(t, s.Flush(t.Context()))
		for _, b := range rec.bodies {
			if b["action"] == "callEnd" {
				assert.Equal(t, "1970-01-01 00:00:00", b["data"].(map[string]any)["connect_time"])
			}
		}
	})
}

func TestInboundRingGroupAndWithheld(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec)
		defer s.Close()
		parent, err := s.Inbound("8888-7777", callmyway.Endpoint{ID: "5001"}, RingGroup(callmyway.Endpoint{ID: "5002"}, callmyway.Endpoint{ID: "5003"}))
		require.NoError(t, err)
		_, err = s.Inbound("", callmyway.Endpoint{ID: "5009"})
		require.NoError(t, err)
		_, err = s.Inbound("1", callmyway.Endpoint{ID: "nope"})
		assert.Error(t, err)
		time.Sleep(time.Minute)
		require.NoError(t, s.Flush(t.Context()))

		var legs, parents int
		for _, c := range s.CDRs() {
			if c.OriginalCallID == parent {
				if c.RefCallID == "0" {
					parents++
					assert.Equal(t, "OK", c.EndReason)
				} else {
					legs++
					assert.Equal(t, parent, c.RefCallID)
				}
			} else {
				assert.Equal(t, "anonymous", c.ANI)
			}
		}
		assert.Equal(t, 1, parents)
		assert.Equal(t, 3, legs)
		reasons := map[string]int{}
		for _, c := range s.CDRs() {
			if c.RefCallID == parent {
				reasons[c.EndReason]++
			}
		}
		assert.Equal(t, map[string]int{"OK": 1, "CANCELLED": 2}, reasons)
		// Every leg popped on its own endpoint.
		eps := map[string]bool{}
		for _, b := range rec.bodies {
			d := b["data"].(map[string]any)
			if b["action"] == "callStart" {
				eps[d["endpoint_id"].(string)] = true
				assert.Equal(t, "in", d["type"])
			}
		}
		assert.Equal(t, map[string]bool{"5001": true, "5002": true, "5003": true, "5009": true}, eps)
	})
}

func TestInternalCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess())
		defer s.Close()
		_, err := s.Internal(callmyway.Endpoint{ID: "5001"}, callmyway.Endpoint{ID: "5002"})
		require.NoError(t, err)
		assert.Len(t, s.ActiveCalls(), 1)
		time.Sleep(time.Minute)
		c := s.CDRs()
		require.Len(t, c, 1)
		assert.Equal(t, "internal", c[0].Type)
		assert.Empty(t, s.ActiveCalls())
		s.mu.Lock()
		assert.Empty(t, s.timers, "fired steps are forgotten: a long-running fake does not grow")
		s.mu.Unlock()
	})
}

func TestWebhooksBothOrdersAndKnobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		s := newSimServer(rec, WithWebhookMode(WebhookMode{EndBeforeStart: true, Duplicates: 1}))
		defer s.Close()
		id, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		require.NoError(t, s.Flush(t.Context()))
		assert.Equal(t, []string{"callEnd:" + id, "callEnd:" + id, "callStart:" + id, "callStart:" + id}, rec.actions())
		for _, d := range s.Deliveries() {
			assert.True(t, d.Acked())
		}

		s.SetWebhookMode(WebhookMode{StringNumbers: true, SingleQuoted: true})
		_, err = s.Inbound("88887777", callmyway.Endpoint{ID: "5002"})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		require.NoError(t, s.Flush(t.Context()))
		rec.mu.Lock()
		last := rec.raw[len(rec.raw)-1]
		rec.mu.Unlock()
		assert.True(t, strings.HasPrefix(last, "{'action':'callEnd'"), last)
		assert.Contains(t, last, "'duration':'30'")
		assert.NotContains(t, last, `"`)
	})
}

func TestWebhookRetriesOnFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n int
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			if n == 1 {
				http.Error(w, "down", 500)
				return
			}
			io.WriteString(w, `{"ack":"ok"}`)
		})
		s := newSimServer(h, WithWebhookMode(WebhookMode{Retries: 2}))
		defer s.Close()
		_, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"}, WithScript(Script{Outcome: AgentNoAnswer}))
		require.NoError(t, err)
		time.Sleep(time.Minute)
		require.NoError(t, s.Flush(t.Context()))
		ds := s.Deliveries()
		require.Len(t, ds, 3)
		assert.Equal(t, 500, ds[0].Status)
		assert.Equal(t, 2, ds[1].Attempt)
		assert.True(t, ds[1].Acked())
	})
}

func TestPagingBoundaries(t *testing.T) {
	s := NewServer()
	defer s.Close()
	from := time.Date(2017, 6, 1, 0, 0, 0, 0, time.UTC)
	s.GenerateHistory(25, from, from.Add(25*time.Minute), 1)
	page := func(ini, cant int) []map[string]any {
		q := creds(url.Values{"dateStart": {"2017-06-01 00:00:00"}, "dateEnd": {"2017-06-01 00:24:00"},
			"ini": {itoa(ini)}, "cant": {itoa(cant)}, "format": {"json"}})
		synctestFree(s)
		code, body := get(t, s, "/getCdrs.php", q)
		require.Equal(t, 200, code, body)
		var recs []map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &recs), body)
		return recs
	}
	assert.Len(t, page(0, 10), 10)
	assert.Len(t, page(10, 10), 10)
	last := page(20, 10)
	assert.Len(t, last, 5, "inclusive end: minute 24 is in")
	assert.Empty(t, page(25, 10))
	assert.Len(t, page(0, 0), 25, "no cant: everything")
	first, second := page(0, 10), page(10, 10)
	assert.NotEqual(t, first[9]["callid"], second[0]["callid"])
	assert.Equal(t, "T1", first[0]["x_trunk"], "unknown fields are sent")
}

// synctestFree resets the penalty clock so tests outside a bubble can
// query back to back without counting violations.
func synctestFree(s *Server) {
	s.mu.Lock()
	s.penalty = penaltyState{}
	s.mu.Unlock()
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + jsonNum(n)) }
func jsonNum(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestPenaltyAccounting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess())
		defer s.Close()
		q := creds(url.Values{"recent": {"1"}})
		get(t, s, "/getCdrs.php", q)
		assert.Equal(t, 0, s.Violations())

		// Three more at once: each is early, and the delays accumulate.
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var took []time.Duration
		for i := 0; i < 3; i++ {
			wg.Go(func() {
				get(t, s, "/getCdrs.php", q)
				mu.Lock()
				took = append(took, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, 3, s.Violations())
		assert.ElementsMatch(t, []time.Duration{4 * time.Second, 8 * time.Second, 12 * time.Second}, took)

		// After a pause of 4 s a query is on time and the debt is cleared.
		time.Sleep(4 * time.Second)
		before := time.Now()
		get(t, s, "/getCdrs.php", q)
		assert.Equal(t, 3, s.Violations())
		assert.Zero(t, time.Since(before))
		// The penalty counts per account: another endpoint's queries are not early.
		get(t, s, "/getCdrs.php", url.Values{"username": {"8000002"}, "password": {"22345678901"}, "recent": {"1"}})
		assert.Equal(t, 3, s.Violations())
	})
}

func TestShapesAndLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess())
		defer s.Close()
		_, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		time.Sleep(time.Second)
		code, body := get(t, s, "/getCdrs.php", creds(url.Values{"live": {"1"}, "fullAccount": {"1"}}))
		require.Equal(t, 200, code)
		var live []map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &live))
		require.Len(t, live, 1)
		assert.Equal(t, "1970-01-01 00:00:00", live[0]["connect_time"])
		assert.EqualValues(t, 0, live[0]["duration"])

		for shape, want := range map[Shape]string{ShapeObject: `{"cdrs":[`, ShapeError: `{"error":"Internal error"}`, ShapeEmpty: ``} {
			time.Sleep(5 * time.Second)
			s.SetCDRMode(CDRMode{Shape: shape})
			_, body := get(t, s, "/getCdrs.php", creds(url.Values{"recent": {"1"}}))
			assert.True(t, strings.HasPrefix(body, want), body)
		}
		assert.Zero(t, s.Violations())
	})
}

func TestFaults(t *testing.T) {
	s := NewServer()
	defer s.Close()
	q := creds(url.Values{"recent": {"1"}})
	s.FailNext(1, Fault{Kind: Fault5xx})
	code, _ := get(t, s, "/getCdrs.php", q)
	assert.Equal(t, 500, code)
	s.FailNext(1, Fault{Kind: FaultHTML})
	code, body := get(t, s, "/getCdrs.php", q)
	assert.Equal(t, 502, code)
	assert.Contains(t, body, "<html>")
	s.FailNext(1, Fault{Kind: FaultTruncated})
	_, body = get(t, s, "/getCdrs.php", q)
	assert.False(t, json.Valid([]byte(body)))
	s.FailNext(1, Fault{Kind: FaultWrongCredentials})
	_, body = get(t, s, "/getCdrs.php", q)
	assert.Contains(t, body, `"error"`)
	s.FailNext(1, Fault{Kind: FaultReset})
	_, err := s.Client().Get(s.URL + "/getCdrs.php")
	assert.Error(t, err, "in-process reset")
	s.FailNext(1, Fault{Kind: FaultReset})
	_, err = http.Get(s.URL + "/getCdrs.php")
	assert.Error(t, err, "socket reset")
}

func TestGenerateHistoryIsQuickAndComplete(t *testing.T) {
	s := NewServer()
	defer s.Close()
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := s.GenerateHistory(50_000, from, from.AddDate(0, 1, 0), 7)
	assert.Len(t, recs, 50_000)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.CallID] = true
		assert.False(t, r.DetectTime.Before(from))
	}
	assert.Len(t, ids, 50_000)
}

func TestStandaloneOverSockets(t *testing.T) {
	rec := &recorder{}
	hook := httptest.NewServer(rec)
	defer hook.Close()
	s := NewServer(WithWebhook(hook.URL))
	defer s.Close()
	resp, err := http.Get(s.URL + "/clickToDial.php?" + dialQ("8000001", "50688887777").Encode())
	require.NoError(t, err)
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.Flush(ctx))
	assert.Len(t, rec.actions(), 1)
}

func TestOptionsValidate(t *testing.T) {
	for name, o := range map[string]Option{
		"allowed ip": WithAllowedIPs("nope"),
		"account":    WithAccount(callmyway.Account{Username: "1"}, "x"),
		"password":   WithAccount(DefaultAccount, ""),
		"clock":      WithClock(nil),
		"webhook":    WithWebhook("not a url"),
		"client ip":  WithClientIP("x"),
		"endpoints":  WithEndpoints(Endpoint{Endpoint: callmyway.Endpoint{ID: "1"}}),
		"first nums": WithAllowedFirstNumbers("abc"),
		"account id": WithAccountID(" "),
	} {
		_, err := Start(o)
		assert.Error(t, err, name)
		assert.Panics(t, func() { NewServer(o) }, name)
	}
}

func TestAccountFlowsToClient(t *testing.T) {
	loc, err := time.LoadLocation("America/Costa_Rica")
	require.NoError(t, err)
	acct := callmyway.Account{Username: "8000001", Location: loc, Region: "CR"}
	s := NewServer(InProcess(), WithAccount(acct, "secret-1234"))
	defer s.Close()
	c, err := s.NewClient()
	require.NoError(t, err)
	assert.Equal(t, acct, c.Account())
	assert.Equal(t, acct, s.Account())
	assert.True(t, s.Busy(callmyway.Endpoint{ID: "nope"}) == false)
}

// A fake restarted against a CRM that kept its data never reuses a callid
// (a new note once landed on a 7-day-old call after a demo restart).
func TestRestartNeverReusesCallIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := NewServer(InProcess())
		id1, err := first.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		first.Close()
		time.Sleep(time.Second)
		second := NewServer(InProcess())
		defer second.Close()
		id2, err := second.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		assert.NotEqual(t, id1, id2)
	})
}

func TestWithFirstCallID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewServer(InProcess(), WithFirstCallID(900000000))
		defer s.Close()
		id, err := s.Inbound("88887777", callmyway.Endpoint{ID: "5001"})
		require.NoError(t, err)
		assert.Equal(t, "900000001", id)
		_, err = Start(WithFirstCallID(-1))
		assert.Error(t, err)
	})
}
