package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
	"github.com/callmyway-go/sdk/internal/safetext"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/webhook"
)

// outcome of one certification scenario.
type outcome struct {
	Name     string `json:"name"`
	Status   string `json:"status"` // PASS, FAIL or SKIP
	Detail   string `json:"detail,omitempty"`
	Duration string `json:"duration"`
	took     time.Duration
}

// errSkip marks a scenario that could not run with the given flags.
type errSkip struct{ why string }

func (e errSkip) Error() string { return e.why }

type scenario struct {
	name string
	run  func(ctx context.Context) error
}

func runScenarios(ctx context.Context, list []scenario) []outcome {
	var out []outcome
	for _, s := range list {
		start := time.Now()
		err := s.run(ctx)
		o := outcome{Name: s.name, Status: "PASS", Duration: time.Since(start).Round(time.Millisecond).String(), took: time.Since(start)}
		var skip errSkip
		switch {
		case errors.As(err, &skip):
			o.Status, o.Detail = "SKIP", skip.why
		case err != nil:
			o.Status, o.Detail = "FAIL", err.Error()
		}
		out = append(out, o)
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

// headerFlag collects -ledger-header "Name: value" flags.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }
func (f *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want \"Name: value\", such as \"Cookie: crm_session=...\"")
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

func cmdHomologate(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "homologate", "[-live] [-crm-webhook URL [-crm-ledger URL [-crm-hooks URL] -ledger-header H -fake-addr ADDR]] [-report-html F] [-report-json F] [-report-junit F]")
	live := fs.Bool("live", false, "certify against the real CallMyWay account (credentials from the environment)")
	crmHook := fs.String("crm-webhook", "", "send the fake's webhooks to this CRM URL (token included) instead of the built-in integration")
	crmLedger := fs.String("crm-ledger", "", "the CRM's read-only ledger URL (calls.Ledger.Handler, such as http://crm:8080/ledger/): enables the fault scenarios against the CRM")
	crmHooks := fs.String("crm-hooks", "", "the CRM's homologation hooks URL (homologation.HooksHandler, such as http://crm:8080/homologation/hooks): the runner makes the CRM sync, dial and reassign a phone through it, so every scenario runs")
	var ledgerHeader headerFlag
	fs.Var(&ledgerHeader, "ledger-header", "`Name: value` header sent to -crm-ledger and -crm-hooks (repeatable), such as 'Cookie: crm_session=...' of a supervisor (an admin with -crm-hooks) or 'Authorization: Bearer ...'")
	fakeAddr := fs.String("fake-addr", "127.0.0.1:18790", "with -crm-ledger: where the fake CallMyWay listens (the CRM's CMW_BASE_URL points there)")
	only := fs.String("scenarios", "", "comma-separated fault scenario IDs to run (default all)")
	cdrWait := fs.Duration("cdr-wait", 2*time.Minute, "with -crm-ledger: how long to wait for the CRM's own CDR syncer")
	report := fs.String("report", "", "same as -report-json (kept for compatibility)")
	reportHTML := fs.String("report-html", "", "write the certificate as HTML to FILE")
	reportJSON := fs.String("report-json", "", "write the report as JSON to FILE")
	reportJUnit := fs.String("report-junit", "", "write the report as JUnit XML to FILE")
	agent := fs.String("agent", "", "-live: the agent's CallMyWay username to ring")
	testNumber := fs.String("test-number", "", "-live: a test number to dial")
	listen := fs.String("listen", "", "-live: listen for webhooks on ADDR (the CRM's public URL must reach it)")
	token := fs.String("token", envOr("CMW_WEBHOOK_TOKEN", ""), "-live: webhook token expected by -listen")
	bound := fs.Duration("timeout", 5*time.Minute, "-live: how long to wait for the webhook and the CDR")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	if *reportJSON == "" {
		*reportJSON = *report
	}
	if *crmLedger != "" && *crmHook == "" {
		return usagef("-crm-ledger needs -crm-webhook")
	}
	target := crm{hook: *crmHook, ledger: *crmLedger, header: ledgerHeader.h}
	if *crmHooks != "" {
		if *crmLedger == "" {
			return usagef("-crm-hooks needs -crm-webhook and -crm-ledger")
		}
		var err error
		if target.hooks, err = homologation.RemoteHooks(*crmHooks, ledgerHeader.h, nil); err != nil {
			return usagef("-crm-hooks: %v", err)
		}
	}
	acct, err := g.account()
	if err != nil {
		return err
	}
	var rep *homologation.Report
	if *live {
		c, err := g.client()
		if err != nil {
			return err
		}
		rep = homologation.NewReport(c.Account(), "the live CallMyWay account")
		rep.Live = true
		rep.Results = asResults("live", runScenarios(ctx, liveScenarios(c, *agent, *testNumber, *listen, *token, *bound)))
	} else {
		// The SDK's own checks first, on a fake of their own.
		h, err := newFakeHomologation(acct.Location, *crmHook)
		if err != nil {
			return err
		}
		sdk := asResults("sdk", runScenarios(ctx, h.scenarios()))
		h.close()
		rep, err = runFaults(ctx, acct, target, *fakeAddr, *only, *cdrWait, g)
		if err != nil {
			return err
		}
		rep.Results = append(sdk, rep.Results...)
	}
	if err := printResults(g.stdout, rep.Results); err != nil {
		return err
	}
	failed := rep.Count(homologation.Fail)
	fmt.Fprintf(g.stdout, "\n%d scenarios, %d failed, %d skipped\n", len(rep.Results), failed, rep.Count(homologation.Skip))
	for _, out := range []struct {
		file  string
		write func(io.Writer) error
	}{{*reportHTML, rep.WriteHTML}, {*reportJSON, rep.WriteJSON}, {*reportJUnit, rep.WriteJUnit}} {
		if out.file == "" {
			continue
		}
		if err := writeFile(out.file, out.write); err != nil {
			return err
		}
	}
	if failed > 0 || ctx.Err() != nil {
		return errFailed
	}
	return nil
}

// crm is the CRM under certification, as the flags give it.
type crm struct {
	hook, ledger string              // -crm-webhook, -crm-ledger
	header       http.Header         // -ledger-header
	hooks        homologation.Target // -crm-hooks: the hooks only (RemoteHooks)
}

// runFaults runs the fault scenarios of package homologation: against the
// CRM, or against the SDK's reference integration when no CRM is given. A
// CRM given only its webhook gets them skipped; one without hooks gets
// the scenarios that need it to act skipped.
func runFaults(ctx context.Context, acct callmyway.Account, c crm, fakeAddr, only string, cdrWait time.Duration, g *globals) (*homologation.Report, error) {
	hook, ledger := c.hook, c.ledger
	if hook != "" && ledger == "" {
		rep := homologation.NewReport(acct, "a CRM known by its webhook only")
		for _, s := range homologation.Scenarios() {
			rep.Results = append(rep.Results, homologation.Result{ID: s.ID, Name: s.Name, Knob: s.Knob, Verdict: homologation.Skip,
				Reason: "give -crm-ledger (and -ledger-header) so the runner can read what the CRM recorded"})
		}
		return rep, nil
	}
	// Against the built-in integration the fake's own account serves, in
	// the zone and region given; a CRM is configured with the account of
	// CMW_USERNAME and CMW_PASSWORD (the fake's default without them).
	password := envOr("CMW_PASSWORD", cmwtest.DefaultPassword)
	if ledger == "" || acct.Username == "" {
		acct.Username, password = cmwtest.DefaultUsername, cmwtest.DefaultPassword
	}
	opts := []homologation.Option{homologation.WithAccount(acct, password)}
	if only != "" {
		opts = append(opts, homologation.WithScenarios(strings.Split(only, ",")...))
	}
	if ledger != "" {
		opts = append(opts, homologation.WithFakeAddr(fakeAddr), homologation.WithCDRWait(cdrWait))
	}
	r, err := homologation.New(opts...)
	if err != nil {
		return nil, usagef("%v", err)
	}
	defer r.Close()
	target := c.hooks
	target.WebhookURL, target.LedgerURL, target.LedgerHeader = hook, ledger, c.header
	if ledger == "" {
		ref, err := homologation.NewReference(r)
		if err != nil {
			return nil, err
		}
		defer ref.Close()
		target = ref.Target()
	} else {
		fmt.Fprintf(g.stdout, "fake CallMyWay at %s (account %s, zone %s): the CRM's CMW_BASE_URL must point there\n\n", r.URL(), r.Account().Username, r.Account().Location)
	}
	return r.Run(ctx, target)
}

// asResults turns the SDK's own checks into report results.
func asResults(prefix string, list []outcome) []homologation.Result {
	out := make([]homologation.Result, 0, len(list))
	for i, o := range list {
		r := homologation.Result{ID: fmt.Sprintf("%s-%02d", prefix, i+1), Name: o.Name, Knob: "the SDK's own check", Verdict: homologation.Verdict(o.Status),
			Reason: o.Detail, Duration: o.took}
		if r.Reason == "" {
			r.Reason = "as expected"
		}
		out = append(out, r)
	}
	return out
}

// writeFile writes a report file through write.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fakeHomologation certifies the SDK (and optionally a CRM's webhook)
// against a fake CallMyWay it starts itself.
type fakeHomologation struct {
	fake     *cmwtest.Server
	client   *callmyway.Client
	dialer   *click2dial.Dialer
	receiver *httptest.Server
	builtin  bool
	tracker  *screenpop.Tracker
	ledger   *calls.Ledger
	hub      *screenpop.Hub
	broker   *screenpop.MemoryBroker
	subs     map[string]*screenpop.Subscription
	mu       sync.Mutex
	calls    map[string]int // (callid|action) -> listener calls (built-in receiver)
}

func newFakeHomologation(loc *time.Location, crmHook string) (*fakeHomologation, error) {
	acct := cmwtest.DefaultAccount
	acct.Location = loc
	h := &fakeHomologation{calls: map[string]int{}, subs: map[string]*screenpop.Subscription{}}
	hook := crmHook
	if hook == "" {
		h.builtin = true
		dir := screenpop.NewMemoryDirectory()
		for _, e := range cmwtest.DefaultEndpoints {
			if err := dir.Assign(screenpop.Agent{ID: e.ID, Name: e.Name, Endpoint: e.Endpoint}, time.Time{}); err != nil {
				return nil, err
			}
		}
		contacts := screenpop.NewMemoryContacts(acct)
		contacts.Add(screenpop.Contact{ID: "known", Name: "Marta Solís", Numbers: []string{"8888-1111"}})
		contacts.Add(screenpop.Contact{ID: "shared-1", Name: "Diego Mora", Numbers: []string{"2222-3333"}})
		contacts.Add(screenpop.Contact{ID: "shared-2", Name: "Elena Mora", Numbers: []string{"2222-3333"}})
		h.broker = screenpop.NewMemoryBroker()
		var err error
		if h.hub, err = screenpop.NewHub(h.broker, screenpop.WithQueueSize(1024)); err != nil {
			return nil, err
		}
		if h.tracker, err = screenpop.NewTracker(acct, dir, contacts, h.broker); err != nil {
			return nil, err
		}
		store, err := calls.NewMemoryStore()
		if err != nil {
			return nil, err
		}
		if h.ledger, err = calls.New(acct, store, calls.WithOnChange(h.tracker.OnChange)); err != nil {
			return nil, err
		}
		for _, e := range cmwtest.DefaultEndpoints {
			h.subs[e.ID], _, _ = h.hub.Subscribe(e.ID, 0)
		}
		count := webhook.ListenerFunc(func(_ context.Context, ev webhook.Event) error {
			h.mu.Lock()
			h.calls[ev.Key()]++
			h.mu.Unlock()
			return nil
		})
		wh, err := webhook.NewHandler(acct, webhook.Listeners(h.ledger, count), webhook.WithToken("homologation-token-0001"))
		if err != nil {
			return nil, err
		}
		h.receiver = httptest.NewServer(wh)
		hook = h.receiver.URL + "/hook/homologation-token-0001"
	}
	var err error
	if h.fake, err = cmwtest.Start(cmwtest.WithWebhook(hook), cmwtest.WithAccount(acct, cmwtest.DefaultPassword), cmwtest.WithAllowedFirstNumbers("50688881111")); err != nil {
		return nil, err
	}
	h.fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script {
		return cmwtest.Script{Ring: 100 * time.Millisecond, Talk: 300 * time.Millisecond}
	})
	if h.client, err = callmyway.New(h.fake.Account(), h.fake.Password(), callmyway.WithBaseURL(h.fake.URL)); err != nil {
		return nil, err
	}
	if h.dialer, err = click2dial.New(h.client, click2dial.WithDoubleClickWindow(0)); err != nil {
		return nil, err
	}
	return h, nil
}

