package main

import (
	"context"
	encodingcsv "encoding/csv"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
)

// Campaign names: spaces collapsed, letters (accents too), digits and
// ". - _ / #", 40 characters at most, nothing a spreadsheet would run.
func TestNormCampaign(t *testing.T) {
	for in, want := range map[string]string{"  Mora   30 ": "Mora 30", "": "", "Cartera B/2025 #3": "Cartera B/2025 #3", "Señal-Año_1.2": "Señal-Año_1.2",
		strings.Repeat("é", 40): strings.Repeat("é", 40)} {
		got, err := normCampaign(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"=SUM(A1)", "+1", "-1", "@x", "Mora\t30\x00", "a<b>", strings.Repeat("x", 41), "Mora, 30"} {
		_, err := normCampaign(in)
		assert.ErrorIs(t, err, errBadCampaign, "%q", in)
	}
}

// The case file shows the case's campaign (the demo seeds them) and
// agents change it there: a bad name is refused in the reader's language
// with the typed value kept, an empty one takes the case out of any
// campaign, and supervisors only read it.
func TestCampaignOnTheCaseFile(t *testing.T) {
	a := newTestApp(t)
	cu := mustCustomer(t, a, "Comercial Solís")
	assert.Equal(t, "Mora 30", cu.Campaign, "seeded")
	ana := a.as(t, "ana")
	_, page := ana.get(t, "/customers/"+cu.ID+"?lang=es")
	assert.Contains(t, page, `<span class="pill" id="customer-campaign">Mora 30</span>`)
	assert.Contains(t, page, `<option value="Mora 60">`, "the campaigns in use are suggested")
	_, page = ana.get(t, "/customers")
	assert.Contains(t, page, `<span class="pill campaign">Mora 60</span>`, "the customers list shows each case's campaign")

	code, to := ana.location(t, "/customers/"+cu.ID+"/campaign", url.Values{"campaign": {"  Mora   90 "}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, "/customers/"+cu.ID+"?msg=campaign_saved", to)
	assert.Equal(t, "Mora 90", mustCustomer(t, a, "Comercial Solís").Campaign)

	code, page = ana.post(t, "/customers/"+cu.ID+"/campaign?lang=es", url.Values{"campaign": {"=HYPERLINK(1)"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, page, "Nombre de campaña inválido")
	assert.Contains(t, page, `value="=HYPERLINK(1)"`, "the typed value is kept")
	_, page = ana.post(t, "/customers/"+cu.ID+"/campaign?lang=en", url.Values{"campaign": {strings.Repeat("x", 41)}})
	assert.Contains(t, page, "Invalid campaign name")
	assert.Equal(t, "Mora 90", mustCustomer(t, a, "Comercial Solís").Campaign, "unchanged by a refused name")

	code, _ = ana.location(t, "/customers/"+cu.ID+"/campaign", url.Values{"campaign": {" "}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Empty(t, mustCustomer(t, a, "Comercial Solís").Campaign)
	_, page = ana.get(t, "/customers/"+cu.ID+"?lang=en")
	assert.Contains(t, page, `<span class="hint" id="customer-campaign">No campaign</span>`)

	super := a.as(t, "super")
	code, _ = super.post(t, "/customers/"+cu.ID+"/campaign", url.Values{"campaign": {"Mora 30"}})
	assert.Equal(t, http.StatusForbidden, code)
	code, _ = ana.post(t, "/customers/nope/campaign", url.Values{"campaign": {"Mora 30"}})
	assert.Equal(t, http.StatusNotFound, code)
}

// Every dial the CRM places for a customer carries the case's campaign
// in its metadata, under casefile's key: a click to dial and a callback's
// return call. A customer in no campaign dials without one.
func TestDialsCarryTheCampaign(t *testing.T) {
	a := newCollectApp(t, func(c *Config) { c.CallbackSLA = time.Hour })
	ctx := context.Background()
	solis, mora := mustCustomer(t, a, "Comercial Solís"), mustCustomer(t, a, "Familia Mora")
	require.NoError(t, a.db.SetCampaign(ctx, mora.ID, "", ""))
	ana := a.as(t, "ana")
	dialled := func(caseID string) calls.Call {
		t.Helper()
		var found []calls.Call
		for c, err := range a.ledger.Calls(ctx, calls.Query{Case: caseID, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}) {
			require.NoError(t, err)
			if c.DialRef != "" {
				found = append(found, c)
			}
		}
		require.Len(t, found, 1, "one dial on the case")
		return found[0]
	}
	code, js := ana.postJSON(t, "/dial", dialForm(solis), "Accept", "application/json")
	require.Equal(t, http.StatusOK, code, js)
	assert.Equal(t, "Mora 30", dialled(solis.ID).Meta[casefile.MetaCampaign])

	// Beto is free: he returns the Moras' missed call from the queue.
	num := mora.Contacts[0].Phones[0].E164
	at := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	ledgerCall{id: "missed", ep: "5002", number: num, dir: callmyway.DirectionInbound, detect: at, end: at.Add(20 * time.Second),
		webhook: true, endWebhook: true}.apply(t, a.ledger)
	require.NoError(t, a.db.SetCampaign(ctx, mora.ID, "Mora 60", ""))
	beto := a.as(t, "beto")
	open, err := a.callbacks.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	require.Len(t, open, 1)
	code, js = beto.postJSON(t, "/api/callbacks/dial", url.Values{"id": {open[0].ID}})
	require.Equal(t, http.StatusOK, code, js)
	assert.Equal(t, "Mora 60", dialled(mora.ID).Meta[casefile.MetaCampaign], "the callback's dial carries it")

	vega := mustCustomer(t, a, "Transportes Vega")
	require.NoError(t, a.db.SetCampaign(ctx, vega.ID, "", ""))
	code, js = a.as(t, "carla").postJSON(t, "/dial", dialForm(vega), "Accept", "application/json")
	require.Equal(t, http.StatusOK, code, js)
	_, has := dialled(vega.ID).Meta[casefile.MetaCampaign]
	assert.False(t, has, "no campaign, no key")
}

// campaignDial is a call the CRM dialled with the case's campaign in its
// metadata: the dial, its webhooks (connected for talk, when talk > 0),
// its CDR leg when cost is set, and a disposition posting charges.
type campaignDial struct {
	id, caseID, campaign, number string
	at                           time.Time
	talk                         time.Duration
	cost                         string // "": no CDR yet
	charges                      []calls.Charge
}

func (d campaignDial) apply(t *testing.T, l *calls.Ledger) {
	t.Helper()
	ctx := context.Background()
	agent := callmyway.Endpoint{ID: "5001", User: "8000001"}
	_, err := l.RecordDial(ctx, calls.Dial{Ref: "ref-" + d.id, Agent: agent, Number: d.number, At: d.at,
		Meta: map[string]string{"case": d.caseID, casefile.MetaCampaign: d.campaign}})
	require.NoError(t, err)
	ev := calls.Event{CallID: d.id, Action: calls.ActionStart, Endpoint: callmyway.Endpoint{ID: agent.ID}, Direction: callmyway.DirectionOutbound,
		Number: d.number, Detect: d.at.Add(time.Second)}
	var connect time.Time
	end := d.at.Add(20 * time.Second)
	if d.talk > 0 {
		connect = d.at.Add(5 * time.Second)
		end = connect.Add(d.talk)
	}
	_, err = l.ApplyEvent(ctx, ev)
	require.NoError(t, err)
	ev.Action, ev.Connect, ev.Disconnect, ev.Duration = calls.ActionEnd, connect, end, d.talk
	_, err = l.ApplyEvent(ctx, ev)
	require.NoError(t, err)
	if d.cost != "" {
		reason := "OK"
		if d.talk == 0 {
			reason = "NO_ANSWER"
		}
		require.NoError(t, l.ApplyLegs(ctx, []calls.Leg{{CallID: d.id, RefCallID: "0", Agent: callmyway.Endpoint{User: agent.User}, Number: d.number,
			Direction: callmyway.DirectionOutbound, Detect: d.at.Add(time.Second), Connect: connect, Disconnect: end, Duration: d.talk,
			Cost: decimal.RequireFromString(d.cost), EndReason: reason}}))
	}
	c, err := l.Get(ctx, d.id)
	require.NoError(t, err)
	require.Equal(t, d.campaign, c.Meta[casefile.MetaCampaign], "the webhook met its dial")
	if len(d.charges) > 0 {
		_, err := l.Dispose(ctx, d.id, calls.Disposition{By: "u-ana", Result: "PAGO", Case: d.caseID, Charges: d.charges})
		require.NoError(t, err)
	}
}

func ledgerCharge(key, amount, cur string) calls.Charge {
	return calls.Charge{Key: key, Amount: decimal.RequireFromString(amount), Currency: cur}
}

// The board's cost per campaign and its costliest cases, and the CSV by
// campaign, from a ledger of known calls: counts, call cost (CDR costs
// summed exactly, shown with 2 decimals), charges per currency, calls
// awaiting their CDR, calls outside the window and calls with no
// campaign left out of the campaigns (but not of their case).
func TestBoardCostsPerCampaign(t *testing.T) {
	a := newTestApp(t)
	l, now := boardLedger(t, a)
	solis, mora, vega := mustCustomer(t, a, "Comercial Solís"), mustCustomer(t, a, "Familia Mora"), mustCustomer(t, a, "Transportes Vega")
	sNum, mNum, vNum := solis.Contacts[0].Phones[0].E164, mora.Contacts[0].Phones[0].E164, vega.Contacts[0].Phones[0].E164
	at := func(ago time.Duration) time.Time { return now.Add(-ago) }
	for _, d := range []campaignDial{
		{id: "d1", caseID: solis.ID, campaign: "Mora 30", number: sNum, at: at(50 * time.Hour), talk: 60 * time.Second, cost: "12.3456",
			charges: []calls.Charge{ledgerCharge("case:d1", "1500.50", "CRC")}},
		{id: "d2", caseID: solis.ID, campaign: "Mora 30", number: sNum, at: at(30 * time.Hour), cost: "0.0044"},
		{id: "d3", caseID: solis.ID, campaign: "Mora 30", number: sNum, at: at(20 * time.Hour), talk: 30 * time.Second, cost: "2",
			charges: []calls.Charge{ledgerCharge("case:d3", "20", "USD")}},
		{id: "d4", caseID: vega.ID, campaign: "Mora 30", number: vNum, at: at(10 * time.Hour), talk: 45 * time.Second, cost: "5.10",
			charges: []calls.Charge{ledgerCharge("case:d4", "99.49", "CRC")}},
		{id: "d5", caseID: mora.ID, campaign: "Mora 60", number: mNum, at: at(5 * time.Hour), talk: 90 * time.Second}, // no CDR yet
		{id: "d6", caseID: mora.ID, campaign: "Mora 60", number: mNum, at: at(3 * time.Hour), talk: 40 * time.Second, cost: "1.005"},
		// 100 days ago: outside the window.
		{id: "d0", caseID: mora.ID, campaign: "Mora 60", number: mNum, at: at(100 * 24 * time.Hour), talk: 10 * time.Second, cost: "50",
			charges: []calls.Charge{ledgerCharge("case:d0", "7", "CRC")}},
	} {
		d.apply(t, l)
	}
	// An inbound call on Solís's case: no campaign, but Solís's cost.
	ledgerCall{id: "in1", ep: "5001", user: "8000001", number: sNum, dir: callmyway.DirectionInbound, detect: at(2 * time.Hour),
		connect: at(2 * time.Hour).Add(3 * time.Second), end: at(2 * time.Hour).Add(63 * time.Second), talk: time.Minute, cost: "3",
		reason: "OK", webhook: true, endWebhook: true, cdr: true, result: "CONTACTO", caseID: solis.ID, chargeAmt: "10"}.apply(t, l)

	bc, err := a.boardCosts(context.Background())
	require.NoError(t, err)
	crc := func(s string) Money { return Money{"CRC", decimal.RequireFromString(s)} }
	assert.Equal(t, dayString(now.Add(-csvWindow), a.cfg.Loc), bc.Since)
	require.Len(t, bc.Campaigns, 2)
	m30, m60 := bc.Campaigns[0], bc.Campaigns[1]
	assert.Equal(t, [4]any{"Mora 30", 4, 3, 0}, [4]any{m30.Campaign, m30.Calls, m30.Connected, m30.Provisional})
	assert.Equal(t, "19.45", m30.CallCost.String(), "12.3456 + 0.0044 + 2 + 5.10")
	assert.Equal(t, []string{"CRC 1599.99", "USD 20.00"}, moneyText(m30.Charges))
	assert.Equal(t, [4]any{"Mora 60", 2, 2, 1}, [4]any{m60.Campaign, m60.Calls, m60.Connected, m60.Provisional})
	assert.Equal(t, "1.005", m60.CallCost.String(), "d0 is outside the window")
	assert.Empty(t, m60.Charges)

	require.Len(t, bc.TopCases, 3)
	assert.Equal(t, []string{solis.ID, vega.ID, mora.ID}, []string{bc.TopCases[0].CustomerID, bc.TopCases[1].CustomerID, bc.TopCases[2].CustomerID},
		"the highest call cost first")
	s := bc.TopCases[0]
	assert.Equal(t, [4]any{"Comercial Solís", "Mora 30", 4, true}, [4]any{s.Name, s.Campaign, s.Calls, s.Known})
	assert.Equal(t, "17.35", s.CallCost.String(), "its campaign calls and its inbound call")
	assert.Equal(t, []string{"CRC 1510.50", "USD 20.00"}, moneyText(s.Charges))
	assert.Equal(t, crc("99.49"), bc.TopCases[1].Charges[0])

	// The page: 2 decimals, each currency apart.
	super := a.as(t, "super")
	code, page := super.get(t, "/board?lang=es")
	require.Equal(t, http.StatusOK, code)
	for _, want := range []string{
		`<tr data-campaign="Mora 30"><td>Mora 30</td><td class="n c-calls">4</td><td class="n c-connected">3</td><td class="n c-cost">19.45</td><td class="n c-charges"><span data-currency="CRC">CRC 1599.99</span><br><span data-currency="USD">USD 20.00</span></td></tr>`,
		`<td class="n c-cost">1.01 <small title="1 sin CDR: el costo puede cambiar">*</small></td><td class="n c-charges">—</td>`,
		`<td class="c-name"><a href="/customers/` + solis.ID + `">Comercial Solís</a></td><td class="c-campaign">Mora 30</td><td class="n c-calls">4</td><td class="n c-cost">17.35</td>`,
		`Costo de llamadas (CRC)`, `href="/collections/campaign-costs.csv"`,
	} {
		assert.Contains(t, page, want)
	}
	_, page = super.get(t, "/board?lang=en")
	assert.Contains(t, page, "Cost per campaign")
	assert.Contains(t, page, "Cases that cost the most")

	// The CSV: a BOM, one row per campaign, exact sums, a column per currency.
	code, csv := super.get(t, "/collections/campaign-costs.csv")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(csv, "\ufeff"), "a BOM for Excel")
	rows, err := encodingcsv.NewReader(strings.NewReader(strings.TrimPrefix(csv, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"campaign", "calls", "connected", "talk_seconds", "provisional", "call_cost_CRC", "charges_CRC", "charges_USD"},
		{"Mora 30", "4", "3", "135", "0", "19.45", "1599.99", "20"},
		{"Mora 60", "2", "2", "130", "1", "1.005", "0", "0"},
	}, rows)
	code, _ = a.as(t, "ana").get(t, "/collections/campaign-costs.csv")
	assert.Equal(t, http.StatusForbidden, code, "supervisors and admins only")
}

// A campaign name that reads as a formula never reaches a spreadsheet as
// one: the CSV writer neutralises it (names the CRM saved cannot start
// so, but a dial's metadata may come from elsewhere).
func TestCampaignCSVIsFormulaSafe(t *testing.T) {
	a := newTestApp(t)
	l, now := boardLedger(t, a)
	solis := mustCustomer(t, a, "Comercial Solís")
	campaignDial{id: "f1", caseID: solis.ID, campaign: "=HYPERLINK(\"x\")", number: solis.Contacts[0].Phones[0].E164, at: now.Add(-time.Hour),
		talk: time.Minute, cost: "1"}.apply(t, l)
	_, csv := a.as(t, "admin").get(t, "/collections/campaign-costs.csv")
	assert.Contains(t, csv, `"'=HYPERLINK(""x"")"`)
	assert.NotContains(t, csv, "\n=")
}

// moneyText writes amounts as the pages do: currency, 2 decimals.
func moneyText(ms []Money) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Currency+" "+m.Amount.StringFixed(2))
	}
	return out
}

// Every campaign text has both languages and takes no other key.
func TestCampaignMessagesDoNotCollide(t *testing.T) {
	for k, v := range campaignMessages {
		assert.Equal(t, v, messages[k], "%s is taken by another text", k)
		assert.NotEmpty(t, v[0], k)
		assert.NotEmpty(t, v[1], k)
	}
}

// The campaign store on PostgreSQL: the same SQL (the conditional
// upsert, the customers' join, the labels).
func TestCampaignOnPostgres(t *testing.T) {
	cfg, _ := pgConfig(t)
	app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer app.Close()
	ctx := context.Background()
	cid, err := app.db.AddCustomer(ctx, "Comercial Solís", "")
	require.NoError(t, err)
	require.NoError(t, app.db.SetCampaign(ctx, cid, " Mora  30", "u1"))
	require.NoError(t, app.db.SetCampaign(ctx, cid, "Mora 60", "u1"), "an update")
	assert.ErrorIs(t, app.db.SetCampaign(ctx, "nope", "Mora 60", "u1"), errUnknownCustomer)
	cu, ok, err := app.db.Customer(ctx, cid)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "Mora 60", cu.Campaign)
	labels, err := app.db.customerLabels(ctx, []string{cid, "nope"})
	require.NoError(t, err)
	assert.Equal(t, map[string]customerLabel{cid: {Name: "Comercial Solís", Campaign: "Mora 60"}}, labels)
	names, err := app.db.CampaignNames(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"Mora 60"}, names)
	require.NoError(t, app.db.SetCampaign(ctx, cid, "", "u1"))
	c, err := app.db.Campaign(ctx, cid)
	require.NoError(t, err)
	assert.Empty(t, c)
	assert.ErrorIs(t, app.db.SetCampaign(ctx, "nope", "", "u1"), errUnknownCustomer)
}
