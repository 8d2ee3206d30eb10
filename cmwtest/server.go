package cmwtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/netaddr"
)

// Endpoint is a CallMyWay phone (a SIP endpoint) of the fake account: its
// two names (the embedded callmyway.Endpoint: ID is endpoint_id in
// webhooks, User the username called as first_num and written in CDRs)
// and what the fake needs besides.
//
// The zero Endpoint is not a phone: WithEndpoints refuses it. It is a plain
// value: safe to copy, and to read from several goroutines concurrently.
type Endpoint struct {
	callmyway.Endpoint
	Password string // its SIP password; click to dial may bill any endpoint
	Name     string // name_endpoint_ani / name_endpoint_dnis in CDRs
	Private  bool   // calls billed to it withhold the caller ID
}

func ep(id, user, password, name string, private bool) Endpoint {
	return Endpoint{Endpoint: callmyway.Endpoint{ID: id, User: user}, Password: password, Name: name, Private: private}
}

// Default account of a new Server.
const (
	DefaultAccountID = "3001"
	DefaultUsername  = "8000001"
	DefaultPassword  = "12345678901"
)

// DefaultEndpoints are the fake account's phones unless WithEndpoints.
var DefaultEndpoints = []Endpoint{
	ep("5001", DefaultUsername, DefaultPassword, "Agente Uno", false),
	ep("5002", "8000002", "22345678901", "Agente Dos", false),
	ep("5003", "8000003", "32345678901", "Agente Tres", false),
	ep("5009", "8000009", "92345678901", "Privado", true),
}

// DefaultAccount is the account a new Server serves unless WithAccount:
// username DefaultUsername, times in UTC, numbers in Costa Rica's plan.
var DefaultAccount = callmyway.Account{Username: DefaultUsername, Location: time.UTC, Region: "CR"}

// Option configures a Server. Options validate their arguments: Start
// returns the first error, NewServer panics with it.
//
// A nil Option is refused by Start. Options are plain functions, safe to
// reuse and to share between goroutines concurrently.
type Option func(*Server) error

// WithAccount sets the account the fake serves (its main username, the
// zone it writes times in, its numbering region) and its password. The
// main username must also be one of the endpoints (it is added if
// missing). A client made with Server.NewClient uses the same Account.
func WithAccount(acct callmyway.Account, password string) Option {
	return func(s *Server) error {
		if err := acct.Validate(); err != nil {
			return fmt.Errorf("cmwtest: WithAccount: %w", err)
		}
		if password == "" {
			return errors.New("cmwtest: WithAccount: empty password")
		}
		s.acct, s.password = acct, password
		return nil
	}
}

// WithAccountID sets the account id sent in webhooks (default
// DefaultAccountID).
func WithAccountID(id string) Option {
	return func(s *Server) error {
		if strings.TrimSpace(id) == "" {
			return errors.New("cmwtest: WithAccountID: empty id")
		}
		s.accountID = id
		return nil
	}
}

// WithEndpoints replaces the account's endpoints. Each needs both names.
func WithEndpoints(eps ...Endpoint) Option {
	return func(s *Server) error {
		for _, e := range eps {
			if e.ID == "" || e.User == "" {
				return fmt.Errorf("cmwtest: WithEndpoints: endpoint %s needs both an ID and a User", e.Endpoint)
			}
		}
		s.endpoints = append([]Endpoint(nil), eps...)
		return nil
	}
}

// WithAllowedIPs replaces the client IP allow list (default: loopback).
// Requests from other addresses get the provider's refusal. Each entry is
// an IP or a CIDR; anything else is an error naming it.
func WithAllowedIPs(prefixes ...string) Option {
	return func(s *Server) error {
		p, err := netaddr.ParsePrefixes(prefixes)
		if err != nil {
			return fmt.Errorf("cmwtest: WithAllowedIPs: %w", err)
		}
		s.allowed = p
		return nil
	}
}

