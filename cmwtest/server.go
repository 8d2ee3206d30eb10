package cmwtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// Endpoint is a CallMyWay phone (a SIP endpoint) of the fake account.
type Endpoint struct {
	ID       string // endpoint_id in webhooks
	Username string // the CMW username/number, called as first_num
	Password string // its SIP password; click to dial may bill any endpoint
	Name     string // name_endpoint_ani / name_endpoint_dnis in CDRs
	Private  bool   // calls billed to it withhold the caller ID
}

// Default account of a new Server.
const (
	DefaultAccountID = "3001"
	DefaultUsername  = "8000001"
	DefaultPassword  = "12345678901"
)

// DefaultEndpoints are the fake account's phones unless WithEndpoints.
var DefaultEndpoints = []Endpoint{
	{ID: "5001", Username: DefaultUsername, Password: DefaultPassword, Name: "Agente Uno"},
	{ID: "5002", Username: "8000002", Password: "22345678901", Name: "Agente Dos"},
	{ID: "5003", Username: "8000003", Password: "32345678901", Name: "Agente Tres"},
	{ID: "5009", Username: "8000009", Password: "92345678901", Name: "Privado", Private: true},
}

// Option configures a Server.
type Option func(*Server)

// WithAccount sets the account id and its main credentials. The main
// username must also be one of the endpoints (it is added if missing).
func WithAccount(accountID, username, password string) Option {
	return func(s *Server) { s.accountID, s.username, s.password = accountID, username, password }
}

// WithEndpoints replaces the account's endpoints.
func WithEndpoints(eps ...Endpoint) Option {
	return func(s *Server) { s.endpoints = append([]Endpoint(nil), eps...) }
}

// WithAllowedIPs replaces the client IP allow list (default: loopback).
// Requests from other addresses get the provider's refusal.
func WithAllowedIPs(prefixes ...string) Option {
	return func(s *Server) {
		s.allowed = nil
		for _, p := range prefixes {
			if !strings.Contains(p, "/") {
				if a, err := netip.ParseAddr(p); err == nil {
					p = netip.PrefixFrom(a, a.BitLen()).String()
				}
			}
			s.allowed = append(s.allowed, netip.MustParsePrefix(p))
		}
	}
}

// WithAllowedFirstNumbers sets the contact numbers that may be called
// first (contact-first click to dial), as digits.
func WithAllowedFirstNumbers(nums ...string) Option {
	return func(s *Server) {
		for _, n := range nums {
			s.allowedFirst[digits(n)] = true
		}
	}
}

// WithClock sets the clock (default: package time, which a
// testing/synctest bubble fakes).
func WithClock(c Clock) Option { return func(s *Server) { s.clock = c } }

// WithLocation sets the account's zone in which the fake writes times
// (default UTC).
func WithLocation(loc *time.Location) Option { return func(s *Server) { s.loc = loc } }

// WithWebhook adds a URL that receives the call events.
func WithWebhook(url string) Option {
	return func(s *Server) { s.hooks.urls = append(s.hooks.urls, url) }
}

// WithWebhookClient sets the HTTP client that delivers webhooks (for
// example one over HandlerTransport to reach a handler in process).
func WithWebhookClient(c *http.Client) Option { return func(s *Server) { s.hooks.client = c } }

// WithWebhookMode sets how webhooks are sent (duplicates, order, encoding).
func WithWebhookMode(m WebhookMode) Option { return func(s *Server) { s.hooks.mode = m } }

// WithAddr makes NewServer listen on addr (such as "127.0.0.1:9090")
// instead of a random loopback port: for running the fake standalone.
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// InProcess makes the Server listen on no socket: URL is
// "http://cmwtest-N.invalid" and Server.Client is the only way in. Use it
// inside testing/synctest bubbles, where a listening socket would keep
// the bubble's clock from advancing.
func InProcess() Option { return func(s *Server) { s.inProcess = true } }

