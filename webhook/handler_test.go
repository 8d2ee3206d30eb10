package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// utc is an account on UTC.
var utc = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}

const token = "s3cret-token-0123456789"

// countingListener counts calls per event key.
type countingListener struct {
	mu    sync.Mutex
	calls map[string]int
	err   error
}

func (l *countingListener) HandleEvent(ctx context.Context, ev Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[string]int{}
	}
	l.calls[ev.Key()]++
	return l.err
}

func (l *countingListener) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.calls {
		n += c
	}
	return n
}

func quiet() Option { return WithLogger(slog.New(slog.DiscardHandler)) }

func TestBadRequests(t *testing.T) {
	l := &countingListener{}
	h, err := NewHandler(utc, l, quiet(), WithToken(token), WithBasicAuth("cmw", "pw-1234"),
		WithAllowedCIDRs("203.0.113.0/24", "2001:db8::/32"), WithTrustedProxies("10.0.0.1"), WithMaxBodyBytes(1024))
	require.NoError(t, err)

	good := func(r *http.Request) *http.Request {
		r.RemoteAddr = "203.0.113.5:4000"
		r.Header.Set(TokenHeader, token)
		r.SetBasicAuth("cmw", "pw-1234")
		return r
	}
	post := func(body string) *http.Request {
		return good(httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body)))
	}
	with := func(body string, f func(r *http.Request)) *http.Request {
		r := post(body)
		f(r)
		return r
	}
	repl := func(old, new string) string { return strings.Replace(validStart, old, new, 1) }

	cases := []struct {
		name   string
		req    *http.Request
		status int
		msg    string
	}{
		{"GET", good(httptest.NewRequest(http.MethodGet, "/hook", nil)), 405, "method GET"},
		{"PUT", good(httptest.NewRequest(http.MethodPut, "/hook", strings.NewReader(validStart))), 405, "method PUT"},
		{"DELETE", good(httptest.NewRequest(http.MethodDelete, "/hook", nil)), 405, "not allowed"},
		{"HEAD", good(httptest.NewRequest(http.MethodHead, "/hook", nil)), 405, ""},
		{"oversize declared", post(strings.Repeat(" ", 2000) + validStart), 413, "larger than 1024"},
		{"oversize streamed", with(strings.Repeat(" ", 2000)+validStart, func(r *http.Request) { r.ContentLength = -1 }), 413, "larger than 1024"},
		{"empty body", post(""), 400, "invalid body: empty"},
		{"whitespace body", post("   \n"), 400, "invalid body: empty"},
		{"truncated", post(validStart[:60]), 400, "invalid body: not JSON"},
		{"not JSON", post("hello"), 400, "invalid body: not JSON"},
		{"form encoded", post("action=callStart&callid=1"), 400, "not JSON"},
		{"JSON array", post(`[1,2]`), 400, "invalid body"},
		{"JSON string", post(`"callStart"`), 400, "invalid body"},
		{"null", post(`null`), 400, "invalid action: missing"},
		{"missing action", post(`{"data":{"callid":"1"}}`), 400, "invalid action: missing"},
		{"unknown action", post(repl("callStart", "callRing")), 400, `unknown action "callRing"`},
		{"action wrong case", post(repl("callStart", "CALLSTART")), 400, "unknown action"},
		{"missing data", post(`{"action":"callStart"}`), 400, "invalid data: missing"},
		{"data not object", post(`{"action":"callStart","data":"x"}`), 400, "invalid data: not an object"},
		{"missing callid", post(repl(`"callid":"900000001",`, "")), 400, "invalid data.callid: missing"},
		{"empty callid", post(repl(`"callid":"900000001"`, `"callid":""`)), 400, "data.callid: missing"},
		{"huge callid", post(repl(`"callid":"900000001"`, `"callid":"`+strings.Repeat("9", 200)+`"`)), 400, "data.callid"},
		{"bad detect_time", post(repl("2017-06-01 13:45:09", "2017-13-01 13:45:09")), 400, "invalid data.detect_time"},
		{"ISO detect_time", post(repl("2017-06-01 13:45:09", "2017-06-01T13:45:09Z")), 400, "data.detect_time"},
		{"bad connect_time", post(repl(`"connect_time":""`, `"connect_time":"soon"`)), 400, "invalid data.connect_time"},
		{"bad disconnect_time", post(repl(`"disconnect_time":""`, `"disconnect_time":"12:00"`)), 400, "data.disconnect_time"},
		{"bad duration", post(repl(`"duration":0`, `"duration":"long"`)), 400, "invalid data.duration"},
		{"negative duration", post(repl(`"duration":0`, `"duration":-1`)), 400, "data.duration"},
		{"bad cost", post(repl(`"cost":0`, `"cost":"gratis"`)), 400, "invalid data.cost"},
		{"bad type", post(repl(`"type":"in"`, `"type":"sideways"`)), 400, "invalid data.type"},
		{"no token", with(validStart, func(r *http.Request) { r.Header.Del(TokenHeader) }), 401, "token"},
		{"wrong token", with(validStart, func(r *http.Request) { r.Header.Set(TokenHeader, "nope-nope-nope-nope") }), 401, "token"},
		{"token prefix", with(validStart, func(r *http.Request) { r.Header.Set(TokenHeader, token[:10]) }), 401, "token"},
		{"no basic", with(validStart, func(r *http.Request) { r.Header.Del("Authorization") }), 401, "basic"},
		{"wrong basic password", with(validStart, func(r *http.Request) { r.SetBasicAuth("cmw", "wrong") }), 401, "basic"},
		{"wrong basic user", with(validStart, func(r *http.Request) { r.SetBasicAuth("root", "pw-1234") }), 401, "basic"},
		{"wrong IP", with(validStart, func(r *http.Request) { r.RemoteAddr = "198.51.100.7:1234" }), 403, "198.51.100.7 is not allowed"},
		{"wrong IPv6", with(validStart, func(r *http.Request) { r.RemoteAddr = "[2001:db9::1]:1234" }), 403, "not allowed"},
		{"spoofed XFF from untrusted peer", with(validStart, func(r *http.Request) {
			r.RemoteAddr = "198.51.100.7:1234"
			r.Header.Set("X-Forwarded-For", "203.0.113.5")
		}), 403, "198.51.100.7 is not allowed"},
		{"trusted proxy, client not allowed", with(validStart, func(r *http.Request) {
			r.RemoteAddr = "10.0.0.1:1234"
			r.Header.Set("X-Forwarded-For", "203.0.113.5, 198.51.100.9")
		}), 403, "198.51.100.9 is not allowed"},
		{"trusted proxy, garbage XFF", with(validStart, func(r *http.Request) {
			r.RemoteAddr = "10.0.0.1:1234"
			r.Header.Set("X-Forwarded-For", "not-an-ip")
		}), 403, "unreadable X-Forwarded-For"},
	}
	require.GreaterOrEqual(t, len(cases), 30)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			var body map[string]string
			if tc.req.Method != http.MethodHead {
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
				assert.Contains(t, body["error"], tc.msg)
			}
			if tc.status == 405 {
				assert.Equal(t, "POST", w.Header().Get("Allow"))
			}
		})
	}
	assert.Zero(t, l.total(), "no bad request reached the listener")

	// The same handler accepts good requests every way the token may come.
	for i, r := range []*http.Request{
		post(validStart),
		with(validStart, func(r *http.Request) {
			r.Header.Del(TokenHeader)
			r.URL.Path = "/hook/" + token
		}),
		with(validStart, func(r *http.Request) {
			r.Header.Del(TokenHeader)
			r.URL.RawQuery = "token=" + token
		}),
		with(strings.Replace(validStart, "900000001", "3", 1), func(r *http.Request) {
			r.RemoteAddr = "10.0.0.1:1234"
			r.Header.Set("X-Forwarded-For", "203.0.113.5")
			r.Header.Set("Content-Type", "text/plain")
		}),
	} {
		if i == 1 {
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(validStart, "900000001", "1", 1)))
		}
		if i == 2 {
			r.Body = io.NopCloser(strings.NewReader(strings.Replace(validStart, "900000001", "2", 1)))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, 200, w.Code, "good request %d: %s", i, w.Body.String())
		assert.JSONEq(t, `{"ack":"ok"}`, w.Body.String())
	}
	assert.Equal(t, 4, l.total())
}

