package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/calls"
)

// noRedirects is a client that shows redirects instead of following them.
func (a *testApp) noRedirects() *testApp {
	c := *a.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &testApp{App: a.App, srv: a.srv, client: &c}
}

func TestUnauthenticatedRequestsAreRefused(t *testing.T) {
	a := newTestApp(t).noRedirects()
	for _, c := range []struct{ method, path string }{
		{"GET", "/events"}, {"GET", "/events?agent=" + a.agentID(t, "Ana")}, {"POST", "/api/disposition"}, {"POST", "/api/pick"},
		{"GET", "/api/search?q=sol"}, {"GET", "/api/contact?id=x"}, {"POST", "/demo/inbound"}, {"GET", "/ledger/x"},
	} {
		code, body := a.do(t, c.method, c.path, url.Values{}, "Content-Type", "application/x-www-form-urlencoded")
		assert.Equal(t, http.StatusUnauthorized, code, c.path)
		var e struct{ Error string }
		if assert.NoError(t, json.Unmarshal([]byte(body), &e), c.path) {
			assert.Equal(t, "Inicie sesión para continuar.", e.Error, c.path)
		}
	}
	code, body := a.post(t, "/dial", url.Values{"number": {"8888-1111"}}, "Accept", "application/json")
	assert.Equal(t, http.StatusUnauthorized, code, "dialing needs a session")
	assert.Contains(t, body, "Inicie sesión")
	_, body = a.post(t, "/dial", url.Values{"number": {"8888-1111"}}, "Accept", "application/json", "Accept-Language", "en")
	assert.Contains(t, body, "Sign in to continue.", "translated")

	for _, path := range []string{"/", "/console", "/customers", "/calls?from=2026-01-01", "/agents", "/users"} {
		req, err := http.NewRequest("GET", a.srv.URL+path, nil)
		require.NoError(t, err)
		resp, err := a.client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, path)
		assert.Equal(t, "/login?next="+url.QueryEscape(path), resp.Header.Get("Location"), path)
	}
	code, _ = a.get(t, "/static/app.css")
	assert.Equal(t, http.StatusOK, code, "static files are public")
	code, _ = a.get(t, "/login")
	assert.Equal(t, http.StatusOK, code)
}

// sse reads the data lines of an event stream.
func sse(t *testing.T, c *testApp, path string) (<-chan string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := c.client.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				out <- d
			}
		}
	}()
	return out, func() { cancel(); resp.Body.Close(); <-done }
}

func TestEventsStreamOnlyTheSignedInAgentsPops(t *testing.T) {
	app := newTestApp(t)
	ana, beto := app.as(t, "ana"), app.as(t, "beto")
	anaID, betoID := app.agentID(t, "Ana"), app.agentID(t, "Beto")

	// Beto asks for Ana's stream: he gets his own.
	events, stop := sse(t, beto, "/events?agent="+anaID)
	defer stop()
	require.Eventually(t, func() bool { return app.hub.Subscribers(betoID) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Zero(t, app.hub.Subscribers(anaID), "no one listens to Ana")

	callID := func(body string) string {
		var r struct{ CallID string }
		require.NoError(t, json.Unmarshal([]byte(body), &r), body)
		return r.CallID
	}
	code, body := ana.post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, 200, code, body)
	anasCall := callID(body)
	// Wait until Ana's call is in the ledger, so it would have popped by now.
	require.Eventually(t, func() bool { _, err := app.ledger.Get(context.Background(), anasCall); return err == nil }, 5*time.Second, 10*time.Millisecond)
	code, body = beto.post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, 200, code, body)
	betosCall := callID(body)

	select {
	case d := <-events:
		assert.Contains(t, d, betosCall, "Beto's first pop is his call")
		assert.NotContains(t, d, anasCall)
	case <-time.After(5 * time.Second):
		t.Fatal("no pop for Beto")
	}
	for drained := false; !drained; {
		select {
		case d := <-events:
			assert.NotContains(t, d, anasCall, "Ana's call never reaches Beto")
		case <-time.After(200 * time.Millisecond):
			drained = true
		}
	}

	// Beto may not act on Ana's call either.
	code, body = beto.post(t, "/api/disposition", url.Values{"callid": {anasCall}, "result": {"CONTACTO"}})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "Esa llamada no es suya.")
	code, _ = beto.post(t, "/api/pick", url.Values{"callid": {anasCall}, "contact_id": {"x"}})
	assert.NotEqual(t, http.StatusOK, code)
	code, _ = ana.post(t, "/api/disposition", url.Values{"callid": {anasCall}, "result": {"CONTACTO"}})
	assert.Equal(t, http.StatusOK, code)
	c, err := app.ledger.Get(context.Background(), anasCall)
	require.NoError(t, err)
	require.Len(t, c.Disps, 1)
	assert.Equal(t, app.userID(t, "ana"), c.Disps[0].By)

	// A supervisor has no agent: no stream, with a reason.
	code, body = app.as(t, "super").get(t, "/events")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "no está vinculado a un agente")
}

