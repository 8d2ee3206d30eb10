package homologation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/number"
)

// Target is the CRM under certification: where the fake posts its call
// events, and where the runner reads the CRM's ledger back.
//
// The CRM must query CDRs from the Runner's fake (its base URL set to
// Runner.URL, with the fake's account and password) and answer webhooks
// at WebhookURL.
//
// Sync, Dial, Reassign and Owner are the hooks that make the CRM act. A
// CRM's Go test gives them as functions; over HTTP the CRM serves them
// with HooksHandler and the runner calls them through RemoteHooks.
//
// The zero Target is not usable: Run needs WebhookURL and LedgerURL. A
// Target is a plain value, safe to copy and to share concurrently; Run
// calls its functions from one goroutine at a time.
type Target struct {
	// Name names the CRM in the report (default: the webhook's host).
	Name string
	// WebhookURL receives the fake's callStart and callEnd, its secret
	// token included (the report shows it redacted).
	WebhookURL string
	// LedgerURL is where the CRM serves its ledger read-only:
	// calls.Ledger.Handler mounted under a prefix, such as
	// "http://crm:8080/ledger/".
	LedgerURL string
	// LedgerHeader is sent with every ledger request: the CRM's
	// credentials for a supervisor, such as "Cookie: crm_session=..." or
	// "Authorization: Bearer ...".
	LedgerHeader http.Header
	// Client makes the ledger requests (default: one with a 10 s timeout).
	Client *http.Client

	// Sync makes the CRM poll CallMyWay's CDRs now (one step of its
	// Syncer). Nil: the runner waits up to WithCDRWait for the CRM's own
	// Syncer. An error is evidence, not the end: the runner calls again
	// until the CDR is in or the wait is over.
	Sync func(ctx context.Context) error
	// Dial makes the CRM click to dial number for the agent's phone, as an
	// agent's click would. Nil, or ErrHookNotImplemented: the scenario
	// "dial accepted, never connected" is skipped.
	Dial func(ctx context.Context, agent callmyway.Endpoint, number string) error
	// Reassign gives phone ep to another CRM agent from at (the fake's
	// time), and Owner names the CRM agent a call is credited to. Nil,
	// or ErrHookNotImplemented: the scenario "endpoint reassigned mid-day"
	// is skipped.
	Reassign func(ctx context.Context, ep callmyway.Endpoint, at time.Time) error
	Owner    func(ctx context.Context, callid string) (string, error)

	hooksURL string // RemoteHooks: where the hooks are, for the report
}

// validate checks the URLs.
func (t Target) validate() error {
	if err := checkURL("Target.WebhookURL", t.WebhookURL); err != nil {
		return err
	}
	return checkURL("Target.LedgerURL", t.LedgerURL)
}

// checkURL checks v is an absolute http or https URL; the error names the
// bad part without echoing the URL (it may hold a secret token).
func checkURL(name, v string) error {
	p, err := url.Parse(v)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s does not parse as a URL", ErrTarget, name)
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("%w: %s has scheme %q, want http or https", ErrTarget, name, p.Scheme)
	case p.Host == "":
		return fmt.Errorf("%w: %s has no host", ErrTarget, name)
	}
	return nil
}

// ErrTarget means Run was given an unusable Target.
var ErrTarget = errors.New("homologation: bad target")

// Option configures a Runner. Options validate their arguments: New
// returns the first error.
//
// A nil Option is refused by New. Options are plain functions, safe to
// reuse and to share between goroutines concurrently.
type Option func(*config) error

type config struct {
	acct     callmyway.Account
	password string
	addr     string
	shared   string
	cdrWait  time.Duration
	only     map[string]bool
	fakeOpts []cmwtest.Option
}