// short is the script of every simulated call: quick, so the run is too.
func (h *fakeHomologation) short() cmwtest.CallOption {
	return cmwtest.WithScript(cmwtest.Script{Ring: 100 * time.Millisecond, Talk: 300 * time.Millisecond})
}

func (h *fakeHomologation) close() {
	h.fake.Close()
	if h.receiver != nil {
		h.receiver.Close()
		h.hub.Close()
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v waiting for %s", d, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// acked waits until the event (callid, action) was delivered and acked.
func (h *fakeHomologation) acked(ctx context.Context, callid, action string) error {
	return waitFor(ctx, 10*time.Second, action+" of "+callid+" acked by the CRM", func() bool {
		for _, d := range h.fake.Deliveries() {
			if d.CallID == callid && d.Action == action && d.Acked() {
				return true
			}
		}
		return false
	})
}

// pop waits for the built-in receiver's pop for callid on endpoint.
func (h *fakeHomologation) pop(ctx context.Context, endpoint, callid string) (screenpop.Message, error) {
	sub := h.subs[endpoint]
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-sub.C:
			if m.Call.CallID == callid && m.Type == screenpop.TypePop {
				return m, nil
			}
		case <-deadline:
			return screenpop.Message{}, fmt.Errorf("no pop for call %s on endpoint %s", callid, endpoint)
		case <-ctx.Done():
			return screenpop.Message{}, ctx.Err()
		}
	}
}

