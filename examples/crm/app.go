package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/pgstore"
	"github.com/callmyway-go/sdk/calls/sqlitestore"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/pgsync"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/postgres"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/policy"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/screenpop/pgbroker"
	"github.com/callmyway-go/sdk/webhook"
	"github.com/callmyway-go/sdk/webhook/pgdedupe"
)

// App is the reference CRM: its tables, the SDK's pieces wired together,
// and the web UI.
type App struct {
	cfg         Config
	db          *DB
	cdrs        *sqlstore.Store
	client      *callmyway.Client
	fake        *cmwtest.Server // demo mode only
	broker      screenpop.Broker
	closeBroker func()
	pool        *pgxpool.Pool // PostgreSQL only: coordination between instances
	hub         *screenpop.Hub
	tracker     *screenpop.Tracker
	ledger      *calls.Ledger     // every call, from the click to the reconciled CDR
	dedupe      *pgdedupe.Deduper // PostgreSQL only: its claims live on its own session
	hook        http.Handler
	log         *slog.Logger
	dialer      *click2dial.Dialer // one for the account: caller IDs are chosen per request
	policy      *policy.Policy     // the contact policy every dial goes through
	callbacks   *casefile.Callbacks
	cache       *caches // what polled pages share: the open callbacks, the board
	pages       map[string]*template.Template
	sessions    *sessions     // signed session cookies
	logins      *loginLimiter // failed sign-ins per username and address
	demoUsers   []DemoUser    // demo mode: the seeded users and their passwords

	now func() time.Time // the board's clock (nil: time.Now); tests fix it

	mu     sync.Mutex
	syncer *cdr.Syncer
	sync   cdr.Progress
	syncAt time.Time
}

// Config is everything main reads from flags and the environment.
type Config struct {
	Addr             string
	DB               string // SQLite file path, or a postgres:// URL
	Demo             bool
	Username         string
	Password         string
	BaseURL          string
	Loc              *time.Location
	Region           string
	WebhookPath      string
	WebhookToken     string
	WebhookCIDRs     []string
	WebhookProxies   []string
	WebhookBasicUser string
	WebhookBasicPass string
	PublicURL        string // how CallMyWay reaches us (demo: the listen address)
	// SessionKey signs session cookies. Instances sharing a database
	// share it; empty: a random key, so sessions end at a restart.
	SessionKey []byte
	// Policy are the account's contact policy limits (issue 18); the
	// zero Limits limit nothing but do-not-call. CallbackSLA is how long
	// after a missed call its callback is due (0: 2 h); CallbackQueue
	// the queue of callbacks nobody owns ("": casefile.DefaultQueue).
	Policy        policy.Limits
	CallbackSLA   time.Duration
	CallbackQueue string
	// HomologationHooks serves POST /homologation/hooks to admins: the
	// hooks `cmw homologate -crm-hooks` calls to make the CRM sync, dial
	// as an agent and move a phone (homologation.HooksHandler). Only on a
	// CRM being certified against the runner's fake, never in production.
	HomologationHooks bool
}