func TestAckOnlyAfterListenerSucceeds(t *testing.T) {
	var logs bytes.Buffer
	calls := 0
	fail := true
	h, err := NewHandler(utc, ListenerFunc(func(ctx context.Context, ev Event) error {
		calls++
		if fail {
			return errors.New("database down")
		}
		return nil
	}), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	send := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(validStart)))
		return w
	}
	w := send()
	assert.Equal(t, 500, w.Code)
	assert.NotContains(t, w.Body.String(), "database down", "internals are not sent back")
	assert.Contains(t, logs.String(), "database down")
	fail = false
	w = send()
	assert.Equal(t, 200, w.Code, "a failed event is retried, not deduplicated")
	w = send()
	assert.Equal(t, 200, w.Code)
	assert.Equal(t, 2, calls, "the success is remembered: the third delivery is a duplicate")
}

func TestListenerPanicAndTimeout(t *testing.T) {
	h, err := NewHandler(utc, ListenerFunc(func(ctx context.Context, ev Event) error { panic("boom") }), quiet())
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(validStart)))
	assert.Equal(t, 500, w.Code)

	h, err = NewHandler(utc, ListenerFunc(func(ctx context.Context, ev Event) error {
		<-ctx.Done()
		return ctx.Err()
	}), quiet(), WithListenerTimeout(20*time.Millisecond))
	require.NoError(t, err)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(validStart)))
	assert.Equal(t, 500, w.Code)
}

