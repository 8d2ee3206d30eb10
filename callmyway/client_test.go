package callmyway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"github.com/callmyway-go/sdk/internal/provider"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testUser = "1234567"
	testPass = "98765432101"
)

// testAcct is an account on UTC in Costa Rica's numbering plan.
var testAcct = Account{Username: testUser, Location: time.UTC, Region: "CR"}

func acctOf(user string) Account { a := testAcct; a.Username = user; return a }

func newTestClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithBaseURL(base), WithQueryLimiter(rate.NewLimiter(rate.Inf, 1))}, opts...)
	c, err := New(testAcct, testPass, opts...)
	require.NoError(t, err)
	return c
}

func TestNewValidates(t *testing.T) {
	_, err := New(acctOf(""), "x")
	assert.ErrorIs(t, err, ErrInvalidAccount)
	assert.ErrorContains(t, err, "Username")
	_, err = New(Account{Username: "u", Region: "CR"}, "x")
	assert.ErrorIs(t, err, ErrInvalidAccount)
	assert.ErrorContains(t, err, "Location")
	_, err = New(Account{Username: "u", Location: time.UTC, Region: "XX"}, "x")
	assert.ErrorContains(t, err, "Region")
	_, err = New(acctOf("u"), "")
	assert.ErrorContains(t, err, "empty password")

	bad := map[string]Option{
		"base scheme":   WithBaseURL("ftp://x"),
		"base no host":  WithBaseURL("http://"),
		"base query":    WithBaseURL("http://x/?a=1"),
		"host unknown":  WithHostURL(Host(9), "http://x"),
		"nil http":      WithHTTPClient(nil),
		"nil logger":    WithLogger(nil),
		"nil limiter":   WithQueryLimiter(nil),
		"neg margin":    WithQueryMargin(-time.Second),
		"retry max":     WithRetry(-1, time.Second),
		"retry wait":    WithRetry(1, 0),
		"retry after":   WithRetryAfterCap(0),
		"ua line break": WithUserAgent("a\r\nb"),
	}
	for name, o := range bad {
		_, err := New(acctOf("u"), "p", o)
		assert.Error(t, err, name)
	}
}

func TestHostsAndOptions(t *testing.T) {
	loc, _ := time.LoadLocation("America/Costa_Rica")
	c, err := New(Account{Username: testUser, Location: loc, Region: "MX"}, testPass,
		WithHostURL(HostCDR, "http://cdr.example/prefix/"))
	require.NoError(t, err)
	assert.Equal(t, DefaultClickToDialURL, c.BaseURL(HostClickToDial))
	assert.Equal(t, DefaultClickToDialAltURL, c.BaseURL(HostClickToDialAlt))
	assert.Equal(t, "http://cdr.example/prefix", c.BaseURL(HostCDR))
	assert.Equal(t, loc, c.Account().Location)
	assert.Equal(t, "MX", c.Account().Region)
	u, err := c.buildURL(HostCDR, PathCDR, url.Values{"recent": {"1"}})
	require.NoError(t, err)
	assert.Equal(t, "/prefix/getCdrs.php", u.Path)
	assert.Equal(t, "1", u.Query().Get("recent"))
	assert.Equal(t, testPass, u.Query().Get("password"))
}

func TestQuerySuccessAndParams(t *testing.T) {
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		assert.Equal(t, PathCDR, r.URL.Path)
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	resp, err := c.Query(context.Background(), HostCDR, PathCDR, url.Values{"recent": {"1"}})
	require.NoError(t, err)
	assert.Equal(t, "[]", string(resp.Body))
	assert.Equal(t, testUser, got.Get("username"))
	assert.Equal(t, testPass, got.Get("password"))
	assert.Equal(t, "1", got.Get("recent"))
	assert.NotContains(t, resp.URL, testPass)
}

func TestQueryRetries5xxThenSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			http.Error(w, "busy", http.StatusBadGateway)
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithRetry(3, 10*time.Millisecond))
	c.query.RetryWaitMin = time.Millisecond
	_, err := c.Query(context.Background(), HostCDR, PathCDR, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 3, n.Load())
}

