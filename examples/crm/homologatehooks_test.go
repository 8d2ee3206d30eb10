package main

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
)

// TestHomologationHooksAreForAdminsOnly: the hooks route exists only when
// turned on, and then answers admins only; an admin's hook runs.
func TestHomologationHooksAreForAdminsOnly(t *testing.T) {
	acct := callmyway.Account{Username: cmwtest.DefaultUsername, Location: time.UTC, Region: "CR"}
	post := func(base, cookie, ctype, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/homologation/hooks", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", ctype)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	const owner = `{"hook":"owner","callid":"17489012345670"}`

	off := startCertifiedCRM(t, acct, cmwtest.DefaultPassword, "http://127.0.0.1:1", cmwtest.DefaultEndpoints, false)
	code, _ := post(off.url, signIn(t, off.url, "admin", "certify-me-please"), "application/json", owner)
	assert.Equal(t, http.StatusNotFound, code, "no hooks unless turned on")

	on := startCertifiedCRM(t, acct, cmwtest.DefaultPassword, "http://127.0.0.1:1", cmwtest.DefaultEndpoints, true)
	code, _ = post(on.url, "", "application/json", owner)
	assert.Equal(t, http.StatusUnauthorized, code, "signed out")
	code, _ = post(on.url, signIn(t, on.url, "super", "certify-me-please"), "application/json", owner)
	assert.Equal(t, http.StatusForbidden, code, "a supervisor")

	admin := signIn(t, on.url, "admin", "certify-me-please")
	code, body := post(on.url, admin, "application/json", owner)
	assert.Equal(t, http.StatusUnprocessableEntity, code, body)
	assert.Contains(t, body, "call 17489012345670 is not on the calls page", "the owner hook ran and said why it failed")
	code, _ = post(on.url, admin, "application/x-www-form-urlencoded", "hook=owner&callid=1")
	assert.Equal(t, http.StatusUnsupportedMediaType, code, "a form cannot call a hook")
	code, body = post(on.url, admin, "application/json", `{"hook":"reassign","endpoint":{"id":"5003","user":"8000003"},"at":"2025-06-02T15:04:05Z"}`)
	assert.Equal(t, http.StatusOK, code, body)
	ag, ok, err := on.app.db.AgentFor(t.Context(), callmyway.Endpoint{ID: "5003"}, time.Date(2025, 6, 2, 15, 4, 5, 0, time.UTC))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "Nuevo agente de 5003", ag.Name, "the phone is the new agent's from then on")
}

// The hooks dial as any agent: a CRM refuses to serve them unless its
// CallMyWay is a fake on this machine (or the demo's).
func TestHomologationHooksNeedALocalFake(t *testing.T) {
	for _, base := range []string{"", "https://www.callmyway.com", "http://10.0.0.5:18790", "::"} {
		_, err := NewApp(t.Context(), Config{DB: filepath.Join(t.TempDir(), "crm.db"), Loc: time.UTC, Region: "CR",
			Username: cmwtest.DefaultUsername, Password: cmwtest.DefaultPassword, BaseURL: base, HomologationHooks: true},
			slog.New(slog.DiscardHandler))
		assert.ErrorIs(t, err, errHooksNeedAFake, "base URL %q", base)
	}
	for _, base := range []string{"http://127.0.0.1:18790", "http://localhost:1", "http://[::1]:2"} {
		assert.True(t, loopbackURL(base), base)
	}
}
