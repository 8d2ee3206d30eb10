package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
)

var updateCertificate = flag.Bool("update-certificate", false, "write docs/certificate.html and docs/certificate.json from this run")

// TestHomologation certifies the reference CRM: the CRM runs in process
// as `crm` runs with real credentials (not demo mode), pointed at the
// homologation runner's fake CallMyWay, and every scenario must pass.
// The runner reads the CRM's ledger at GET /ledger/ as a signed-in
// supervisor (the session cookie in Target.LedgerHeader).
//
// Regenerate the committed certificate with
//
//	go test ./examples/crm -run TestHomologation -update-certificate
//
// (or CRM_UPDATE_CERTIFICATE=1).
func TestHomologation(t *testing.T) {
	if testing.Short() {
		t.Skip("about 40 s of CDR queries spaced by the 4-second rule")
	}
	ctx := t.Context()
	r, err := homologation.New()
	require.NoError(t, err)
	defer r.Close()

	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	defer srv.Close()
	const token = "homologation-token-0123456789"
	acct := r.Account()
	app, err := NewApp(ctx, Config{DB: filepath.Join(t.TempDir(), "crm.db"), Loc: acct.Location, Region: acct.Region,
		Username: acct.Username, Password: r.Password(), BaseURL: r.URL(),
		WebhookPath: "/cmw/hook", WebhookToken: token, PublicURL: srv.URL}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer app.Close()
	routes, err := app.Routes()
	require.NoError(t, err)
	h.Store(routes)

	// What an admin sets up before going live: agents mapped to the
	// account's endpoints, customers (two contacts share a number), a
	// supervisor who may read the ledger.
	from := time.Now().AddDate(0, 0, -30)
	for _, e := range r.Fake().Endpoints() {
		id, err := app.db.AddAgent(ctx, "Agente "+e.ID)
		require.NoError(t, err)
		require.NoError(t, app.db.AssignEndpoint(ctx, Endpoint{AgentID: id, EndpointID: e.ID, Username: e.User, Password: e.Password,
			Private: e.Private, Primary: true, ValidFrom: from}))
	}
	cu, err := app.db.AddCustomer(ctx, "Familia Mora", "1-0923-0456")
	require.NoError(t, err)
	for _, n := range []string{"Diego Mora", "Elena Mora"} {
		_, err := app.db.AddContact(ctx, cu, n, "2222-3333")
		require.NoError(t, err)
	}
	_, err = app.db.AddUser(ctx, "super", "certify-me-please", RoleSupervisor, "")
	require.NoError(t, err)
	cookie := signIn(t, srv.URL, "super", "certify-me-please")

	target := homologation.Target{
		Name:         "examples/crm, the reference CRM (SQLite)",
		WebhookURL:   srv.URL + "/cmw/hook/" + token,
		LedgerURL:    srv.URL + "/ledger/",
		LedgerHeader: http.Header{"Cookie": {cookie}},
		Sync: func(ctx context.Context) error {
			_, err := app.syncer.SyncOnce(ctx)
			return err
		},
		// The console's click, without the browser: the agent's Dialer.
		Dial: func(ctx context.Context, ep callmyway.Endpoint, number string) error {
			ag, ok, err := app.db.AgentFor(ctx, ep, time.Now())
			if err != nil || !ok {
				return fmt.Errorf("no agent has %s: %v", ep, err)
			}
			d, _, err := app.dialerFor(ctx, ag.ID)
			if err != nil {
				return err
			}
			_, err = d.Dial(ctx, click2dial.Request{Agent: ag.Endpoint, Number: number})
			return err
		},
		// The admin's agents page: the phone goes to a new agent from at.
		Reassign: func(ctx context.Context, ep callmyway.Endpoint, at time.Time) error {
			id, err := app.db.AddAgent(ctx, "Nuevo agente de "+ep.ID)
			if err != nil {
				return err
			}
			return app.db.AssignEndpoint(ctx, Endpoint{AgentID: id, EndpointID: ep.ID, Username: ep.User, Primary: true, ValidFrom: at})
		},
		// The calls page: the agent each call is credited to.
		Owner: func(ctx context.Context, callid string) (string, error) {
			rows, err := app.History(ctx, CallsFilter{From: time.Now().Add(-48 * time.Hour), To: time.Now().Add(48 * time.Hour)})
			if err != nil {
				return "", err
			}
			for _, row := range rows {
				if row.CallID == callid {
					return row.AgentName, nil
				}
			}
			return "", fmt.Errorf("call %s is not on the calls page", callid)
		},
	}
	start := time.Now()
	rep, err := r.Run(ctx, target)
	require.NoError(t, err)
	for _, x := range rep.Results {
		t.Logf("%-16s %s %6v  %s", x.ID, x.Verdict, x.Duration.Round(time.Millisecond), x.Reason)
		assert.Equal(t, homologation.Pass, x.Verdict, "%s: %s", x.ID, x.Reason)
	}
	assert.True(t, rep.Passed())
	t.Logf("the certification took %v", time.Since(start).Round(time.Millisecond))

	if *updateCertificate || os.Getenv("CRM_UPDATE_CERTIFICATE") != "" {
		require.True(t, rep.Passed(), "a failing run is no certificate")
		for name, write := range map[string]func(*os.File) error{
			"certificate.html": func(f *os.File) error { return rep.WriteHTML(f) },
			"certificate.json": func(f *os.File) error { return rep.WriteJSON(f) },
		} {
			f, err := os.Create(filepath.Join("..", "..", "docs", name))
			require.NoError(t, err)
			require.NoError(t, write(f))
			require.NoError(t, f.Close())
		}
	}
}

// signIn posts the sign-in form and returns the session cookie as a
// Cookie header value.
func signIn(t *testing.T, base, user, password string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {user}, "password": {password}})
	require.NoError(t, err)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			return ck.Name + "=" + ck.Value
		}
	}
	t.Fatalf("signing in as %s set no session cookie (HTTP %d)", user, resp.StatusCode)
	return ""
}

// TestCertificateIsCommitted checks the committed certificate is a
// passing run of every scenario, with no secret in it.
func TestCertificateIsCommitted(t *testing.T) {
	html, err := os.ReadFile(filepath.Join("..", "..", "docs", "certificate.html"))
	require.NoError(t, err, "regenerate with: go test ./examples/crm -run TestHomologation -update-certificate")
	js, err := os.ReadFile(filepath.Join("..", "..", "docs", "certificate.json"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "PASSED")
	for _, s := range homologation.Scenarios() {
		assert.Contains(t, string(js), `"id": "`+s.ID+`"`)
	}
	assert.NotContains(t, string(js), `"verdict": "FAIL"`)
	for _, secret := range []string{"homologation-token-0123456789", "12345678901", "certify-me-please"} {
		assert.False(t, strings.Contains(string(html), secret) || strings.Contains(string(js), secret), "the certificate shows %q", secret)
	}
}
