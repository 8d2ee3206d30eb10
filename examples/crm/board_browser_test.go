package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cmwtest"
)

// boardBrowser is a headless Chromium signed in as username on the
// board of a demo CRM, at width×height. It skips without Chromium.
func boardBrowser(t *testing.T, a *testApp, username string, width, height int) *console {
	t.Helper()
	ctx, dir := headless(t, width, height)
	c := &console{t: t, a: a, ctx: ctx, dir: dir}
	c.signIn(username, "/board", `#board`, width, height)
	c.until(`document.getElementById('board').dataset.loaded >= 1`)
	return c
}

// chartDrawn is JavaScript true when the canvas id has a Chart.js chart
// with non-blank pixels.
func chartDrawn(id string) string {
	return `(() => { const cv = document.getElementById('` + id + `'); if (!cv || !window.Chart || !Chart.getChart(cv) || cv.width === 0 || cv.height === 0) return false;
		const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
		for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true; return false; })()`
}

// disposeSome records dispositions on some of today's answered calls, as
// agents would have (one with a charge), so the result-code chart and the
// charges have something to show.
func disposeSome(t *testing.T, a *testApp) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().In(a.cfg.Loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc)
	cs, err := a.db.Customers(ctx)
	require.NoError(t, err)
	codes := []string{"PAGO", "CONTACTO", "CONTACTO", "RELLAMAR", "NOCONTESTA", "PAGO", "EQUIVOCADO", "CONTACTO"}
	i := 0
	for c, err := range a.ledger.Calls(ctx, calls.Query{From: day, To: now}) {
		require.NoError(t, err)
		if c.Outcome != calls.OutcomeAnswered || i >= 3*len(codes) {
			continue
		}
		code := codes[i%len(codes)]
		d := calls.Disposition{By: a.userID(t, "ana"), Result: code, Case: cs[i%len(cs)].ID}
		if code == "PAGO" {
			d.Charges = []calls.Charge{{Key: "case:" + c.ID, Amount: decimal.NewFromInt(2500), Currency: currency}}
		}
		_, err = a.ledger.Dispose(ctx, c.ID, d)
		require.NoError(t, err)
		i++
	}
}

// dialCampaigns puts in the ledger calls the CRM dialled in the demo
// customers' campaigns over the last days (cost, talk, some charges), so
// the board's cost per campaign has something to show.
func dialCampaigns(t *testing.T, a *testApp) {
	t.Helper()
	cs, err := a.db.Customers(context.Background())
	require.NoError(t, err)
	now := time.Now().Truncate(time.Second)
	for i, d := range []struct {
		ago          time.Duration
		talk         time.Duration
		cost, charge string
	}{
		{50 * time.Hour, 3 * time.Minute, "41.25", "15000"}, {49 * time.Hour, 0, "0", ""}, {28 * time.Hour, 90 * time.Second, "20.60", ""},
		{27 * time.Hour, 4 * time.Minute, "55.10", "22500.50"}, {6 * time.Hour, 2 * time.Minute, "27.45", ""}, {5 * time.Hour, 0, "0", ""},
		{4 * time.Hour, 75 * time.Second, "17.15", "8000"},
	} {
		cu := cs[i%len(cs)]
		cd := campaignDial{id: "camp-" + itoa(i), caseID: cu.ID, campaign: cu.Campaign, number: cu.Contacts[0].Phones[0].E164, at: now.Add(-d.ago),
			talk: d.talk, cost: d.cost}
		if d.charge != "" {
			cd.charges = []calls.Charge{ledgerCharge("case:"+cd.id, d.charge, currency)}
		}
		cd.apply(t, a.ledger)
	}
}

