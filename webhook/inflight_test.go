package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaxInFlightQueuesDeliveries: with WithMaxInFlight(2), ten concurrent
// deliveries are all processed and acked — none refused — while the
// listener never runs more than two at once: the others wait for a place.
// Without the bound all ten run at once.
func TestMaxInFlightQueuesDeliveries(t *testing.T) {
	const limit, n = 2, 10
	var inFlight, most atomic.Int32
	gate := make(chan struct{})
	l := ListenerFunc(func(ctx context.Context, ev Event) error {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	h, err := NewHandler(utc, l, quiet(), WithToken(token), WithMaxInFlight(limit), WithListenerTimeout(time.Minute))
	require.NoError(t, err)
	var arrived atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := strings.Replace(validStart, "900000001", fmt.Sprint(900000100+i), 1)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/hook/"+token, strings.NewReader(body))
			if err != nil {
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			statuses[i], bodies[i] = resp.StatusCode, string(b)
		})
	}
	// Every delivery reached the handler; two are in the listener, the
	// other eight wait.
	require.Eventually(t, func() bool { return arrived.Load() == n && inFlight.Load() == limit }, 20*time.Second, time.Millisecond)
	close(gate)
	wg.Wait()
	for i := range n {
		assert.Equal(t, http.StatusOK, statuses[i], "delivery %d acked, not refused", i)
		assert.JSONEq(t, `{"ack":"ok"}`, bodies[i])
	}
	assert.LessOrEqual(t, most.Load(), int32(limit), "never more than the bound at once")
}

// TestMaxInFlightSenderGivesUp: a delivery whose sender leaves while it
// waits for a place is not processed, and frees nothing it did not hold.
func TestMaxInFlightSenderGivesUp(t *testing.T) {
	l := &countingListener{}
	h, err := NewHandler(utc, l, quiet(), WithToken(token), WithMaxInFlight(1))
	require.NoError(t, err)
	hh := h.(*handler)
	hh.slots <- struct{}{} // the one place is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/hook/"+token, strings.NewReader(validStart))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Zero(t, l.total())
	<-hh.slots
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hook/"+token, strings.NewReader(validStart)))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, 1, l.total())
	assert.Empty(t, hh.slots, "the place is given back")
}

func TestMaxInFlightValidates(t *testing.T) {
	for _, n := range []int{0, -1, 1<<16 + 1} {
		_, err := NewHandler(utc, &countingListener{}, quiet(), WithToken(token), WithMaxInFlight(n))
		assert.ErrorIs(t, err, ErrInvalidOption)
	}
	_, err := NewHandler(utc, &countingListener{}, quiet(), WithToken(token), WithMaxInFlight(1<<16))
	assert.NoError(t, err)
}

// onePlace is a server whose handler is bounded to one delivery, with a
// listener that keeps the first event (callid 900000001) in its place until
// release is called.
type onePlace struct {
	srv      *httptest.Server
	l        *countingListener
	holding  chan struct{} // closed when the first event holds the place
	freed    chan struct{}
	once     sync.Once
	arrived  atomic.Int32
	returned chan struct{} // closed when the second delivery's ServeHTTP returned
}

func (p *onePlace) release() { p.once.Do(func() { close(p.freed) }) }

func (p *onePlace) waitHolding(t *testing.T) {
	t.Helper()
	select {
	case <-p.holding:
	case <-time.After(20 * time.Second): // a guard against hanging, not a timing bound
		t.Fatal("the first delivery never took the place")
	}
}

func newOnePlace(t *testing.T, readTimeout time.Duration) *onePlace {
	t.Helper()
	p := &onePlace{l: &countingListener{}, holding: make(chan struct{}), freed: make(chan struct{}), returned: make(chan struct{})}
	l := ListenerFunc(func(ctx context.Context, ev Event) error {
		if ev.Call.ID == "900000001" {
			close(p.holding)
			<-p.freed
		}
		return p.l.HandleEvent(ctx, ev)
	})
	h, err := NewHandler(utc, l, quiet(), WithToken(token), WithMaxInFlight(1), WithListenerTimeout(time.Minute))
	require.NoError(t, err)
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.arrived.Add(1)
		second := r.URL.Query().Get("second") != ""
		h.ServeHTTP(w, r)
		if second {
			close(p.returned)
		}
	}))
	p.srv.Config.ReadTimeout = readTimeout
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	t.Cleanup(p.release) // before Close, even when a test fails
	return p
}

