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

// limitConns bounds the connections srv serves from ln at once to n, and
// returns the listener to serve: once n connections are open, Accept
// waits until one closes, so further clients wait in the kernel's accept
// backlog (and, past it, retry their connection as TCP does) instead of
// each holding a goroutine and its buffers here. Nobody is answered an
// error because of load: a webhook delivery is late in a flood, never
// refused, and the webhook handler then processes at most
// webhook.DefaultMaxInFlight deliveries at once (the others wait with
// their body read, at most 64 KiB each: this cap bounds them).
//
// An SSE stream (GET streamPath) would hold its connection for good, so
// browsers left open could take every place and starve the webhook. The
// stream's connection therefore gives its place back as the stream starts
// (a 200 text/event-stream answer; a refused or unauthenticated request
// keeps its place to the end): streams are bounded by the screenpop Hub
// instead, 16 per agent and 10,000 in all. The connection is closed when
// the stream ends, never reused for another request. The places are thus
// shared by short requests only (pages, API calls, webhook deliveries)
// and connections kept alive between them (30 s at most, idleTimeout).
//
// n must be at least 1. limitConns sets srv.ConnContext and wraps
// srv.Handler: call it before Serve. The returned listener is safe for
// concurrent use, as a net.Listener must be.
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

// limitListener is a net.Listener with at most cap(slots) connections
// open at once. Safe for concurrent use.
type limitListener struct {
	net.Listener
	slots     chan struct{} // one per open connection
	done      chan struct{} // closed by Close: Accept stops waiting
	closeOnce sync.Once
}

// Accept waits for a free place, then accepts a connection.
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
	return &limitConn{Conn: c, free: func() { <-l.slots }}, nil
}

// Close closes the listener; a waiting Accept returns net.ErrClosed.
func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// open returns how many connections hold a place.
func (l *limitListener) open() int { return len(l.slots) }

// limitConn is a connection holding a place in its limitListener until
// it closes or is handed over to another bound (release).
type limitConn struct {
	net.Conn
	once sync.Once
	free func()
}

// release gives the connection's place back, once.
func (c *limitConn) release() { c.once.Do(c.free) }

// Close closes the connection and gives its place back.
func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
