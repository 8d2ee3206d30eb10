package callmyway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/callmyway-go/sdk/internal/provider"
	"github.com/callmyway-go/sdk/internal/redact"
)

// maxBody bounds how much of an answer the SDK reads. A 1,000-record CDR
// page is well under 1 MiB.
const maxBody = 32 << 20

// Client holds one CallMyWay account's settings and credentials and
// everything needed to talk to the provider: hosts, HTTP transport with
// safe retries, the account's query limiter, the logger.
//
// Create it with New; the zero Client is not usable (its methods return
// ErrNoClient). A Client is safe for concurrent use. The password is never
// printed: not by %v, %+v, %#v, in errors nor in logs.
type Client struct {
	acct     Account
	cred     *credential // a pointer, so printing a Client value shows no secret
	cfg      config
	lim      *account
	query    *retryablehttp.Client
	send     *http.Client
	redactor redact.Redactor
}

// ErrNoClient is returned by the methods of a zero or nil Client.
var ErrNoClient = errors.New("callmyway: Client not initialised: create it with callmyway.New")

type credential struct{ password string }

// String hides the secret; %v and %+v of a *credential print this.
func (*credential) String() string   { return redact.Mask }
func (*credential) GoString() string { return redact.Mask }

// New returns a Client for the account acct (its username, zone and
// region; see Account) with the account's password. The account must be
// valid (Account.Validate) and the password non-empty. Options validate
// their arguments and New returns the first error.
func New(acct Account, password string, opts ...Option) (*Client, error) {
	if err := acct.Validate(); err != nil {
		return nil, err
	}
	if acct.Username == "" {
		return nil, &AccountError{Field: "Username", Reason: "empty: New needs the account's username"}
	}
	if password == "" {
		return nil, errors.New("callmyway: New: empty password")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Client{
		acct:     acct,
		cred:     &credential{password: password},
		cfg:      cfg,
		redactor: redact.New(password),
	}
	if cfg.limiter != nil {
		c.lim = &account{limiter: cfg.limiter, inflight: make(chan struct{}, 1)}
	} else {
		c.lim = sharedAccount(cfg.hosts[HostCDR].String()+"|"+acct.Username, cfg.margin)
	}
	c.query, c.send = c.newTransports()
	return c, nil
}

// Account returns the account settings the Client was made with: the one
// place the account's zone and region are kept.
func (c *Client) Account() Account {
	if c == nil {
		return Account{}
	}
	return c.acct
}

// Logger returns the Client's logger (a discarding one by default).
func (c *Client) Logger() *slog.Logger {
	if c == nil || c.cfg.logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.cfg.logger
}

// BaseURL returns the base URL of host h ("" for an unknown host or a zero
// Client).
func (c *Client) BaseURL(h Host) string {
	if c == nil || c.cred == nil || h < 0 || h >= numHosts {
		return ""
	}
	return c.cfg.hosts[h].String()
}

// ok reports whether the Client was made by New.
func (c *Client) ok() bool { return c != nil && c.cred != nil }

// String describes the Client without its password.
func (c Client) String() string {
	if c.cred == nil {
		return "callmyway.Client{}"
	}
	return fmt.Sprintf("callmyway.Client{username: %s, password: %s, cdr: %s, location: %s, region: %s}",
		c.acct.Username, redact.Mask, c.cfg.hosts[HostCDR], c.acct.Location, c.acct.Region)
}

// GoString is String, so %#v shows no secret either.
func (c Client) GoString() string { return c.String() }

// Format implements fmt.Formatter so every verb (%v, %+v, %#v, %q, %s)
// prints String, for a *Client and a Client value alike.
func (c Client) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	io.WriteString(f, c.String())
}

// Response is a 2xx answer from CallMyWay. Body has the password removed.
//
// The zero Response is an empty answer. A Response is not modified after it
// is returned, so it may be read concurrently.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	URL        string // redacted
}

// buildURL returns the request URL with credentials and params.
func (c *Client) buildURL(h Host, path string, params url.Values) (*url.URL, error) {
	if h < 0 || h >= numHosts {
		return nil, fmt.Errorf("callmyway: unknown host %v", h)
	}
	u := *c.cfg.hosts[h]
	u.Path = strings.TrimRight(u.Path, "/") + path
	q := url.Values{}
	for k, v := range params {
		q[k] = append([]string(nil), v...)
	}
	q.Set("username", c.acct.Username)
	q.Set("password", c.cred.password)
	u.RawQuery = q.Encode()
	return &u, nil
}

// Query sends a read-only query (CDR, live calls) to host h at path with
// params; the credentials are added. It waits for the account's query
// slot and limiter before every attempt, retries connection errors, 5xx
// and 429 with capped backoff, and returns the 2xx answer or an error: an
// *APIError for a refusal, a *TransportError when the provider could not
// be reached, or ctx's error. Package cdr wraps it for every CDR query;
// use Query directly only for what cdr does not cover.
func (c *Client) Query(ctx context.Context, h Host, path string, params url.Values) (*Response, error) {
	if !c.ok() {
		return nil, ErrNoClient
	}
	op := provider.Op(ctx, "Query")
	u, err := c.buildURL(h, path, params)
	if err != nil {
		return nil, err
	}
	release, err := c.lim.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("callmyway: %s: %w", op, err)
	}
	defer release()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("callmyway: %s: %s", op, c.redactor.String(err.Error()))
	}
	c.setHeaders(req.Header)
	start := time.Now()
	resp, err := c.query.Do(req)
	return c.finish(ctx, op, u, start, resp, err)
}

