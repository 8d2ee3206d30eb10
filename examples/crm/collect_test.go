package main

import (
	"bytes"
	"context"
	encodingcsv "encoding/csv"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/policy"
)

// newCollectApp is newTestApp with the contact policy's settings.
func newCollectApp(t *testing.T, set func(*Config)) *testApp {
	t.Helper()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	loc, _ := time.LoadLocation("America/Costa_Rica")
	cfg := Config{DB: filepath.Join(t.TempDir(), "crm.db"), Demo: true, Loc: loc, Region: "CR",
		WebhookPath: "/cmw/hook", WebhookToken: "test-token-0123456789", PublicURL: srv.URL}
	set(&cfg)
	app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	routes, err := app.Routes()
	require.NoError(t, err)
	h.Store(routes)
	return &testApp{App: app, srv: srv, client: &http.Client{Jar: &cookieJar{}}}
}

// oneAttemptPerWeek is a policy allowing one dial per customer a week.
func oneAttemptPerWeek(c *Config) {
	c.Policy = policy.Limits{MaxAttempts: 1, Window: 7 * 24 * time.Hour}
}

// dialForm is a case file's click on a contact's number.
func dialForm(cu CustomerRow) url.Values {
	co := cu.Contacts[0]
	return url.Values{"customer_id": {cu.ID}, "dial": {co.ID + " " + co.Phones[0].E164}}
}

// A dial over the cap is refused with a translated sentence naming the
// rule and the next allowed time (the first dial's plus the window, in the
// account's zone), on the console's JSON answer and on the case file.
func TestPolicyRefusalIsTranslated(t *testing.T) {
	a := newCollectApp(t, oneAttemptPerWeek)
	ana, beto := a.as(t, "ana"), a.as(t, "beto")
	cu := mustCustomer(t, a, "Comercial Solís")
	code, body := ana.post(t, "/dial", dialForm(cu), "Accept", "application/json")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "Solicitud aceptada")

	var first time.Time
	for c, err := range a.ledger.Calls(context.Background(), calls.Query{Case: cu.ID}) {
		require.NoError(t, err)
		first = c.Admission.At
	}
	require.False(t, first.IsZero(), "the dial was admitted by the policy")
	next := a.when(first.Add(7 * 24 * time.Hour))

	code, js := beto.postJSON(t, "/dial", dialForm(cu), "Accept", "application/json")
	assert.Equal(t, http.StatusConflict, code)
	assert.Equal(t, "Política de contacto: se alcanzó el máximo de intentos para este cliente. Próximo intento permitido: "+next+".", js["error"])
	assert.Equal(t, "max-attempts", js["rule"])
	assert.Equal(t, false, js["can_override"], "an agent cannot override")
	_, js = beto.postJSON(t, "/dial", dialForm(cu), "Accept", "application/json", "Accept-Language", "en")
	assert.Equal(t, "Contact policy: the maximum number of attempts for this customer was reached. Next attempt allowed: "+next+".", js["error"])

	// The case file's form: back to the case file with the refusal.
	code, loc := beto.location(t, "/dial", dialForm(cu))
	require.Equal(t, http.StatusSeeOther, code)
	require.True(t, strings.HasPrefix(loc, "/customers/"+cu.ID+"?"), loc)
	_, page := beto.get(t, loc)
	assert.Contains(t, page, `id="refusal" data-rule="max-attempts"`)
	assert.Contains(t, page, "Próximo intento permitido: "+next)
	assert.NotContains(t, page, `id="override"`, "agents get no override form")
	// The refusals are on the case file's attempts, and nothing else of
	// the URL is echoed.
	assert.Contains(t, page, "Rechazado por la política")
	_, page = beto.get(t, "/customers/"+cu.ID+"?refused=<script>&next=1")
	assert.NotContains(t, page, `id="refusal"`)
}