func TestDialAsTheSignedInAgent(t *testing.T) {
	app := newTestApp(t)
	ana := app.as(t, "ana")
	// The form's agent is ignored: Ana dials as herself. The contact's
	// customer goes with the dial: the call is on their case file.
	_, marta := solis(t, app)
	_, body := ana.post(t, "/dial", url.Values{"number": {"8888-1111"}, "contact_id": {marta.ID}, "agent": {app.agentID(t, "Beto")}},
		"Accept", "application/json")
	require.Contains(t, body, "Solicitud aceptada")
	found := false
	for c, err := range app.ledger.Calls(context.Background(), calls.Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}) {
		require.NoError(t, err)
		if c.Meta["contact"] == marta.ID {
			found = true
			assert.Equal(t, marta.CustomerID, c.Case)
			assert.Equal(t, app.agentID(t, "Ana"), c.Meta["agent"])
			assert.Equal(t, "8000001", c.Agent.User, "Ana's phone rings first")
		}
	}
	assert.True(t, found, "the dial is in the ledger")

	for _, who := range []string{"super", "admin"} {
		c := app.as(t, who)
		code, body := c.post(t, "/dial", url.Values{"number": {"8888-1111"}}, "Accept", "application/json")
		assert.Equal(t, http.StatusForbidden, code, who)
		assert.Contains(t, body, "Su usuario no está vinculado a un agente", who)
		_, body = c.get(t, "/customers")
		assert.Contains(t, body, "no puede llamar desde aquí", who)
		assert.NotContains(t, body, `action="/dial"`, who)
	}
}

func TestLoginRateLimit(t *testing.T) {
	a := newTestApp(t)
	login := func(user, pw string) (int, string) {
		code, body := a.post(t, "/login", url.Values{"username": {user}, "password": {pw}})
		return code, body
	}
	// A wrong password and an unknown user read the same.
	code, body := login("ana", "wrong-password-1")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, body, "Usuario o contraseña incorrectos.")
	code2, body2 := login("nadie", "wrong-password-1")
	assert.Equal(t, code, code2)
	assert.Equal(t, strings.ReplaceAll(body, `value="ana"`, ""), strings.ReplaceAll(body2, `value="nadie"`, ""), "nothing tells the user exists")

	for i := 1; i < userLimit.burst; i++ {
		code, _ = login("ana", "wrong-password-1")
		assert.Equal(t, http.StatusUnauthorized, code)
	}
	code, body = login("ana", a.password(t, "ana"))
	assert.Equal(t, http.StatusTooManyRequests, code, "the right password after too many failures is refused too")
	assert.Contains(t, body, "Demasiados intentos fallidos")
	assert.NotContains(t, body, `id="signed-in"`)
	for i := 1; i < userLimit.burst; i++ {
		login("nadie", "wrong-password-1")
	}
	code, body = login("nadie", "x")
	assert.Equal(t, http.StatusTooManyRequests, code, "an unknown user is limited alike")
	assert.Contains(t, body, "Demasiados intentos fallidos")
	_, body = a.post(t, "/login", url.Values{"username": {"ana"}, "password": {"x"}}, "Accept-Language", "en")
	assert.Contains(t, body, "Too many failed attempts", "translated")

	// Another user is still welcome from this address...
	code, _ = login("beto", a.password(t, "beto"))
	assert.Equal(t, http.StatusOK, code)
	// ...until the address has failed too often.
	for i := 0; i < ipLimit.burst; i++ {
		login("user"+string(rune('a'+i)), "wrong-password-1")
	}
	code, body = login("carla", a.password(t, "carla"))
	assert.Equal(t, http.StatusTooManyRequests, code, "per address")
	assert.Contains(t, body, "Demasiados intentos fallidos")
}