// WithAccount sets the account the fake serves and the CRM is configured
// with. The default is cmwtest.DefaultAccount in America/Costa_Rica, six
// hours behind UTC, or in Asia/Kolkata (UTC+05:30) on a machine whose
// zone is six hours behind UTC now: the account's zone always differs
// from the machine's and from UTC, so the zone scenario means something
// wherever the runner runs. An account in the machine's zone gets that
// scenario skipped. The password never appears in the report.
func WithAccount(acct callmyway.Account, password string) Option {
	return func(c *config) error {
		if err := acct.Validate(); err != nil {
			return fmt.Errorf("homologation: WithAccount: %w", err)
		}
		if password == "" {
			return errors.New("homologation: WithAccount: empty password")
		}
		c.acct, c.password = acct, password
		return nil
	}
}

// WithFakeAddr makes the fake listen on addr (such as "127.0.0.1:9099")
// instead of a random loopback port, so a CRM started beforehand can be
// configured with its URL.
func WithFakeAddr(addr string) Option {
	return func(c *config) error {
		if strings.TrimSpace(addr) == "" {
			return errors.New("homologation: WithFakeAddr: empty address")
		}
		c.addr = addr
		return nil
	}
}

// WithSharedNumber names a number two or more of the CRM's contacts
// share (default "2222-3333", shared by two contacts of the reference
// CRM's demo data).
func WithSharedNumber(n string) Option {
	return func(c *config) error {
		if _, err := number.Parse(n, "CR"); err != nil || strings.TrimSpace(n) == "" {
			return fmt.Errorf("homologation: WithSharedNumber(%q): not a phone number", n)
		}
		c.shared = n
		return nil
	}
}

// WithCDRWait bounds how long the runner waits for a CDR to reach the
// CRM's ledger (default 30 s with Target.Sync, 2 minutes without; between
// 1 s and 1 hour).
func WithCDRWait(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > time.Hour {
			return fmt.Errorf("homologation: WithCDRWait(%v): want 1s to 1h", d)
		}
		c.cdrWait = d
		return nil
	}
}

// WithScenarios runs only the scenarios with these IDs (see Scenarios).
// An unknown ID is an error naming it.
func WithScenarios(ids ...string) Option {
	return func(c *config) error {
		known := map[string]bool{}
		for _, s := range Scenarios() {
			known[s.ID] = true
		}
		c.only = map[string]bool{}
		for _, id := range ids {
			if !known[id] {
				return fmt.Errorf("homologation: WithScenarios: unknown scenario %q", id)
			}
			c.only[id] = true
		}
		return nil
	}
}

// WithFakeOptions passes more options to the fake (cmwtest.Start), after
// the runner's own.
func WithFakeOptions(opts ...cmwtest.Option) Option {
	return func(c *config) error {
		for _, o := range opts {
			if o == nil {
				return errors.New("homologation: WithFakeOptions: nil option")
			}
		}
		c.fakeOpts = append(c.fakeOpts, opts...)
		return nil
	}
}

// Runner runs the certification scenarios against a CRM, driving a fake
// CallMyWay it owns. Create it with New, configure the CRM with URL,
// Account and Password, call Run, then Close.
//
// The zero Runner is not usable. A Runner runs one Run at a time; its
// accessors are safe for concurrent use.
type Runner struct {
	cfg   config
	fake  *cmwtest.Server
	clock *cmwtest.JumpClock
}

// New starts the fake CallMyWay the scenarios drive, on a jumping clock
// (cmwtest.JumpClock): "an hour later" takes no time.
func New(opts ...Option) (*Runner, error) {
	acct := cmwtest.DefaultAccount
	acct.Location = defaultZone(time.Now(), time.Local)
	c := config{acct: acct, password: cmwtest.DefaultPassword, shared: "2222-3333"}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("homologation: nil option")
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	r := &Runner{cfg: c, clock: &cmwtest.JumpClock{}}
	fo := []cmwtest.Option{cmwtest.WithAccount(c.acct, c.password), cmwtest.WithClock(r.clock)}
	if c.addr != "" {
		fo = append(fo, cmwtest.WithAddr(c.addr))
	}
	var err error
	if r.fake, err = cmwtest.Start(append(fo, c.fakeOpts...)...); err != nil {
		return nil, fmt.Errorf("homologation: starting the fake: %w", err)
	}
	return r, nil
}