// NewApp opens the database, migrates it and wires the SDK. In demo mode
// it starts a cmwtest fake with seeded data whose webhooks post back to
// publicURL.
func NewApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if cfg.HomologationHooks && !cfg.Demo && !loopbackURL(cfg.BaseURL) {
		// The hooks dial as any agent and move phones: never against the
		// real CallMyWay, only against a fake on this machine.
		return nil, errHooksNeedAFake
	}
	a := &App{cfg: cfg, log: logger, logins: newLoginLimiter()}
	key := cfg.SessionKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("crm: session key: %w", err)
		}
	}
	a.sessions = &sessions{key: key, ttl: sessionTTL, secure: strings.HasPrefix(cfg.PublicURL, "https://"), now: time.Now}
	var err error
	// The account's zone and region are given once, here; every SDK
	// package takes them from the Client's Account.
	acct := callmyway.Account{Username: cfg.Username, Location: cfg.Loc, Region: cfg.Region}
	if cfg.Demo {
		acct.Username, cfg.Password = cmwtest.DefaultUsername, cmwtest.DefaultPassword
	}
	if strings.HasPrefix(cfg.DB, "postgres://") || strings.HasPrefix(cfg.DB, "postgresql://") {
		a.cdrs, err = postgres.Open(ctx, cfg.DB, acct)
	} else {
		a.cdrs, err = sqlite.Open(ctx, cfg.DB, acct)
	}
	if err != nil {
		return nil, err
	}
	a.db = &DB{DB: a.cdrs.DB(), dialect: a.cdrs.Dialect(), region: cfg.Region, loc: cfg.Loc}
	if err := a.db.migrate(ctx); err != nil {
		return nil, errors.Join(err, a.cdrs.Close())
	}
	opts := []callmyway.Option{callmyway.WithLogger(logger)}
	if cfg.Demo {
		if a.fake, err = cmwtest.Start(cmwtest.WithAccount(acct, cfg.Password), cmwtest.WithAllowedFirstNumbers("50688881111"),
			cmwtest.WithWebhook(strings.TrimRight(cfg.PublicURL, "/")+cfg.WebhookPath+"/"+cfg.WebhookToken)); err != nil {
			a.Close()
			return nil, err
		}
		opts = append(opts, callmyway.WithBaseURL(a.fake.URL))
		if err := a.seed(ctx); err != nil {
			a.Close()
			return nil, err
		}
		if a.demoUsers, err = a.seedUsers(ctx); err != nil {
			a.Close()
			return nil, err
		}
	} else if cfg.BaseURL != "" {
		opts = append(opts, callmyway.WithBaseURL(cfg.BaseURL))
	}
	if a.client, err = callmyway.New(acct, cfg.Password, opts...); err != nil {
		a.Close()
		return nil, err
	}
	var dedupe webhook.Deduper // set on PostgreSQL
	if a.cdrs.Dialect() == sqlstore.Postgres {
		// Several CRM instances on one database behave as one: pops cross
		// instances, duplicates are recognised wherever they land, and one
		// Syncer per account runs, spaced by a clock kept in the database.
		if a.pool, err = newPool(ctx, cfg.DB); err != nil {
			a.Close()
			return nil, err
		}
		pb, err := pgbroker.New(ctx, a.pool, pgbroker.WithLogger(logger))
		if err != nil {
			a.Close()
			return nil, err
		}
		a.broker = pb
		a.closeBroker = func() {
			if err := pb.Close(); err != nil {
				a.log.Warn("crm: closing the pop broker", "error", err.Error())
			}
		}
		pd, err := pgdedupe.New(ctx, a.pool)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.dedupe, dedupe = pd, pd
		lim, err := pgsync.NewLimiter(ctx, a.pool, acct.Username)
		if err != nil {
			a.Close()
			return nil, err
		}
		if a.client, err = a.client.WithOptions(callmyway.WithQueryLimiter(lim)); err != nil {
			a.Close()
			return nil, err
		}
	} else {
		mb := screenpop.NewMemoryBroker()
		a.broker, a.closeBroker = mb, mb.Close
		// The last query time lives in the SQLite file: a restart within
		// 4 s of a query still waits out the rest of the interval.
		lim, err := a.cdrs.QueryLimiter(ctx, acct.Username)
		if err == nil {
			a.client, err = a.client.WithOptions(callmyway.WithQueryLimiter(lim))
		}
		if err != nil {
			a.Close()
			return nil, err
		}
	}
	if a.hub, err = screenpop.NewHub(a.broker, screenpop.WithLogger(logger)); err != nil {
		a.Close()
		return nil, err
	}
	if a.tracker, err = screenpop.NewTracker(a.client.Account(), a.db, a.db, a.broker, screenpop.WithLogger(logger)); err != nil {
		a.Close()
		return nil, err
	}
	// The ledger is the one source of truth for calls: the webhook
	// handler, click to dial and the CDR Syncer feed it, the one-call
	// guard reads it, and the tracker pops from its changes.
	var ledgerStore calls.Store
	if a.pool != nil {
		ledgerStore, err = pgstore.New(ctx, a.pool)
	} else {
		ledgerStore, err = sqlitestore.New(ctx, a.cdrs.DB())
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.ledger, err = calls.New(a.client.Account(), ledgerStore, calls.WithPhoneBook(a.db),
		calls.WithOnChange(a.tracker.OnChange), calls.WithLogger(logger)); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.wirePolicy(); err != nil {
		a.Close()
		return nil, err
	}
	if a.dialer, err = click2dial.New(a.client, click2dial.WithPolicy(a.policy), click2dial.WithLiveCalls(a.ledger),
		click2dial.WithOnAccepted(a.ledger.RecordAccepted)); err != nil {
		a.Close()
		return nil, err
	}
	hookOpts := []webhook.Option{webhook.WithLogger(logger)}
	if dedupe != nil {
		hookOpts = append(hookOpts, webhook.WithDeduper(dedupe))
	}
	if cfg.WebhookToken != "" {
		hookOpts = append(hookOpts, webhook.WithToken(cfg.WebhookToken))
	}
	if len(cfg.WebhookCIDRs) > 0 {
		hookOpts = append(hookOpts, webhook.WithAllowedCIDRs(cfg.WebhookCIDRs...))
	}
	if len(cfg.WebhookProxies) > 0 {
		hookOpts = append(hookOpts, webhook.WithTrustedProxies(cfg.WebhookProxies...))
	}
	if cfg.WebhookBasicUser != "" {
		hookOpts = append(hookOpts, webhook.WithBasicAuth(cfg.WebhookBasicUser, cfg.WebhookBasicPass))
	}
	if a.hook, err = webhook.NewHandler(a.client.Account(), a.ledger, hookOpts...); err != nil {
		a.Close()
		return nil, err
	}
	start := time.Now().AddDate(0, 0, -7)
	if a.syncer, err = cdr.NewSyncer(a.client, a.cdrs, cdr.StartAt(start), cdr.Interval(15*time.Second), cdr.WithLogger(logger),
		cdr.OnCommit(a.ledger.ReconcileCDRs),
		cdr.OnProgress(func(p cdr.Progress) {
			a.mu.Lock()
			a.sync, a.syncAt = p, time.Now()
			a.mu.Unlock()
		})); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Close releases everything. What fails to close is logged: there is
// nothing else to do with it at the end.
func (a *App) Close() {
	if a.hub != nil {
		a.hub.Close()
	}
	if a.closeBroker != nil {
		a.closeBroker()
	}
	if a.dedupe != nil {
		if err := a.dedupe.Close(); err != nil {
			a.log.Warn("crm: closing the webhook de-duplication session", "error", err.Error())
		}
	}
	if a.pool != nil {
		a.pool.Close()
	}
	if a.fake != nil {
		a.fake.Close()
	}
	if a.cdrs != nil {
		if err := a.cdrs.Close(); err != nil {
			a.log.Warn("crm: closing the database", "error", err.Error())
		}
	}
}

// RunSync runs the CDR Syncer, and the live-calls poll that tells the
// ledger when a ringing call is answered, until ctx is done. On PostgreSQL
// only the instance holding the account's leadership lock runs them;
// another takes over within about a second if it dies.
func (a *App) RunSync(ctx context.Context) {
	run := func(ctx context.Context) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := a.ledger.WatchLive(ctx, a.client, livePoll); err != nil && ctx.Err() == nil {
				a.log.Error("live calls poll: stopped", "error", err)
			}
		}()
		err := a.syncer.Run(ctx)
		cancel()
		<-done
		return err
	}
	if a.pool == nil {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("cdr sync: stopped", "error", err)
		}
		return
	}
	el, err := pgsync.NewElector(a.pool, "cdr-sync:"+a.client.Account().Username, pgsync.WithLogger(a.log))
	if err != nil {
		a.log.Error("cdr sync: no elector", "error", err)
		return
	}
	if err := el.Run(ctx, run); err != nil && ctx.Err() == nil {
		a.log.Error("cdr sync: the elector stopped", "error", err)
	}
}

