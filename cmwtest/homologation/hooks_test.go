package homologation_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
)

// withToken lets through requests carrying "Authorization: Bearer tok",
// as a CRM's sign-in lets its admins through.
func withToken(tok string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			http.Error(w, `{"error":"sign in as an admin"}`, http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TestHooksRoundTrip: what RemoteHooks sends is what the CRM's hooks get,
// and what they answer comes back, errors included.
func TestHooksRoundTrip(t *testing.T) {
	var mu sync.Mutex
	var got []string
	record := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf(format, args...))
	}
	at := time.Date(2025, 6, 2, 15, 4, 5, 0, time.FixedZone("CST", -6*3600))
	crm := homologation.Target{
		Sync: func(context.Context) error { record("sync"); return nil },
		Dial: func(_ context.Context, agent callmyway.Endpoint, number string) error {
			record("dial %s %s %s", agent.ID, agent.User, number)
			if number == "busy" {
				return errors.New("agent 8000002 is on a call")
			}
			return nil
		},
		Reassign: func(_ context.Context, ep callmyway.Endpoint, from time.Time) error {
			record("reassign %s %s", ep.ID, from.UTC().Format(time.RFC3339))
			return nil
		},
		// No Owner: the CRM does not offer it.
	}
	srv := httptest.NewServer(withToken("admin-token", homologation.HooksHandler(crm)))
	defer srv.Close()

	hooks, err := homologation.RemoteHooks(srv.URL+"/hooks", http.Header{"Authorization": {"Bearer admin-token"}}, nil)
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, hooks.Sync(ctx))
	require.NoError(t, hooks.Dial(ctx, callmyway.Endpoint{ID: "5001", User: "8000002"}, "7000-0007"))
	require.NoError(t, hooks.Reassign(ctx, callmyway.Endpoint{ID: "5003", User: "8000004"}, at))
	assert.Equal(t, []string{"sync", "dial 5001 8000002 7000-0007", "reassign 5003 2025-06-02T21:04:05Z"}, got)

	err = hooks.Dial(ctx, callmyway.Endpoint{User: "8000002"}, "busy")
	var he *homologation.HookError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, homologation.HookError{Hook: "dial", Status: http.StatusUnprocessableEntity, Message: "agent 8000002 is on a call"}, *he)
	assert.NotErrorIs(t, err, homologation.ErrHookNotImplemented)

	_, err = hooks.Owner(ctx, "123")
	assert.ErrorIs(t, err, homologation.ErrHookNotImplemented, "501: not offered")
	assert.Contains(t, err.Error(), "no owner hook")

	// Without the admin's credentials: a 403 that says what to give.
	anon, err := homologation.RemoteHooks(srv.URL+"/hooks", nil, nil)
	require.NoError(t, err)
	err = anon.Sync(ctx)
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusForbidden, he.Status)
	assert.Contains(t, err.Error(), "admin's credentials")

	for _, u := range []string{"", "/hooks", "ftp://crm/hooks", "http:///hooks"} {
		_, err := homologation.RemoteHooks(u, nil, nil)
		assert.ErrorIs(t, err, homologation.ErrTarget, "%q", u)
	}
}

// TestHooksHandlerRefusesBadRequests: each malformed request gets its
// status and a reason, and no hook runs.
func TestHooksHandlerRefusesBadRequests(t *testing.T) {
	ran := false
	h := homologation.HooksHandler(homologation.Target{
		Sync:  func(context.Context) error { ran = true; return nil },
		Dial:  func(context.Context, callmyway.Endpoint, string) error { ran = true; return nil },
		Owner: func(context.Context, string) (string, error) { ran = true; return "Ana", nil },
	})
	for _, c := range []struct {
		method, ctype, body string
		status              int
		reason              string
	}{
		{"GET", "", "", 405, "POST"},
		{"POST", "application/x-www-form-urlencoded", "hook=sync", 415, "application/json"},
		{"POST", "text/plain", `{"hook":"sync"}`, 415, "application/json"},
		{"POST", "application/json", `{"hook":`, 400, "not a hook request"},
		{"POST", "application/json", `{"hook":"sync"} {"hook":"sync"}`, 400, "more than one"},
		{"POST", "application/json", `{}`, 400, `no \"hook\"`},
		{"POST", "application/json", `{"hook":"delete-everything"}`, 400, "unknown hook"},
		{"POST", "application/json", `{"hook":"dial","number":"7000-0007"}`, 400, `needs \"agent\" and \"number\"`},
		{"POST", "application/json", `{"hook":"dial","agent":{"id":"5001"}}`, 400, `needs \"agent\" and \"number\"`},
		{"POST", "application/json", `{"hook":"reassign","endpoint":{"id":"5001"}}`, 400, `needs \"endpoint\" and \"at\"`},
		{"POST", "application/json", `{"hook":"owner"}`, 400, `needs \"callid\"`},
		{"POST", "application/json", `{"hook":"owner","callid":"` + strings.Repeat("9", 70<<10) + `"}`, 400, "not a hook request"},
	} {
		req := httptest.NewRequest(c.method, "/hooks", strings.NewReader(c.body))
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		assert.Equal(t, c.status, w.Code, "%s %s %.40s", c.method, c.ctype, c.body)
		assert.Contains(t, w.Body.String(), c.reason, "%s %s %.40s", c.method, c.ctype, c.body)
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	}
	assert.False(t, ran, "a refused request ran a hook")

	req := httptest.NewRequest("POST", "/hooks", strings.NewReader(`{"hook":"owner","callid":"123"}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assert.Equal(t, 200, w.Code)
	assert.JSONEq(t, `{"owner":"Ana"}`, w.Body.String())
}

// TestReferenceHooksOverHTTP runs the two scenarios that need the CRM to
// act (dial, reassign) with the hooks over HTTP, as `cmw homologate
// -crm-hooks` does: they pass, and a CRM that offers none of them gets
// them skipped, not failed.
func TestReferenceHooksOverHTTP(t *testing.T) {
	t.Parallel()
	for _, offered := range []bool{true, false} {
		r, err := homologation.New(homologation.WithScenarios("reassigned", "never-connected"))
		require.NoError(t, err)
		defer r.Close()
		ref, err := homologation.NewReference(r)
		require.NoError(t, err)
		defer ref.Close()
		crm := ref.Target()
		served := crm
		if !offered {
			served = homologation.Target{}
		}
		srv := httptest.NewServer(withToken("admin-token", homologation.HooksHandler(served)))
		defer srv.Close()
		target, err := homologation.RemoteHooks(srv.URL+"/homologation/hooks", http.Header{"Authorization": {"Bearer admin-token"}}, nil)
		require.NoError(t, err)
		target.Name, target.WebhookURL, target.LedgerURL, target.LedgerHeader = "reference over HTTP", crm.WebhookURL, crm.LedgerURL, crm.LedgerHeader
		rep, err := r.Run(t.Context(), target)
		require.NoError(t, err)
		require.Len(t, rep.Results, 2)
		want := homologation.Pass
		if !offered {
			want = homologation.Skip
		}
		for _, x := range rep.Results {
			t.Logf("offered %v: %-16s %s %s", offered, x.ID, x.Verdict, x.Reason)
			assert.Equal(t, want, x.Verdict, "%s: %s", x.ID, x.Reason)
		}
		assert.Equal(t, srv.URL+"/homologation/hooks", rep.Hooks, "the report names the hooks")
	}
}