func TestQueryErrorsClassified(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   error
	}{
		{401, "", ErrUnauthorized},
		{403, "", ErrIPNotAllowed},
		{403, `{"error":"Invalid password"}`, ErrUnauthorized},
		{200 + 300, `{"error":"IP not allowed: 10.0.0.1"}`, ErrIPNotAllowed},
		{404, "<html><body>Not found</body></html>", nil},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		c := newTestClient(t, srv.URL, WithRetry(0, time.Millisecond))
		_, err := c.Query(context.Background(), HostCDR, PathCDR, nil)
		srv.Close()
		var ae *APIError
		require.ErrorAs(t, err, &ae, tc.body)
		assert.Equal(t, tc.status, ae.StatusCode)
		assert.Equal(t, "Query", ae.Op)
		if tc.kind != nil {
			assert.ErrorIs(t, err, tc.kind, tc.body)
		} else {
			assert.Nil(t, ae.Kind)
		}
	}
}

func TestIPNotAllowedMessageTellsWhatToDo(t *testing.T) {
	assert.Contains(t, ErrIPNotAllowed.Error(), "allow list")
	assert.Contains(t, ErrIPNotAllowed.Error(), "ask CallMyWay")
}

func TestRetryAfterIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := httpmock.NewMockTransport()
		var calls int
		mock.RegisterResponder("GET", "=~getCdrs", func(r *http.Request) (*http.Response, error) {
			calls++
			if calls == 1 {
				resp := httpmock.NewStringResponse(429, "slow down")
				resp.Header.Set("Retry-After", "3600")
				return resp, nil
			}
			return httpmock.NewStringResponse(200, "[]"), nil
		})
		c := newTestClient(t, "http://cmw.test", WithHTTPClient(&http.Client{Transport: mock}), WithRetryAfterCap(2*time.Second))
		start := time.Now()
		_, err := c.Query(t.Context(), HostCDR, PathCDR, nil)
		require.NoError(t, err)
		assert.Equal(t, 2*time.Second, time.Since(start))
		assert.Equal(t, 2, calls)
	})
}

func TestRetryWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := httpmock.NewMockTransport()
		mock.RegisterResponder("GET", "=~getCdrs", httpmock.NewStringResponder(503, "down"))
		c := newTestClient(t, "http://cmw.test", WithHTTPClient(&http.Client{Transport: mock}), WithRetry(5, time.Minute))
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Query(ctx, HostCDR, PathCDR, nil)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.LessOrEqual(t, time.Since(start), 1500*time.Millisecond)
	})
}

func TestDefaultLimiterSpacesQueriesAndIsShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := httpmock.NewMockTransport()
		var times []time.Time
		mock.RegisterResponder("GET", "=~getCdrs", func(r *http.Request) (*http.Response, error) {
			times = append(times, time.Now())
			return httpmock.NewStringResponse(200, "[]"), nil
		})
		hc := &http.Client{Transport: mock}
		// Two Clients of one account share the limiter.
		a, err := New(acctOf("7000001"), testPass, WithBaseURL("http://limit.test"), WithHTTPClient(hc))
		require.NoError(t, err)
		b, err := New(acctOf("7000001"), testPass, WithBaseURL("http://limit.test"), WithHTTPClient(hc))
		require.NoError(t, err)
		for i := 0; i < 4; i++ {
			c := a
			if i%2 == 1 {
				c = b
			}
			_, err := c.Query(t.Context(), HostCDR, PathCDR, nil)
			require.NoError(t, err)
		}
		require.Len(t, times, 4)
		for i := 1; i < len(times); i++ {
			assert.Equal(t, QueryInterval+DefaultQueryMargin, times[i].Sub(times[i-1]))
		}
	})
}

func TestLimiterDeadlineIsDeadlineExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := httpmock.NewMockTransport()
		mock.RegisterResponder("GET", "=~getCdrs", httpmock.NewStringResponder(200, "[]"))
		c, err := New(testAcct, testPass, WithBaseURL("http://deadline.test"),
			WithHTTPClient(&http.Client{Transport: mock}), WithQueryLimiter(rate.NewLimiter(rate.Every(QueryInterval), 1)))
		require.NoError(t, err)
		_, err = c.Query(t.Context(), HostCDR, PathCDR, nil)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = c.Query(ctx, HostCDR, PathCDR, nil)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1, mock.GetTotalCallCount())
	})
}

func TestSendIsNeverRetriedOnceSent(t *testing.T) {
	for _, mode := range []string{"500", "reset", "timeout"} {
		t.Run(mode, func(t *testing.T) {
			var n atomic.Int32
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				switch mode {
				case "500":
					http.Error(w, "oops", 500)
				case "reset":
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				case "timeout":
					select {
					case <-release:
					case <-r.Context().Done():
					}
				}
			}))
			defer srv.Close()
			defer close(release)
			c := newTestClient(t, srv.URL, WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
			_, err := c.Send(context.Background(), HostClickToDial, PathClickToDial, url.Values{"first_num": {"1"}})
			require.Error(t, err)
			assert.EqualValues(t, 1, n.Load())
			if mode != "500" {
				var te *TransportError
				require.ErrorAs(t, err, &te)
				assert.True(t, te.Sent)
			}
		})
	}
}

