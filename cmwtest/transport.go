package cmwtest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"syscall"
	"time"
)

// HandlerTransport returns an http.RoundTripper that serves every request
// with h in process, without a network: requests appear to come from
// remoteAddr (for example "127.0.0.1:50000"). It makes the fake usable
// inside a testing/synctest bubble, where real sockets would stop the
// bubble's clock.
//
// To the client, each request looks like one sent on a fresh connection:
// the request's httptrace.ClientTrace hears GotConn, WroteHeaders and
// WroteRequest before the handler runs, so a fault after that point (a
// connection reset) is seen as one after sending, as on a real socket.
func HandlerTransport(h http.Handler, remoteAddr string) http.RoundTripper {
	return &handlerTransport{h: h, remote: remoteAddr}
}

type handlerTransport struct {
	h      http.Handler
	remote string
}

// errReset is what an in-process "connection reset" fault returns.
var errReset = &resetError{}

type resetError struct{}

func (*resetError) Error() string        { return "connection reset by peer" }
func (*resetError) Is(target error) bool { return target == syscall.ECONNRESET }
func (*resetError) Timeout() bool        { return false }
func (*resetError) Temporary() bool      { return true }

func (t *handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.RemoteAddr = t.remote
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	// The request reaches the fake: report the connection and the write,
	// as net/http does, so the client knows it may have been received.
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil {
		if tr.GotConn != nil {
			tr.GotConn(httptrace.GotConnInfo{Conn: pipeConn{t.remote}})
		}
		if tr.WroteHeaders != nil {
			tr.WroteHeaders()
		}
		if tr.WroteRequest != nil {
			tr.WroteRequest(httptrace.WroteRequestInfo{})
		}
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if rec.Header().Get(resetHeader) != "" {
		return nil, errReset
	}
	resp := rec.Result()
	resp.Request = req
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return resp, nil
}

// pipeConn is the net.Conn GotConn reports: it has addresses and nothing
// else (the in-process transport never reads or writes it).
type pipeConn struct{ remote string }

func (pipeConn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (pipeConn) Write([]byte) (int, error)        { return 0, net.ErrClosed }
func (pipeConn) Close() error                     { return nil }
func (pipeConn) LocalAddr() net.Addr              { return addr("in-process") }
func (c pipeConn) RemoteAddr() net.Addr           { return addr(c.remote) }
func (pipeConn) SetDeadline(time.Time) error      { return nil }
func (pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (pipeConn) SetWriteDeadline(time.Time) error { return nil }

type addr string

func (addr) Network() string  { return "pipe" }
func (a addr) String() string { return string(a) }

// resetHeader is set by a handler to ask the in-process transport to
// simulate a connection reset.
const resetHeader = "X-Cmwtest-Reset"
