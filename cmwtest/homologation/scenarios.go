package homologation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/number"
)

// ScenarioInfo describes one scenario: its stable ID (for WithScenarios
// and reports), what it proves, and the cmwtest knob a Go test turns to
// reproduce it.
//
// The zero ScenarioInfo names no scenario. It is a plain value, safe to
// copy and to share concurrently.
type ScenarioInfo struct {
	ID, Name, Knob string
}

type scenario struct {
	ScenarioInfo
	run func(e *env, ctx context.Context) error
}

// Scenarios lists every scenario, in the order Run runs them: those that
// move the fake's clock forward come last.
func Scenarios() []ScenarioInfo {
	out := make([]ScenarioInfo, len(scenarios))
	for i, s := range scenarios {
		out[i] = s.ScenarioInfo
	}
	return out
}

var scenarios = []scenario{
	{ScenarioInfo{"duplicates", "every event delivered 3 times is counted once", "cmwtest.WithDeliveryCopies(3)"}, (*env).duplicates},
	{ScenarioInfo{"reversed", "callEnd before callStart leaves an ended call, not a live one", "cmwtest.WithReversedEvents()"}, (*env).reversed},
	{ScenarioInfo{"ring-group", "a ring group with 3 agents rung and 1 answering gives one owner and no phantom missed calls", "Server.Inbound(..., cmwtest.RingGroup(a, b))"}, (*env).ringGroup},
	{ScenarioInfo{"reassigned", "an endpoint reassigned mid-day keeps each call with the agent who had it", "Target.Reassign between two cmwtest calls"}, (*env).reassigned},
	{ScenarioInfo{"withheld", "a withheld number is no number, and two withheld calls stay two calls", `Server.Inbound("", ep)`}, (*env).withheld},
	{ScenarioInfo{"shared", "a number shared by several contacts is not linked to one of them by guess", "WithSharedNumber + Server.Inbound"}, (*env).shared},
	{ScenarioInfo{"zone", "the account's zone, not the server's, reads the provider's times", "cmwtest.WithAccount(callmyway.Account{Location: ...}, pw)"}, (*env).zone},
	{ScenarioInfo{"never-connected", "a dial accepted but never connected is not shown as a call that happened", "cmwtest.Script{Outcome: cmwtest.DialLost}"}, (*env).neverConnected},
	{ScenarioInfo{"query-faults", "a burst of 429s then 5xx on CDR queries: the CDR still arrives and the 4-second rule holds", "cmwtest.WithQueryFaults(...) / Server.FailQueries(3, 429) + FailQueries(2, 503)"}, (*env).queryFaults},
	{ScenarioInfo{"clock-skew", "a provider clock 90 s ahead loses no call", "cmwtest.WithClockSkew(90*time.Second) / Server.SetClockSkew"}, (*env).clockSkew},
	{ScenarioInfo{"late-cdr", "a CDR that arrives late and then with a changed cost: the ledger shows the latest cost", "cmwtest.WithCDRDelay(d) + Server.ReviseCDR"}, (*env).lateCDR},
	{ScenarioInfo{"outage", "a 10-minute webhook outage: its calls are backfilled from the CDR and flagged webhook-missed", "Server.WebhookOutage(10*time.Minute) / cmwtest.WithWebhookOutage"}, (*env).outage},
	{ScenarioInfo{"redelivery", "every event re-delivered 1 h later changes nothing", "cmwtest.WithRedeliveryAfter(time.Hour) + JumpClock.Advance"}, (*env).redelivery},
}

// env is one Run's state.
type env struct {
	r       *Runner
	t       Target
	ledger  *ledgerClient
	cdrWait time.Duration
	res     *Result
	why     string // the reason of a PASS: what was verified
	noSync  bool   // Target.Sync answered ErrHookNotImplemented: the CRM's own Syncer runs
}

// failure is a scenario's FAIL verdict: the CRM did the wrong thing.
type failure struct{ reason string }

func (f *failure) Error() string { return f.reason }

