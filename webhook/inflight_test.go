package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
