package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/pgtest"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/webhook"
)

func TestMain(m *testing.M) {
	bcryptCost = bcrypt.MinCost // hashing at the default cost would slow every sign-in down
	goleak.VerifyTestMain(m)
}

// testApp is a demo-mode CRM on a test server.
type testApp struct {
	*App
	srv    *httptest.Server
	client *http.Client
}

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return newTestAppLog(t, slog.New(slog.DiscardHandler))
}

// newTestAppLog is newTestApp with a logger.
func newTestAppLog(t *testing.T, logger *slog.Logger) *testApp {
	t.Helper()
	return newTestAppOn(t, logger, filepath.Join(t.TempDir(), "crm.db"))
}

// newTestAppOn is newTestApp with a logger on the database db (a SQLite
// file or a postgres:// DSN).
func newTestAppOn(t *testing.T, logger *slog.Logger, db string) *testApp {
	t.Helper()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	loc, _ := time.LoadLocation("America/Costa_Rica")
	app, err := NewApp(context.Background(), Config{DB: db, Demo: true, Loc: loc, Region: "CR",
		WebhookPath: "/cmw/hook", WebhookToken: "test-token-0123456789", PublicURL: srv.URL}, logger)
	require.NoError(t, err)
	t.Cleanup(app.Close)
	routes, err := app.Routes()
	require.NoError(t, err)
	h.Store(routes)
	jar := &cookieJar{}
	return &testApp{App: app, srv: srv, client: &http.Client{Jar: jar}}
}

// as returns a client of the same app signed in as a demo user (ana,
// beto, carla: agents; super; admin).
func (a *testApp) as(t *testing.T, username string) *testApp {
	t.Helper()
	b := &testApp{App: a.App, srv: a.srv, client: &http.Client{Jar: &cookieJar{}}}
	code, body := b.post(t, "/login", url.Values{"username": {username}, "password": {a.password(t, username)}})
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `id="signed-in">`+username+" ·", "signed in")
	return b
}

// password is a demo user's password at this start.
func (a *testApp) password(t *testing.T, username string) string {
	t.Helper()
	for _, u := range a.demoUsers {
		if u.Username == username {
			return u.Password
		}
	}
	t.Fatalf("no demo user %s", username)
	return ""
}

// userID is a user's id.
func (a *testApp) userID(t *testing.T, username string) string {
	t.Helper()
	return a.mustUserID(t, username)
}

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	for _, c := range cs {
		replaced := false
		for i, o := range j.cookies {
			if o.Name == c.Name {
				j.cookies[i], replaced = c, true
			}
		}
		if !replaced {
			j.cookies = append(j.cookies, c)
		}
	}
}
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie { return j.cookies }

func (a *testApp) get(t *testing.T, path string, hdr ...string) (int, string) {
	t.Helper()
	return a.do(t, "GET", path, nil, hdr...)
}

func (a *testApp) post(t *testing.T, path string, form url.Values, hdr ...string) (int, string) {
	t.Helper()
	return a.do(t, "POST", path, form, append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
}

// do sends a request with header name/value pairs and returns the status
// and body.
func (a *testApp) do(t *testing.T, method, path string, form url.Values, hdr ...string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, a.srv.URL+path, body)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (a *testApp) agentID(t *testing.T, name string) string {
	agents, err := a.db.Agents(context.Background())
	require.NoError(t, err)
	for _, ag := range agents {
		if strings.HasPrefix(ag.Name, name) {
			return ag.ID
		}
	}
	t.Fatalf("no agent %s", name)
	return ""
}

func TestHomeLanguages(t *testing.T) {
	a := newTestApp(t)
	code, body := a.get(t, "/login")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "Iniciar sesión")
	_, body = a.get(t, "/login", "Accept-Language", "en-US,en;q=0.9")
	assert.Contains(t, body, "Sign in")
	s := a.as(t, "super")
	code, body = s.get(t, "/")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "Hola, super")
	assert.Contains(t, body, "Ana Rojas", "a supervisor sees the agents")
	_, body = s.get(t, "/", "Accept-Language", "en-US,en;q=0.9")
	assert.Contains(t, body, "Hello, super")
	_, body = s.get(t, "/?lang=en")
	assert.Contains(t, body, "Hello, super")
	_, body = s.get(t, "/") // the switch is remembered in a cookie
	assert.Contains(t, body, "Hello, super")
	_, body = a.as(t, "ana").get(t, "/")
	assert.Contains(t, body, "Abrir mi consola (Ana Rojas)")
	assert.NotContains(t, body, "Beto Vargas", "an agent is not shown the others")
}