func failf(format string, args ...any) error { return &failure{fmt.Sprintf(format, args...)} }

// skipped is a SKIP verdict: the Target lacks what the scenario needs.
type skipped struct{ reason string }

func (s *skipped) Error() string { return s.reason }

// hookErr is the verdict on an error of hook what: a SKIP when the CRM
// does not offer the hook, else the error.
func hookErr(what string, err error) error {
	if errors.Is(err, ErrHookNotImplemented) {
		return &skipped{fmt.Sprintf("the CRM does not offer the hook %s: %v", what, err)}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Script of every call the runner places: short, in real time.
var short = cmwtest.Script{Ring: 100 * time.Millisecond, Talk: 1100 * time.Millisecond}

func (e *env) run(ctx context.Context, s scenario) Result {
	start := time.Now()
	n0 := len(e.r.fake.Deliveries())
	res := Result{ID: s.ID, Name: s.Name, Knob: s.Knob}
	e.res, e.why = &res, ""
	e.ledger.reads = &res.Ledger
	err := s.run(e, ctx)
	e.r.fake.SetWebhookMode(cmwtest.WebhookMode{})
	e.r.fake.SetCDRDelay(0)
	var f *failure
	var sk *skipped
	switch {
	case err == nil:
		res.Verdict, res.Reason = Pass, e.why
		if res.Reason == "" {
			res.Reason = "as expected"
		}
	case errors.As(err, &sk):
		res.Verdict, res.Reason = Skip, sk.reason
	case errors.As(err, &f):
		res.Verdict, res.Reason = Fail, f.reason
	default:
		res.Verdict, res.Reason = Fail, "the scenario could not complete: "+err.Error()
	}
	ds := e.r.fake.Deliveries()
	if n0 > len(ds) { // the fake's log was trimmed
		n0 = 0
	}
	for _, d := range ds[n0:] {
		res.Sent = append(res.Sent, Sent{At: d.At, Action: d.Action, CallID: d.CallID, Attempt: d.Attempt, Redelivery: d.Redelivery,
			Lost: d.Lost, Body: string(d.Body), Status: d.Status, Answer: d.Answer, Err: d.Err})
	}
	res.Duration = time.Since(start)
	res.ProviderAhead = e.r.clock.Offset() + e.r.fake.ClockSkew()
	e.res = nil
	return res
}

// pass sets the reason of a PASS and returns nil.
func (e *env) pass(format string, args ...any) error {
	e.why = fmt.Sprintf(format, args...)
	return nil
}

func (e *env) step(format string, args ...any) {
	e.res.Steps = append(e.res.Steps, fmt.Sprintf(format, args...))
}

// endpoints returns n phones of the fake that are not private.
func (e *env) endpoints(n int) ([]callmyway.Endpoint, error) {
	var out []callmyway.Endpoint
	for _, ep := range e.r.fake.Endpoints() {
		if !ep.Private && len(out) < n {
			out = append(out, ep.Endpoint)
		}
	}
	if len(out) < n {
		return nil, fmt.Errorf("the fake has %d public endpoints, the scenario needs %d", len(out), n)
	}
	return out, nil
}

// e164 is n in E.164 in the account's region.
func (e *env) e164(n string) string {
	p, err := number.Parse(n, e.r.cfg.acct.Region)
	if err != nil {
		return n
	}
	return p.E164
}

// inbound places an inbound call, waits for it to end and for its
// webhooks to be delivered, and returns its callid.
func (e *env) inbound(ctx context.Context, from string, to callmyway.Endpoint, opts ...cmwtest.CallOption) (string, error) {
	id, err := e.r.fake.Inbound(from, to, append([]cmwtest.CallOption{cmwtest.WithScript(short)}, opts...)...)
	if err != nil {
		return "", err
	}
	shown := from
	if shown == "" {
		shown = "a withheld number"
	}
	e.step("inbound call %s from %s to endpoint %s", id, shown, to)
	return id, e.settle(ctx, id)
}

// settle waits until no call is in progress, id's CDR is written (when
// id is given) and every webhook is delivered.
func (e *env) settle(ctx context.Context, id string) error {
	if err := waitUntil(ctx, 15*time.Second, func() (bool, error) {
		if len(e.r.fake.ActiveCalls()) > 0 {
			return false, nil
		}
		if id == "" {
			return true, nil
		}
		for _, r := range e.r.fake.CDRs() {
			if r.CallID == id {
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		return fmt.Errorf("waiting for the simulated call to end: %w", err)
	}
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.r.fake.Flush(fctx); err != nil {
		return fmt.Errorf("delivering the webhooks: %w", err)
	}
	return nil
}

// inboundAcked places an inbound call (as inbound does) and waits until
// the CRM acked every delivery of its events (as acked does).
func (e *env) inboundAcked(ctx context.Context, from string, to callmyway.Endpoint, opts ...cmwtest.CallOption) (string, error) {
	id, err := e.inbound(ctx, from, to, opts...)
	if err != nil {
		return "", err
	}
	return id, e.acked(id)
}

// acked checks every delivery of the calls was acked, lost ones aside.
func (e *env) acked(ids ...string) error {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	n := 0
	for _, d := range e.r.fake.Deliveries() {
		if !want[d.CallID] || d.Lost {
			continue
		}
		n++
		if !d.Acked() {
			what := fmt.Sprintf("HTTP %d %q", d.Status, strings.TrimSpace(d.Answer))
			if d.Err != "" {
				what = d.Err
			}
			return failf("the CRM did not ack %s of call %s (attempt %d): %s; want 2xx {\"ack\":\"ok\"}", d.Action, d.CallID, d.Attempt, what)
		}
	}
	if n == 0 {
		return fmt.Errorf("no delivery of call(s) %s was made", strings.Join(ids, ", "))
	}
	return nil
}

// mustGet reads a call that must be in the ledger.
func (e *env) mustGet(ctx context.Context, id string) (calls.Call, error) {
	c, found, err := e.ledger.get(ctx, id)
	if err != nil {
		return c, err
	}
	if !found {
		return c, failf("the CRM's ledger has no call %s", id)
	}
	return c, nil
}

// ended checks the call is over and not live.
func ended(c calls.Call) error {
	if c.Live || (c.State != calls.StateEnded && c.State != calls.StateFinal) {
		return failf("call %s is %s (live %v) after its callEnd: want ended and not live", c.ID, c.State, c.Live)
	}
	return nil
}

// once checks the call holds each webhook event of callid once.
func once(c calls.Call, callid string) error {
	n := map[calls.Action]int{}
	for _, ev := range c.Events {
		if ev.CallID == callid {
			n[ev.Action]++
		}
	}
	for _, a := range []calls.Action{calls.ActionStart, calls.ActionEnd} {
		if n[a] != 1 {
			return failf("call %s holds its %s event %d times: want once (de-duplicate by callid and action)", c.ID, a, n[a])
		}
	}
	return nil
}

// syncUntil makes the CRM sync CDRs (Target.Sync, or its own Syncer)
// until cond holds or the CDR wait is over.
func (e *env) syncUntil(ctx context.Context, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(e.cdrWait)
	for i := 1; ; i++ {
		if e.t.Sync != nil && !e.noSync {
			switch err := e.t.Sync(ctx); {
			case errors.Is(err, ErrHookNotImplemented):
				e.noSync = true
				e.step("the CRM offers no sync hook (%v): waiting for its own CDR Syncer", err)
			case err != nil:
				e.step("CDR sync %d: %v", i, err)
			default:
				e.step("CDR sync %d", i)
			}
		}
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return failf("%s: not within %v of CDR syncs", what, e.cdrWait)
		}
		if e.t.Sync == nil || e.noSync {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
}

// cdrIn waits for call id's CDR to reach the ledger and returns the call.
func (e *env) cdrIn(ctx context.Context, id string) (calls.Call, error) {
	var c calls.Call
	err := e.syncUntil(ctx, "the CDR of call "+id+" never reached the ledger", func() (bool, error) {
		var found bool
		var err error
		c, found, err = e.ledger.get(ctx, id)
		return found && c.CDRSeen, err
	})
	return c, err
}

func waitUntil(ctx context.Context, d time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (e *env) duplicates(ctx context.Context) error {
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	e.r.fake.SetWebhookMode(cmwtest.WebhookMode{Duplicates: 2})
	e.step("every event delivered 3 times")
	id, err := e.inboundAcked(ctx, "7000-0001", eps[0])
	if err != nil {
		return err
	}
	c, err := e.mustGet(ctx, id)
	if err != nil {
		return err
	}
	if err := once(c, id); err != nil {
		return err
	}
	if c.Duration > 2*time.Second {
		return failf("call %s lasts %v: the 1 s call was counted more than once", id, c.Duration)
	}
	if err := ended(c); err != nil {
		return err
	}
	return e.pass("6 deliveries acked; the ledger holds callStart and callEnd once, %v long, %s and not live", c.Duration, c.State)
}

func (e *env) reversed(ctx context.Context) error {
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	e.r.fake.SetWebhookMode(cmwtest.WebhookMode{EndBeforeStart: true})
	e.step("each callStart held back and sent after its callEnd")
	id, err := e.inboundAcked(ctx, "7000-0002", eps[0])
	if err != nil {
		return err
	}
	c, err := e.mustGet(ctx, id)
	if err != nil {
		return err
	}
	if err := ended(c); err != nil {
		return failf("%v: the late callStart brought it back to life", err)
	}
	if c.Connect.IsZero() || c.Disconnect.IsZero() {
		return failf("call %s lost its times (connect %v, disconnect %v) when the callStart came last", id, c.Connect, c.Disconnect)
	}
	return e.pass("the callStart that came after the callEnd left call %s %s, not live, with its connect and disconnect times", id, c.State)
}

func (e *env) ringGroup(ctx context.Context) error {
	eps, err := e.endpoints(3)
	if err != nil {
		return err
	}
	answering := eps[1]
	from := "7000-0003"
	id, err := e.inbound(ctx, from, answering, cmwtest.RingGroup(eps[0], eps[2]))
	if err != nil {
		return err
	}
	e.step("endpoint %s answered; %s and %s rang and were cancelled", answering, eps[0], eps[2])
	var legs []string
	for _, d := range e.r.fake.Deliveries() {
		if d.Action == "callStart" && strings.Contains(string(d.Body), digits(from)) {
			legs = append(legs, d.CallID)
		}
	}
	if err := e.acked(legs...); err != nil {
		return err
	}
	e.step("parent callid %s, legs %s", id, strings.Join(legs, ", "))
	want := e.e164(from)
	var mine []calls.Call
	if err := e.syncUntil(ctx, "the ring group's CDRs never reached the ledger", func() (bool, error) {
		// A wide window: a CRM that reads times in the wrong zone fails
		// the zone scenario, not this one.
		list, err := e.ledger.list(ctx, e.r.fake.Now().Add(-26*time.Hour), e.r.fake.Now().Add(26*time.Hour))
		if err != nil {
			return false, err
		}
		mine = mine[:0]
		all := true
		for _, c := range list {
			if c.Number == want {
				mine = append(mine, c)
				all = all && c.CDRSeen
			}
		}
		return len(mine) > 0 && all, nil
	}); err != nil {
		return err
	}
	if len(mine) != 1 {
		ids := make([]string, len(mine))
		for i, c := range mine {
			ids[i] = c.ID + " (" + string(c.State) + ", " + string(c.Outcome) + ", agent " + c.Agent.String() + ")"
		}
		return failf("the ledger holds %d calls from %s, want 1 (the ring group's): %s", len(mine), want, strings.Join(ids, "; "))
	}
	c := mine[0]
	if !c.Agent.Same(answering) {
		return failf("the call is credited to %s, want the phone that answered, %s", c.Agent, answering)
	}
	if len(c.Rung) != 3 {
		return failf("the call rang %d phones per the ledger (%v), want 3", len(c.Rung), c.Rung)
	}
	if c.Outcome != calls.OutcomeAnswered {
		return failf("the call's outcome is %q, want answered", c.Outcome)
	}
	return e.pass("one call %s from %s, answered, owned by %s, %d phones rung; no other call from that number", c.ID, want, c.Agent, len(c.Rung))
}

func (e *env) reassigned(ctx context.Context) error {
	if e.t.Reassign == nil || e.t.Owner == nil {
		return &skipped{"the target has no Reassign and Owner hooks (a CRM's own test provides them: see Target)"}
	}
	eps, err := e.endpoints(3)
	if err != nil {
		return err
	}
	ep := eps[2]
	a, err := e.inboundAcked(ctx, "7000-0004", ep)
	if err != nil {
		return err
	}
	before, err := e.t.Owner(ctx, a)
	if err != nil {
		return hookErr("Owner("+a+")", err)
	}
	if before == "" {
		return failf("the CRM credits call %s on %s to no agent", a, ep)
	}
	// Provider times have whole seconds: the reassignment falls on one,
	// after call A and before call B.
	at := e.r.fake.Now().Truncate(time.Second).Add(time.Second)
	e.r.clock.Advance(at.Sub(e.r.fake.Now()) + time.Millisecond)
	if err := e.t.Reassign(ctx, ep, at); err != nil {
		return hookErr("Reassign("+ep.String()+")", err)
	}
	e.step("call %s credited to %q; endpoint %s reassigned at %s", a, before, ep, at.Format(time.RFC3339))
	b, err := e.inboundAcked(ctx, "7000-0005", ep)
	if err != nil {
		return err
	}
	after, err := e.t.Owner(ctx, a)
	if err != nil {
		return fmt.Errorf("Owner(%s): %w", a, err)
	}
	owner, err := e.t.Owner(ctx, b)
	if err != nil {
		return fmt.Errorf("Owner(%s): %w", b, err)
	}
	e.step("after the reassignment: call %s credited to %q, call %s to %q", a, after, b, owner)
	switch {
	case after != before:
		return failf("the morning's call %s moved from %q to %q with the endpoint: past calls stay with who had the phone then", a, before, after)
	case owner == "" || owner == before:
		return failf("the afternoon's call %s is credited to %q: want the endpoint's new agent", b, owner)
	}
	return e.pass("call %s stays with %q after the reassignment; call %s goes to %q", a, before, b, owner)
}

func (e *env) withheld(ctx context.Context) error {
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	var ids []string
	for range 2 {
		id, err := e.inbound(ctx, "", eps[0])
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := e.acked(ids...); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, id := range ids {
		c, err := e.mustGet(ctx, id)
		if err != nil {
			return err
		}
		if c.Number != "" {
			return failf("the withheld call %s has number %q: a withheld caller has no number", id, c.Number)
		}
		if seen[c.ID] {
			return failf("the two withheld calls %s are one call %s in the ledger", strings.Join(ids, " and "), c.ID)
		}
		seen[c.ID] = true
	}
	return e.pass("calls %s are two calls in the ledger, both without a number", strings.Join(ids, " and "))
}

func (e *env) shared(ctx context.Context) error {
	eps, err := e.endpoints(2)
	if err != nil {
		return err
	}
	id, err := e.inboundAcked(ctx, e.r.cfg.shared, eps[1])
	if err != nil {
		return err
	}
	c, err := e.mustGet(ctx, id)
	if err != nil {
		return err
	}
	if want := e.e164(e.r.cfg.shared); c.Number != want {
		return failf("the call's number is %q, want %s", c.Number, want)
	}
	if c.Contact != "" || c.Case != "" {
		return failf("the CRM linked the call to contact %q (case %q) by itself: %s is shared by several contacts, the agent picks", c.Contact, c.Case, e.r.cfg.shared)
	}
	return e.pass("call %s from %s is in the ledger with no contact chosen for the agent", id, c.Number)
}

func (e *env) zone(ctx context.Context) error {
	acct := e.r.cfg.acct
	now := time.Now()
	_, acctOff := now.In(acct.Location).Zone()
	_, localOff := now.Zone()
	if acctOff == localOff {
		return &skipped{fmt.Sprintf("the account's zone %s and this machine's %s have the same offset now: certify with an account zone that differs", acct.Location, localZone())}
	}
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	id, err := e.inboundAcked(ctx, "7000-0006", eps[0])
	if err != nil {
		return err
	}
	var want time.Time
	for _, r := range e.r.fake.CDRs() {
		if r.CallID == id {
			want = r.DetectTime
		}
	}
	c, err := e.mustGet(ctx, id)
	if err != nil {
		return err
	}
	e.step("the provider wrote detect_time %s (zone %s); the machine's zone is %s", want.In(acct.Location).Format(callmyway.TimeLayout), acct.Location, localZone())
	if d := c.Detect.Sub(want); d < -time.Second || d > time.Second {
		return failf("the ledger says the call was detected at %s, the provider at %s (off by %v): read provider times in the account's zone %s",
			c.Detect.UTC().Format(time.RFC3339), want.UTC().Format(time.RFC3339), d.Round(time.Second), acct.Location)
	}
	return e.pass("the ledger's detect time %s is the provider's instant (read in %s, not in the machine's %s)", c.Detect.UTC().Format(time.RFC3339), acct.Location, localZone())
}

func (e *env) neverConnected(ctx context.Context) error {
	if e.t.Dial == nil {
		return &skipped{"the target has no Dial hook (a CRM's own test provides one: see Target)"}
	}
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	const to = "7000-0007"
	e.r.fake.ScriptNext(cmwtest.Script{Outcome: cmwtest.DialLost})
	before := time.Now()
	if err := e.t.Dial(ctx, eps[0], to); err != nil {
		if errors.Is(err, ErrHookNotImplemented) {
			return hookErr("Dial", err)
		}
		return failf("the CRM's dial of %s failed: %v", to, err)
	}
	e.step("the CRM dialled %s for %s: CallMyWay answered OK and never placed the call", to, eps[0])
	list, err := e.ledger.list(ctx, before.Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		return err
	}
	want := e.e164(to)
	var mine []calls.Call
	for _, c := range list {
		if c.Number == want {
			mine = append(mine, c)
		}
	}
	if len(mine) != 1 {
		return failf("the ledger holds %d calls to %s after one accepted dial, want 1 (the dial)", len(mine), want)
	}
	c := mine[0]
	switch {
	case c.State != calls.StateRequested:
		return failf("the accepted dial is %s in the ledger: accepted is not connected, want requested", c.State)
	case c.Outcome != calls.OutcomePending && c.Outcome != calls.OutcomeNeverArrived:
		return failf("the accepted dial's outcome is %q: want pending, then never_arrived", c.Outcome)
	case !c.Connect.IsZero() || c.Duration > 0 || !c.Cost.IsZero():
		return failf("the accepted dial shows connect %v, duration %v, cost %s: it never connected", c.Connect, c.Duration, c.Cost)
	case c.WebhookSeen || c.CDRSeen:
		return failf("the accepted dial claims a webhook (%v) or a CDR (%v) that never came", c.WebhookSeen, c.CDRSeen)
	}
	outcome := string(c.Outcome)
	if outcome == "" {
		outcome = "pending until the ledger's never-arrived bound"
	}
	return e.pass("the dial is %s in the ledger (outcome %s): no connect, no cost, no webhook, no CDR", c.State, outcome)
}

// The query-faults burst: this many 429s, then this many 503s.
const (
	burst429 = 3
	burst5xx = 2
)

func (e *env) queryFaults(ctx context.Context) error {
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	id, err := e.inboundAcked(ctx, "7000-0009", eps[0])
	if err != nil {
		return err
	}
	v0, q0 := e.r.fake.Violations(), e.r.fake.RequestCount("/getCdrs.php")
	e.r.fake.FailQueries(burst429, cmwtest.Fault{Kind: cmwtest.FaultRateLimited, Delay: callmyway.QueryInterval})
	e.r.fake.FailQueries(burst5xx, cmwtest.Fault{Kind: cmwtest.Fault5xx, Status: http.StatusServiceUnavailable})
	e.step("the next %d CDR queries answer 429 (Retry-After 4), the %d after them 503", burst429, burst5xx)
	// Every query of the burst waits out the 4-second rule: give the CRM
	// that much more time than for one CDR.
	wait := e.cdrWait
	e.cdrWait += (burst429 + burst5xx) * callmyway.QueryInterval
	defer func() { e.cdrWait = wait }()
	if _, err := e.cdrIn(ctx, id); err != nil {
		return err
	}
	q := e.r.fake.RequestCount("/getCdrs.php") - q0
	v := e.r.fake.Violations() - v0
	e.step("%d CDR queries, %d of them less than 4 s after the previous one", q, v)
	if q <= burst429+burst5xx {
		return fmt.Errorf("only %d CDR queries were made: the burst of %d faults was not all met", q, burst429+burst5xx)
	}
	if v > 0 {
		return failf("%d CDR queries came less than 4 s after the previous one: a retry after a 429 or 5xx must wait out the 4-second rule", v)
	}
	return e.pass("after %d 429s and %d 503s in a row the CDR of call %s reached the ledger in %d queries, none early", burst429, burst5xx, id, q)
}

func (e *env) clockSkew(ctx context.Context) error {
	eps, err := e.endpoints(2)
	if err != nil {
		return err
	}
	// The skew stays for the scenarios after this one: a provider clock
	// set back would be a fault of its own.
	if err := e.r.fake.SetClockSkew(skew); err != nil {
		return err
	}
	e.step("the provider's clock runs %v ahead (Server.SetClockSkew)", skew)
	id, err := e.inboundAcked(ctx, "7000-0010", eps[1])
	if err != nil {
		return err
	}
	c, err := e.mustGet(ctx, id)
	if err != nil {
		return failf("%v: the call's times are %v ahead of the CRM's clock, which must not make it drop it", err, skew)
	}
	if err := ended(c); err != nil {
		return err
	}
	c, err = e.cdrIn(ctx, id)
	if err != nil {
		return err
	}
	if err := ended(c); err != nil {
		return err
	}
	return e.pass("call %s, stamped %v ahead of real time, is in the ledger, ended, with its CDR", id, skew)
}

// skew is how far ahead the provider's clock runs from clock-skew on.
const skew = 90 * time.Second

// The costs of late-cdr: the first rating of the call, then the
// re-rating.
var (
	firstCost   = decimal.RequireFromString("0.1250")
	revisedCost = decimal.RequireFromString("0.1700")
)

func (e *env) lateCDR(ctx context.Context) error {
	eps, err := e.endpoints(1)
	if err != nil {
		return err
	}
	const delay = 3 * time.Minute
	e.r.fake.SetCDRDelay(delay)
	id, err := e.inboundAcked(ctx, "7000-0011", eps[0])
	if err != nil {
		return err
	}
	// An inbound call costs nothing at the fake: rate it, so the first
	// CDR's cost differs from the callEnd's and from a zero cost.
	if err := e.r.fake.ReviseCDR(id, firstCost.StringFixed(4)); err != nil {
		return err
	}
	e.r.clock.Advance(delay)
	e.step("the CDR, cost %s (the callEnd said %s), is published %v after the call (clock moved ahead)", firstCost.StringFixed(4), e.endCost(id), delay)
	c, err := e.cdrIn(ctx, id)
	if err != nil {
		return err
	}
	if !c.Cost.Equal(firstCost) {
		return failf("the ledger shows cost %s, the late CDR says %s", c.Cost, firstCost.StringFixed(4))
	}
	if err := e.r.fake.ReviseCDR(id, revisedCost.StringFixed(4)); err != nil {
		return err
	}
	e.r.clock.Advance(delay)
	e.step("CallMyWay re-rated the call: its CDR now says cost %s (was %s), published %v later", revisedCost.StringFixed(4), firstCost.StringFixed(4), delay)
	if err := e.syncUntil(ctx, fmt.Sprintf("the ledger still shows cost %s after the CDR was revised to %s", firstCost.StringFixed(4), revisedCost.StringFixed(4)), func() (bool, error) {
		c, err := e.mustGet(ctx, id)
		if err != nil {
			return false, err
		}
		return c.Cost.Equal(revisedCost), nil
	}); err != nil {
		return err
	}
	return e.pass("the late CDR brought cost %s, then the revision %s replaced it", firstCost.StringFixed(4), revisedCost.StringFixed(4))
}

// endCost is the cost the callEnd of call id carried ("?" if none was sent).
func (e *env) endCost(id string) string {
	for _, d := range e.r.fake.Deliveries() {
		if d.CallID == id && d.Action == "callEnd" {
			var ev struct {
				Data struct {
					Cost json.Number `json:"cost"`
				} `json:"data"`
			}
			if json.Unmarshal(d.Body, &ev) == nil && ev.Data.Cost != "" {
				return ev.Data.Cost.String()
			}
		}
	}
	return "?"
}

func (e *env) outage(ctx context.Context) error {
	eps, err := e.endpoints(3)
	if err != nil {
		return err
	}
	end := e.r.fake.WebhookOutage(10 * time.Minute)
	e.step("webhook outage until %s (10 minutes of the provider's clock): events are lost, never retried", end.Format(time.RFC3339))
	id, err := e.inbound(ctx, "7000-0012", eps[2])
	if err != nil {
		return err
	}
	for _, d := range e.r.fake.Deliveries() {
		if d.CallID == id && !d.Lost {
			return fmt.Errorf("a delivery of call %s escaped the outage", id)
		}
	}
	e.r.clock.Advance(end.Sub(e.r.fake.Now()) + time.Second)
	e.step("the outage is over; the call exists only in the CDR")
	c, err := e.cdrIn(ctx, id)
	if err != nil {
		return err
	}
	if c.WebhookSeen || !c.WebhookMissed() {
		return failf("call %s is not flagged: webhook_seen is %v though no webhook reached the CRM (want WebhookMissed)", id, c.WebhookSeen)
	}
	if c.Live {
		return failf("the backfilled call %s counts as live", id)
	}
	return e.pass("call %s, whose webhooks were lost, was backfilled from its CDR and flagged: webhook_seen false, cdr_seen true", id)
}

func (e *env) redelivery(ctx context.Context) error {
	eps, err := e.endpoints(2)
	if err != nil {
		return err
	}
	e.r.fake.SetWebhookMode(cmwtest.WebhookMode{RedeliverAfter: time.Hour})
	id, err := e.inboundAcked(ctx, "7000-0013", eps[1])
	if err != nil {
		return err
	}
	first, err := e.mustGet(ctx, id)
	if err != nil {
		return err
	}
	e.r.clock.Advance(time.Hour + time.Second)
	e.step("an hour later (clock moved ahead) CallMyWay delivers both events again")
	if err := e.settle(ctx, ""); err != nil {
		return err
	}
	n := 0
	for _, d := range e.r.fake.Deliveries() {
		if d.CallID == id && d.Redelivery {
			n++
		}
	}
	if n != 2 {
		return fmt.Errorf("%d re-deliveries were made, want 2", n)
	}
	if err := e.acked(id); err != nil {
		return err
	}
	c, err := e.mustGet(ctx, id)
	if err != nil {
		return err
	}
	if err := once(c, id); err != nil {
		return err
	}
	if err := ended(c); err != nil {
		return failf("%v: the re-delivered callStart revived it", err)
	}
	if c.Duration != first.Duration || !c.Cost.Equal(first.Cost) {
		return failf("the re-delivery changed the call: duration %v → %v, cost %s → %s", first.Duration, c.Duration, first.Cost, c.Cost)
	}
	return e.pass("both events delivered again an hour later were acked; call %s is unchanged, %s, each event once", id, c.State)
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