// A supervisor overrides a refusal with a reason; the override is on the
// case file's attempts. An agent's override is refused (403), and an
// override needs a reason.
func TestPolicyOverride(t *testing.T) {
	a := newCollectApp(t, oneAttemptPerWeek)
	require.NoError(t, a.db.SetAgent(context.Background(), a.userID(t, "super"), a.agentID(t, "Carla")))
	ana, beto, super := a.as(t, "ana"), a.as(t, "beto"), a.as(t, "super")
	cu := mustCustomer(t, a, "Familia Mora")
	_, body := ana.post(t, "/dial", dialForm(cu), "Accept", "application/json")
	require.Contains(t, body, "Solicitud aceptada")

	// An agent may not override.
	f := dialForm(cu)
	f.Set("override", "1")
	f.Set("override_reason", "promesa de pago hoy")
	code, js := beto.postJSON(t, "/dial", f, "Accept", "application/json")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, js["error"], "Solo un supervisor")

	// The supervisor sees the override form, and needs a reason.
	code, loc := super.location(t, "/dial", dialForm(cu))
	require.Equal(t, http.StatusSeeOther, code)
	_, page := super.get(t, loc)
	assert.Contains(t, page, `id="override"`)
	noReason := dialForm(cu)
	noReason.Set("override", "1")
	_, js = super.postJSON(t, "/dial", noReason, "Accept", "application/json")
	assert.Contains(t, js["message"], "Escriba el motivo")

	_, js = super.postJSON(t, "/dial", f, "Accept", "application/json")
	assert.Contains(t, js["message"], "Solicitud aceptada", js)
	_, page = super.get(t, "/customers/"+cu.ID)
	assert.Contains(t, page, "Autorizado por supervisor")
	assert.Contains(t, page, "autorizó super: <q>promesa de pago hoy</q>")
	n := 0
	for c, err := range a.ledger.Calls(context.Background(), calls.Query{Case: cu.ID, Refusals: true}) {
		require.NoError(t, err)
		if c.Admission.Overridden() {
			n++
			assert.Equal(t, "max-attempts", c.Admission.Rule)
			assert.Equal(t, a.userID(t, "super"), c.Admission.OverrideBy)
		}
	}
	assert.Equal(t, 1, n, "one override in the ledger")
}

