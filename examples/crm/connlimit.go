package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// defaultMaxConns is the default of -max-conns.
const defaultMaxConns = 4096

// limitConns bounds the connections of srv that are doing work to n, and
// returns the listener to serve. A connection holds a place from Accept
// until it has served its request and waits, idle, for the next one; it
// takes a place again when that next request arrives, and gives its place
// back for good when it closes or is hijacked. Once n connections are
// busy, Accept waits for one of them to finish, so further clients wait in
// the kernel's accept backlog (and, past it, retry their connection as TCP
// does) instead of each holding a goroutine and its buffers here; and a
// request arriving on a kept-alive connection waits for a place in the
// process. Nobody is answered an error because of load: a webhook delivery
// is late in a flood, never refused, and the webhook handler then
// processes at most webhook.DefaultMaxInFlight deliveries at once (the
// others wait with their body read, at most 64 KiB each: this cap bounds
// them).
//
// Idle keep-alive connections hold no place. Consoles and boards poll
// every 3 s, so their connections never reach srv.IdleTimeout: if idle
// connections kept their places, ~600 agents' browsers (6 HTTP/1.1
// connections each) would hold 4,096 places for good and the provider's
// webhook deliveries would wait in the backlog until a browser closed one.
// Closing the oldest idle connection at the cap (as nginx reuses its
// keep-alive connections) would also free places, but races with a request
// the client is sending on it: a client may retry a GET, not a webhook
// POST, so that could lose a delivery. Queueing loses nothing. The price:
// idle connections are not counted, so how many are open is bounded by
// srv.IdleTimeout and the process's file limit (RLIMIT_NOFILE) only, each
// a goroutine and its read and write buffers (16 KiB or more).
//
// The place of a request on a kept-alive connection is taken in the
// srv.ConnState hook (StateActive), which may thus block. That hook runs on
// the connection's own goroutine, holding no server lock, once the request
// line and headers have been read (a connection turns active only then,
// not at the request's first byte): while it waits, the parsed request
// (headers up to srv.MaxHeaderBytes) and the connection's buffers stay in
// memory, its handler does not start, and srv.ReadTimeout, counted from
// the start of the request, keeps running, so a request that waits longer
// than that fails reading its body (a webhook delivery is then answered an
// error, not acked, for the provider to retry). The other connections
// are not held up, and Accept then waits too (every place is busy). The
// wait ends when the listener is closed (Shutdown and Close close it
// first): the request is then served without a place, so a graceful
// Shutdown finishes it.
//
// An SSE stream (GET streamPath) would hold its connection for good, so
// browsers left open could take every place and starve the webhook. The
// stream's connection therefore gives its place back as the stream starts
// (a 200 text/event-stream answer; a refused or unauthenticated request
// keeps its place to the end): streams are bounded by the screenpop Hub
// instead, 16 per agent and 10,000 in all. The connection is closed when
// the stream ends, never reused for another request. The places are thus
// shared by requests being read or served only (pages, API calls, webhook
// deliveries).
//
// What remains, as with any connection cap: a new connection takes its
// place at Accept, before it has sent anything, so a flood of connections
// that send nothing holds places until srv.ReadHeaderTimeout (5 s in the
// CRM) closes them; the deliveries meanwhile wait in the backlog, late but
// not lost.
//
// n must be at least 1. limitConns sets srv.ConnContext and srv.ConnState
// (calling those already set first) and wraps srv.Handler: call it before
// Serve. The returned listener is safe for concurrent use, as a
// net.Listener must be.
func limitConns(srv *http.Server, ln net.Listener, n int, streamPath string) (net.Listener, error) {
	if n < 1 {
		return nil, fmt.Errorf("-max-conns %d: at least 1", n)
	}
	l := &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
	prev := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prev != nil {
			ctx = prev(ctx, c)
		}
		if lc, ok := c.(*limitConn); ok {
			ctx = context.WithValue(ctx, limitConnKey{}, lc)
		}
		return ctx
	}
	prevState := srv.ConnState
	srv.ConnState = func(c net.Conn, state http.ConnState) {
		if prevState != nil {
			prevState(c, state)
		}
		lc, ok := c.(*limitConn)
		if !ok {
			return
		}
		switch state {
		case http.StateActive:
			lc.acquire() // a no-op for the first request: taken at Accept
		case http.StateIdle, http.StateHijacked, http.StateClosed:
			lc.release()
		}
	}
	next := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == streamPath {
			if lc, ok := r.Context().Value(limitConnKey{}).(*limitConn); ok {
				w = &streamWriter{ResponseWriter: w, conn: lc}
			}
		}
		next.ServeHTTP(w, r)
	})
	return l, nil
}

// streamWriter gives its connection's place back when the response turns
// out to be an SSE stream, and has the connection closed after it.
type streamWriter struct {
	http.ResponseWriter
	conn    *limitConn
	started bool
}

func (w *streamWriter) WriteHeader(code int) {
	if !w.started {
		w.started = true
		if code == http.StatusOK && w.Header().Get("Content-Type") == "text/event-stream" {
			w.Header().Set("Connection", "close") // not reused once out of the count
			w.conn.release()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *streamWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush,
// write deadlines).
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// limitConnKey is the context key of a request's *limitConn.
type limitConnKey struct{}

// limitListener is a net.Listener whose connections hold at most
// cap(slots) places at once (see limitConns). Safe for concurrent use.
type limitListener struct {
	net.Listener
	slots     chan struct{} // one per place held
	done      chan struct{} // closed by Close: Accept and acquire stop waiting
	closeOnce sync.Once
}

// Accept waits for a free place, then accepts a connection holding it.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, l: l, held: true}, nil
}

// Close closes the listener; a waiting Accept returns net.ErrClosed and a
// waiting acquire returns without a place.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// open returns how many places are held.
func (l *limitListener) open() int { return len(l.slots) }

// limitConn is a connection of a limitListener, holding a place while it
// reads or serves a request. Safe for concurrent use: the server's
// goroutine for the connection, the handler and srv.Close may all reach it.
type limitConn struct {
	net.Conn
	l      *limitListener
	mu     sync.Mutex
	held   bool // a place is held
	closed bool // Close was called: no place is taken again
}

// acquire takes a place for the connection unless it holds one, waiting
// for one to be free or for the listener to close (then it goes on
// without a place).
func (c *limitConn) acquire() {
	c.mu.Lock()
	skip := c.held || c.closed
	c.mu.Unlock()
	if skip {
		return
	}
	select { // without c.mu: Close and release must not wait for a place
	case c.l.slots <- struct{}{}:
	case <-c.l.done:
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held || c.closed { // closed (or given one) while waiting
		<-c.l.slots
		return
	}
	c.held = true
}

// release gives the connection's place back if it holds one.
func (c *limitConn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.held = false
		<-c.l.slots
	}
}

// Close closes the connection and gives its place back.
func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.release()
	return err
}