// WithAllowedFirstNumbers sets the contact numbers that may be called
// first (contact-first click to dial), as digits.
func WithAllowedFirstNumbers(nums ...string) Option {
	return func(s *Server) error {
		for _, n := range nums {
			if digits(n) == "" {
				return fmt.Errorf("cmwtest: WithAllowedFirstNumbers: %q has no digits", n)
			}
			s.allowedFirst[digits(n)] = true
		}
		return nil
	}
}

// WithClock sets the clock (default: package time, which a
// testing/synctest bubble fakes).
func WithClock(c Clock) Option {
	return func(s *Server) error {
		if c == nil {
			return errors.New("cmwtest: WithClock: nil clock")
		}
		s.clock = c
		return nil
	}
}

// WithWebhook adds a URL that receives the call events.
func WithWebhook(u string) Option {
	return func(s *Server) error {
		if _, err := url.ParseRequestURI(u); err != nil {
			return fmt.Errorf("cmwtest: WithWebhook(%q): %w", u, err)
		}
		s.hooks.urls = append(s.hooks.urls, u)
		return nil
	}
}

// WithWebhookClient sets the HTTP client that delivers webhooks (for
// example one over HandlerTransport to reach a handler in process).
func WithWebhookClient(c *http.Client) Option {
	return func(s *Server) error {
		if c == nil {
			return errors.New("cmwtest: WithWebhookClient: nil client")
		}
		s.hooks.client = c
		return nil
	}
}

// WithWebhookMode sets how webhooks are sent (duplicates, order, encoding).
func WithWebhookMode(m WebhookMode) Option {
	return func(s *Server) error { s.hooks.mode = m; return nil }
}

// WithFirstCallID makes the fake number its calls from n+1 (by default it
// counts from the clock, so a restarted fake never reuses a callid): for
// tests that compare callids.
func WithFirstCallID(n int64) Option {
	return func(s *Server) error {
		if n < 0 {
			return fmt.Errorf("cmwtest: WithFirstCallID(%d): negative", n)
		}
		s.seq, s.seqSet = n, true
		return nil
	}
}

// WithAddr makes the Server listen on addr (such as "127.0.0.1:9090")
// instead of a random loopback port: for running the fake standalone.
func WithAddr(addr string) Option { return func(s *Server) error { s.addr = addr; return nil } }

// InProcess makes the Server listen on no socket: URL is
// "http://cmwtest-N.invalid" and Server.Client is the only way in. Use it
// inside testing/synctest bubbles, where a listening socket would keep
// the bubble's clock from advancing.
func InProcess() Option { return func(s *Server) error { s.inProcess = true; return nil } }

// WithClientIP sets the address requests made through Server.Client appear
// to come from (default 127.0.0.1).
func WithClientIP(ip string) Option {
	return func(s *Server) error {
		if _, err := netip.ParseAddr(ip); err != nil {
			return fmt.Errorf("cmwtest: WithClientIP: %w", err)
		}
		s.clientIP = ip
		return nil
	}
}

var inProcessSeq atomic.Int64

// Server is a fake CallMyWay. Create it with NewServer and Close it when
// done.
//
// The zero Server is not usable: create it with NewServer or Start. A
// Server is safe for concurrent use.
type Server struct {
	// URL is the base URL of the fake, for callmyway.WithBaseURL.
	URL string

	http      *httptest.Server
	inProcess bool
	addr      string
	clientIP  string
	clock     Clock        // the given clock, skewed (see WithClockSkew)
	skew      atomic.Int64 // WithClockSkew, SetClockSkew
	acct      callmyway.Account

	mu           sync.Mutex
	accountID    string
	password     string
	endpoints    []Endpoint
	allowed      []netip.Prefix
	allowedFirst map[string]bool
	faults       []Fault
	requests     []Request
	cdrs         cdrStore
	penalty      penaltyState
	calls        map[string]*call // active calls by callid
	busy         map[string]string
	scripts      []Script
	nextScript   func(DialRequest) Script
	seq          int64
	seqSet       bool                // WithFirstCallID
	timers       map[int]func() bool // pending simulated-call steps
	timerSeq     int
	closed       bool
	cdrDelay     time.Duration        // WithCDRDelay
	revised      map[string]time.Time // ReviseCDR: when each record changed
	queryFaults  []Fault              // WithQueryFaults, FailQueries

	hooks *hookQueue
}