// post sends body and reports the status (0 on a transport error).
func (p *onePlace) post(ctx context.Context, query, body string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.srv.URL+"/hook/"+token+query, strings.NewReader(body))
	if err != nil {
		return 0
	}
	resp, err := p.srv.Client().Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestMaxInFlightWaitOutlivesReadTimeout: under a server with a
// ReadTimeout, a delivery that waits for a place longer than that is
// processed and acked once the place frees. It used to read its body only
// then, past the read deadline, and answer the timeout 400 ("invalid,
// don't retry").
func TestMaxInFlightWaitOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 200 * time.Millisecond
	p := newOnePlace(t, readTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var first, second int
	var wg sync.WaitGroup
	wg.Go(func() { first = p.post(ctx, "", validStart) })
	p.waitHolding(t)
	wg.Go(func() {
		// Larger than the server's read buffer, so that reading it takes
		// the connection, under its read deadline.
		body := strings.Replace(validStart, "900000001", "900000002", 1) + strings.Repeat(" ", 32<<10)
		second = p.post(ctx, "?second=1", body)
	})
	require.Eventually(t, func() bool { return p.arrived.Load() == 2 }, 20*time.Second, time.Millisecond)
	// Let the second delivery's read deadline pass while it waits (setup,
	// not an assertion: any longer wait must give the same answers).
	time.Sleep(3 * readTimeout)
	p.release()
	wg.Wait()
	assert.Equal(t, http.StatusOK, first)
	assert.Equal(t, http.StatusOK, second, "a delivery that only waited is acked, not refused")
	assert.Equal(t, 2, p.l.total())
}

// TestMaxInFlightSenderLeavesWhileWaiting: over HTTP/1.1, a sender that
// gives up while its delivery waits for a place ends that wait at once (its
// body was read, so the server watches the connection): the delivery is
// not processed and holds nothing while the place stays taken. It used to
// wait, unread, until the place freed.
func TestMaxInFlightSenderLeavesWhileWaiting(t *testing.T) {
	p := newOnePlace(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var first int
	var wg sync.WaitGroup
	wg.Go(func() { first = p.post(ctx, "", validStart) })
	p.waitHolding(t)
	ctx2, leave := context.WithCancel(ctx)
	wg.Go(func() {
		p.post(ctx2, "?second=1", strings.Replace(validStart, "900000001", "900000002", 1))
	})
	require.Eventually(t, func() bool { return p.arrived.Load() == 2 }, 20*time.Second, time.Millisecond)
	leave()
	select {
	case <-p.returned:
	case <-time.After(20 * time.Second): // a guard against hanging, not a timing bound
		t.Fatal("the delivery whose sender left still waits for the place")
	}
	p.release()
	wg.Wait()
	assert.Equal(t, http.StatusOK, first)
	assert.Equal(t, 1, p.l.total(), "the delivery whose sender left was not processed")
}

// errBody fails every read with err.
type errBody struct{ err error }

func (b errBody) Read([]byte) (int, error) { return 0, b.err }

// TestBodyReadErrorStatuses: a body that is too large gets 413 and
// malformed JSON 400, but a body the connection failed to deliver (a
// timeout, a sender gone) gets 503, retryable, not 400.
func TestBodyReadErrorStatuses(t *testing.T) {
	l := &countingListener{}
	h, err := NewHandler(utc, l, quiet(), WithToken(token), WithMaxBodyBytes(256))
	require.NoError(t, err)
	serve := func(body io.Reader, contentLength int64) int {
		req := httptest.NewRequest(http.MethodPost, "/hook/"+token, body)
		req.ContentLength = contentLength
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	big := strings.Repeat(" ", 300) + validStart
	assert.Equal(t, http.StatusRequestEntityTooLarge, serve(strings.NewReader(big), int64(len(big))), "declared too large")
	assert.Equal(t, http.StatusRequestEntityTooLarge, serve(strings.NewReader(big), -1), "too large, undeclared")
	assert.Equal(t, http.StatusBadRequest, serve(strings.NewReader(`{"action":`), -1), "malformed JSON")
	assert.Equal(t, http.StatusServiceUnavailable, serve(errBody{os.ErrDeadlineExceeded}, -1), "read timeout")
	assert.Equal(t, http.StatusServiceUnavailable, serve(io.MultiReader(strings.NewReader(`{"action"`), errBody{io.ErrUnexpectedEOF}), -1), "sender gone mid-body")
	assert.Zero(t, l.total())
}