// livePoll is how often the live calls are read while a call rings (the
// account's limiter spaces queries 4 s apart anyway).
const livePoll = 4 * time.Second

// seed fills an empty demo database: agents mapped to the fake's
// endpoints, customers with contacts (two sharing a number), and a week of
// call history at the fake.
func (a *App) seed(ctx context.Context) error {
	var n int
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM crm_agents`).Scan(&n); err != nil || n > 0 {
		return err
	}
	eps := map[string]cmwtest.Endpoint{}
	for _, e := range a.fake.Endpoints() {
		eps[e.ID] = e
	}
	from := time.Now().AddDate(0, 0, -30)
	for _, ag := range []struct {
		name string
		eps  []string
	}{{"Ana Rojas", []string{"5001", "5009"}}, {"Beto Vargas", []string{"5002"}}, {"Carla Jiménez", []string{"5003"}}} {
		id, err := a.db.AddAgent(ctx, ag.name)
		if err != nil {
			return err
		}
		for i, epID := range ag.eps {
			e := eps[epID]
			if err := a.db.AssignEndpoint(ctx, Endpoint{AgentID: id, EndpointID: e.ID, Username: e.User, Password: e.Password,
				Private: e.Private, Primary: i == 0, ValidFrom: from}); err != nil {
				return err
			}
		}
	}
	// Each case in a collection campaign by how late its debt is.
	for _, cu := range []struct {
		name, doc, campaign string
		contacts            [][2]string
	}{
		{"Comercial Solís", "3-101-123456", "Mora 30", [][2]string{{"Marta Solís", "8888-1111"}}},
		{"Familia Mora", "1-0923-0456", "Mora 60", [][2]string{{"Diego Mora", "2222-3333"}, {"Elena Mora", "2222-3333"}}},
		{"Transportes Vega", "3-102-765432", "Mora 30", [][2]string{{"Luis Vega", "+52 55 1234 5678"}}},
	} {
		cid, err := a.db.AddCustomer(ctx, cu.name, cu.doc)
		if err != nil {
			return err
		}
		if err := a.db.SetCampaign(ctx, cid, cu.campaign, ""); err != nil {
			return err
		}
		for _, c := range cu.contacts {
			if _, err := a.db.AddContact(ctx, cid, c[0], c[1]); err != nil {
				return err
			}
		}
	}
	// From an hour inside the Syncer's 7-day backfill (its start is read
	// before the seed, and provider times drop sub-seconds: a call at the
	// very edge could fall just before it).
	a.fake.GenerateHistory(300, time.Now().AddDate(0, 0, -7).Add(time.Hour), time.Now().Add(-time.Hour), 7)
	return nil
}

// DemoUser is a user seeded in demo mode, with the password it got at
// this start.
type DemoUser struct {
	Username, Password string
	Role               Role
	AgentName          string
}

// seedUsers gives the demo's users (an agent user for each seeded agent,
// a supervisor and an admin) new random passwords, creating them if
// needed: main prints them once at start.
func (a *App) seedUsers(ctx context.Context) ([]DemoUser, error) {
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := []DemoUser{{Username: "ana", Role: RoleAgent, AgentName: "Ana Rojas"}, {Username: "beto", Role: RoleAgent, AgentName: "Beto Vargas"},
		{Username: "carla", Role: RoleAgent, AgentName: "Carla Jiménez"}, {Username: "super", Role: RoleSupervisor}, {Username: "admin", Role: RoleAdmin}}
	for i := range out {
		agentID := ""
		for _, ag := range agents {
			if out[i].AgentName != "" && ag.Name == out[i].AgentName {
				agentID = ag.ID
			}
		}
		out[i].Password = rand.Text()[:12]
		if err := a.db.ensureUser(ctx, out[i].Username, out[i].Password, out[i].Role, agentID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dialerFor returns the account's Dialer with the agent's caller-ID
// endpoints registered, and the agent's endpoints (primary first).
func (a *App) dialerFor(ctx context.Context, agentID string) (*click2dial.Dialer, []Endpoint, error) {
	eps, err := a.db.endpoints(ctx, agentID)
	if err != nil {
		return nil, nil, err
	}
	if len(eps) == 0 {
		return nil, nil, errNoEndpoint
	}
	for _, e := range eps {
		if e.Password != "" && e.Username != a.client.Account().Username {
			if err := a.dialer.SetCallerID(e.Username, e.Password); err != nil {
				return nil, nil, err
			}
		}
	}
	return a.dialer, eps, nil
}

// HistoryRow is one line of the calls view, from the ledger: the call
// (reconciled with its CDR when synced) and what the agent recorded.
type HistoryRow struct {
	CallID, Direction, AgentName, ContactName, CustomerName, CustomerID string
	Number                                                              string // E.164; "" withheld
	Detect                                                              time.Time
	Duration                                                            time.Duration
	Cost                                                                decimal.Decimal
	EndReason                                                           string
	Result, Notes, NextAction                                           string
	Charge                                                              decimal.Decimal // zero: none posted
	NextActionAt                                                        time.Time
	Provisional                                                         bool // not yet confirmed by the synced CDR
	Linked                                                              bool // the contact was found by the call's number
}

// historyLimit bounds the calls History returns (the page shows them
// historyPage at a time): the newest that match its filters. A variable
// so that tests can lower it.
var historyLimit = 5000

// historyBatch is how many calls History reads before looking up their
// contacts (two batched queries, no query per row). A variable so that
// tests can lower it.
var historyBatch = 1000

// History lists the ledger's calls, newest first: the newest historyLimit
// that match f.
func (a *App) History(ctx context.Context, f CallsFilter) ([]HistoryRow, error) {
	rows, _, err := a.history(ctx, f)
	return rows, err
}

// history is History, and whether more calls in f's range match f than
// it returns. It reads the ledger newest first and filters while reading,
// so that it holds at most historyLimit+historyBatch calls whatever the
// range holds, and a filtered view is not emptied by other calls.
func (a *App) history(ctx context.Context, f CallsFilter) (out []HistoryRow, more bool, err error) {
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return nil, false, err
	}
	// endpoint id or username -> who had it when: a call is credited to
	// the agent who had the phone then, not to its current one.
	type held struct {
		agent    AgentRow
		from, to time.Time // to zero: still held
	}
	byPhone := map[string][]held{}
	for _, ag := range agents {
		for _, e := range append(ag.History, ag.Endpoints...) {
			h := held{ag, e.ValidFrom, e.ValidTo}
			byPhone["id:"+e.EndpointID] = append(byPhone["id:"+e.EndpointID], h)
			byPhone["user:"+e.Username] = append(byPhone["user:"+e.Username], h)
		}
	}
	agentAt := func(key string, at time.Time) (AgentRow, bool) {
		var current *held
		for i, h := range byPhone[key] {
			if !at.Before(h.from) && (h.to.IsZero() || at.Before(h.to)) {
				return h.agent, true
			}
			if h.to.IsZero() {
				current = &byPhone[key][i]
			}
		}
		if current != nil { // a call before any mapping: its current agent
			return current.agent, true
		}
		return AgentRow{}, false
	}
	// Calls a batch at a time, then their contacts in two batched queries
	// (by id, and by number for calls nobody linked yet): no query per row.
	type pending struct {
		row     HistoryRow
		contact string // the call's contact, "" when unknown
		number  string
	}
	var batch []pending
	// flush adds the batch's calls of f's customer to out, up to
	// historyLimit; one more that matches sets more.
	flush := func() error {
		var ids, numbers []string
		for _, p := range batch {
			switch {
			case p.contact != "":
				ids = append(ids, p.contact)
			case p.number != "":
				numbers = append(numbers, p.number)
			}
		}
		byID, err := a.db.ContactsByID(ctx, uniq(ids))
		if err != nil {
			return err
		}
		byNumber, err := a.db.ContactsByNumber(ctx, uniq(numbers))
		if err != nil {
			return err
		}
		for _, p := range batch {
			r := p.row
			ct, ok := byID[p.contact]
			if !ok && p.contact == "" {
				// A call from a known number is linked to its contact
				// automatically, when the number is one contact's.
				if found := byNumber[p.number]; len(found) == 1 {
					ct, ok, r.Linked = found[0], true, true
				}
			}
			if ok {
				r.ContactName, r.CustomerName, r.CustomerID = ct.Name, ct.CustomerName, ct.CustomerID
			}
			if f.CustomerID != "" && r.CustomerID != f.CustomerID {
				continue
			}
			if len(out) == historyLimit {
				more = true
				break
			}
			out = append(out, r)
		}
		batch = batch[:0]
		return nil
	}
	for c, err := range a.ledger.Calls(ctx, calls.Query{From: f.From, To: f.To, Newest: true}) {
		if err != nil {
			return nil, false, err
		}
		ag, ok := agentAt("id:"+c.Agent.ID, c.Start)
		if !ok {
			ag, _ = agentAt("user:"+c.Agent.User, c.Start)
		}
		if f.AgentID != "" && ag.ID != f.AgentID {
			continue
		}
		r := HistoryRow{CallID: c.ID, Direction: string(c.Direction), Number: c.Number, AgentName: ag.Name, Detect: c.Start,
			Duration: c.Duration, Cost: c.Cost, EndReason: c.EndReason, Provisional: !c.CDRSeen}
		if n := len(c.Disps); n > 0 {
			d := c.Disps[n-1]
			r.Result, r.Notes, r.NextAction, r.NextActionAt = d.Result, d.Notes, d.NextAction, d.NextAt
		}
		for _, ch := range c.Charges {
			r.Charge = r.Charge.Add(ch.Amount)
		}
		batch = append(batch, pending{row: r, contact: c.Contact, number: c.Number})
		// Without a customer filter every call in the batch is shown:
		// read no more than one past the limit.
		if len(batch) == historyBatch || (f.CustomerID == "" && len(out)+len(batch) > historyLimit) {
			if err := flush(); err != nil {
				return nil, false, err
			}
			if more {
				return out, true, nil
			}
		}
	}
	if err := flush(); err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// uniq returns list sorted without repeats.
func uniq(list []string) []string {
	slices.Sort(list)
	return slices.Compact(list)
}

// CaseEntry is a charge on a customer's case file: the call, the result
// code of the disposition that posted it, the amount and its currency.
type CaseEntry struct {
	CallID, Description string
	Result, Currency    string
	Amount              decimal.Decimal
	At                  time.Time
}

// cardCharges is how many charges the contact card lists, the newest by
// the time they were posted; its balance sums them all.
const cardCharges = 10

// cardCalls is how many of the customer's calls the contact card lists,
// the newest.
const cardCalls = 5

// chargeList keeps the newest n charges of the calls it is given and
// sums all of them: what the contact card shows. The zero chargeList
// keeps none; it is used by one goroutine.
type chargeList struct {
	n       int
	entries []CaseEntry
	total   decimal.Decimal
}

// add takes c's charges. It holds at most 2n entries between trims.
func (cl *chargeList) add(c calls.Call) {
	for _, ch := range c.Charges {
		e := CaseEntry{CallID: c.ID, Description: ch.Description, Amount: ch.Amount, Currency: ch.Currency}
		for _, d := range c.Disps {
			if d.ID == ch.DispositionID {
				e.At, e.Result = d.At, d.Result
			}
		}
		cl.total = cl.total.Add(ch.Amount)
		cl.entries = append(cl.entries, e)
	}
	if len(cl.entries) >= 2*cl.n {
		cl.trim()
	}
}

// trim keeps the newest n entries, newest first (ties by call id).
func (cl *chargeList) trim() {
	slices.SortStableFunc(cl.entries, func(x, y CaseEntry) int { return cmp.Or(y.At.Compare(x.At), strings.Compare(x.CallID, y.CallID)) })
	if len(cl.entries) > cl.n {
		cl.entries = cl.entries[:cl.n]
	}
}

// CaseFile returns the newest cardCharges charges posted on a customer's
// calls (the calls of its case, from the ledger, each charge exactly
// once), newest first, and the sum of all of them. It reads the case's
// calls through the ledger's index by case: the customer's calls, not
// the traffic.
func (a *App) CaseFile(ctx context.Context, customerID string) ([]CaseEntry, decimal.Decimal, error) {
	cl := chargeList{n: cardCharges, total: decimal.Zero}
	for c, err := range a.ledger.Calls(ctx, calls.Query{Case: customerID, From: time.Now().AddDate(-caseFileYears, 0, 0), To: time.Now().Add(24 * time.Hour)}) {
		if err != nil {
			return nil, cl.total, err
		}
		cl.add(c)
	}
	cl.trim()
	return cl.entries, cl.total, nil
}

// Errors of dispositions and dialling; each has a translation (errorKeys).
var (
	errNoEndpoint         = errors.New("the agent has no CallMyWay endpoint")
	errResultRequired     = errors.New("call and result code are required")
	errChargeNegative     = errors.New("the charge cannot be negative")
	errChargeNeedsContact = errors.New("a charge needs a contact: pick the customer first")
)

// SaveDisposition records the agent's disposition on its call in the
// ledger, with the charge on the chosen contact's case file. The charge's
// key is the call's: a double submit or a resubmitted form posts it once,
// and never on another call.
func (a *App) SaveDisposition(ctx context.Context, d Disposition) error {
	if d.CallID == "" || d.ResultCode == "" {
		return errResultRequired
	}
	if d.Charge.IsNegative() {
		return errChargeNegative
	}
	if err := a.db.CheckResultCode(ctx, d.ResultCode); err != nil {
		return err
	}
	disp := calls.Disposition{By: d.By, Result: d.ResultCode, Notes: d.Notes, NextAction: d.NextAction, NextAt: d.NextActionAt}
	if d.ContactID != "" {
		ct, ok, err := a.db.Contact(ctx, d.ContactID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w %q", errUnknownContact, d.ContactID)
		}
		disp.Contact, disp.Case = ct.ID, ct.CustomerID
	}
	if !d.Charge.IsZero() {
		if disp.Case == "" {
			return errChargeNeedsContact
		}
		disp.Charges = []calls.Charge{{Key: "case:" + d.CallID, Amount: d.Charge, Currency: currency,
			Description: "Gestión de cobro — llamada " + d.CallID + " (" + d.ResultCode + ")"}}
	}
	_, err := a.ledger.Dispose(ctx, d.CallID, disp)
	return err
}

// currency is the demo account's currency (colones).
const currency = "CRC"

// SyncStatus is shown on the calls page.
type SyncStatus struct {
	Checkpoint, LastRun, NextPoll time.Time
	Backfilling                   bool
	Records, Pages                int
	Penalties                     string
	Err                           string
}

func (a *App) SyncStatus() SyncStatus {
	a.mu.Lock()
	p, at := a.sync, a.syncAt
	a.mu.Unlock()
	s := SyncStatus{Checkpoint: p.Checkpoint, LastRun: at, Backfilling: p.Backfilling, Records: p.Records, Pages: p.Pages, Penalties: "n/a"}
	if !at.IsZero() {
		s.NextPoll = at.Add(15 * time.Second)
	}
	if p.Err != nil {
		s.Err = p.Err.Error()
	}
	if a.fake != nil {
		s.Penalties = fmt.Sprint(a.fake.Violations())
	}
	return s
}

// poolMaxConns is the pgxpool size the CRM uses when the DSN does not set
// pool_max_conns. pgxpool's default, 4 per CPU, has webhook deliveries
// queue for a connection on a small machine: each delivery holds one for
// its ledger update. With sqlstore/postgres's 16 and the sessions of
// pgdedupe and pgbroker it stays well under PostgreSQL's default
// max_connections (100).
const poolMaxConns = 32

// newPool opens the CRM's pgxpool on dsn.
func newPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		pc.MaxConns = poolMaxConns
	}
	if !strings.Contains(dsn, "pool_max_conn_idle_time") {
		// After a burst the pool shrinks back within a minute (pgxpool
		// checks every health-check period), so server backends, memory
		// and descriptors return to their idle baseline.
		pc.MaxConnIdleTime = 20 * time.Second
		pc.HealthCheckPeriod = 10 * time.Second
	}
	return pgxpool.NewWithConfig(ctx, pc)
}

// errHooksNeedAFake refuses Config.HomologationHooks outside a
// certification against a local fake.
var errHooksNeedAFake = errors.New("crm: -homologation-hooks needs CMW_BASE_URL on this machine (the homologation runner's fake, e.g. http://127.0.0.1:18790) or -demo: the hooks dial as any agent and must never reach the real CallMyWay")

// loopbackURL reports whether u is an http(s) URL whose host is this
// machine (localhost or a loopback address).
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") {
		return false
	}
	if h := p.Hostname(); h == "localhost" {
		return true
	} else if ip, err := netip.ParseAddr(h); err == nil {
		return ip.IsLoopback()
	}
	return false
}