// Request is one request the fake received, with its query (password
// included: it is a test fake).
//
// The zero Request is no request. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Request struct {
	Path     string
	Query    map[string]string
	RemoteIP string
	At       time.Time
}

// NewServer starts a fake CallMyWay on a loopback port (or WithAddr), for
// tests. It panics if an option is invalid or it cannot listen, like
// httptest.NewServer; Start returns those errors instead.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Start is NewServer returning an error for an invalid option or a
// listener that cannot be opened: for programs that run the fake from
// user input (cmw sim).
func Start(opts ...Option) (*Server, error) {
	s := &Server{
		clock:        realClock{},
		acct:         DefaultAccount,
		accountID:    DefaultAccountID,
		password:     DefaultPassword,
		endpoints:    append([]Endpoint(nil), DefaultEndpoints...),
		allowed:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		allowedFirst: map[string]bool{},
		calls:        map[string]*call{},
		busy:         map[string]string{},
		clientIP:     "127.0.0.1",
		hooks:        newHookQueue(),
		cdrs:         cdrStore{retention: DefaultCDRRetention},
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("cmwtest: nil option")
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	s.clock = skewed{s.clock, &s.skew}
	s.cdrs.now = s.clock.Now
	// Call ids count from the clock, so a fake restarted against a CRM
	// that kept its data (a ledger, a CDR table) never hands out a callid
	// it gave before.
	if !s.seqSet {
		s.seq = s.clock.Now().UnixMilli() * 10
	}
	if s.endpoint(s.acct.Username) == nil {
		s.endpoints = append(s.endpoints, ep("5000", s.acct.Username, s.password, "Principal", false))
	} else if e := s.endpoint(s.acct.Username); e.Password != s.password {
		e.Password = s.password
	}
	var l net.Listener
	if !s.inProcess && s.addr != "" {
		var err error
		if l, err = net.Listen("tcp", s.addr); err != nil {
			return nil, fmt.Errorf("cmwtest: listen on %s: %w", s.addr, err)
		}
	}
	s.hooks.start(s)
	if s.inProcess {
		// A distinct host per Server: the SDK shares a query limiter per
		// account and host, and each fake is its own provider.
		s.URL = fmt.Sprintf("http://cmwtest-%d.invalid", inProcessSeq.Add(1))
		return s, nil
	}
	s.http = httptest.NewUnstartedServer(s)
	if l != nil {
		s.http.Listener.Close()
		s.http.Listener = l
	}
	s.http.Start()
	s.URL = s.http.URL
	return s, nil
}

// Close stops the server, its simulated calls and webhook deliveries.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	stops := s.timers
	s.timers = nil
	s.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
	s.hooks.close()
	if s.http != nil {
		s.http.Close()
	}
}

// Client returns an HTTP client that reaches the fake in process (no
// sockets), appearing to come from WithClientIP. Use it with
// callmyway.WithHTTPClient inside testing/synctest bubbles.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: HandlerTransport(s, net.JoinHostPort(s.clientIP, "50000"))}
}

// NewClient returns a callmyway.Client for the fake's Account and main
// password pointed at the fake, using the in-process Client.
func (s *Server) NewClient(opts ...callmyway.Option) (*callmyway.Client, error) {
	opts = append([]callmyway.Option{callmyway.WithBaseURL(s.URL), callmyway.WithHTTPClient(s.Client())}, opts...)
	return callmyway.New(s.acct, s.password, opts...)
}

// Now returns the fake's current time in the account zone.
func (s *Server) Now() time.Time { return s.clock.Now().In(s.acct.Location) }

// Account returns the account the fake serves (WithAccount or
// DefaultAccount): the same value a real CRM would configure.
func (s *Server) Account() callmyway.Account { return s.acct }

