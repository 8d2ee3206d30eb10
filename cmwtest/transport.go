package cmwtest

import (
	"net/http"
	"net/http/httptest"
	"syscall"
)

// HandlerTransport returns an http.RoundTripper that serves every request
// with h in process, without a network: requests appear to come from
// remoteAddr (for example "127.0.0.1:50000"). It makes the fake usable
// inside a testing/synctest bubble, where real sockets would stop the
// bubble's clock.
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

// resetHeader is set by a handler to ask the in-process transport to
// simulate a connection reset.
const resetHeader = "X-Cmwtest-Reset"