func TestSendRetriesOnceWhenNeverConnected(t *testing.T) {
	var dials atomic.Int32
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}}}
	c := newTestClient(t, "http://127.0.0.1:1", WithHTTPClient(hc))
	_, err := c.Send(context.Background(), HostClickToDial, PathClickToDial, nil)
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.False(t, te.Sent)
	assert.EqualValues(t, 2, dials.Load())
}

func TestRedirectToAnotherHostNotFollowed(t *testing.T) {
	var other atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other.Add(1) }))
	defer evil.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+"/steal?"+r.URL.RawQuery, http.StatusFound)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL)
	for _, call := range []func() error{
		func() error { _, err := c.Query(context.Background(), HostCDR, PathCDR, nil); return err },
		func() error {
			_, err := c.Send(context.Background(), HostClickToDial, PathClickToDial, nil)
			return err
		},
	} {
		err := call()
		var ae *APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, 302, ae.StatusCode)
		assert.Contains(t, ae.Error(), "not followed")
		assertNoSecret(t, err)
	}
	assert.Zero(t, other.Load())
}

// assertNoSecret checks every way a caller might print err.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%q", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, err), testPass, verb)
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, fmt.Sprintf("%+v", e), testPass)
		assert.NotContains(t, fmt.Sprintf("%#v", e), testPass)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		assert.NotContains(t, ue.URL, testPass)
		assert.NotContains(t, ue.Error(), testPass)
	}
}

func TestSecretNeverLeaks(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	hang := make(chan struct{})
	defer close(hang)

	type failure struct {
		base    string
		handler http.HandlerFunc
		client  *http.Client
	}
	failures := map[string]failure{
		"dns failure":        {base: "http://cmw-does-not-exist.invalid"},
		"connection refused": {base: closedURL},
		"timeout": {handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		},
			client: &http.Client{Timeout: 100 * time.Millisecond}},
		"reset": {handler: func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}},
		"5xx html": {handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(502)
			fmt.Fprintf(w, "<html><body>Bad gateway for %s</body></html>", r.URL.String())
		}},
		"body echoes query": {handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			fmt.Fprintf(w, "bad request: %s password was %s", r.URL.RawQuery, r.URL.Query().Get("password"))
		}},
		"2xx echoes query": {handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "inserted %s", r.URL.RawQuery)
		}},
		"redirect": {handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://other.invalid/x?"+r.URL.RawQuery, http.StatusMovedPermanently)
		}},
	}
	for name, f := range failures {
		t.Run(name, func(t *testing.T) {
			base := f.base
			if f.handler != nil {
				srv := httptest.NewServer(f.handler)
				defer srv.Close()
				base = srv.URL
			}
			var logs bytes.Buffer
			opts := []Option{WithRetry(1, time.Millisecond), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))}
			if f.client != nil {
				opts = append(opts, WithHTTPClient(f.client))
			}
			c := newTestClient(t, base, opts...)
			c.query.RetryWaitMin = time.Millisecond
			resp, qerr := c.Query(context.Background(), HostCDR, PathCDR, url.Values{"recent": {"1"}})
			_, serr := c.Send(context.Background(), HostClickToDial, PathClickToDial, url.Values{"first_num": {"1"}})
			if name == "2xx echoes query" {
				require.NoError(t, qerr)
				assert.NotContains(t, string(resp.Body), testPass)
				assert.Contains(t, string(resp.Body), "password=REDACTED")
				require.NoError(t, serr)
			} else {
				assertNoSecret(t, qerr)
				assertNoSecret(t, serr)
			}
			assert.NotContains(t, logs.String(), testPass)
			assert.NotEmpty(t, logs.String(), "debug logging was asked for")
		})
	}
}

func TestClientFormattingHidesPassword(t *testing.T) {
	c := newTestClient(t, "http://x.test")
	for _, verb := range []string{"%v", "%+v", "%#v", "%q", "%s"} {
		s := fmt.Sprintf(verb, c)
		assert.NotContains(t, s, testPass, verb)
		assert.Contains(t, s, testUser, verb)
		s = fmt.Sprintf(verb, *c) //nolint:govet // printing the value on purpose
		assert.NotContains(t, s, testPass, "value "+verb)
	}
}

