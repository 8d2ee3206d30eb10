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

// TestTwoInstancesOnPostgres: the same CRM (same migrations) on
// PostgreSQL; two instances on one database behave as one.
func TestTwoInstancesOnPostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	loc, _ := time.LoadLocation("America/Costa_Rica")
	acct := callmyway.Account{Username: cmwtest.DefaultUsername, Location: loc, Region: "CR"}
	fake := cmwtest.NewServer(cmwtest.WithAccount(acct, cmwtest.DefaultPassword)) // the account's zone, as the CRM is told
	defer fake.Close()
	open := func() (*App, http.Handler) {
		app, err := NewApp(context.Background(), Config{DB: dsn, Username: fake.Account().Username, Password: fake.Password(), BaseURL: fake.URL,
			Loc: loc, Region: "CR", WebhookPath: "/cmw/hook", WebhookToken: "pg-token-0123456789"}, slog.New(slog.DiscardHandler))
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
		time.Now().In(loc).Format("2006-01-02 15:04:05") + `"}}`
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
