package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

// live reads GET /api/live as c.
func (c *testApp) live(t *testing.T) LiveCards {
	t.Helper()
	code, body := c.get(t, "/api/live")
	require.Equal(t, http.StatusOK, code, body)
	var lc LiveCards
	require.NoError(t, json.Unmarshal([]byte(body), &lc), body)
	return lc
}

func (lc LiveCards) ids() []string {
	var out []string
	for _, m := range lc.Messages {
		out = append(out, m.Call.CallID)
	}
	return out
}

func TestLiveCardsAreTheSignedInAgentsCalls(t *testing.T) {
	app := newTestApp(t)
	ana, beto := app.as(t, "ana"), app.as(t, "beto")

	code, _ := app.noRedirects().get(t, "/api/live")
	assert.Equal(t, http.StatusUnauthorized, code, "no session, no cards")
	assert.Empty(t, ana.live(t).Messages, "no call yet")

	app.fake.ScriptNext(cmwtest.Script{Ring: 20 * time.Second, Talk: 20 * time.Second}) // rings while we look
	code, body := ana.post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, http.StatusOK, code, body)
	var r struct{ CallID string }
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Eventually(t, func() bool { _, err := app.ledger.Get(context.Background(), r.CallID); return err == nil }, 5*time.Second, 10*time.Millisecond)

	lc := ana.live(t)
	require.Equal(t, []string{r.CallID}, lc.ids(), "Ana's live call")
	m := lc.Messages[0]
	assert.Equal(t, "pop", m.Type)
	assert.Equal(t, "ringing", string(m.Call.State))
	assert.True(t, m.Call.Live)
	assert.Equal(t, "in", string(m.Call.Direction))
	assert.Equal(t, "known", string(m.Match.Kind))
	assert.Equal(t, "Marta Solís", m.Match.Contacts[0].Name)
	assert.False(t, m.Call.DetectTime.IsZero())
	assert.False(t, lc.Now.IsZero(), "the timers' reference")
	assert.Empty(t, beto.live(t).Messages, "Ana's call is not Beto's")

	// An ended call without a disposition stays as a wrap-up card until
	// it is disposed.
	app.fake.ScriptNext(cmwtest.Script{Ring: 50 * time.Millisecond, Talk: 50 * time.Millisecond})
	code, body = beto.post(t, "/demo/inbound", url.Values{"kind": {"shared"}})
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Eventually(t, func() bool {
		c, err := app.ledger.Get(context.Background(), r.CallID)
		return err == nil && !c.Live
	}, 5*time.Second, 10*time.Millisecond)
	lc = beto.live(t)
	require.Equal(t, []string{r.CallID}, lc.ids(), "Beto's wrap-up")
	assert.Equal(t, "end", lc.Messages[0].Type)
	assert.Equal(t, "candidates", string(lc.Messages[0].Match.Kind))
	assert.False(t, slices.Contains(ana.live(t).ids(), r.CallID))

	code, body = beto.post(t, "/api/disposition", url.Values{"callid": {r.CallID}, "result": {"CONTACTO"}, "charge": {"20"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Un cargo necesita un contacto", "refused, and said why")
	code, body = beto.post(t, "/api/disposition", url.Values{"callid": {r.CallID}, "result": {"CONTACTO"}, "charge": {"20"}}, "Accept-Language", "en")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "A charge needs a contact")
	code, body = beto.post(t, "/api/disposition", url.Values{"callid": {r.CallID}, "result": {"CONTACTO"}})
	require.Equal(t, http.StatusOK, code, body)
	assert.Empty(t, beto.live(t).Messages, "disposed: no wrap-up left")
}

// A busy phone's newest wrap-up cards are restored: the console reads the
// phone's recent calls newest first, so its per-phone cap of 50 drops the
// oldest, never the call the agent just finished.
func TestLiveCardsKeepTheNewestWrapUps(t *testing.T) {
	app := newTestApp(t)
	ctx := t.Context()
	now := time.Now()
	for i := range 60 {
		at := callmyway.NewTime(now.Add(-time.Duration(120-i) * time.Minute))
		require.NoError(t, app.ledger.HandleEvent(ctx, webhook.Event{Action: webhook.CallEnd, Call: webhook.Call{ID: fmt.Sprintf("wrap-%02d", i),
			Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound, ANI: fmt.Sprintf("5067000%04d", i),
			DetectTime: at, DisconnectTime: at}}))
	}
	ids := app.as(t, "ana").live(t).ids()
	assert.Contains(t, ids, "wrap-59", "the newest wrap-up card")
	assert.NotContains(t, ids, "wrap-00", "the oldest beyond the cap")
}