func TestWarnsOnceWithoutAuth(t *testing.T) {
	var logs bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logs, nil))
	h, err := NewHandler(utc, &countingListener{}, WithLogger(l))
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader(validStart)))
	}
	assert.Equal(t, 1, strings.Count(logs.String(), "no authentication"))
	logs.Reset()
	_, err = NewHandler(utc, &countingListener{}, WithLogger(l), WithToken(token))
	require.NoError(t, err)
	assert.Empty(t, logs.String())
}

func TestOptionsValidate(t *testing.T) {
	for name, o := range map[string]Option{
		"short token": WithToken("abc"), "basic": WithBasicAuth("", "x"), "cidr": WithAllowedCIDRs("nope"),
		"no cidr": WithAllowedCIDRs(), "proxy": WithTrustedProxies("1.2.3.4/99"), "body": WithMaxBodyBytes(1),
		"timeout": WithListenerTimeout(0), "window": WithDedupeWindow(-1), "dedupe": WithDeduper(nil),
		"logger": WithLogger(nil),
	} {
		_, err := NewHandler(utc, &countingListener{}, o)
		assert.Error(t, err, name)
	}
	_, err := NewHandler(utc, nil)
	assert.Error(t, err)
	_, err = NewHandler(callmyway.Account{Username: "8000001", Region: "CR"}, &countingListener{})
	assert.ErrorIs(t, err, callmyway.ErrInvalidAccount)
	assert.Error(t, err)
}

// TestDuplicatesAndReordering: 1,000 calls, each event delivered 3 times
// concurrently in shuffled order: each (callid, action) reaches the
// listener exactly once.
func TestDuplicatesAndReordering(t *testing.T) {
	l := &countingListener{}
	h, err := NewHandler(utc, l, quiet())
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	var bodies []string
	for i := 0; i < 1000; i++ {
		for _, action := range []string{"callStart", "callEnd"} {
			b := strings.Replace(strings.Replace(validStart, "900000001", fmt.Sprint(i), 1), "callStart", action, 1)
			for k := 0; k < 3; k++ {
				bodies = append(bodies, b)
			}
		}
	}
	rand.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
	var wg sync.WaitGroup
	var acked atomic.Int32
	work := make(chan string)
	client := srv.Client()
	for w := 0; w < 32; w++ {
		wg.Go(func() {
			for b := range work {
				resp, err := client.Post(srv.URL, "application/json", strings.NewReader(b))
				if err != nil {
					t.Error(err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					acked.Add(1)
				}
			}
		})
	}
	for _, b := range bodies {
		work <- b
	}
	close(work)
	wg.Wait()
	assert.EqualValues(t, 6000, acked.Load(), "every delivery acked")
	require.Len(t, l.calls, 2000)
	for k, n := range l.calls {
		if n != 1 {
			t.Errorf("%s reached the listener %d times", k, n)
		}
	}
}

func TestMemoryDeduperBounded(t *testing.T) {
	d := NewMemoryDeduper(time.Minute, 100)
	now := time.Unix(0, 0)
	d.now = func() time.Time { return now }
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		k := fmt.Sprint(i)
		done, err := d.Acquire(ctx, k)
		require.NoError(t, err)
		require.False(t, done)
		require.NoError(t, d.Release(ctx, k, true))
	}
	assert.Equal(t, 100, d.Len(), "bounded")
	done, _ := d.Acquire(ctx, "999")
	assert.True(t, done)
	now = now.Add(2 * time.Minute)
	done, _ = d.Acquire(ctx, "999")
	assert.False(t, done, "expired after the window")
	require.NoError(t, d.Release(ctx, "999", false))
	assert.Zero(t, d.Len())

	// A waiter on an in-flight key gives up with its context.
	_, _ = d.Acquire(ctx, "busy")
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err := d.Acquire(cctx, "busy")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func benchBody(i int) []byte {
	return []byte(strings.Replace(validStart, "900000001", fmt.Sprint(i), 1))
}

// BenchmarkHandler posts valid callStarts (distinct callids) over loopback
// HTTP through the full handler with a no-op listener.
func BenchmarkHandler(b *testing.B) {
	h, err := NewHandler(utc, ListenerFunc(func(context.Context, Event) error { return nil }), quiet(), WithToken(token))
	if err != nil {
		b.Fatal(err)
	}
	benchServe(b, h)
}

// BenchmarkHandlerBaseline is the floor: a bare handler that reads the body
// and writes the ack.
func BenchmarkHandlerBaseline(b *testing.B) {
	benchServe(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ack":"ok"}`))
	}))
}

func benchServe(b *testing.B, h http.Handler) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hook", bytes.NewReader(benchBody(int(n.Add(1)))))
			req.Header.Set(TokenHeader, token)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}