func (h *fakeHomologation) lastDial() cmwtest.Request {
	var last cmwtest.Request
	for _, r := range h.fake.Requests() {
		if r.Query["first_num"] != "" {
			last = r
		}
	}
	return last
}

func (h *fakeHomologation) scenarios() []scenario {
	inbound := func(name, number string, want screenpop.MatchKind) scenario {
		return scenario{"inbound " + name + " caller reaches the CRM webhook and is acked", func(ctx context.Context) error {
			id, err := h.fake.Inbound(number, callmyway.Endpoint{ID: "5003"}, h.short())
			if err != nil {
				return err
			}
			if err := h.acked(ctx, id, "callStart"); err != nil {
				return err
			}
			if h.builtin {
				m, err := h.pop(ctx, "5003", id)
				if err != nil {
					return err
				}
				if m.Match.Kind != want {
					return fmt.Errorf("pop matched %s, want %s", m.Match.Kind, want)
				}
			}
			return h.acked(ctx, id, "callEnd")
		}}
	}
	return []scenario{
		{"credentials valid and this IP allow-listed", func(ctx context.Context) error {
			_, err := cdr.Recent(ctx, h.client)
			return err
		}},
		{"a non-allow-listed IP is refused with a clear message", func(ctx context.Context) error {
			if err := h.fake.SetAllowedIPs("203.0.113.0/24"); err != nil {
				return err
			}
			defer func() { _ = h.fake.SetAllowedIPs("127.0.0.0/8", "::1/128") }()
			_, err := cdr.Recent(ctx, h.client)
			if !errors.Is(err, callmyway.ErrIPNotAllowed) || !strings.Contains(err.Error(), "allow list") {
				return fmt.Errorf("got %v, want ErrIPNotAllowed telling to ask CallMyWay", err)
			}
			return nil
		}},
		{"outbound agent-first dial accepted, events acked", func(ctx context.Context) error {
			seen := len(h.fake.Deliveries())
			if _, err := h.dialer.Dial(ctx, click2dial.Request{Agent: callmyway.Endpoint{User: "8000001"}, Number: "8888-1111"}); err != nil {
				return err
			}
			r := h.lastDial()
			if r.Query["first_num"] != "8000001" || r.Query["second_num"] != "50688881111" {
				return fmt.Errorf("first_num=%s second_num=%s", r.Query["first_num"], r.Query["second_num"])
			}
			return h.ackedCallOf(ctx, "8000001", seen)
		}},
		{"a busy agent is refused without a second request", func(ctx context.Context) error {
			if _, err := h.dialer.Dial(ctx, click2dial.Request{Agent: callmyway.Endpoint{User: "8000002"}, Number: "2222-3333"}); err != nil {
				return err
			}
			before := h.fake.RequestCount("")
			_, err := h.dialer.Dial(ctx, click2dial.Request{Agent: callmyway.Endpoint{User: "8000002"}, Number: "8888-1111"})
			if !errors.Is(err, click2dial.ErrCallInProgress) {
				return fmt.Errorf("got %v, want ErrCallInProgress", err)
			}
			if n := h.fake.RequestCount(""); n != before {
				return fmt.Errorf("%d request(s) sent for a refused dial", n-before)
			}
			if err := waitFor(ctx, 10*time.Second, "the call to end", func() bool { return !h.fake.Busy(callmyway.Endpoint{User: "8000002"}) }); err != nil {
				return err
			}
			h.dialer.Release(callmyway.Endpoint{User: "8000002"})
			return nil
		}},
		{"outbound contact-first dial accepted", func(ctx context.Context) error {
			if err := waitFor(ctx, 10*time.Second, "agent 8000001 free", func() bool { return !h.fake.Busy(callmyway.Endpoint{User: "8000001"}) }); err != nil {
				return err
			}
			h.dialer.Release(callmyway.Endpoint{User: "8000001"})
			seen := len(h.fake.Deliveries())
			if _, err := h.dialer.Dial(ctx, click2dial.Request{Agent: callmyway.Endpoint{User: "8000001"}, Number: "8888-1111", Order: click2dial.ContactFirst}); err != nil {
				return err
			}
			r := h.lastDial()
			if r.Query["first_num"] != "50688881111" || r.Query["second_num"] != "8000001" {
				return fmt.Errorf("first_num=%s second_num=%s", r.Query["first_num"], r.Query["second_num"])
			}
			return h.ackedCallOf(ctx, "8000001", seen)
		}},
		inbound("known", "8888-1111", screenpop.MatchKnown),
		inbound("shared-number", "2222-3333", screenpop.MatchCandidates),
		inbound("unknown", "7000-0000", screenpop.MatchUnknown),
		inbound("withheld", "", screenpop.MatchWithheld),
		{"duplicated and reordered events are acked and counted once", func(ctx context.Context) error {
			h.fake.SetWebhookMode(cmwtest.WebhookMode{Duplicates: 2, EndBeforeStart: true, StringNumbers: true})
			defer h.fake.SetWebhookMode(cmwtest.WebhookMode{})
			id, err := h.fake.Inbound("8888-1111", callmyway.Endpoint{ID: "5002"}, h.short())
			if err != nil {
				return err
			}
			if err := waitFor(ctx, 10*time.Second, "6 deliveries", func() bool {
				n := 0
				for _, d := range h.fake.Deliveries() {
					if d.CallID == id && d.Acked() {
						n++
					}
				}
				return n == 6
			}); err != nil {
				return err
			}
			if h.builtin {
				h.mu.Lock()
				s, e := h.calls[id+"|callStart"], h.calls[id+"|callEnd"]
				h.mu.Unlock()
				if s != 1 || e != 1 {
					return fmt.Errorf("listener saw callStart %d and callEnd %d times, want 1 and 1", s, e)
				}
				c, err := h.ledger.Get(ctx, id)
				if err != nil {
					return err
				}
				if c.Live || c.State != calls.StateEnded {
					return fmt.Errorf("call %s is %s (live %v) after its callEnd, want ended: a ghost live call", id, c.State, c.Live)
				}
			}
			return nil
		}},
		{"CDR sync stores every call exactly once", func(ctx context.Context) error {
			if err := waitFor(ctx, 15*time.Second, "all calls to end", func() bool { return len(h.fake.ActiveCalls()) == 0 }); err != nil {
				return err
			}
			h.fake.GenerateHistory(1500, time.Now().AddDate(0, 0, -3), time.Now().Add(-time.Hour), 3)
			store := cdr.NewMemoryStore()
			s, err := cdr.NewSyncer(h.client, store, cdr.StartAt(time.Now().AddDate(0, 0, -4)))
			if err != nil {
				return err
			}
			for i := 0; ; i++ {
				p, err := s.SyncOnce(ctx)
				if err != nil {
					return err
				}
				if !p.Backfilling || i > 20 {
					break
				}
			}
			want := h.fake.CDRs()
			got := store.Records()
			if len(got) != len(want) {
				return fmt.Errorf("stored %d records, CallMyWay has %d", len(got), len(want))
			}
			ids := map[string]bool{}
			for _, r := range got {
				ids[r.CallID] = true
			}
			for _, r := range want {
				if !ids[r.CallID] {
					return fmt.Errorf("record %s missing", r.CallID)
				}
			}
			return nil
		}},
		{"zero penalties: the 4-second rule was never broken", func(ctx context.Context) error {
			if v := h.fake.Violations(); v != 0 {
				return fmt.Errorf("%d queries closer than 4 s", v)
			}
			return nil
		}},
	}
}

