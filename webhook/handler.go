package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// Listener receives call events. HandleEvent must honour ctx (the handler
// gives it a timeout) and should be idempotent by (callid, action): a
// delivery whose listener failed is retried by the sender. The handler
// calls it on the request's goroutine, concurrently for concurrent
// deliveries, so it must be safe for concurrent use.
//
// An error tells the sender to retry (a 500), except one that matches
// ErrInvalidEvent: an event that can never be processed, whatever the
// retries, gets a 400 (return fmt.Errorf("%w: %w", webhook.ErrInvalidEvent,
// err), for example). A retried event that is always refused would be
// retried for ever, and lost all the same.
//
// A nil Listener is refused by NewHandler.
type Listener interface {
	HandleEvent(ctx context.Context, ev Event) error
}

// ListenerFunc adapts a function to Listener.
//
// A nil ListenerFunc must not be used as a Listener. It must be safe for
// concurrent use, as every Listener.
type ListenerFunc func(ctx context.Context, ev Event) error

// HandleEvent calls f.
func (f ListenerFunc) HandleEvent(ctx context.Context, ev Event) error { return f(ctx, ev) }

// Listeners calls each listener in order and stops at the first error.
func Listeners(ls ...Listener) Listener {
	return ListenerFunc(func(ctx context.Context, ev Event) error {
		for _, l := range ls {
			if err := l.HandleEvent(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
}

// Defaults.
const (
	DefaultMaxBodyBytes = 64 << 10
	// DefaultListenerTimeout bounds a delivery's listener call: long
	// enough for a delivery queued behind a burst's group commits on a
	// loaded machine (512 senders under the race detector took up to 13 s
	// on 2 cores; at 5 s, some were answered 500), and below pgdedupe's
	// claim TTL (30 s), so another replica does not take over a delivery
	// still being processed.
	DefaultListenerTimeout = 20 * time.Second
	DefaultDedupeWindow    = 10 * time.Minute
	// DefaultMaxInFlight is how many deliveries a handler processes at
	// once by default (WithMaxInFlight).
	DefaultMaxInFlight = 256
)

// ErrInvalidOption is matched (errors.Is) by the error of WithMaxInFlight
// given an out-of-range argument.
var ErrInvalidOption = errors.New("webhook: invalid option")

// Option configures NewHandler. Options validate their arguments.
//
// A nil Option is refused by NewHandler. Options are plain functions, safe
// to reuse and to share between goroutines concurrently.
type Option func(*config) error

type config struct {
	acct      callmyway.Account
	maxBody   int64
	timeout   time.Duration
	token     string
	basicUser string
	basicPass string
	allowed   []netip.Prefix
	trusted   []netip.Prefix
	dedupe    Deduper
	window    time.Duration
	inFlight  int
	logger    *slog.Logger
	now       func() time.Time
}

// WithMaxBodyBytes bounds the body (default 64 KiB); larger bodies get 413.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n < 256 {
			return fmt.Errorf("webhook: WithMaxBodyBytes(%d): at least 256", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithListenerTimeout bounds each delivery's listener call (default 20 s,
// DefaultListenerTimeout). A listener that runs out of it answers 500: the
// event is not acked, for the sender to retry. Keep it below a shared
// de-duplicator's claim TTL.
func WithListenerTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("webhook: WithListenerTimeout(%v): must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithToken requires a secret token: in the X-Webhook-Token header, an
// Authorization: Bearer header, the token query parameter, or as the last
// path segment (https://crm.example/cmw/hook/TOKEN). Compared in constant
// time. Use a long random token (32+ characters).
func WithToken(token string) Option {
	return func(c *config) error {
		if len(token) < 16 {
			return errors.New("webhook: WithToken: use at least 16 characters")
		}
		c.token = token
		return nil
	}
}

// WithBasicAuth requires HTTP Basic credentials, compared in constant time.
func WithBasicAuth(user, password string) Option {
	return func(c *config) error {
		if user == "" || password == "" {
			return errors.New("webhook: WithBasicAuth: empty user or password")
		}
		c.basicUser, c.basicPass = user, password
		return nil
	}
}

// WithAllowedCIDRs accepts requests only from these addresses (IPs or
// CIDRs), such as CallMyWay's servers.
func WithAllowedCIDRs(cidrs ...string) Option {
	return func(c *config) error {
		p, err := parsePrefixes("WithAllowedCIDRs", cidrs)
		if err != nil {
			return err
		}
		if len(p) == 0 {
			return errors.New("webhook: WithAllowedCIDRs: no address given")
		}
		c.allowed = p
		return nil
	}
}

// WithTrustedProxies names the reverse proxies (IPs or CIDRs) whose
// X-Forwarded-For header is believed when checking WithAllowedCIDRs.
// X-Forwarded-For from any other peer is ignored.
func WithTrustedProxies(cidrs ...string) Option {
	return func(c *config) error {
		p, err := parsePrefixes("WithTrustedProxies", cidrs)
		if err != nil {
			return err
		}
		c.trusted = p
		return nil
	}
}

// WithDeduper replaces the in-memory de-duplication store, for example
// with one shared by several CRM instances.
func WithDeduper(d Deduper) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("webhook: WithDeduper: nil")
		}
		c.dedupe = d
		return nil
	}
}

// WithDedupeWindow sets how long the default store remembers an event
// (default 10 min).
func WithDedupeWindow(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("webhook: WithDedupeWindow(%v): must be positive", d)
		}
		c.window = d
		return nil
	}
}

// WithMaxInFlight bounds how many deliveries the handler processes at once,
// 1 to 65,536 (default DefaultMaxInFlight, 256): decoding, de-duplicating
// and the listener call, with whatever the listener queues (a ledger's
// group commit, a shared de-duplication store). A delivery beyond the
// bound is not refused: once authenticated and its body read (up to
// WithMaxBodyBytes), it waits for a place and is then processed and acked
// as any other. Nothing is lost and no sender is told to back off because
// of load.
//
// The body is read before the wait, within the server's own timeouts, and
// this is a trade. It costs memory: a waiting delivery holds its body, so
// a burst holds up to (256 + waiting) × WithMaxBodyBytes (64 KiB; real
// events are under 1 KiB), the waiting being bounded by the connections
// the server accepts, not by the handler (lower WithMaxBodyBytes to
// tighten it). It buys correctness: a place is held only by a delivery
// ready to be processed, never by a slow upload; a wait longer than the
// server's ReadTimeout neither fails the body read (it is done) nor ends
// the request (the read deadline is cleared once the body is read, the
// only reading there is); and a sender that gives up while waiting ends the wait at once,
// even over HTTP/1.1 (whose server watches the connection only once the
// body is read): its delivery is answered 503, not processed, and retried
// by the sender as any unacked one. A body the connection fails to deliver
// (a timeout, a sender gone mid-body) gets 503 too, retryable; a body
// larger than WithMaxBodyBytes 413 and malformed JSON 400.
//
// Size it above the deliveries a listener can usefully batch (the calls
// ledger's group commit takes up to 64 per transaction); the wait only
// matters in a burst. An out-of-range n gives an error matching
// ErrInvalidOption.
func WithMaxInFlight(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 1<<16 {
			return fmt.Errorf("%w: WithMaxInFlight(%d): between 1 and 65536", ErrInvalidOption, n)
		}
		c.inFlight = n
		return nil
	}
}