func TestLoginLimiterRecovers(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	l := newLoginLimiter()
	l.now = func() time.Time { return now }
	for i := 0; i < userLimit.burst; i++ {
		require.False(t, l.blocked("ana", "10.0.0.1"), i)
		l.failed("Ana ", "10.0.0.1", true)
	}
	assert.True(t, l.blocked("ana", "10.0.0.2"), "per username, whatever the address")
	assert.False(t, l.blocked("beto", "10.0.0.2"))
	now = now.Add(userLimit.every / 2)
	assert.True(t, l.blocked("ana", "10.0.0.2"), "for a while")
	now = now.Add(userLimit.every)
	assert.False(t, l.blocked("ana", "10.0.0.2"), "then one more try")
	l.failed("ana", "10.0.0.2", true)
	assert.True(t, l.blocked("ana", "10.0.0.2"))
	l.succeeded("ana")
	assert.False(t, l.blocked("ana", "10.0.0.3"))
}

// TestLoginLimiterHardCap: 100,000 failed sign-ins, each with another
// made-up username and address, keep the limiter at maxLoginKeys keys
// plus the existing users' (before, the cap was soft: keys within their
// refill time were kept, and each new key above 10,000 swept the whole
// map). A real user's count survives the flood, a made-up name is still
// limited like a real one, and the keys whose tokens came back are
// dropped as new failures arrive.
func TestLoginLimiterHardCap(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	l := newLoginLimiter()
	l.now = func() time.Time { return now }
	for range userLimit.burst {
		l.failed("ana", "10.0.0.1", true)
	}
	require.True(t, l.blocked("ana", "10.9.9.9"))
	for i := range 100_000 {
		l.failed(fmt.Sprintf("nobody-%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), false)
		if i%10_000 == 0 {
			require.LessOrEqual(t, len(l.keys), maxLoginKeys+1, i)
		}
	}
	assert.Equal(t, maxLoginKeys+1, len(l.keys), "the made-up keys at the cap, plus ana's")
	assert.Equal(t, maxLoginKeys, l.others.Len())
	assert.True(t, l.blocked("ana", "10.9.9.9"), "the flood did not reset a real user's count")

	for range userLimit.burst {
		require.False(t, l.blocked("made-up", "10.9.9.8"))
		l.failed("made-up", "10.9.9.8", false)
	}
	assert.True(t, l.blocked("made-up", "10.9.9.7"), "a made-up username is limited alike")

	// Once every bucket is full again, the next failure drops the old keys.
	now = now.Add(time.Duration(userLimit.burst) * userLimit.every)
	assert.False(t, l.blocked("ana", "10.9.9.9"))
	l.failed("beto", "10.1.1.1", true)
	assert.Equal(t, 2, len(l.keys), "beto's and his address's")
}

func TestTamperedAndExpiredSessionsAreRefused(t *testing.T) {
	app := newTestApp(t)
	ana := app.as(t, "ana")
	session := func(c *testApp) string {
		for _, k := range c.client.Jar.(*cookieJar).cookies {
			if k.Name == sessionCookie {
				return k.Value
			}
		}
		t.Fatal("no session cookie")
		return ""
	}
	valid := session(ana)
	with := func(value string) int {
		c := &testApp{App: app.App, srv: app.srv, client: &http.Client{Jar: &cookieJar{}}}
		code, _ := c.get(t, "/api/search?q=sol", "Cookie", sessionCookie+"="+value)
		return code
	}
	require.Equal(t, http.StatusOK, with(valid))

	parts := strings.Split(valid, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	fields := strings.Split(string(raw), "|")
	admin := base64.RawURLEncoding.EncodeToString([]byte(app.userID(t, "admin") + "|" + fields[1] + "|" + fields[2]))
	later := base64.RawURLEncoding.EncodeToString([]byte(fields[0] + "|" + fields[1] + "|" + "9999999999"))
	other := &sessions{key: []byte("another key, another key, another"), ttl: sessionTTL, now: time.Now}
	past := &sessions{key: app.sessions.key, ttl: sessionTTL, now: func() time.Time { return time.Now().Add(-sessionTTL - time.Minute) }}
	for name, v := range map[string]string{
		"another user":        "v1." + admin + "." + parts[2],
		"a later expiry":      "v1." + later + "." + parts[2],
		"a flipped mac":       valid[:len(valid)-2] + "AA",
		"no mac":              "v1." + parts[1],
		"another key":         other.issue(app.userID(t, "ana")).Value,
		"expired":             past.issue(app.userID(t, "ana")).Value,
		"garbage":             "garbage",
		"an unknown user":     app.sessions.issue("nobody").Value,
		"another version":     "v2." + parts[1] + "." + parts[2],
		"an empty user field": "v1." + base64.RawURLEncoding.EncodeToString([]byte("|1|9999999999")) + "." + parts[2],
	} {
		assert.Equal(t, http.StatusUnauthorized, with(v), name)
	}

	// Signing out ends the session, even if the cookie was kept.
	code, body := ana.post(t, "/logout", url.Values{})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `action="/login"`)
	assert.Empty(t, ana.client.Jar.(*cookieJar).cookies[0].Value, "the cookie is cleared")
	assert.Equal(t, http.StatusUnauthorized, with(valid), "a signed-out session")

	// A password reset and a disable end the user's sessions.
	beto := app.as(t, "beto")
	betoSession := session(beto)
	admin2 := app.as(t, "admin")
	code, body = admin2.post(t, "/users/"+app.userID(t, "beto")+"/password", url.Values{"password": {"a-new-password-for-beto"}})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Contraseña cambiada")
	assert.Equal(t, http.StatusUnauthorized, with(betoSession), "after a password reset")
	code, _ = beto.post(t, "/login", url.Values{"username": {"beto"}, "password": {"a-new-password-for-beto"}})
	require.Equal(t, http.StatusOK, code)
	betoSession = session(beto)
	require.Equal(t, http.StatusOK, with(betoSession))
	_, body = admin2.post(t, "/users/"+app.userID(t, "beto")+"/disabled", url.Values{"disabled": {"1"}})
	assert.Contains(t, body, "Usuario desactivado")
	assert.Equal(t, http.StatusUnauthorized, with(betoSession), "a disabled user")
	code, body = beto.post(t, "/login", url.Values{"username": {"beto"}, "password": {"a-new-password-for-beto"}})
	assert.Equal(t, http.StatusUnauthorized, code, "a disabled user cannot sign in")
	assert.Contains(t, body, "Usuario o contraseña incorrectos.", "and is not told why")
}

func TestSessionCookieAttributes(t *testing.T) {
	app := newTestApp(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(app.srv.URL+"/login", url.Values{"username": {"ana"}, "password": {app.password(t, "ana")}, "next": {"//evil.example/x"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/", resp.Header.Get("Location"), "a redirect off the site is refused")
	cs := resp.Cookies()
	require.Len(t, cs, 1)
	assert.Equal(t, sessionCookie, cs[0].Name)
	assert.True(t, cs[0].HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, cs[0].SameSite)
	assert.Equal(t, "/", cs[0].Path)
	assert.InDelta(t, sessionTTL.Seconds(), float64(cs[0].MaxAge), 1)
}

func TestRoles(t *testing.T) {
	app := newTestApp(t)
	ana, super, admin := app.as(t, "ana"), app.as(t, "super"), app.as(t, "admin")

	// An agent: no admin pages, no ledger, only their own history.
	for _, path := range []string{"/agents", "/users"} {
		code, body := ana.get(t, path)
		assert.Equal(t, http.StatusForbidden, code, path)
		assert.Contains(t, body, "Su rol no permite esta acción.", path)
	}
	code, _ := ana.post(t, "/agents", url.Values{"name": {"Mallory"}})
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = ana.post(t, "/users", url.Values{"username": {"mallory"}, "password": {"mallory-password"}, "role": {"admin"}})
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = ana.post(t, "/users/"+app.userID(t, "ana")+"/disabled", url.Values{"disabled": {"0"}})
	assert.Equal(t, http.StatusForbidden, code)
	code, body := ana.get(t, "/ledger/x")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, `"error"`, "an API answers JSON")

	_, err := app.syncer.SyncOnce(context.Background()) // a week of calls for every agent
	require.NoError(t, err)
	_, body = ana.get(t, "/calls?agent="+app.agentID(t, "Beto"))
	assert.Contains(t, body, "Ana Rojas")
	assert.NotContains(t, body, `data-label="Agente">Beto Vargas</td>`, "an agent sees their own calls, whatever the filter")
	assert.NotContains(t, body, `name="agent"`, "and no agent filter")
	_, body = ana.get(t, "/calls.csv")
	assert.NotContains(t, body, "Beto Vargas")
	_, body = super.get(t, "/calls")
	assert.Contains(t, body, `data-label="Agente">Beto Vargas</td>`, "a supervisor sees everyone's")
	assert.Contains(t, body, `data-label="Agente">Ana Rojas</td>`)

	// A supervisor reads the agents but changes nothing.
	code, body = super.get(t, "/agents")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Beto Vargas")
	assert.NotContains(t, body, `action="/agents`)
	for path, form := range map[string]url.Values{
		"/agents":          {"name": {"Mallory"}},
		"/agents/endpoint": {"agent_id": {app.agentID(t, "Beto")}, "endpoint_id": {"5009"}, "username": {"8000009"}},
		"/customers":       {"customer": {"Mallory S.A."}},
		"/users":           {"username": {"mallory"}, "password": {"mallory-password"}, "role": {"admin"}},
	} {
		code, _ = super.post(t, path, form)
		assert.Equal(t, http.StatusForbidden, code, path)
	}
	code, _ = super.get(t, "/users")
	assert.Equal(t, http.StatusForbidden, code)

	// An admin manages users: an agent user linked to an agent signs in
	// and is that agent.
	_, body = admin.post(t, "/users", url.Values{"username": {"Diego"}, "password": {"diego-password"}, "role": {"agent"}, "agent_id": {app.agentID(t, "Carla")}})
	assert.Contains(t, body, "Usuario agregado.")
	assert.Contains(t, body, `data-user="diego"`)
	_, body = admin.post(t, "/users", url.Values{"username": {"diego"}, "password": {"diego-password"}, "role": {"agent"}})
	assert.Contains(t, body, "Ese usuario ya existe.")
	_, body = admin.post(t, "/users", url.Values{"username": {"eva"}, "password": {"short"}, "role": {"agent"}})
	assert.Contains(t, body, "de 8 a 72 caracteres")
	_, body = admin.post(t, "/users", url.Values{"username": {"eva"}, "password": {"eva-password"}, "role": {"root"}})
	assert.Contains(t, body, "Rol inválido.")
	_, body = admin.post(t, "/users", url.Values{"username": {"eva eva"}, "password": {"eva-password"}, "role": {"agent"}}, "Accept-Language", "en")
	assert.Contains(t, body, "Username: 1 to 64")
	code, body = admin.post(t, "/users", url.Values{"username": {"eva"}, "password": {"eva-password"}, "role": {"agent"}, "agent_id": {"nope"}})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Agente desconocido.")
	diego := &testApp{App: app.App, srv: app.srv, client: &http.Client{Jar: &cookieJar{}}}
	code, body = diego.post(t, "/login", url.Values{"username": {"diego"}, "password": {"diego-password"}})
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "Abrir mi consola (Carla Jiménez)")
	_, body = diego.get(t, "/console")
	assert.Contains(t, body, "Consola del agente: Carla Jiménez")

	// The admin cannot lock everyone out.
	_, body = admin.post(t, "/users/"+app.userID(t, "admin")+"/disabled", url.Values{"disabled": {"1"}})
	assert.Contains(t, body, "No puede desactivar su propio usuario.")
	assert.ErrorIs(t, app.db.SetDisabled(context.Background(), app.userID(t, "admin"), true), errLastAdmin, "the last admin stays")
	_, body = admin.post(t, "/users/"+app.userID(t, "super")+"/disabled", url.Values{"disabled": {"1"}})
	assert.Contains(t, body, "Usuario desactivado")
}

// lockedLog is a log destination safe for the server's goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPasswordsNeverInLogsOrResponses(t *testing.T) {
	var logs lockedLog
	app := newTestAppLog(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	secrets := []string{"Wrong-Secret-Pass-1", "Typed-Into-Username-2", "New-User-Secret-3", "Reset-Secret-4", "short5"}
	var bodies []string
	keep := func(_ int, body string) { bodies = append(bodies, body) }

	keep(app.post(t, "/login", url.Values{"username": {"ana"}, "password": {secrets[0]}}))
	keep(app.post(t, "/login", url.Values{"username": {secrets[1]}, "password": {"whatever"}}))
	admin := app.as(t, "admin")
	keep(admin.post(t, "/users", url.Values{"username": {"diego"}, "password": {secrets[2]}, "role": {"agent"}}))
	keep(admin.post(t, "/users/"+app.userID(t, "diego")+"/password", url.Values{"password": {secrets[3]}}))
	keep(admin.post(t, "/users/"+app.userID(t, "diego")+"/password", url.Values{"password": {secrets[4]}}))
	keep(admin.get(t, "/users"))
	diego := &testApp{App: app.App, srv: app.srv, client: &http.Client{Jar: &cookieJar{}}}
	keep(diego.post(t, "/login", url.Values{"username": {"diego"}, "password": {secrets[3]}}))

	require.Contains(t, logs.String(), "sign-in failed", "the log was written")
	require.Contains(t, logs.String(), "user added")
	for _, s := range secrets {
		assert.NotContains(t, logs.String(), s, "log")
		for _, b := range bodies {
			assert.NotContains(t, b, s, "response")
		}
	}
	for _, u := range app.demoUsers {
		assert.NotContains(t, logs.String(), u.Password, "a demo password is printed by main, never logged")
	}
	for _, b := range bodies {
		assert.NotContains(t, b, "$2a$", "no password hash in a page")
	}
}