func TestAgentsAdminKeepsHistory(t *testing.T) {
	a := newTestApp(t).as(t, "admin")
	before := time.Now()
	code, _ := a.post(t, "/agents", url.Values{"name": {"Diana Núñez"}})
	assert.Equal(t, 200, code)
	diana := a.agentID(t, "Diana")
	time.Sleep(1100 * time.Millisecond) // mappings are dated to the second
	code, body := a.post(t, "/agents/endpoint", url.Values{"agent_id": {diana}, "endpoint_id": {"5003"}, "username": {"8000003"}, "primary": {"on"}})
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "Diana")
	assert.Contains(t, body, "Historial", "Carla's mapping of 5003 is kept as history")
	old, ok, err := a.db.AgentFor(context.Background(), callmyway.Endpoint{ID: "5003"}, before)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "Carla Jiménez", old.Name, "a past call stays credited to Carla")
	now, _, _ := a.db.AgentFor(context.Background(), callmyway.Endpoint{ID: "5003"}, time.Now())
	assert.Equal(t, "Diana Núñez", now.Name)
	_, body = a.post(t, "/agents/endpoint", url.Values{"agent_id": {diana}, "endpoint_id": {"x"}, "username": {"abc"}})
	assert.Contains(t, body, "usuario CallMyWay numérico", "the error translated")
	assert.NotContains(t, body, "are required", "not the store's English")
	_, body = a.get(t, "/agents?msg=%3Cb%3Ehacked%3C%2Fb%3E")
	assert.NotContains(t, body, "<b>hacked", "nothing but known message keys is echoed from the URL")
	assert.NotContains(t, body, `class="msg`, "an unknown key shows no message")
}

func TestClickToDialAndBusy(t *testing.T) {
	a := newTestApp(t).as(t, "ana")
	_, body := a.get(t, "/customers")
	assert.Contains(t, body, "☎ 8888-1111")
	assert.Contains(t, body, "8000009 · 🔒", "the private caller ID is offered")
	_, body = a.post(t, "/dial", url.Values{"number": {"8888-1111"}, "contact_id": {"x"}}, "Accept", "application/json")
	assert.Contains(t, body, "Solicitud aceptada")
	_, body = a.post(t, "/dial", url.Values{"number": {"2222-3333"}}, "Accept", "application/json")
	assert.Contains(t, body, "Ya tiene una llamada activa")
	_, body = a.post(t, "/dial", url.Values{"number": {"12"}}, "Accept", "application/json")
	assert.Contains(t, body, "Número de teléfono inválido", "translated, not the parser's English")
	_, body = a.post(t, "/dial", url.Values{"number": {"8888-ABCD"}}, "Accept", "application/json", "Accept-Language", "en")
	assert.Contains(t, body, "Invalid phone number: digits only")
}