// defaultZone is the account's zone when WithAccount is not given: the
// first of America/Costa_Rica and Asia/Kolkata whose offset at now
// differs from local's and from UTC's (each a fixed zone of the same
// offset when the zone database is missing).
func defaultZone(now time.Time, local *time.Location) *time.Location {
	_, here := now.In(local).Zone()
	var zones []*time.Location
	for _, z := range []struct {
		name string
		off  int
	}{{"America/Costa_Rica", -6 * 3600}, {"Asia/Kolkata", 5*3600 + 1800}} {
		loc, err := time.LoadLocation(z.name)
		if err != nil {
			loc = time.FixedZone(z.name, z.off)
		}
		zones = append(zones, loc)
	}
	for _, loc := range zones {
		if _, off := now.In(loc).Zone(); off != here && off != 0 {
			return loc
		}
	}
	return zones[0] // unreachable: the two offsets differ from each other and from 0
}

// URL is the fake's base URL: the CRM's callmyway.WithBaseURL
// (CMW_BASE_URL for the reference CRM).
func (r *Runner) URL() string { return r.fake.URL }

// Account is the account the fake serves: the CRM must be configured
// with the same username, zone and region.
func (r *Runner) Account() callmyway.Account { return r.fake.Account() }

// Password is the account's password, for the CRM's configuration.
func (r *Runner) Password() string { return r.fake.Password() }

// Fake is the fake the scenarios drive: a CRM's test may seed it.
func (r *Runner) Fake() *cmwtest.Server { return r.fake }

// Clock is the fake's clock. Scenarios move it ahead (an outage of ten
// minutes, a re-delivery an hour later): a CRM in the same process that
// wants to share the provider's notion of time reads it.
func (r *Runner) Clock() *cmwtest.JumpClock { return r.clock }

// Close stops the fake.
func (r *Runner) Close() { r.fake.Close() }

// Run runs the scenarios, in order, against t and returns the report:
// an error only for an unusable Target or a cancelled ctx (a failing
// CRM is a report with failures, not an error).
func (r *Runner) Run(ctx context.Context, t Target) (*Report, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if t.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		t.Client = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	if t.Name == "" {
		if u, err := url.Parse(t.WebhookURL); err == nil {
			t.Name = u.Host
		}
	}
	wait := r.cfg.cdrWait
	if wait == 0 {
		wait = 2 * time.Minute
		if t.Sync != nil {
			wait = 30 * time.Second
		}
	}
	r.fake.SetWebhooks(t.WebhookURL)
	rep := NewReport(r.cfg.acct, t.Name)
	rep.Webhook, rep.Ledger, rep.Fake = redactURL(t.WebhookURL), redactURL(t.LedgerURL), r.fake.URL
	if t.hooksURL != "" {
		rep.Hooks = redactURL(t.hooksURL)
	}
	e := &env{r: r, t: t, ledger: &ledgerClient{base: t.LedgerURL, header: t.LedgerHeader, client: t.Client}, cdrWait: wait}
	for _, s := range scenarios {
		if r.cfg.only != nil && !r.cfg.only[s.ID] {
			continue
		}
		rep.Results = append(rep.Results, e.run(ctx, s))
		if err := ctx.Err(); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// redactURL hides the last path segment (a webhook's secret token) and
// any userinfo, query and fragment of u. Only an absolute URL with a host
// is shown at all: a relative or opaque one could not be printed back
// unambiguously ("%2f/ " would come out as "//%20", a host).
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	if p.Scheme == "" || p.Host == "" || p.Opaque != "" {
		return "(not an absolute URL)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	path := strings.TrimRight(p.Path, "/")
	if i := strings.LastIndex(path, "/"); i >= 0 && len(path)-i-1 >= 8 && !strings.HasSuffix(u, "/") {
		p.Path, p.RawPath = path[:i+1]+"REDACTED", ""
	}
	return p.String()
}
