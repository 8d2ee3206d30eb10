package callmyway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// newTransports builds the retrying client for queries and the plain,
// never-replaying client for click to dial.
func (c *Client) newTransports() (*retryablehttp.Client, *http.Client) {
	base := c.cfg.httpClient
	if base == nil {
		base = &http.Client{Timeout: 60 * time.Second}
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}

	q := *base
	q.Transport = &limitedTransport{base: rt, acct: c.lim}
	q.CheckRedirect = sameHostRedirects

	s := *base
	s.CheckRedirect = sameHostRedirects
	if t, ok := rt.(*http.Transport); ok {
		// A fresh connection per dial: net/http replays a GET on a reused
		// connection that failed, which could ring a customer twice.
		t = t.Clone()
		t.DisableKeepAlives = true
		s.Transport = t
	}

	rc := &retryablehttp.Client{
		HTTPClient:   &q,
		Logger:       leveledLogger{c},
		RetryWaitMin: c.cfg.retryWaitMin,
		RetryWaitMax: c.cfg.retryWaitMax,
		RetryMax:     c.cfg.retryMax,
		CheckRetry:   retryPolicy,
		Backoff:      cappedBackoff(c.cfg.retryAfterCap),
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return rc, &s
}

// limitedTransport waits for the account's limiter before every attempt,
// retries included.
type limitedTransport struct {
	base http.RoundTripper
	acct *account
}

func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.acct.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(req)
}

func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if req.URL.Host != via[0].URL.Host || (via[0].URL.Scheme == "https" && req.URL.Scheme != "https") {
		return http.ErrUseLastResponse
	}
	return nil
}

// retryPolicy is retryablehttp's default policy, except that a limiter or
// context failure is final.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	var le *limiterError
	if errors.As(err, &le) {
		return false, err
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// cappedBackoff is retryablehttp's backoff (which honours Retry-After on
// 429 and 503) with Retry-After bounded by limit.
func cappedBackoff(limit time.Duration) retryablehttp.Backoff {
	return func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		d := retryablehttp.DefaultBackoff(min, max, attempt, resp)
		if d > limit {
			d = limit
		}
		if d < 0 {
			d = 0
		}
		return d
	}
}

// traceConnection reports whether req obtained a connection, i.e. whether
// it may have reached the server.
func traceConnection(req *http.Request) (*http.Request, func() bool) {
	var got atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { got.Store(true) },
		WroteHeaders: func() { got.Store(true) },
	}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), trace)), got.Load
}

// isDialError reports whether err is a failure to establish a TCP
// connection (refused, unreachable, DNS): the request never left.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// leveledLogger routes retryablehttp's logs to the Client's slog logger
// with every value scrubbed of the password.
type leveledLogger struct{ c *Client }

func (l leveledLogger) log(level func(string, ...any), msg string, kv []any) {
	args := make([]any, len(kv))
	for i, v := range kv {
		if i%2 == 0 {
			args[i] = v
			continue
		}
		args[i] = l.c.redactor.String(fmt.Sprint(v))
	}
	level("callmyway: "+msg, args...)
}

func (l leveledLogger) Error(msg string, kv ...any) { l.log(l.c.cfg.logger.Warn, msg, kv) }
func (l leveledLogger) Info(msg string, kv ...any)  { l.log(l.c.cfg.logger.Info, msg, kv) }
func (l leveledLogger) Debug(msg string, kv ...any) { l.log(l.c.cfg.logger.Debug, msg, kv) }
func (l leveledLogger) Warn(msg string, kv ...any)  { l.log(l.c.cfg.logger.Warn, msg, kv) }