// A supervisor's board: an agent goes ringing when a demo inbound call
// rings their phone, then talking, the live call listed with its
// contact; the charts are drawn. Screenshots at 1366 and 390 px with the
// demo's week of calls (docs/board-*.png come from here).
func TestBoardBrowser(t *testing.T) {
	a := newTestApp(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.syncer.SyncOnce(ctx) // the seeded week reaches the ledger
	require.NoError(t, err)
	ana, beto, carla := a.agentID(t, "Ana"), a.agentID(t, "Beto"), a.agentID(t, "Carla")
	disposeSome(t, a)
	dialCampaigns(t, a)
	tile := func(id string) string { return `document.querySelector('li.agent-tile[data-agent="` + id + `"]')` }

	c := boardBrowser(t, a, "super", 1366, 900)
	assert.Equal(t, "available", c.eval(tile(ana)+`.dataset.state`))
	for _, id := range []string{"chart-hours", "chart-outcomes", "chart-results"} {
		c.until(chartDrawn(id))
	}
	assert.Equal(t, "true", c.eval(`String(document.getElementById('live').hidden)`), "no live call yet")
	assert.Equal(t, "2", c.eval(`String(document.querySelectorAll('#campaign-costs tbody tr').length)`), "Mora 30 and Mora 60")
	assert.Equal(t, "3", c.eval(`String(document.querySelectorAll('#top-cases tbody tr').length)`), "the demo's three cases")

	// Ana gets a demo inbound call from a known customer: ringing.
	a.fake.ScriptNext(cmwtest.Script{Ring: time.Minute, Talk: time.Minute})
	code, body := a.as(t, "ana").post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, 200, code, body)
	c.until(tile(ana) + `.dataset.state === 'ringing'`)
	assert.Equal(t, "sonando", c.text(`li.agent-tile[data-agent="`+ana+`"] .pill`))
	assert.Contains(t, c.text(`li.agent-tile[data-agent="`+ana+`"] .agent-call`), "8888 1111 · Marta Solís")
	c.until(`document.querySelectorAll('#live tbody tr').length === 1`)
	assert.Contains(t, c.text(`#live tbody tr`), "Ana Rojas")

	// Beto talks; Carla's short call ends undisposed: wrap-up.
	id, err := a.fake.Inbound("2222-3333", callmyway.Endpoint{ID: "5002"}, cmwtest.WithScript(talkLong))
	require.NoError(t, err)
	c.until(tile(beto) + `.dataset.state === 'ringing'`)
	connectNow(t, a, id)
	c.until(tile(beto) + `.dataset.state === 'talking'`)
	_, err = a.fake.Inbound("7000-0000", callmyway.Endpoint{ID: "5003"}, cmwtest.WithScript(cmwtest.Script{Ring: 200 * time.Millisecond, Talk: 500 * time.Millisecond}))
	require.NoError(t, err)
	c.until(tile(carla) + `.dataset.state === 'wrapup'`)
	c.until(`/^\d+:\d\d$/.test(document.querySelector('li.agent-tile[data-agent="` + beto + `"] .timer').textContent)`)
	c.until(`document.querySelectorAll('#live tbody tr').length === 2`)
	shot1366 := c.shot("board-1366.png")

	c.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))
	c.until(`document.documentElement.clientWidth === 390`)
	c.until(chartDrawn("chart-hours"))
	// The charts follow the new width (Chart.js resizes them on its own): then nothing overflows.
	c.until(`document.documentElement.scrollWidth <= document.documentElement.clientWidth`)
	assert.Equal(t, "true", c.eval(`String(document.getElementById('per-agent').getBoundingClientRect().right <= 390)`), "the per-agent table fits")
	for _, id := range []string{"campaign-costs", "top-cases"} {
		// Not scrolled inside its wrapper: the cost and the charges show.
		assert.Equal(t, "true", c.eval(`String(document.getElementById('`+id+`').parentElement.scrollWidth <= document.getElementById('`+id+`').parentElement.clientWidth)`),
			"the %s table fits", id)
	}
	shot390 := c.shot("board-390.png")
	for _, p := range []string{shot1366, shot390} {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Less(t, st.Size(), int64(1<<20), filepath.Base(p))
	}
}

// The admin pages at a phone's width: the users and agents pages fit
// without horizontal scrolling, and a role changed in the page sticks.
func TestAdminPagesOnAPhone(t *testing.T) {
	a := newTestApp(t)
	c := boardBrowser(t, a, "admin", 390, 844)
	for _, path := range []string{"/users", "/agents", "/board"} {
		c.do(chromedp.Navigate(a.srv.URL + path))
		c.until(`document.readyState === 'complete'`)
		c.until(`document.documentElement.scrollWidth <= document.documentElement.clientWidth`) // no horizontal overflow at 390 px
		c.shot("admin-390" + filepath.Base(path) + ".png")
	}
	c.do(
		chromedp.Navigate(a.srv.URL+"/users"),
		chromedp.SetValue(chromedp.CSS(`tr[data-user=carla] form.set-role select`), "supervisor"),
		chromedp.Click(chromedp.CSS(`tr[data-user=carla] form.set-role button`)),
		chromedp.WaitVisible(chromedp.CSS(`#msg`)),
	)
	assert.Equal(t, "Rol cambiado.", c.text(`#msg`))
	assert.Equal(t, "supervisor", c.eval(`document.querySelector('tr[data-user=carla] form.set-role select').value`))
}