func TestInboundSharedPickDispositionHistory(t *testing.T) {
	a := newTestApp(t).as(t, "ana")
	ana := a.agentID(t, "Ana")
	sub, _, err := a.hub.Subscribe(ana, 0)
	require.NoError(t, err)
	a.fake.ScriptNext() // default: 30 s call
	code, body := a.post(t, "/demo/inbound", url.Values{"kind": {"shared"}})
	require.Equal(t, 200, code, body)
	var m screenpop.Message
	select {
	case m = <-sub.C:
	case <-time.After(5 * time.Second):
		t.Fatal("no pop")
	}
	assert.Equal(t, screenpop.MatchCandidates, m.Match.Kind)
	require.Len(t, m.Match.Contacts, 2)
	elena := m.Match.Contacts[1]
	code, _ = a.post(t, "/api/pick", url.Values{"callid": {m.Call.CallID}, "contact_id": {elena.ID}})
	assert.Equal(t, 200, code)
	u := <-sub.C
	assert.Equal(t, screenpop.MatchKnown, u.Match.Kind)
	assert.Equal(t, elena.ID, u.Match.Contacts[0].ID)

	form := url.Values{"callid": {m.Call.CallID}, "contact_id": {elena.ID}, "result": {"PAGO"}, "notes": {"Paga el viernes"},
		"next_action": {"Confirmar pago"}, "next_action_date": {"2026-12-01"}, "charge": {"2500,50"}}
	for i := 0; i < 2; i++ { // saving twice never posts twice
		code, body = a.post(t, "/api/disposition", form)
		require.Equal(t, 200, code, body)
	}
	entries, total, err := a.CaseFile(context.Background(), elena.CustomerID)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "2500.50", total.StringFixed(2))
	_, body = a.get(t, "/api/contact?id="+elena.ID)
	var card map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &card))
	assert.Equal(t, "2500.50", card["balance"])

	_, body = a.get(t, "/calls?agent="+ana)
	assert.Contains(t, body, m.Call.CallID)
	assert.Contains(t, body, "Promesa de pago", "the result code in the reader's language")
	assert.Contains(t, body, "Elena Mora")
	_, body = a.get(t, "/calls.csv?agent="+ana)
	assert.True(t, strings.HasPrefix(body, "\ufeff"), "a UTF-8 BOM for Excel")
	assert.Contains(t, body, ",'+50622223333,", "a cell starting with + is neutralised")
	rows, err := readCSV(strings.TrimPrefix(body, "\ufeff"))
	require.NoError(t, err)
	found := false
	for _, r := range rows {
		found = found || (r[0] == m.Call.CallID && r[10] == "PAGO" && r[14] == "2500.50")
	}
	assert.True(t, found, body)
	_, body = a.as(t, "super").get(t, "/calls?agent="+a.agentID(t, "Beto"))
	assert.NotContains(t, body, m.Call.CallID, "filtered by agent")
	call, err := a.ledger.Get(context.Background(), m.Call.CallID)
	require.NoError(t, err)
	require.NotEmpty(t, call.Disps)
	assert.Equal(t, a.userID(t, "ana"), call.Disps[0].By, "recorded as by the signed-in user")

	bad := url.Values{"callid": {m.Call.CallID}, "result": {"NOPE"}}
	code, _ = a.post(t, "/api/disposition", bad)
	assert.Equal(t, 400, code)
}

func readCSV(s string) ([][]string, error) {
	var out [][]string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, strings.Split(sc.Text(), ","))
	}
	return out, sc.Err()
}