// ackedCallOf waits for the callStart and callEnd of the agent's call,
// among the deliveries after the first seen ones, to be acked.
func (h *fakeHomologation) ackedCallOf(ctx context.Context, agent string, seen int) error {
	var callid string
	if err := waitFor(ctx, 10*time.Second, "the call's callStart", func() bool {
		for _, d := range h.fake.Deliveries()[seen:] {
			if d.Action == "callStart" && strings.Contains(string(d.Body), agent) {
				callid = d.CallID
			}
		}
		return callid != ""
	}); err != nil {
		return err
	}
	if err := h.acked(ctx, callid, "callStart"); err != nil {
		return err
	}
	return h.acked(ctx, callid, "callEnd")
}

// liveScenarios certify the real account.
func liveScenarios(c *callmyway.Client, agent, testNumber, listen, token string, bound time.Duration) []scenario {
	var dialAt time.Time
	var dialled number.Number
	events := make(chan webhook.Event, 64)
	return []scenario{
		{"credentials valid and this IP allow-listed", func(ctx context.Context) error {
			_, err := cdr.Recent(ctx, c)
			switch {
			case errors.Is(err, callmyway.ErrIPNotAllowed):
				return fmt.Errorf("this machine's IP is not allow-listed: ask CallMyWay to add it (%v)", err)
			case errors.Is(err, callmyway.ErrUnauthorized):
				return fmt.Errorf("credentials refused (%v)", err)
			}
			return err
		}},
		{"the 4-second rule is respected between queries", func(ctx context.Context) error {
			t0 := time.Now()
			if _, err := cdr.Recent(ctx, c); err != nil {
				return err
			}
			t1 := time.Now()
			if _, err := cdr.Recent(ctx, c); err != nil {
				return err
			}
			if gap := time.Since(t1); gap < callmyway.QueryInterval-time.Duration(float64(time.Second)*0.1) && t1.Sub(t0) < callmyway.QueryInterval {
				return fmt.Errorf("queries %v apart", gap)
			}
			return nil
		}},
		{"click to dial to the test number accepted", func(ctx context.Context) error {
			if agent == "" || testNumber == "" {
				return errSkip{"give -agent and -test-number"}
			}
			if listen != "" {
				var opts []webhook.Option
				if token != "" {
					opts = append(opts, webhook.WithToken(token))
				}
				h, err := webhook.NewHandler(c.Account(), webhook.ListenerFunc(func(_ context.Context, ev webhook.Event) error {
					select {
					case events <- ev:
					default:
					}
					return nil
				}), opts...)
				if err != nil {
					return err
				}
				ln, err := net.Listen("tcp", listen)
				if err != nil {
					return err
				}
				srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
				go srv.Serve(ln)
				go func() { <-ctx.Done(); srv.Close() }()
			}
			d, err := click2dial.New(c)
			if err != nil {
				return err
			}
			dialAt = time.Now()
			res, err := d.Dial(ctx, click2dial.Request{Agent: callmyway.Endpoint{User: agent}, Number: testNumber})
			dialled = res.Number
			return err
		}},
		{"its webhook reaches the CRM's public URL", func(ctx context.Context) error {
			if dialAt.IsZero() || listen == "" {
				return errSkip{"give -listen (and dial with -agent/-test-number); otherwise check the CRM received the callStart"}
			}
			select {
			case ev := <-events:
				if ev.Call.ID == "" {
					return errors.New("an event without callid")
				}
				return nil
			case <-time.After(bound):
				return fmt.Errorf("no webhook within %v", bound)
			case <-ctx.Done():
				return ctx.Err()
			}
		}},
		{"its CDR appears within the bound", func(ctx context.Context) error {
			if dialAt.IsZero() {
				return errSkip{"no dial was made"}
			}
			deadline := time.Now().Add(bound)
			for time.Now().Before(deadline) {
				recs, err := cdr.Recent(ctx, c)
				if err != nil {
					return err
				}
				for _, r := range recs {
					if !r.DetectTime.Time().Before(dialAt.Add(-time.Minute)) && (strings.HasSuffix(r.DNIS, dialled.Digits()) || strings.HasSuffix(dialled.Digits(), r.DNIS)) {
						return nil
					}
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(15 * time.Second):
				}
			}
			return fmt.Errorf("no CDR within %v", bound)
		}},
	}
}

// printResults writes one table line per result. A reason quotes what the
// CRM answered: it is escaped, so it can neither forge lines nor steer the
// terminal.
func printResults(w io.Writer, results []homologation.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRESULT\tTIME\tREASON")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", safetext.Terminal(r.Name), r.Verdict, r.Duration.Round(time.Millisecond), safetext.Terminal(r.Reason))
	}
	return tw.Flush()
}