func TestSilentByDefault(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)
	c := newTestClient(t, "http://cmw-does-not-exist.invalid", WithRetry(0, time.Millisecond))
	_, err := c.Query(context.Background(), HostCDR, PathCDR, nil)
	require.Error(t, err)
	assert.Empty(t, buf.String())
}

func TestWithCredentials(t *testing.T) {
	loc, _ := time.LoadLocation("America/Mexico_City")
	c, err := New(Account{Username: testUser, Location: loc, Region: "MX"}, testPass, WithBaseURL("http://a.test"))
	require.NoError(t, err)
	d, err := c.WithCredentials("7654321", "secret2")
	require.NoError(t, err)
	assert.Equal(t, "7654321", d.Account().Username)
	assert.Equal(t, loc, d.Account().Location)
	assert.Equal(t, "MX", d.Account().Region)
	assert.Equal(t, "http://a.test", d.BaseURL(HostCDR))
	_, err = c.WithCredentials("", "x")
	assert.Error(t, err)
}

func TestRedactBodyForms(t *testing.T) {
	c := newTestClient(t, "http://x.test")
	for _, body := range []string{"echo " + testPass, "url ?Password=abc&x=1", "PASSWORD=abc", "password=abc"} {
		got := string(c.redactBody([]byte(body)))
		assert.NotContains(t, got, testPass)
		assert.NotContains(t, got, "=abc", body)
	}
	plain := []byte(`[{"callid":"1"}]`)
	assert.Equal(t, plain, c.redactBody(plain))
}

func TestZeroClientReturnsErrors(t *testing.T) {
	var z Client
	_, err := z.Query(t.Context(), HostCDR, PathCDR, nil)
	assert.ErrorIs(t, err, ErrNoClient)
	_, err = z.Send(t.Context(), HostClickToDial, PathClickToDial, nil)
	assert.ErrorIs(t, err, ErrNoClient)
	_, err = z.WithOptions()
	assert.ErrorIs(t, err, ErrNoClient)
	_, err = z.WithCredentials("1", "2")
	assert.ErrorIs(t, err, ErrNoClient)
	var nilc *Client
	_, err = nilc.Query(t.Context(), HostCDR, PathCDR, nil)
	assert.ErrorIs(t, err, ErrNoClient)
	assert.Equal(t, "", nilc.BaseURL(HostCDR))
	assert.Equal(t, Account{}, nilc.Account())
	assert.NotNil(t, nilc.Logger())
	assert.Equal(t, "callmyway.Client{}", fmt.Sprint(z))
}

func TestOperationNameFromContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"IP not allowed"}`, http.StatusForbidden)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithRetry(0, time.Millisecond))
	_, err := c.Query(provider.WithOp(t.Context(), "cdr.Recent"), HostCDR, PathCDR, nil)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "cdr.Recent", ae.Op)
	assert.ErrorIs(t, err, ErrIPNotAllowed)
	_, err = c.Query(t.Context(), HostCDR, PathCDR, nil)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Query", ae.Op)
}

// A provider echoing the password in another form than the URL query:
// raw with special characters, HTML-escaped, JSON/PHP-escaped, non-ASCII.
func TestEchoedPasswordInAnyFormNeverShows(t *testing.T) {
	for _, pw := range []string{`ab/cd&ef+gh ij%kl"mn<op>'qr=st`, "páss/wörd€12345"} {
		forms := []string{pw, url.QueryEscape(pw), url.PathEscape(pw), html.EscapeString(pw),
			strings.ReplaceAll(strconv.QuoteToASCII(pw), "/", `\/`)}
		for _, form := range forms {
			for _, status := range []int{200, 500} {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(status)
					fmt.Fprintf(w, "<b>Warning</b>: login failed for password %s in /var/www/x.php", form)
				}))
				c, err := New(testAcct, pw, WithBaseURL(srv.URL), WithQueryLimiter(rate.NewLimiter(rate.Inf, 1)), WithRetry(0, time.Millisecond))
				require.NoError(t, err)
				resp, qerr := c.Query(t.Context(), HostCDR, PathCDR, nil)
				_, serr := c.Send(t.Context(), HostClickToDial, PathClickToDial, nil)
				srv.Close()
				texts := []string{fmt.Sprint(qerr), fmt.Sprintf("%+v", qerr), fmt.Sprint(serr), fmt.Sprintf("%#v", c)}
				if resp != nil {
					texts = append(texts, string(resp.Body))
				}
				for _, s := range texts {
					assert.NotContains(t, s, form, "status %d, form %q", status, form)
				}
			}
		}
	}
}