func TestCrossOriginAndWebhookAuth(t *testing.T) {
	a := newTestApp(t).as(t, "admin")
	code, _ := a.post(t, "/agents", url.Values{"name": {"Mallory"}}, "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, code, "cross-site form posts are refused")
	req, _ := http.NewRequest("POST", a.srv.URL+"/cmw/hook/wrong-token-000000", strings.NewReader(`{"action":"callStart","data":{"callid":"1"}}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestSyncFillsHistory(t *testing.T) {
	a := newTestApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := a.syncer.SyncOnce(ctx)
	require.NoError(t, err)
	n, err := a.cdrs.Count(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, 300, n, "the seeded week of calls is synced")
	_, body := a.as(t, "super").get(t, "/calls")
	assert.Contains(t, body, "Penalizaciones")
	assert.Equal(t, "0", a.SyncStatus().Penalties)
}

func TestEveryTemplateKeyHasBothLanguages(t *testing.T) {
	keyRe := regexp.MustCompile(`T \$?\.L "([a-z_]+)"`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	require.NoError(t, err)
	used := 0
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		require.NoError(t, err)
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			used++
			tr, ok := messages[m[1]]
			if assert.True(t, ok, "%s uses %q, which has no translation", f, m[1]) {
				assert.NotEmpty(t, tr[0], m[1])
				assert.NotEmpty(t, tr[1], m[1])
			}
		}
	}
	assert.Greater(t, used, 50, "the templates were read")
}

func TestEveryUITextIsTranslated(t *testing.T) {
	a := newTestApp(t)
	pages := map[*testApp][]string{
		a:                {"/login"},
		a.as(t, "ana"):   {"/", "/customers", "/console", "/calls"},
		a.as(t, "super"): {"/", "/agents", "/customers", "/calls", "/board"},
		a.as(t, "admin"): {"/", "/agents", "/users", "/customers", "/calls", "/board"},
	}
	for c, paths := range pages {
		for _, path := range paths {
			for _, l := range []string{"es", "en"} {
				code, body := c.get(t, path+"?lang="+l)
				require.Equal(t, 200, code, path)
				for key := range messages {
					// A key printed as-is means a missing translation.
					assert.NotContains(t, body, `"`+key+`"`+":\""+key, path)
				}
				assert.NotContains(t, body, "state_", path)
				assert.NotContains(t, body, "role_", path)
			}
		}
	}
	for _, r := range roles { // keys built in the templates
		assert.NotEmpty(t, messages["role_"+string(r)][1], r)
	}
	for _, key := range userErrorKeys {
		assert.NotEmpty(t, messages[key][1], key)
	}
}

func TestUnknownAndWithheldCallers(t *testing.T) {
	a := newTestApp(t).as(t, "ana")
	ana := a.agentID(t, "Ana")
	sub, _, err := a.hub.Subscribe(ana, 0)
	require.NoError(t, err)
	next := func() screenpop.Message {
		select {
		case m := <-sub.C:
			return m
		case <-time.After(5 * time.Second):
			t.Fatal("no pop")
		}
		return screenpop.Message{}
	}

	// Unknown number: the agent creates the customer and contact; the call is linked.
	_, body := a.post(t, "/demo/inbound", url.Values{"kind": {"unknown"}})
	require.Contains(t, body, "callid")
	m := next()
	require.Equal(t, screenpop.MatchUnknown, m.Match.Kind)
	code, body := a.post(t, "/api/contacts", url.Values{"callid": {m.Call.CallID}, "name": {"Nuevo Cliente"}, "customer": {"Nuevo S.A."}, "number": {m.Call.Number}})
	require.Equal(t, 200, code, body)
	u := next()
	assert.Equal(t, screenpop.MatchKnown, u.Match.Kind)
	assert.Equal(t, "Nuevo Cliente", u.Match.Contacts[0].Name)
	found, err := a.db.FindByNumber(context.Background(), "+50670000000")
	require.NoError(t, err)
	require.Len(t, found, 1, "the number is now the new contact's")

	// Withheld: never matched; the agent searches by name and links.
	a.post(t, "/demo/inbound", url.Values{"kind": {"withheld"}})
	for m = next(); m.Type != screenpop.TypePop || m.Match.Kind != screenpop.MatchWithheld; m = next() {
	}
	assert.Contains(t, m.Match.Offer, "search")
	_, body = a.get(t, "/api/search?q=solís")
	var res struct{ Contacts []screenpop.Contact }
	require.NoError(t, json.Unmarshal([]byte(body), &res))
	require.Len(t, res.Contacts, 1)
	code, _ = a.post(t, "/api/pick", url.Values{"callid": {m.Call.CallID}, "contact_id": {res.Contacts[0].ID}})
	assert.Equal(t, 200, code)
	for u = next(); u.Call.CallID != m.Call.CallID || u.Type != screenpop.TypeUpdate; u = next() {
	}
	assert.Equal(t, "Marta Solís", u.Match.Contacts[0].Name)
}

func TestLedgerHandlerServesCalls(t *testing.T) {
	app := newTestApp(t)
	ana, super := app.as(t, "ana"), app.as(t, "super")
	code, body := ana.post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, 200, code, body)
	var r struct{ CallID string }
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Eventually(t, func() bool {
		code, body = super.get(t, "/ledger/"+r.CallID)
		return code == 200
	}, 5*time.Second, 20*time.Millisecond)
	assert.Contains(t, body, `"number":"+50688881111"`)
	code, _ = super.get(t, "/ledger/nope")
	assert.Equal(t, 404, code)
	code, body = ana.get(t, "/ledger/"+r.CallID)
	assert.Equal(t, http.StatusForbidden, code, "the ledger is for supervisors and admins")
	assert.Contains(t, body, "Su rol no permite")
}

func TestNoListingAndLiteralSearch(t *testing.T) {
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "crm.db") },
		"postgres": func(t *testing.T) string { return pgtest.Schema(t) },
	} {
		t.Run(name, func(t *testing.T) {
			a := newTestAppOn(t, slog.New(slog.DiscardHandler), db(t)).as(t, "ana")
			code, _ := a.get(t, "/static/")
			assert.Equal(t, 404, code, "no directory listing")
			code, _ = a.get(t, "/static/app.css")
			assert.Equal(t, 200, code)
			for _, q := range []string{"%25", "_", "%25sol", "s_l", "%5C", "Sol%25s"} {
				_, body := a.get(t, "/api/search?q="+q)
				assert.NotContains(t, body, "Solís", "%s is literal, not a wildcard", q)
			}
			_, body := a.get(t, "/api/search?q=sol")
			assert.Contains(t, body, "Solís")
		})
	}
}

// The history is paged, writes numbers and money for people, translates
// the provider's codes, links known numbers, explains a reversed range
// and keeps its filters across a language switch.
func TestHistoryPage(t *testing.T) {
	a := newTestApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := a.syncer.SyncOnce(ctx) // the seeded week reaches the ledger
	require.NoError(t, err)
	super := a.as(t, "super")
	_, body := super.get(t, "/calls?from=2030-01-10&to=2020-01-01")
	assert.Contains(t, body, `id="reversed"`, "a reversed range is explained")
	_, body = super.get(t, "/calls?customer=x&agent=y")
	assert.Contains(t, body, `href="/calls?agent=y&amp;customer=x&amp;lang=en" id="lang"`, "the language switch keeps the filters")
	// The demo week of calls: more than one page.
	from := time.Now().AddDate(0, 0, -8).Format("2006-01-02")
	_, body = super.get(t, "/calls?from="+from)
	assert.Contains(t, body, "Página 1 de ")
	assert.Contains(t, body, `rel="next"`)
	assert.Equal(t, historyPage, strings.Count(body, "<tr class="), "one page of rows")
	assert.Contains(t, body, "CRC ")
	assert.NotContains(t, body, ".0000", "money has two decimals")
	assert.Regexp(t, `<td class="num" data-label="Número">\d{4} \d{4}</td>`, body, "numbers in national format")
	assert.Regexp(t, `<td data-label="Fin">(Contestada|Sin respuesta|Cancelada|No disponible|Rechazada)</td>`, body, "end reasons translated")
	assert.Contains(t, body, `href="/calls.csv?from=`+from+`"`, "the export keeps the filters")
	// A call from a known number nobody disposed of is linked to its contact.
	now := callmyway.NewTime(time.Now())
	require.NoError(t, a.ledger.HandleEvent(ctx, webhook.Event{Action: webhook.CallEnd, Call: webhook.Call{ID: "known-1",
		Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound, ANI: "50688881111", DetectTime: now, DisconnectTime: now}}))
	_, body = super.get(t, "/calls")
	assert.Regexp(t, `Marta Solís <small>\(vinculada por número\)</small>`, body, "known numbers are linked to their contact")
	_, body = super.get(t, "/calls?from="+from+"&page=2")
	assert.Contains(t, body, `rel="prev"`)
}

// Every page names its icon, and the icon is served.
func TestFavicon(t *testing.T) {
	a := newTestApp(t)
	_, body := a.get(t, "/login")
	assert.Contains(t, body, `<link rel="icon" href="/static/favicon.svg"`)
	code, svg := a.get(t, "/static/favicon.svg")
	assert.Equal(t, 200, code)
	assert.Contains(t, svg, "<svg")
}

// "Ring the customer first" on the customers page dials contact-first;
// without it, the agent's phone rings first.
func TestDialContactFirst(t *testing.T) {
	a := newTestApp(t).as(t, "ana")
	_, body := a.get(t, "/customers")
	assert.Contains(t, body, `name="order" value="contact" id="contact-first"`)
	seen := make(chan cmwtest.DialRequest, 2)
	a.fake.SetScript(func(d cmwtest.DialRequest) cmwtest.Script {
		seen <- d
		return cmwtest.Script{Ring: time.Second, Talk: time.Second}
	})
	_, body = a.post(t, "/dial", url.Values{"number": {"8888-1111"}, "order": {"contact"}}, "Accept", "application/json")
	require.Contains(t, body, "Solicitud aceptada")
	d := <-seen
	assert.True(t, d.ContactFirst, "the customer rings first")
	assert.Equal(t, "50688881111", d.First)
}