// WithLogger sets the logger (silent by default, except for the one
// warning about a handler without authentication, which goes to
// slog.Default when no logger is set).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("webhook: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

type handler struct {
	cfg      config
	listener Listener
	slots    chan struct{} // one per delivery being processed (WithMaxInFlight)
}

// NewHandler returns the http.Handler that receives the call events of
// account acct and hands each one to l. Event times are read in the
// account's zone (acct.Location): the handler has no zone of its own, so
// it cannot disagree with the Client's (pass client.Account()). It answers {"ack":"ok"} only after l
// returned nil; a listener error, panic or timeout gives 500 so the sender
// may retry. Repeated deliveries of one (callid, action) are acked without
// calling l again. At most WithMaxInFlight deliveries (256) are processed at
// once; the others wait their turn, never refused for load. It works under any router and keeps no global state.
//
// Lock it down with WithToken, WithBasicAuth and/or WithAllowedCIDRs: the
// provider signs nothing. Without them it works but logs a warning.
//
// The handler is safe for concurrent use; l is called concurrently, once
// per delivery, on the request's goroutine.
func NewHandler(acct callmyway.Account, l Listener, opts ...Option) (http.Handler, error) {
	if err := acct.Validate(); err != nil {
		return nil, fmt.Errorf("webhook: NewHandler: %w", err)
	}
	if l == nil {
		return nil, errors.New("webhook: NewHandler: nil listener")
	}
	cfg := config{acct: acct, maxBody: DefaultMaxBodyBytes, timeout: DefaultListenerTimeout,
		window: DefaultDedupeWindow, inFlight: DefaultMaxInFlight, now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("webhook: NewHandler: nil option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.dedupe == nil {
		cfg.dedupe = NewMemoryDeduper(cfg.window, 0)
	}
	if cfg.token == "" && cfg.basicUser == "" && len(cfg.allowed) == 0 {
		log := cfg.logger
		if log == nil {
			log = slog.Default()
		}
		log.Warn("webhook: handler has no authentication; anyone who finds its URL can post call events. Use webhook.WithToken, WithBasicAuth or WithAllowedCIDRs")
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	return &handler{cfg: cfg, listener: l, slots: make(chan struct{}, cfg.inFlight)}, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := h.cfg.now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSONError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; CallMyWay events are POSTed")
		return
	}
	if f := h.authenticate(r); f != nil {
		if f.status == http.StatusUnauthorized && h.cfg.basicUser != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="callmyway-webhook"`)
		}
		h.cfg.logger.WarnContext(r.Context(), "webhook: request refused", "remote", r.RemoteAddr, "reason", f.msg)
		writeJSONError(w, f.status, f.msg)
		return
	}
	if r.ContentLength > h.cfg.maxBody {
		writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.maxBody))
		return
	}
	// The body is read before waiting for a place (WithMaxInFlight): a
	// place is held by work ready to be done, not by a slow upload, and an
	// HTTP/1.1 server watches the connection only once the body is read,
	// so a sender that gives up while waiting ends the request's context.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", h.cfg.maxBody))
			return
		}
		// A timeout, a sender gone mid-body, broken framing: the handler
		// cannot tell the transport's fault from the sender's, and a
		// retry costs less than an event refused for good.
		h.cfg.logger.InfoContext(r.Context(), "webhook: reading body failed", "remote", r.RemoteAddr, "error", err.Error())
		writeJSONError(w, http.StatusServiceUnavailable, "reading body: "+err.Error()+"; retry")
		return
	}
	// The server's ReadTimeout was for reading the request, done now; it
	// must not cut the wait for a place short (its expiry would end the
	// request's context). net/http clears it itself once the body is read
	// (Go 1.26); this keeps it so under any server. A disconnect still
	// ends the wait.
	if err := http.NewResponseController(w).SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		h.cfg.logger.DebugContext(r.Context(), "webhook: lifting the read deadline failed", "error", err.Error())
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	case <-r.Context().Done():
		// The sender gave up waiting for a place: nothing processed, nothing acked.
		writeJSONError(w, http.StatusServiceUnavailable, "event not processed; retry")
		return
	}
	ev, err := parse(h.cfg.acct.Location, body)
	if err != nil {
		h.cfg.logger.InfoContext(r.Context(), "webhook: bad event", "remote", r.RemoteAddr, "error", err.Error())
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	ev.ReceivedAt = received

	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.timeout)
	defer cancel()
	key := ev.Key()
	done, err := h.cfg.dedupe.Acquire(ctx, key)
	if err != nil {
		h.cfg.logger.ErrorContext(ctx, "webhook: dedupe store failed", "callid", ev.Call.ID, "error", err.Error())
		writeJSONError(w, http.StatusInternalServerError, "event not processed; retry")
		return
	}
	if done {
		h.cfg.logger.DebugContext(ctx, "webhook: duplicate acked", "callid", ev.Call.ID, "action", ev.Action)
		writeAck(w)
		return
	}
	lerr := h.deliver(ctx, ev)
	// The claim must end even if ctx expired: release with a fresh one then.
	relCtx := ctx
	if ctx.Err() != nil {
		var relCancel context.CancelFunc
		relCtx, relCancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer relCancel()
	}
	if err := h.cfg.dedupe.Release(relCtx, key, lerr == nil); err != nil && lerr == nil {
		h.cfg.logger.ErrorContext(ctx, "webhook: dedupe store failed on release", "callid", ev.Call.ID, "error", err.Error())
	}
	if lerr != nil && errors.Is(lerr, ErrInvalidEvent) {
		h.cfg.logger.WarnContext(ctx, "webhook: event refused by the listener", "callid", ev.Call.ID, "action", ev.Action, "error", lerr.Error())
		writeJSONError(w, http.StatusBadRequest, lerr.Error())
		return
	}
	if lerr != nil {
		h.cfg.logger.ErrorContext(ctx, "webhook: listener failed", "callid", ev.Call.ID, "action", ev.Action, "error", lerr.Error())
		writeJSONError(w, http.StatusInternalServerError, "event not processed; retry")
		return
	}
	writeAck(w)
}

// deliver calls the listener, turning a panic into an error.
func (h *handler) deliver(ctx context.Context, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("webhook: listener panicked: %v", p)
		}
	}()
	return h.listener.HandleEvent(ctx, ev)
}

var ackBody = []byte(`{"ack":"ok"}`)

func writeAck(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(ackBody)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}