// WithClientIP sets the address requests made through Server.Client appear
// to come from (default 127.0.0.1).
func WithClientIP(ip string) Option { return func(s *Server) { s.clientIP = ip } }

var inProcessSeq atomic.Int64

// Server is a fake CallMyWay. Create it with NewServer and Close it when
// done.
type Server struct {
	// URL is the base URL of the fake, for callmyway.WithBaseURL.
	URL string

	http      *httptest.Server
	inProcess bool
	addr      string
	clientIP  string
	clock     Clock
	loc       *time.Location

	mu           sync.Mutex
	accountID    string
	username     string
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
	timers       map[int]func() bool // pending simulated-call steps
	timerSeq     int
	closed       bool

	hooks *hookQueue
}

// Request is one request the fake received, with its query (password
// included: it is a test fake).
type Request struct {
	Path     string
	Query    map[string]string
	RemoteIP string
	At       time.Time
}

// NewServer starts a fake CallMyWay on a loopback port (or WithAddr).
// It panics if it cannot listen, like httptest.NewServer.
func NewServer(opts ...Option) *Server {
	s := &Server{
		clock:        realClock{},
		loc:          time.UTC,
		accountID:    DefaultAccountID,
		username:     DefaultUsername,
		password:     DefaultPassword,
		endpoints:    append([]Endpoint(nil), DefaultEndpoints...),
		allowed:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		allowedFirst: map[string]bool{},
		calls:        map[string]*call{},
		busy:         map[string]string{},
		clientIP:     "127.0.0.1",
		seq:          900000000,
		hooks:        newHookQueue(),
	}
	for _, o := range opts {
		o(s)
	}
	if s.endpoint(s.username) == nil {
		s.endpoints = append(s.endpoints, Endpoint{ID: "5000", Username: s.username, Password: s.password, Name: "Principal"})
	}
	s.hooks.start(s)
	if s.inProcess {
		// A distinct host per Server: the SDK shares a query limiter per
		// account and host, and each fake is its own provider.
		s.URL = fmt.Sprintf("http://cmwtest-%d.invalid", inProcessSeq.Add(1))
		return s
	}
	s.http = httptest.NewUnstartedServer(s)
	if s.addr != "" {
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			panic(fmt.Sprintf("cmwtest: listen on %s: %v", s.addr, err))
		}
		s.http.Listener.Close()
		s.http.Listener = l
	}
	s.http.Start()
	s.URL = s.http.URL
	return s
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

// NewClient returns a callmyway.Client for the account's main credentials
// pointed at the fake, using the in-process Client.
func (s *Server) NewClient(opts ...callmyway.Option) (*callmyway.Client, error) {
	opts = append([]callmyway.Option{callmyway.WithBaseURL(s.URL), callmyway.WithHTTPClient(s.Client()), callmyway.WithLocation(s.loc)}, opts...)
	return callmyway.New(s.username, s.password, opts...)
}

// Now returns the fake's current time in the account zone.
func (s *Server) Now() time.Time { return s.clock.Now().In(s.loc) }

// Location returns the account zone.
func (s *Server) Location() *time.Location { return s.loc }

// AccountID returns the account id sent in webhooks.
func (s *Server) AccountID() string { return s.accountID }

// Username and Password return the account's main credentials.
func (s *Server) Username() string { return s.username }

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

// SetAllowedIPs replaces the IP allow list at run time.
func (s *Server) SetAllowedIPs(prefixes ...string) {
	tmp := &Server{}
	WithAllowedIPs(prefixes...)(tmp)
	s.mu.Lock()
	s.allowed = tmp.allowed
	s.mu.Unlock()
}

func (s *Server) endpoint(username string) *Endpoint {
	for i := range s.endpoints {
		if s.endpoints[i].Username == username {
			return &s.endpoints[i]
		}
	}
	return nil
}

func (s *Server) endpointByID(id string) *Endpoint {
	for i := range s.endpoints {
		if s.endpoints[i].ID == id {
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