// AccountID returns the account id sent in webhooks.
func (s *Server) AccountID() string { return s.accountID }

// Password returns the account's main password.
func (s *Server) Password() string { return s.password }

// Endpoints returns the account's endpoints.
func (s *Server) Endpoints() []Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Endpoint(nil), s.endpoints...)
}

// Requests returns the requests received so far (the last 50,000 to
// 100,000 of a long run).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestCount returns how many requests reached path ("" for all).
func (s *Server) RequestCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if path == "" || r.Path == path {
			n++
		}
	}
	return n
}

// SetAllowedIPs replaces the IP allow list at run time. A bad entry is an
// error naming it, and the list is left as it was.
func (s *Server) SetAllowedIPs(prefixes ...string) error {
	p, err := netaddr.ParsePrefixes(prefixes)
	if err != nil {
		return fmt.Errorf("cmwtest: SetAllowedIPs: %w", err)
	}
	s.mu.Lock()
	s.allowed = p
	s.mu.Unlock()
	return nil
}

// endpoint returns the endpoint with username user. s.mu held or not
// needed (endpoints never change after Start).
func (s *Server) endpoint(user string) *Endpoint {
	return s.endpointOf(callmyway.Endpoint{User: user})
}

// endpointOf returns the account's endpoint that e names (by id or
// username), or nil.
func (s *Server) endpointOf(e callmyway.Endpoint) *Endpoint {
	for i := range s.endpoints {
		if s.endpoints[i].Endpoint.Same(e) {
			return &s.endpoints[i]
		}
	}
	return nil
}

// ServeHTTP implements http.Handler: the provider's three paths.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			q[k] = v[0]
		}
	}
	ip := remoteIP(r.RemoteAddr)
	s.mu.Lock()
	s.requests = appendBounded(s.requests, Request{Path: r.URL.Path, Query: q, RemoteIP: ip, At: s.clock.Now()})
	var fault Fault
	if len(s.faults) > 0 {
		fault = s.faults[0]
		s.faults = s.faults[1:]
	}
	allowed := s.ipAllowed(ip)
	s.mu.Unlock()

	if fault.Kind != FaultNone && s.applyFault(w, r, fault) {
		return
	}
	if !allowed {
		// Unverified: the provider's exact answer for a non-allowed IP.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "Error: IP not allowed (%s)", ip)
		return
	}
	switch r.URL.Path {
	case callmyway.PathClickToDial, callmyway.PathClickToDialAlt:
		s.serveDial(w, r, q)
	case callmyway.PathCDR:
		s.serveCDRs(w, r, q)
	default:
		http.NotFound(w, r)
	}
}

func remoteIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

func (s *Server) ipAllowed(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// checkCredentials reports the endpoint the username/password belong to.
func (s *Server) checkCredentials(q map[string]string) (*Endpoint, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.endpoint(q["username"])
	if ep == nil || ep.Password != q["password"] || q["password"] == "" {
		return nil, false
	}
	cp := *ep
	return &cp, true
}

// sleep waits d on the server's clock, or until ctx is done.
func (s *Server) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	done := make(chan struct{})
	stop := s.clock.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
	case <-ctx.Done():
		stop()
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (s *Server) nextID() string {
	s.seq++
	return fmt.Sprint(s.seq)
}

// schedule runs f after d on the server's clock, unless the server closes.
// It must be called with s.mu held.
func (s *Server) schedule(d time.Duration, f func()) {
	if s.closed {
		return
	}
	if s.timers == nil {
		s.timers = map[int]func() bool{}
	}
	s.timerSeq++
	id := s.timerSeq
	s.timers[id] = s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, id)
		s.mu.Unlock()
		f()
	})
}

// maxLog bounds the request and delivery logs of a long-running fake
// (cmw sim): the oldest entries are dropped.
const maxLog = 100_000

func appendBounded[T any](log []T, v T) []T {
	if len(log) >= maxLog {
		log = append(log[:0:0], log[len(log)-maxLog/2:]...)
	}
	return append(log, v)
}