// Agents mark a customer do-not-call (with a zone and limits of its own);
// the dial is refused with no next time; supervisors only read it.
func TestDoNotCallEdit(t *testing.T) {
	a := newCollectApp(t, func(*Config) {})
	ana, super := a.as(t, "ana"), a.as(t, "super")
	cu := mustCustomer(t, a, "Transportes Vega")
	path := "/customers/" + cu.ID + "/policy"

	code, page := ana.post(t, path, url.Values{"zone": {"Mars/Olympus"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, page, "Zona horaria desconocida")
	code, page = ana.post(t, path, url.Values{"max_attempts": {"-2"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, page, "Los límites deben ser números enteros")

	code, loc := ana.location(t, path, url.Values{"do_not_call": {"1"}, "zone": {"America/Mexico_City"}, "max_attempts": {"5"}, "cooldown_hours": {"2"}})
	require.Equal(t, http.StatusSeeOther, code)
	_, page = ana.get(t, loc)
	assert.Contains(t, page, "Política de contacto del cliente guardada.")
	assert.Contains(t, page, `id="dnc-badge"`)
	assert.Contains(t, page, `name="do_not_call" value="1" id="do-not-call" checked`)
	assert.Contains(t, page, `value="America/Mexico_City"`)
	assert.Contains(t, page, "Política de contacto: el cliente pidió no ser llamado. No se puede volver a llamar", "the case file says it now")

	got, err := policyCustomers{db: a.db}.Customer(context.Background(), policy.Subject{Contact: cu.Contacts[0].ID})
	require.NoError(t, err)
	assert.True(t, got.DoNotCall)
	require.NotNil(t, got.Zone)
	assert.Equal(t, "America/Mexico_City", got.Zone.String())
	require.NotNil(t, got.Limits)
	assert.Equal(t, 5, got.Limits.MaxAttempts)
	assert.Equal(t, 2*time.Hour, got.Limits.Cooldown)

	code, js := ana.postJSON(t, "/dial", dialForm(cu), "Accept", "application/json")
	assert.Equal(t, http.StatusConflict, code)
	assert.Equal(t, "do-not-call", js["rule"])
	assert.Equal(t, "", js["next_allowed"])
	_, js = ana.postJSON(t, "/dial", url.Values{"number": {"+52 55 1234 5678"}, "contact_id": {cu.Contacts[0].ID}}, "Accept", "application/json", "Accept-Language", "en")
	assert.Equal(t, "Contact policy: the customer asked not to be called. No call is allowed while it stays marked so.", js["error"], "from the customers page too")

	code, loc = ana.location(t, "/dial", url.Values{"number": {"+52 55 1234 5678"}, "contact_id": {cu.Contacts[0].ID}})
	require.Equal(t, http.StatusSeeOther, code)
	require.True(t, strings.HasPrefix(loc, "/customers?") && strings.Contains(loc, "refused=do-not-call"), loc)
	_, page = ana.get(t, loc)
	assert.Contains(t, page, "Política de contacto: el cliente pidió no ser llamado.", "on the customers page")

	code, _ = super.post(t, path, url.Values{"do_not_call": {""}})
	assert.Equal(t, http.StatusForbidden, code)
	_, page = super.get(t, "/customers/"+cu.ID)
	assert.Contains(t, page, `id="policy-ro"`)
	assert.NotContains(t, page, `id="policy-form"`)

	// Cleared again: the dial goes.
	_, _ = ana.location(t, path, url.Values{})
	_, body := ana.post(t, "/dial", dialForm(cu), "Accept", "application/json")
	assert.Contains(t, body, "Solicitud aceptada")
}

// The case file's costs are casefile.Costs' exact figures for the case,
// and the CSV exports (supervisors and admins) start with a BOM and
// neutralise formulas.
func TestCaseCostsAndCSVs(t *testing.T) {
	a := newCollectApp(t, oneAttemptPerWeek)
	cu := mustCustomer(t, a, "Comercial Solís")
	now := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	num := cu.Contacts[0].Phones[0].E164
	for i, lc := range []ledgerCall{
		{id: "c1", ep: "5001", user: "8000001", number: num, dir: callmyway.DirectionInbound, detect: now, connect: now.Add(5 * time.Second),
			end: now.Add(65 * time.Second), talk: 60 * time.Second, cost: "12.3456", reason: "OK", webhook: true, endWebhook: true, cdr: true,
			result: "PAGO", caseID: cu.ID, chargeAmt: "1500.50"},
		{id: "c2", ep: "5001", user: "8000001", number: num, dir: callmyway.DirectionInbound, detect: now.Add(time.Minute),
			connect: now.Add(time.Minute + 2*time.Second), end: now.Add(time.Minute + 32*time.Second), talk: 30 * time.Second, cost: "0.0044",
			reason: "OK", webhook: true, endWebhook: true, cdr: true, result: "CONTACTO", caseID: cu.ID, chargeAmt: "99.49"},
		{id: "c3", ep: "5001", user: "8000001", number: "+50670001234", dir: callmyway.DirectionInbound, detect: now, end: now.Add(9 * time.Second),
			cost: "1", reason: "NO_ANSWER", webhook: true, endWebhook: true, cdr: true, result: "NOCONTESTA", caseID: "=HYPERLINK(\"x\")"},
	} {
		lc.apply(t, a.ledger)
		_ = i
	}
	super := a.as(t, "super")
	_, page := super.get(t, "/customers/"+cu.ID)
	assert.Contains(t, page, `<dd id="costs-calls">2</dd>`)
	assert.Contains(t, page, `<dd id="costs-connected">2</dd>`)
	assert.Contains(t, page, `<dd id="costs-talk">1m30s</dd>`)
	assert.Contains(t, page, `<dd id="costs-call-cost">CRC 12.35</dd>`, "12.3456 + 0.0044")
	assert.Contains(t, page, `<span data-currency="CRC">CRC 1599.99</span>`)

	code, csv := super.get(t, "/collections/costs.csv")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(csv, "\ufeff"), "a BOM for Excel")
	rows, err := encodingcsv.NewReader(strings.NewReader(strings.TrimPrefix(csv, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	byKey := map[string][]string{}
	for _, r := range rows[1:] {
		byKey[r[0]] = r
	}
	require.Contains(t, byKey, cu.ID)
	assert.Equal(t, []string{cu.ID, "2", "2", "90", "0", "12.35"}, byKey[cu.ID][:6])
	assert.Contains(t, byKey[cu.ID], "1599.99")
	assert.Contains(t, byKey, `'=HYPERLINK("x")`, "a formula is neutralised")

	// The policy report: a refusal with a formula in its reason's place.
	require.NoError(t, a.db.SetAgent(context.Background(), a.userID(t, "super"), a.agentID(t, "Carla")))
	super = a.as(t, "super")
	ana := a.as(t, "ana")
	_, _ = ana.post(t, "/dial", dialForm(cu), "Accept", "application/json")
	f := dialForm(cu)
	f.Set("override", "1")
	f.Set("override_reason", "=1+2")
	_, js := super.postJSON(t, "/dial", f, "Accept", "application/json")
	require.Contains(t, js["message"], "Solicitud aceptada", js)
	code, csv = super.get(t, "/collections/policy.csv")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(csv, "\ufeff"))
	assert.Contains(t, csv, "case:"+cu.ID)
	assert.Contains(t, csv, "'=1+2")
	assert.NotContains(t, csv, ",=1+2")

	// Streamed, the files are byte for byte what was built in memory
	// before (casefile.Costs then WriteCostsCSV; policy.Report then
	// WriteReportCSV).
	ctx := context.Background()
	totals, err := casefile.Costs(ctx, a.ledger, a.costsQuery(casefile.ByCase))
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, casefile.WriteCostsCSV(&want, casefile.ByCase, currency, totals))
	_, got := super.get(t, "/collections/costs.csv")
	assert.Equal(t, want.String(), got, "costs.csv as before")
	now = a.clock()
	rep, err := a.policy.Report(ctx, now.Add(-csvWindow), now.Add(time.Hour))
	require.NoError(t, err)
	require.NotEmpty(t, rep)
	want.Reset()
	require.NoError(t, policy.WriteReportCSV(&want, rep))
	_, got = super.get(t, "/collections/policy.csv")
	assert.Equal(t, want.String(), got, "policy.csv as before")

	for _, p := range []string{"/collections/costs.csv", "/collections/policy.csv"} {
		code, _ = ana.get(t, p)
		assert.Equal(t, http.StatusForbidden, code, p)
	}
	_, board := super.get(t, "/board")
	assert.Contains(t, board, `href="/collections/costs.csv"`)
	assert.Contains(t, board, `href="/collections/policy.csv"`)
}

// A missed inbound call opens a callback owned by the agent who last
// talked with the customer, overdue on the board once past its SLA;
// dismissing it needs a reason and closes it.
func TestCallbacksAPI(t *testing.T) {
	a := newCollectApp(t, func(c *Config) { c.CallbackSLA = time.Nanosecond })
	cu := mustCustomer(t, a, "Comercial Solís")
	num := cu.Contacts[0].Phones[0].E164
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	ledgerCall{id: "talk", ep: "5001", user: "8000001", number: num, dir: callmyway.DirectionInbound, detect: now, connect: now.Add(time.Second),
		end: now.Add(time.Minute), talk: time.Minute, webhook: true, endWebhook: true, result: "CONTACTO", caseID: cu.ID}.apply(t, a.ledger)
	ledgerCall{id: "missed", ep: "5002", number: num, dir: callmyway.DirectionInbound, detect: now.Add(10 * time.Minute),
		end: now.Add(10*time.Minute + 20*time.Second), webhook: true, endWebhook: true}.apply(t, a.ledger)

	ana, beto, super := a.as(t, "ana"), a.as(t, "beto"), a.as(t, "super")
	var got struct{ Callbacks []CallbackRow }
	code, body := ana.get(t, "/api/callbacks")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Len(t, got.Callbacks, 1, body)
	cb := got.Callbacks[0]
	assert.Equal(t, "ana", cb.Owner, "the agent who last talked with the customer")
	assert.Equal(t, cu.ID, cb.CustomerID)
	assert.True(t, cb.Overdue)
	_, body = beto.get(t, "/api/callbacks")
	assert.NotContains(t, body, cb.ID, "not beto's")
	attr := `data-callback="` + strings.ReplaceAll(cb.ID, "+", "&#43;") + `"`
	_, page := super.get(t, "/board")
	assert.Contains(t, page, attr, "overdue on the board")
	_, page = super.get(t, "/customers/"+cu.ID)
	assert.Contains(t, page, attr, "on the case file")

	code, js := beto.postJSON(t, "/api/callbacks/dismiss", url.Values{"id": {cb.ID}, "reason": {"x"}})
	assert.Equal(t, http.StatusNotFound, code, "beto's console does not show it")
	assert.Equal(t, "Esa devolución ya no está pendiente.", js["error"])
	code, js = ana.postJSON(t, "/api/callbacks/dismiss", url.Values{"id": {cb.ID}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "Escriba el motivo para descartar.", js["error"])
	code, js = ana.postJSON(t, "/api/callbacks/dismiss", url.Values{"id": {cb.ID}, "reason": {"pagó por transferencia"}})
	assert.Equal(t, http.StatusOK, code, js)
	_, body = ana.get(t, "/api/callbacks")
	assert.NotContains(t, body, cb.ID, "dismissed")
}

// Every collections text has both languages and takes no other key.
func TestCollectMessagesDoNotCollide(t *testing.T) {
	for k, v := range collectMessages {
		assert.Equal(t, v, messages[k], "%s is taken by another text", k)
		assert.NotEmpty(t, v[0], k)
		assert.NotEmpty(t, v[1], k)
	}
	for _, r := range []policy.Rule{policy.RuleDoNotCall, policy.RuleCallingHours, policy.RuleCooldown, policy.RuleMaxAttempts} {
		assert.Contains(t, collectMessages, "refused_"+string(r))
		assert.Contains(t, collectMessages, "rule_"+string(r))
	}
}

// The flags' calling hours and days.
func TestParseCallingHours(t *testing.T) {
	h, err := parseCallingHours("07:00-20:00", "mon-sat")
	require.NoError(t, err)
	assert.Equal(t, policy.Hours{Start: 7 * time.Hour, End: 20 * time.Hour,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}}, h)
	h, err = parseCallingHours("08:30-24:00", "fri-mon")
	require.NoError(t, err)
	assert.Equal(t, []time.Weekday{time.Friday, time.Saturday, time.Sunday, time.Monday}, h.Days)
	assert.Equal(t, 8*time.Hour+30*time.Minute, h.Start)
	h, err = parseCallingHours("9:00-17:00", "mon, wed,fri")
	require.NoError(t, err)
	assert.Equal(t, []time.Weekday{time.Monday, time.Wednesday, time.Friday}, h.Days)
	h, err = parseCallingHours("", "mon")
	require.NoError(t, err)
	assert.True(t, h.IsZero())
	for _, bad := range [][2]string{{"20:00-07:00", ""}, {"7-20", ""}, {"07:00-25:00", ""}, {"07:00-20:00", "lun"}, {"07:00-20:00", "mon-"}} {
		_, err := parseCallingHours(bad[0], bad[1])
		assert.ErrorIs(t, err, errCallingHours, bad)
	}
}

// The calling hours of the account refuse a dial on a day they leave out,
// naming the rule, with the next allowed time at the window's start.
func TestPolicyCallingHours(t *testing.T) {
	a := newCollectApp(t, func(c *Config) {
		today := time.Now().In(c.Loc).Weekday()
		c.Policy = policy.Limits{Hours: policy.Hours{Start: 7 * time.Hour, End: 20 * time.Hour, Days: []time.Weekday{(today + 3) % 7}}}
	})
	ana := a.as(t, "ana")
	cu := mustCustomer(t, a, "Comercial Solís")
	code, js := ana.postJSON(t, "/dial", dialForm(cu), "Accept", "application/json")
	assert.Equal(t, http.StatusConflict, code)
	assert.Equal(t, "calling-hours", js["rule"])
	next, err := time.Parse(time.RFC3339, js["next_allowed"].(string))
	require.NoError(t, err)
	local := next.In(a.cfg.Loc)
	assert.Equal(t, "07:00", local.Format("15:04"), "the window's start in the customer's zone")
	assert.Equal(t, (time.Now().In(a.cfg.Loc).Weekday()+3)%7, local.Weekday())
	assert.Contains(t, js["error"], "fuera del horario de llamadas")
	_, page := ana.get(t, "/customers/"+cu.ID)
	assert.Contains(t, page, "fuera del horario de llamadas", "the case file says it before the dial")
}

// The customers' policy settings, and the policy reading them, on
// PostgreSQL: the same migration and upsert as on SQLite.
func TestCustomerPolicyOnPostgres(t *testing.T) {
	cfg, _ := pgConfig(t)
	cfg.Policy = policy.Limits{MaxAttempts: 3, Window: 7 * 24 * time.Hour}
	app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer app.Close()
	ctx := context.Background()
	cid, coid, err := app.db.CreateCustomer(ctx, NewCustomer{Name: "Comercial Solís", Contact: "Marta", Number: "8888-1111"})
	require.NoError(t, err)
	got, err := app.db.CustomerPolicy(ctx, cid)
	require.NoError(t, err)
	assert.Equal(t, noCustomerPolicy, got)
	want := CustomerPolicy{DoNotCall: true, Zone: "America/Bogota", MaxAttempts: 1, WindowDays: 2, CooldownHours: -1}
	require.NoError(t, app.db.SetCustomerPolicy(ctx, cid, want, "u1"))
	require.NoError(t, app.db.SetCustomerPolicy(ctx, cid, want, "u1"), "saved again: an upsert")
	got, err = app.db.CustomerPolicy(ctx, cid)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	c, err := policyCustomers{db: app.db, base: app.cfg.Policy}.Customer(ctx, policy.Subject{Number: "+50688881111"})
	require.NoError(t, err)
	assert.True(t, c.DoNotCall, "found by the number")
	require.NotNil(t, c.Limits)
	assert.Equal(t, policy.Limits{MaxAttempts: 1, Window: 48 * time.Hour}, *c.Limits)
	d, err := app.policy.Check(ctx, policy.Subject{Case: cid, Contact: coid, Number: "+50688881111"})
	require.NoError(t, err)
	assert.Equal(t, policy.RuleDoNotCall, d.Rule)
	assert.ErrorIs(t, app.db.SetCustomerPolicy(ctx, "nobody", want, "u1"), errUnknownCustomer)
}

// The policy's flags: the documented defaults, the environment, and
// refusals naming the flag.
func TestPolicyFlags(t *testing.T) {
	parse := func(args ...string) (Config, error) {
		fs := flag.NewFlagSet("crm", flag.ContinueOnError)
		read := policyFlags(fs)
		require.NoError(t, fs.Parse(args))
		var cfg Config
		return cfg, read(&cfg)
	}
	cfg, err := parse()
	require.NoError(t, err)
	assert.Equal(t, policy.Limits{MaxAttempts: 3, Window: 7 * 24 * time.Hour, Cooldown: 4 * time.Hour, Hours: policy.Hours{Start: 7 * time.Hour, End: 20 * time.Hour,
		Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}}}, cfg.Policy)
	assert.Equal(t, 2*time.Hour, cfg.CallbackSLA)
	assert.Equal(t, "callbacks", cfg.CallbackQueue)

	t.Setenv("CRM_MAX_ATTEMPTS", "5")
	cfg, err = parse("-cooldown", "0", "-callback-queue", "cobros", "-calling-hours=")
	require.NoError(t, err)
	assert.Equal(t, policy.Limits{MaxAttempts: 5, Window: 7 * 24 * time.Hour}, cfg.Policy)
	assert.Equal(t, "cobros", cfg.CallbackQueue)

	for _, bad := range [][]string{{"-max-attempts", "x"}, {"-attempt-window", "0"}, {"-cooldown", "-1h"}, {"-calling-hours", "9-5"}, {"-callback-sla", "0"}} {
		_, err := parse(bad...)
		if assert.Error(t, err, bad) {
			assert.Contains(t, err.Error(), bad[0], "the error names the flag")
		}
	}
}

// A customer's zone the time zone database does not know is an error for
// the policy, never calling hours checked in another zone.
func TestCustomerZoneUnknownIsAnError(t *testing.T) {
	p := noCustomerPolicy
	p.Zone = "America/Costa_Rica"
	c, err := p.customer(policy.Limits{})
	require.NoError(t, err)
	assert.Equal(t, "America/Costa_Rica", c.Zone.String())
	p.Zone = "Mars/Olympus_Mons"
	_, err = p.customer(policy.Limits{})
	assert.ErrorIs(t, err, errBadZone)
}
