package calls

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandler(t *testing.T) {
	l, _, clk := setup(t)
	endedCall(t, l, clk, "A", "+50611110000")
	_, err := l.RecordDial(t.Context(), Dial{Ref: "r", Agent: agent2, Number: "+50688887777", At: clk.Now().Add(time.Hour)})
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/calls", l.Handler()))
	defer srv.Close()

	get := func(path string) (int, map[string]any, []any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var v any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
		m, _ := v.(map[string]any)
		a, _ := v.([]any)
		return resp.StatusCode, m, a
	}

	code, m, _ := get("/calls/A")
	assert.Equal(t, 200, code)
	assert.Equal(t, "A", m["id"])
	assert.Equal(t, "ended", m["state"])

	code, m, _ = get("/calls/dial:r")
	assert.Equal(t, 200, code)
	assert.Equal(t, "requested", m["state"])

	code, m, _ = get("/calls/nope")
	assert.Equal(t, 404, code)
	assert.Contains(t, m["error"], "nope")

	from, to := clk.Now().Add(-time.Minute).Format(time.RFC3339), clk.Now().Add(2*time.Hour).Format(time.RFC3339)
	q := url.Values{"from": {from}, "to": {to}}
	code, _, a := get("/calls/?" + q.Encode())
	assert.Equal(t, 200, code)
	assert.Len(t, a, 2)
	q.Set("agent", "8000002")
	_, _, a = get("/calls/?" + q.Encode())
	require.Len(t, a, 1)
	assert.Equal(t, "dial:r", a[0].(map[string]any)["id"])
	q.Del("agent")
	q.Set("state", "ended")
	q.Set("limit", "1")
	_, _, a = get("/calls/?" + q.Encode())
	require.Len(t, a, 1)
	assert.Equal(t, "A", a[0].(map[string]any)["id"])

	for _, tc := range []struct{ query, param string }{
		{"to=" + url.QueryEscape(to), "from"},
		{"from=yesterday&to=" + url.QueryEscape(to), "from"},
		{"from=" + url.QueryEscape(to) + "&to=" + url.QueryEscape(from), "to"},
		{"from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(to) + "&state=gone", "state"},
		{"from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(to) + "&limit=0", "limit"},
		{"from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(to) + "&limit=x", "limit"},
		{"from=" + url.QueryEscape(from) + "&to=" + url.QueryEscape(to) + "&agent=a%20b", "agent"},
	} {
		code, m, _ := get("/calls/?" + tc.query)
		assert.Equal(t, 400, code, tc.query)
		assert.Equal(t, tc.param, m["param"], tc.query)
		assert.NotEmpty(t, m["error"])
	}

	resp, err := http.Post(srv.URL+"/calls/A", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 405, resp.StatusCode)
	assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
}
