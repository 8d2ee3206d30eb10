package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/pgsync"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/postgres"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
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
	hook        http.Handler
	log         *slog.Logger
	dialer      *click2dial.Dialer // one for the account: caller IDs are chosen per request

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
}

// NewApp opens the database, migrates it and wires the SDK. In demo mode
// it starts a cmwtest fake with seeded data whose webhooks post back to
// publicURL.
func NewApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: logger}
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
		a.cdrs.Close()
		return nil, err
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
	} else if cfg.BaseURL != "" {
		opts = append(opts, callmyway.WithBaseURL(cfg.BaseURL))
	}
	if a.client, err = callmyway.New(acct, cfg.Password, opts...); err != nil {
		a.Close()
		return nil, err
	}
	var dedupe webhook.Deduper
	if a.cdrs.Dialect() == sqlstore.Postgres {
		// Several CRM instances on one database behave as one: pops cross
		// instances, duplicates are recognised wherever they land, and one
		// Syncer per account runs, spaced by a clock kept in the database.
		if a.pool, err = pgxpool.New(ctx, cfg.DB); err != nil {
			a.Close()
			return nil, err
		}
		pb, err := pgbroker.New(ctx, a.pool, pgbroker.WithLogger(logger))
		if err != nil {
			a.Close()
			return nil, err
		}
		a.broker = pb
		if dedupe, err = pgdedupe.New(ctx, a.pool); err != nil {
			a.Close()
			return nil, err
		}
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
	}
	if a.hub, err = screenpop.NewHub(a.broker, screenpop.WithLogger(logger)); err != nil {
		a.Close()
		return nil, err
	}
	if a.tracker, err = screenpop.NewTracker(a.client.Account(), a.db, a.db, a.broker, screenpop.WithLogger(logger)); err != nil {
		a.Close()
		return nil, err
	}
	if a.dialer, err = click2dial.New(a.client, click2dial.WithLiveCalls(a.tracker), click2dial.WithOnAccepted(a.expectOutbound)); err != nil {
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
	// The tracker first: recordEvent reads the contact it matched.
	if a.hook, err = webhook.NewHandler(a.client.Account(), webhook.Listeners(a.tracker, webhook.ListenerFunc(a.recordEvent), a.dialer), hookOpts...); err != nil {
		a.Close()
		return nil, err
	}
	start := time.Now().AddDate(0, 0, -7)
	if a.syncer, err = cdr.NewSyncer(a.client, a.cdrs, cdr.StartAt(start), cdr.Interval(15*time.Second), cdr.WithLogger(logger),
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

// Close releases everything.
func (a *App) Close() {
	if a.hub != nil {
		a.hub.Close()
	}
	if a.closeBroker != nil {
		a.closeBroker()
	}
	if a.pool != nil {
		a.pool.Close()
	}
	if a.fake != nil {
		a.fake.Close()
	}
	if a.cdrs != nil {
		a.cdrs.Close()
	}
}

// RunSync runs the CDR Syncer until ctx is done. On PostgreSQL only the
// instance holding the account's leadership lock syncs; another takes
// over within about a second if it dies.
func (a *App) RunSync(ctx context.Context) {
	if a.pool == nil {
		_ = a.syncer.Run(ctx)
		return
	}
	el, err := pgsync.NewElector(a.pool, "cdr-sync:"+a.client.Account().Username, pgsync.WithLogger(a.log))
	if err != nil {
		a.log.Error("cdr sync: no elector", "error", err)
		return
	}
	_ = el.Run(ctx, a.syncer.Run)
}

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
	for _, cu := range []struct {
		name, doc string
		contacts  [][2]string
	}{
		{"Comercial Solís", "3-101-123456", [][2]string{{"Marta Solís", "8888-1111"}}},
		{"Familia Mora", "1-0923-0456", [][2]string{{"Diego Mora", "2222-3333"}, {"Elena Mora", "2222-3333"}}},
		{"Transportes Vega", "3-102-765432", [][2]string{{"Luis Vega", "+52 55 1234 5678"}}},
	} {
		cid, err := a.db.AddCustomer(ctx, cu.name, cu.doc)
		if err != nil {
			return err
		}
		for _, c := range cu.contacts {
			if _, err := a.db.AddContact(ctx, cid, c[0], c[1]); err != nil {
				return err
			}
		}
	}
	a.fake.GenerateHistory(300, time.Now().AddDate(0, 0, -7), time.Now().Add(-time.Hour), 7)
	return nil
}

// dialerFor returns the account's Dialer with the agent's caller-ID
// endpoints registered, and the agent's endpoints (primary first).
func (a *App) dialerFor(ctx context.Context, agentID string) (*click2dial.Dialer, []Endpoint, error) {
	eps, err := a.db.endpoints(ctx, agentID)
	if err != nil {
		return nil, nil, err
	}
	if len(eps) == 0 {
		return nil, nil, errors.New("the agent has no CallMyWay endpoint")
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

// expectOutbound tells the tracker which contact an accepted dial is for:
// the contact id travels in the request's metadata.
func (a *App) expectOutbound(ctx context.Context, r click2dial.Result) error {
	contactID := r.Meta["contact"]
	c, ok, err := a.db.Contact(ctx, contactID)
	if err != nil {
		return err
	}
	if !ok {
		c = screenpop.Contact{ID: contactID}
	}
	a.tracker.ExpectOutbound(r.Agent, r.Number, c)
	return nil
}

// recordEvent keeps the CRM's provisional call row (webhook listener).
func (a *App) recordEvent(ctx context.Context, ev webhook.Event) error {
	agent, _, err := a.db.AgentFor(ctx, ev.Call.Endpoint, orNow(ev.Call.DetectTime.Time()))
	if err != nil {
		return err
	}
	number := ev.Call.Direction.Customer(ev.Call.ANI, ev.Call.DNIS)
	row := CallRow{CallID: ev.Call.ID, AgentID: agent.ID, EndpointID: ev.Call.Endpoint.ID, Direction: string(ev.Call.Direction),
		Number: number, Detect: ev.Call.DetectTime.Time(), State: "ringing"}
	if ev.Action == webhook.CallEnd {
		row.State, row.End, row.Duration = "ended", orNow(ev.Call.DisconnectTime.Time()), ev.Call.Duration
	}
	if ev.Call.Direction == callmyway.DirectionOutbound {
		// The tracker matched the dialled contact (from the dial's metadata).
		if _, _, m, ok := a.tracker.Call(ev.Call.ID); ok && m.Kind == screenpop.MatchKnown && len(m.Contacts) == 1 {
			row.ContactID = m.Contacts[0].ID
		}
	}
	return a.db.RecordEvent(ctx, row)
}

func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// HistoryRow is one line of the calls view: the CDR (when synced) plus
// what the CRM added.
type HistoryRow struct {
	CallID, Direction, Number, AgentName, ContactName, CustomerName, CustomerID string
	Detect                                                                      time.Time
	Duration                                                                    time.Duration
	Cost, EndReason                                                             string
	Result, Notes, NextAction, Charge                                           string
	NextActionAt                                                                time.Time
	Provisional                                                                 bool // not yet confirmed by the synced CDR
}

// History merges synced CDRs and the CRM's call rows, one row per callid.
func (a *App) History(ctx context.Context, f CallsFilter) ([]HistoryRow, error) {
	crm, err := a.db.crmCalls(ctx, f)
	if err != nil {
		return nil, err
	}
	recs, err := a.cdrs.List(ctx, sqlstore.Filter{Account: a.client.Account().Username, From: f.From, To: f.To, Limit: 5000})
	if err != nil {
		return nil, err
	}
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	agentName, byUser := map[string]string{}, map[string]string{}
	for _, ag := range agents {
		agentName[ag.ID] = ag.Name
		for _, e := range append(ag.Endpoints, ag.History...) {
			byUser[e.Username] = ag.ID
		}
	}
	codes, _ := a.db.ResultCodes(ctx)
	label := map[string]string{}
	for _, c := range codes {
		label[c.Code] = c.Code
	}
	var out []HistoryRow
	seen := map[string]bool{}
	add := func(r HistoryRow, agentID, contactID string, c CallRow, hasCRM bool) {
		if hasCRM {
			r.Result, r.Notes, r.NextAction, r.NextActionAt, r.Charge = c.ResultCode, c.Notes, c.NextAction, c.NextActionAt, c.Charge
			if c.AgentID != "" {
				agentID = c.AgentID
			}
			contactID = c.ContactID
		}
		if f.AgentID != "" && agentID != f.AgentID {
			return
		}
		r.AgentName = agentName[agentID]
		if contactID != "" {
			if ct, ok, _ := a.db.Contact(ctx, contactID); ok {
				r.ContactName, r.CustomerName, r.CustomerID = ct.Name, ct.CustomerName, ct.CustomerID
			}
		}
		if f.CustomerID != "" && r.CustomerID != f.CustomerID {
			return
		}
		out = append(out, r)
	}
	for _, rec := range recs {
		seen[rec.CallID] = true
		c, ok := crm[rec.CallID]
		number := rec.CustomerNumber()
		agentID := byUser[rec.ANIUser]
		if agentID == "" {
			agentID = byUser[rec.DNISUser]
		}
		add(HistoryRow{CallID: rec.CallID, Direction: string(rec.Direction), Number: number, Detect: rec.DetectTime.Time(),
			Duration: rec.Duration, Cost: cdr.Money(rec.Cost), EndReason: rec.EndReason}, agentID, "", c, ok)
	}
	for id, c := range crm {
		if seen[id] {
			continue
		}
		add(HistoryRow{CallID: id, Direction: c.Direction, Number: c.Number, Detect: c.Detect, Duration: c.Duration, Provisional: true}, c.AgentID, c.ContactID, c, true)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Detect.After(out[j].Detect) })
	return out, nil
}

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
