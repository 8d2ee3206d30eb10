package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/webhook"
)

// TestConnLimitQueuesWebhooksBesideStreams: with -max-conns 3, twelve SSE
// streams left open do not take the places (they are bounded by the Hub,
// not the listener), and ten concurrent webhook deliveries are all acked —
// none refused — while the server never serves more than three at once:
// the others wait in the accept backlog. Without the listener cap all ten
// are served at once; without the SSE exemption the streams starve the
// webhook.
func TestConnLimitQueuesWebhooksBesideStreams(t *testing.T) {
	const limit, streams, deliveries = 3, 12, 10
	const token = "conn-limit-token-0123456789"
	var active, most, done atomic.Int32
	tokens := make(chan struct{})
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	hook, err := webhook.NewHandler(acct, webhook.ListenerFunc(func(ctx context.Context, ev webhook.Event) error {
		cur := active.Add(1)
		defer active.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		select {
		case <-tokens: // the test lets one delivery finish at a time
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}), webhook.WithToken(token), webhook.WithListenerTimeout(time.Minute))
	require.NoError(t, err)

	var openStreams atomic.Int32
	stopStreams := make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("POST /cmw/hook/", hook)
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		if err := http.NewResponseController(w).Flush(); err != nil {
			return
		}
		openStreams.Add(1)
		defer openStreams.Add(-1)
		select { // an idle browser tab
		case <-stopStreams:
		case <-r.Context().Done():
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln, err := limitConns(srv, raw, limit, "/events")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		require.NoError(t, srv.Close())
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	}()
	base := "http://" + raw.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Browser tabs: streams that stay open.
	var tabs sync.WaitGroup
	defer func() { close(stopStreams); tabs.Wait() }()
	for range streams {
		tabs.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
			if err != nil {
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
		})
	}
	require.Eventually(t, func() bool { return openStreams.Load() == streams }, 20*time.Second, time.Millisecond,
		"more streams than places: each gives its place back")
	// Open streams hold no place (the one counted is reserved by the
	// server's Accept waiting for the next connection).
	assert.LessOrEqual(t, ln.(*limitListener).open(), 1, "open streams hold no place")

	statuses := make([]int, deliveries)
	bodies := make([]string, deliveries)
	var wg sync.WaitGroup
	for i := range deliveries {
		wg.Go(func() {
			body := fmt.Sprintf(`{"action":"callStart","data":{"callid":"%d","endpoint_id":"5001","ani":"50688887777","dnis":"8000001","detect_time":"2017-06-01 13:45:09","type":"in"}}`, 900000100+i)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/cmw/hook/"+token, strings.NewReader(body))
			if err != nil {
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			statuses[i], bodies[i] = resp.StatusCode, string(b)
			done.Add(1)
		})
	}
	// Let the deliveries finish one at a time: each freed place lets a
	// waiting one in.
	for i := range deliveries {
		require.Eventually(t, func() bool { return active.Load() == min(limit, deliveries-int32(i)) }, 20*time.Second, time.Millisecond,
			"delivery %d: the places are used", i)
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
		require.Eventually(t, func() bool { return done.Load() == int32(i+1) }, 20*time.Second, time.Millisecond)
	}
	wg.Wait()
	for i := range deliveries {
		assert.Equal(t, http.StatusOK, statuses[i], "delivery %d acked, not refused", i)
		assert.JSONEq(t, `{"ack":"ok"}`, bodies[i])
	}
	assert.Equal(t, int32(limit), most.Load(), "never more deliveries served at once than places")
	assert.Equal(t, int32(streams), openStreams.Load(), "the tabs were left open throughout")
}

// TestIdleKeepAliveHoldsNoPlace: with -max-conns 3, three browsers whose
// kept-alive connections sit idle between polls hold no place, so a new
// client's webhook delivery is acked (before the fix it waited in the
// backlog for a browser to close a connection). Then the browsers' next
// polls, on the same connections, and three more deliveries, on new ones,
// all arrive at once: all six are served, never more than three at once,
// the polls waiting for a place on their open connections and the
// deliveries in the accept backlog.
func TestIdleKeepAliveHoldsNoPlace(t *testing.T) {
	const limit, browsers, deliveries = 3, 3, 3
	const token = "conn-limit-token-0123456789"
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	hook, err := webhook.NewHandler(acct, webhook.ListenerFunc(func(context.Context, webhook.Event) error { return nil }),
		webhook.WithToken(token), webhook.WithListenerTimeout(time.Minute))
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("POST /cmw/hook/", hook)
	mux.HandleFunc("GET /poll", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

	// Every request is counted while its handler runs; once gated, each
	// waits for a token from the test.
	var busy, most atomic.Int32
	var gated atomic.Bool
	tokens := make(chan struct{})
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := busy.Add(1)
		defer busy.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		if gated.Load() {
			select {
			case <-tokens:
			case <-r.Context().Done():
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: counted, ReadHeaderTimeout: 5 * time.Second}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln, err := limitConns(srv, raw, limit, "/events")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		require.NoError(t, srv.Close())
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	}()
	base := "http://" + raw.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The browsers: one kept-alive connection each.
	tabs := make([]*http.Client, browsers)
	for i := range tabs {
		tabs[i] = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
		defer tabs[i].CloseIdleConnections()
	}
	poll := func(c *http.Client) (status int, reused bool, err error) {
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		}), http.MethodGet, base+"/poll", nil)
		if err != nil {
			return 0, false, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, false, err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, reused, err
	}
	for _, c := range tabs {
		status, _, err := poll(c)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status)
	}
	hookClient := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer hookClient.CloseIdleConnections()
	deliver := func(i int) (int, string, error) {
		body := fmt.Sprintf(`{"action":"callStart","data":{"callid":"%d","endpoint_id":"5001","ani":"50688887777","dnis":"8000001","detect_time":"2017-06-01 13:45:09","type":"in"}}`, 900000200+i)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/cmw/hook/"+token, strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		resp, err := hookClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	status, body, err := deliver(0)
	require.NoError(t, err, "a delivery beside idle kept-alive connections is served")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"ack":"ok"}`, body)
	require.Eventually(t, func() bool { return ln.(*limitListener).open() <= 1 }, 20*time.Second, time.Millisecond,
		"idle connections give their places back (the one left is the server's waiting Accept)")

	// All at once now: the browsers' next polls on their open connections
	// and new deliveries, at most three served at a time.
	gated.Store(true)
	type result struct {
		status int
		body   string
		reused bool
		err    error
	}
	results := make([]result, browsers+deliveries)
	var wg sync.WaitGroup
	for i, c := range tabs {
		wg.Go(func() {
			r := &results[i]
			r.status, r.reused, r.err = poll(c)
			r.body = "ok"
		})
	}
	for i := range deliveries {
		wg.Go(func() {
			r := &results[browsers+i]
			r.status, r.body, r.err = deliver(1 + i)
			r.reused = true // a new connection each: nothing to check
		})
	}
	for i := range len(results) {
		require.Eventually(t, func() bool { return busy.Load() == min(limit, int32(len(results)-i)) }, 20*time.Second, time.Millisecond,
			"request %d: the places are used", i)
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	wg.Wait()
	for i, r := range results {
		require.NoError(t, r.err, "request %d", i)
		assert.Equal(t, http.StatusOK, r.status, "request %d served, not refused", i)
		assert.True(t, r.reused, "request %d: the browser's connection was kept open while idle", i)
		if i >= browsers {
			assert.JSONEq(t, `{"ack":"ok"}`, r.body, "request %d", i)
		}
	}
	assert.Equal(t, int32(limit), most.Load(), "never more requests served at once than places")
}

// TestRefusedStreamKeepsItsPlace: only a real SSE stream (200,
// text/event-stream) gives its connection's place back; a refused one
// (say 401, no session) holds it like any request, so requests to the
// stream's path cannot get around the cap.
func TestRefusedStreamKeepsItsPlace(t *testing.T) {
	release := make(chan struct{})
	held := make(chan struct{}, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held <- struct{}{}
		<-release
		http.Error(w, "unknown agent", http.StatusUnauthorized)
	}), ReadHeaderTimeout: 5 * time.Second}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln, err := limitConns(srv, raw, 2, "/events")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		require.NoError(t, srv.Close())
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	}()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + raw.Addr().String() + "/events")
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-held
	// The request holds its place; the other is reserved by the server's
	// waiting Accept.
	require.Eventually(t, func() bool { return ln.(*limitListener).open() == 2 }, 10*time.Second, time.Millisecond)
	close(release)
	assert.Equal(t, http.StatusUnauthorized, <-got)
}

// TestLimitListenerClose: a closed limit listener stops an Accept, or a
// kept-alive connection's next request, waiting for a place; a
// connection's place is given back once however often it is released or
// closed, and a closed connection takes none again.
func TestLimitListenerClose(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.NotFoundHandler()}
	ln, err := limitConns(srv, raw, 1, "/events")
	require.NoError(t, err)
	l := ln.(*limitListener)

	dialed := make(chan net.Conn, 1)
	go func() {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err == nil {
			dialed <- c
		}
	}()
	c, err := ln.Accept()
	require.NoError(t, err)
	client := <-dialed
	defer client.Close()
	assert.Equal(t, 1, l.open())
	c.(*limitConn).release()
	c.(*limitConn).release()
	require.NoError(t, c.Close())
	assert.Zero(t, l.open(), "one place freed, once")
	c.(*limitConn).acquire()
	assert.Zero(t, l.open(), "a closed connection takes no place again")

	l.slots <- struct{}{} // the only place taken: Accept waits...
	accepted := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		accepted <- err
	}()
	idle := &limitConn{l: l} // a kept-alive connection's next request waits too...
	acquired := make(chan struct{})
	go func() {
		idle.acquire()
		close(acquired)
	}()
	require.NoError(t, ln.Close()) // ...until the listener closes
	assert.True(t, errors.Is(<-accepted, net.ErrClosed))
	<-acquired
	assert.False(t, idle.held, "served without a place once the listener is closed")

	_, err = limitConns(srv, raw, 0, "/events")
	assert.Error(t, err)
}
