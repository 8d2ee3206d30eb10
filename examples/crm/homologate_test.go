package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
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
		t.Skip("about a minute of CDR queries spaced by the 4-second rule")
	}
	ctx := t.Context()
	r, err := homologation.New()
	require.NoError(t, err)
	defer r.Close()

	crm := startCertifiedCRM(t, r.Account(), r.Password(), r.URL(), r.Fake().Endpoints(), false)
	cookie := signIn(t, crm.url, "super", "certify-me-please")
	// The hooks are the ones `cmw homologate -crm-hooks` calls over HTTP
	// (homologatehooks.go), here called in process.
	target := crm.app.homologationHooks()
	target.Name = "examples/crm, the reference CRM (SQLite)"
	target.WebhookURL, target.LedgerURL = crm.webhook, crm.url+"/ledger/"
	target.LedgerHeader = http.Header{"Cookie": {cookie}}
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

// certifiedCRM is the CRM under certification, running in process.
type certifiedCRM struct {
	app     *App
	url     string // its base URL
	webhook string // its webhook URL, token included
}

// certToken is the CRM's webhook token in the certification tests.
const certToken = "homologation-token-0123456789"

// startCertifiedCRM starts the CRM as `crm` runs with real credentials
// (not demo mode) against the CallMyWay at baseURL, on a fresh SQLite
// file, with what an admin sets up before going live: agents mapped to
// the account's endpoints, customers (two contacts share a number), a
// supervisor who may read the ledger ("super") and an admin ("admin"),
// both with the password "certify-me-please". hooks serves the
// homologation hooks. Everything stops with the test.
func startCertifiedCRM(t *testing.T, acct callmyway.Account, password, baseURL string, endpoints []cmwtest.Endpoint, hooks bool) certifiedCRM {
	t.Helper()
	ctx := t.Context()
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().(http.Handler).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	app, err := NewApp(ctx, Config{DB: filepath.Join(t.TempDir(), "crm.db"), Loc: acct.Location, Region: acct.Region,
		Username: acct.Username, Password: password, BaseURL: baseURL,
		WebhookPath: "/cmw/hook", WebhookToken: certToken, PublicURL: srv.URL, HomologationHooks: hooks}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	routes, err := app.Routes()
	require.NoError(t, err)
	h.Store(routes)

	from := time.Now().AddDate(0, 0, -30)
	for _, e := range endpoints {
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
	_, err = app.db.AddUser(ctx, "admin", "certify-me-please", RoleAdmin, "")
	require.NoError(t, err)
	return certifiedCRM{app: app, url: srv.URL, webhook: srv.URL + "/cmw/hook/" + certToken}
}

// TestHomologateCommand certifies the reference CRM from the outside, as
// its operator would: the CRM runs (here in process) against the fake
// `cmw homologate` starts, with its homologation hooks on; the test signs
// in as an admin and runs the cmw binary with the CRM's webhook, ledger
// and hooks URLs and the session cookie. Every scenario must pass over
// HTTP, none skipped: the SDK's own checks and the 13 fault scenarios,
// dial and reassign included.
func TestHomologateCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmw and runs the whole certification (about two minutes)")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	dir := t.TempDir()
	cmw := filepath.Join(dir, "cmw")
	if out, err := exec.Command(gobin, "build", "-o", cmw, "github.com/callmyway-go/sdk/cmd/cmw").CombinedOutput(); err != nil {
		t.Fatalf("go build cmw: %v\n%s", err, out)
	}
	// Where cmw's fake will listen: the CRM is configured with it first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fakeAddr := ln.Addr().String()
	require.NoError(t, ln.Close())

	// An account zone other than this machine's, or the zone scenario
	// could not tell them apart (and would be skipped).
	zone := "America/Costa_Rica"
	if cr, err := time.LoadLocation(zone); err == nil {
		_, off := time.Now().In(cr).Zone()
		if _, here := time.Now().Zone(); off == here {
			zone = "Asia/Kolkata"
		}
	}
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	acct := callmyway.Account{Username: cmwtest.DefaultUsername, Location: loc, Region: "CR"}
	crm := startCertifiedCRM(t, acct, cmwtest.DefaultPassword, "http://"+fakeAddr, cmwtest.DefaultEndpoints, true)
	cookie := signIn(t, crm.url, "admin", "certify-me-please")

	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()
	report := filepath.Join(dir, "report.json")
	cmd := exec.CommandContext(ctx, cmw, "homologate",
		"-crm-webhook", crm.webhook, "-crm-ledger", crm.url+"/ledger/", "-crm-hooks", crm.url+"/homologation/hooks",
		"-ledger-header", "Cookie: "+cookie, "-fake-addr", fakeAddr, "-cdr-wait", "1m",
		"-report-json", report, "-report-html", filepath.Join(dir, "report.html"))
	cmd.Env = append(os.Environ(), "CMW_USERNAME="+acct.Username, "CMW_PASSWORD="+cmwtest.DefaultPassword, "CMW_TZ="+zone,
		"CMW_REGION=CR", "CMW_BASE_URL=", "CMW_STATE_DIR="+dir)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	t.Logf("cmw homologate (%v):\n%s", time.Since(start).Round(time.Second), out.String())
	require.NoError(t, err, "cmw homologate failed")
	assert.Contains(t, out.String(), "fake CallMyWay at http://"+fakeAddr)
	assert.Regexp(t, `\d+ scenarios, 0 failed, 0 skipped`, out.String())

	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep homologation.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	verdicts := map[string]homologation.Verdict{}
	for _, x := range rep.Results {
		verdicts[x.ID] = x.Verdict
		assert.Equal(t, homologation.Pass, x.Verdict, "%s (%s): %s", x.ID, x.Name, x.Reason)
	}
	for _, s := range homologation.Scenarios() {
		assert.Equal(t, homologation.Pass, verdicts[s.ID], "scenario %s over HTTP", s.ID)
	}
	assert.True(t, rep.Passed())
	assert.Equal(t, crm.url+"/homologation/hooks", rep.Hooks)
	assert.Equal(t, zone, rep.Zone)
	assert.NotContains(t, string(b), certToken, "the webhook token is redacted")
	assert.NotContains(t, string(b), strings.TrimPrefix(cookie, sessionCookie+"="), "the session cookie is never written")
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
// passing run of every scenario, none failed or skipped, with no secret
// in it.
func TestCertificateIsCommitted(t *testing.T) {
	html, err := os.ReadFile(filepath.Join("..", "..", "docs", "certificate.html"))
	require.NoError(t, err, "regenerate with: go test ./examples/crm -run TestHomologation -update-certificate")
	js, err := os.ReadFile(filepath.Join("..", "..", "docs", "certificate.json"))
	require.NoError(t, err)
	var rep homologation.Report
	require.NoError(t, json.Unmarshal(js, &rep), "docs/certificate.json is not a report")
	verdicts := map[string]homologation.Verdict{}
	for _, x := range rep.Results {
		_, twice := verdicts[x.ID]
		assert.False(t, twice, "scenario %s is in the certificate twice", x.ID)
		verdicts[x.ID] = x.Verdict
		assert.Equal(t, homologation.Pass, x.Verdict, "%s: %s", x.ID, x.Reason)
	}
	for _, s := range homologation.Scenarios() {
		v, ok := verdicts[s.ID]
		assert.True(t, ok, "scenario %s is not in the certificate", s.ID)
		assert.Equal(t, homologation.Pass, v, "scenario %s", s.ID)
	}
	assert.Len(t, rep.Results, len(homologation.Scenarios()))
	assert.True(t, rep.Passed())
	assert.Zero(t, rep.Count(homologation.Fail))
	assert.Zero(t, rep.Count(homologation.Skip))

	n := len(rep.Results)
	assert.Contains(t, string(html), fmt.Sprintf(`<span class="pass">PASSED</span>: %d passed, 0 failed, 0 skipped of %d`, n, n))
	assert.NotContains(t, string(html), "NOT PASSED")
	assert.NotContains(t, string(html), `class="fail"`)
	assert.NotContains(t, string(html), `class="skip"`)
	for _, secret := range []string{certToken, "12345678901", "certify-me-please"} {
		assert.False(t, strings.Contains(string(html), secret) || strings.Contains(string(js), secret), "the certificate shows %q", secret)
	}
}
