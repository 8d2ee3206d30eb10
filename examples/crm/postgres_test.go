package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/pgtest"
	"github.com/callmyway-go/sdk/screenpop"
)

// pgConfig is the CRM's configuration on a fresh PostgreSQL schema (the
// test skips without CMW_TEST_POSTGRES_DSN), against a fake CallMyWay in
// the account's zone, as the CRM is told, closed when the test ends.
func pgConfig(t *testing.T) (Config, *cmwtest.Server) {
	t.Helper()
	dsn := pgtest.Schema(t)
	loc, err := time.LoadLocation("America/Costa_Rica")
	require.NoError(t, err)
	acct := callmyway.Account{Username: cmwtest.DefaultUsername, Location: loc, Region: "CR"}
	fake := cmwtest.NewServer(cmwtest.WithAccount(acct, cmwtest.DefaultPassword))
	t.Cleanup(fake.Close)
	return Config{DB: dsn, Username: fake.Account().Username, Password: fake.Password(), BaseURL: fake.URL, Loc: loc, Region: "CR",
		WebhookPath: "/cmw/hook", WebhookToken: "pg-token-0123456789"}, fake
}

// TestTwoInstancesOnPostgres: the same CRM (same migrations) on
// PostgreSQL; two instances on one database behave as one.
func TestTwoInstancesOnPostgres(t *testing.T) {
	cfg, fake := pgConfig(t)
	open := func() (*App, http.Handler) {
		app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(app.Close)
		h, err := app.Routes()
		require.NoError(t, err)
		return app, h
	}
	a, ha := open()
	b, hb := open()

	ctx := context.Background()
	agent, err := a.db.AddAgent(ctx, "Ana Rojas")
	require.NoError(t, err)
	require.NoError(t, a.db.AssignEndpoint(ctx, Endpoint{AgentID: agent, EndpointID: "5001", Username: "8000001", Primary: true,
		ValidFrom: time.Now().Add(-time.Hour)}))
	cust, err := a.db.AddCustomer(ctx, "Comercial Solís", "")
	require.NoError(t, err)
	_, err = a.db.AddContact(ctx, cust, "Marta Solís", "8888-1111")
	require.NoError(t, err)

	// The agent's browser is on instance B; the webhook lands on A, and its
	// duplicate on B.
	sub, _, err := b.hub.Subscribe(agent, 0)
	require.NoError(t, err)
	body := `{"action":"callStart","data":{"callid":"pg-1","endpoint_id":"5001","ani":"50688881111","dnis":"8000001","type":"in","detect_time":"` +
		time.Now().In(cfg.Loc).Format("2006-01-02 15:04:05") + `"}}`
	for _, h := range []http.Handler{ha, hb} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/cmw/hook/pg-token-0123456789", strings.NewReader(body)))
		require.Equal(t, 200, w.Code, w.Body.String())
	}
	select {
	case m := <-sub.C:
		assert.Equal(t, screenpop.TypePop, m.Type)
		assert.Equal(t, screenpop.MatchKnown, m.Match.Kind)
		assert.Equal(t, "Marta Solís", m.Match.Contacts[0].Name)
	case <-time.After(5 * time.Second):
		t.Fatal("the pop did not cross instances")
	}
	select {
	case m := <-sub.C:
		t.Fatalf("duplicate delivered: %+v", m)
	case <-time.After(300 * time.Millisecond):
	}

	// A console reloaded on B restores the call's card (GET /api/live).
	cards, err := b.LiveCards(ctx, agent)
	require.NoError(t, err)
	if assert.Len(t, cards.Messages, 1) {
		assert.Equal(t, "pg-1", cards.Messages[0].Call.CallID)
		assert.Equal(t, screenpop.TypePop, cards.Messages[0].Type)
		assert.True(t, cards.Messages[0].Call.Live)
	}

	// The call A applied shows in B's history, not yet confirmed by a CDR.
	rows, err := b.History(ctx, CallsFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), AgentID: agent})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.True(t, rows[0].Provisional)

	// A synced CDR confirms it; B sees it too.
	fake.AddCDRs(cmwtest.CDR{CallID: "pg-1", OriginalCallID: "pg-1", RefCallID: "0", ANI: "50688881111", DNIS: "8000001", DNISUser: "8000001",
		DetectTime: time.Now().Add(-time.Minute), DisconnectTime: time.Now(), Type: "incoming", Cost: "0.0000", Rate: "0.0000", AccessFee: "0.0000", EndReason: "OK"})
	_, err = a.syncer.SyncOnce(ctx)
	require.NoError(t, err)
	rows, err = b.History(ctx, CallsFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), AgentID: agent})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.False(t, rows[0].Provisional)
	assert.Equal(t, "OK", rows[0].EndReason)
	assert.Zero(t, fake.Violations())
}

// TestUsersAndSessionsOnPostgres: users live in PostgreSQL too (same SQL),
// -create-admin works there, and instances sharing a session key accept
// each other's sessions.
func TestUsersAndSessionsOnPostgres(t *testing.T) {
	cfg, _ := pgConfig(t)
	cfg.SessionKey = []byte("a shared session key of 32 bytes or more")
	t.Setenv("CRM_ADMIN_PASSWORD", "pg-admin-password")
	require.NoError(t, addAdmin(context.Background(), cfg, "Boss", strings.NewReader("")))
	assert.ErrorIs(t, addAdmin(context.Background(), cfg, "boss", strings.NewReader("")), errUsernameTaken)

	open := func() (*App, http.Handler) {
		app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(app.Close)
		h, err := app.Routes()
		require.NoError(t, err)
		return app, h
	}
	a, ha := open()
	_, hb := open()
	n, err := a.db.CountAdmins(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)

	// Signed in on A...
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", strings.NewReader("username=boss&password=pg-admin-password"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ha.ServeHTTP(w, req)
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	cookies := w.Result().Cookies()
	require.Len(t, cookies, 1)
	// ...the admin adds an agent user on B.
	agent, err := a.db.AddAgent(context.Background(), "Ana Rojas")
	require.NoError(t, err)
	w = httptest.NewRecorder()
	req = httptest.NewRequest("POST", "/users", strings.NewReader("username=ana&password=ana-password&role=agent&agent_id="+agent))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookies[0])
	hb.ServeHTTP(w, req)
	require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
	assert.Equal(t, "/users?msg=user_added", w.Header().Get("Location"))
	u, ok, err := a.db.Authenticate(context.Background(), "ana", "ana-password")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, agent, u.AgentID)
	assert.Equal(t, "Ana Rojas", u.AgentName)
	require.NoError(t, a.db.SetDisabled(context.Background(), u.ID, true))
	_, ok, err = a.db.Authenticate(context.Background(), "ana", "ana-password")
	require.NoError(t, err)
	assert.False(t, ok, "disabled")
	assert.ErrorIs(t, a.db.SetDisabled(context.Background(), a.mustUserID(t, "boss"), true), errLastAdmin)
}

func (a *App) mustUserID(t *testing.T, username string) string {
	t.Helper()
	users, err := a.db.Users(context.Background())
	require.NoError(t, err)
	for _, u := range users {
		if u.Username == username {
			return u.ID
		}
	}
	t.Fatalf("no user %s", username)
	return ""
}