// Send sends a request that must not be repeated (click to dial): it is
// never retried once it may have reached the server, not by the SDK and
// not by net/http's own replay of idempotent requests (each Send uses a
// fresh connection). Only a failure to establish the connection is retried,
// once. It does not use the query limiter. Package click2dial wraps it.
func (c *Client) Send(ctx context.Context, h Host, path string, params url.Values) (*Response, error) {
	if !c.ok() {
		return nil, ErrNoClient
	}
	op := provider.Op(ctx, "Send")
	u, err := c.buildURL(h, path, params)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, fmt.Errorf("callmyway: %s: %s", op, c.redactor.String(err.Error()))
		}
		c.setHeaders(req.Header)
		req, connected := traceConnection(req)
		resp, err := c.send.Do(req)
		if err != nil && !connected() && attempt == 0 && ctx.Err() == nil && isDialError(err) {
			c.cfg.logger.WarnContext(ctx, "callmyway: connection not established, retrying once", "op", op, "url", c.redactor.URL(u))
			continue
		}
		if err != nil && !connected() {
			return nil, c.transportError(op, u, err, false)
		}
		return c.finish(ctx, op, u, start, resp, err)
	}
}

func (c *Client) setHeaders(h http.Header) {
	h.Set("User-Agent", c.cfg.userAgent)
	h.Set("Accept", "application/json, text/plain;q=0.9, */*;q=0.1")
}

// finish reads the answer and turns it into a Response or an error.
func (c *Client) finish(ctx context.Context, op string, u *url.URL, start time.Time, resp *http.Response, err error) (*Response, error) {
	log := c.cfg.logger
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		te := c.transportError(op, u, err, true)
		log.DebugContext(ctx, "callmyway: request failed", "op", op, "url", te.URL, "error", te.Err.Error(), "elapsed", time.Since(start))
		return nil, te
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if rerr != nil {
		te := c.transportError(op, u, rerr, true)
		log.DebugContext(ctx, "callmyway: reading answer failed", "op", op, "url", te.URL, "error", te.Err.Error())
		return nil, te
	}
	body = c.redactBody(body)
	log.DebugContext(ctx, "callmyway: request", "op", op, "url", c.redactor.URL(u), "status", resp.StatusCode, "bytes", len(body), "elapsed", time.Since(start))
	if len(body) > maxBody {
		e := newAPIError(op, resp.StatusCode, nil, ErrMalformedResponse)
		e.Message = "answer larger than 32 MiB"
		return nil, e
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(op, resp, body)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, URL: c.redactor.URL(u)}, nil
}

// redactBody scrubs an answer that echoes the password, in any encoding,
// or a password= parameter. The check does not copy the body: CDR pages
// are large.
func (c *Client) redactBody(b []byte) []byte {
	if c.redactor.ContainsBytes(b) || bytes.Contains(b, []byte("assword=")) || bytes.Contains(b, []byte("ASSWORD=")) {
		return []byte(c.redactor.String(string(b)))
	}
	return b
}

func (c *Client) statusError(op string, resp *http.Response, body []byte) *APIError {
	e := newAPIError(op, resp.StatusCode, body, nil)
	e.Kind = classifyStatus(resp.StatusCode, e.Message)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := resp.Header.Get("Location")
		if lu, err := url.Parse(loc); err == nil {
			loc = c.redactor.URL(lu)
		} else {
			loc = c.redactor.String(loc)
		}
		e.Message = "redirect to " + loc + " not followed (credentials are never sent to another host)"
	}
	return e
}

// transportError wraps err with the URL scrubbed, including inside a
// nested *url.Error.
func (c *Client) transportError(op string, u *url.URL, err error, sent bool) *TransportError {
	return &TransportError{Op: op, URL: c.redactor.URL(u), Sent: sent, Err: c.scrub(err)}
}

// scrub removes the password from err's chain: *url.Error values (which
// carry the request URL) are copied with a redacted URL, and any other
// error whose text holds the password is replaced by a redacted copy that
// still matches the same sentinels.
func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		cp := *ue
		if pu, perr := url.Parse(ue.URL); perr == nil {
			cp.URL = c.redactor.URL(pu)
		} else {
			cp.URL = c.redactor.String(ue.URL)
		}
		cp.Err = c.scrub(ue.Err)
		if err == error(ue) {
			return &cp
		}
		return &scrubbed{msg: c.redactor.String(err.Error()), err: &cp}
	}
	if msg := err.Error(); c.redactor.String(msg) != msg {
		return &scrubbed{msg: c.redactor.String(msg), err: kindOf(err)}
	}
	return err
}

// kindOf returns the context or net sentinel err matches, to keep
// errors.Is working on a scrubbed copy.
func kindOf(err error) error {
	for _, k := range []error{context.DeadlineExceeded, context.Canceled, io.ErrUnexpectedEOF, io.EOF} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// WithOptions returns a copy of the Client with more options applied (for
// example a shared WithQueryLimiter once the database is open).
func (c *Client) WithOptions(opts ...Option) (*Client, error) {
	if !c.ok() {
		return nil, ErrNoClient
	}
	base := func(cfg *config) error {
		*cfg = c.cfg
		return nil
	}
	return New(c.acct, c.cred.password, append([]Option{base}, opts...)...)
}

// WithCredentials returns a Client for another endpoint of the same account
// (for example a private caller-ID endpoint): the same zone, region and
// options, another username and password. It shares a limiter set with
// WithQueryLimiter; the default per-account limiter is shared only if the
// username is the same.
func (c *Client) WithCredentials(username, password string) (*Client, error) {
	if !c.ok() {
		return nil, ErrNoClient
	}
	acct := c.acct
	acct.Username = username
	return New(acct, password, func(cfg *config) error {
		*cfg = c.cfg
		return nil
	})
}
