package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/webhook"
)

// caseCall puts a finished inbound call from e164 to Ana's phone in the
// ledger, started ago, and, when result is set, Ana's disposition of it on
// contactID with the charge ("" none).
func caseCall(t *testing.T, a *testApp, id, e164 string, ago time.Duration, contactID, result, notes, charge string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now().Add(-ago)
	for _, ev := range []webhook.Event{
		{Action: webhook.CallStart, Call: webhook.Call{ID: id, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound,
			ANI: strings.TrimPrefix(e164, "+"), DetectTime: callmyway.NewTime(start), ConnectTime: callmyway.NewTime(start.Add(5 * time.Second))}},
		{Action: webhook.CallEnd, Call: webhook.Call{ID: id, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound,
			ANI: strings.TrimPrefix(e164, "+"), DetectTime: callmyway.NewTime(start), ConnectTime: callmyway.NewTime(start.Add(5 * time.Second)),
			DisconnectTime: callmyway.NewTime(start.Add(95 * time.Second)), Duration: 90 * time.Second, Cost: decimal.RequireFromString("12.5")}},
	} {
		require.NoError(t, a.ledger.HandleEvent(ctx, ev))
	}
	if result == "" {
		return
	}
	d := Disposition{CallID: id, ContactID: contactID, ResultCode: result, Notes: notes, By: a.userID(t, "ana"),
		NextAction: "Confirmar pago", NextActionAt: start.AddDate(0, 0, 3)}
	if charge != "" {
		d.Charge = decimal.RequireFromString(charge)
	}
	require.NoError(t, a.SaveDisposition(ctx, d))
}

// solis is the demo's Comercial Solís and its contact Marta.
func solis(t *testing.T, a *testApp) (customer CustomerRow, marta ContactRow) {
	t.Helper()
	cs, err := a.db.Customers(context.Background())
	require.NoError(t, err)
	for _, cu := range cs {
		if cu.Name == "Comercial Solís" {
			return cu, cu.Contacts[0]
		}
	}
	t.Fatal("no Comercial Solís")
	return
}

// TestBrowserCaseFileJourney drives the case file in headless Chromium as
// an agent: from the customers list to the customer's case file (calls
// with their dispositions, charges and the balance), adding a number
// (letters refused, translated), removing it, and dialling from there
// with the caller-ID choice; the dial lands on the case file. It takes
// the README's screenshots of the case file and of the history at 1366
// and 390 px (CMW_SCREENSHOT_DIR).
func TestBrowserCaseFileJourney(t *testing.T) {
	ctx, dir := headless(t, 1366, 900)
	a := newTestApp(t)
	cu, marta := solis(t, a)
	caseCall(t, a, "case-1", "+50688881111", 50*time.Hour, marta.ID, "PAGO", "Paga el viernes", "1500.25")
	caseCall(t, a, "case-2", "+50688881111", 26*time.Hour, marta.ID, "RELLAMAR", "Pide que llamen después de las 3", "250")
	caseCall(t, a, "case-3", "+50688881111", 3*time.Hour, "", "", "", "") // not disposed: linked by its number

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		require.NoError(t, err, sel)
		return s
	}
	// until waits for a JavaScript expression to be true (a submitted form
	// loads a new page: the old one's elements must not satisfy the wait).
	until := func(js string) {
		t.Helper()
		var err error
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var ok bool
			// Evaluating while the page navigates fails: try again on the new one.
			if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
		}
		t.Fatalf("waiting for %s: %v", js, err)
	}
	msgIs := func(sel, want string) {
		t.Helper()
		until(`(document.querySelector('` + sel + `')?.textContent || '').includes('` + want + `')`)
	}
	shot := func(name string, width int64) {
		t.Helper()
		do(chromedp.EmulateViewport(width, 800))
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
		t.Logf("screenshot %s", filepath.Join(dir, name))
	}

	do(
		chromedp.EmulateViewport(1366, 800),
		chromedp.Navigate(a.srv.URL+"/login?lang=es&next=%2Fcustomers"),
		chromedp.WaitVisible(css(`form.login`)),
		chromedp.SendKeys(css(`input[name=username]`), "ana"),
		chromedp.SendKeys(css(`input[name=password]`), a.password(t, "ana")),
		chromedp.Click(css(`#sign-in`)),
		chromedp.WaitVisible(css(`#customers`)),
		chromedp.Click(css(`tr[data-customer="`+cu.ID+`"] a.case-link`)),
		chromedp.WaitVisible(css(`#case-calls`)),
	)
	assert.Equal(t, "Comercial Solís", text(`#customer-name`))
	assert.Equal(t, "CRC 1750.25", text(`#balance .amount`), "the balance: both charges, from the ledger")
	lines := text(`#case-calls`)
	for _, want := range []string{"Promesa de pago", "Paga el viernes", "Volver a llamar", "Confirmar pago", "por ana", "CRC 1500.25", "CRC 250.00",
		"Cargo de gestión de cobro", "sin gestión", "vinculada por número", "8888 1111", "Entrante"} {
		assert.Contains(t, lines, want)
	}
	assert.NotContains(t, lines, "Gestión de cobro — llamada", "the charge is described in the reader's language, not as stored")
	assert.Less(t, strings.Index(lines, "sin gestión"), strings.Index(lines, "Paga el viernes"), "newest first")

	// Add a number with letters: refused, translated, the typed value kept.
	do(
		chromedp.Click(css(`article[data-contact="`+marta.ID+`"] details.edit summary`)),
		chromedp.SendKeys(css(`#number-`+marta.ID), "8888-ABCD"),
		chromedp.Submit(css(`#number-`+marta.ID)),
	)
	msgIs("#err", "Número de teléfono inválido")
	assert.Contains(t, text(`#err`), "Número de teléfono inválido")
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('number-`+marta.ID+`').value`))
	require.NoError(t, err)
	assert.Equal(t, "8888-ABCD", kept)
	// A good one is added, shown in national format; then removed.
	do(
		chromedp.SetValue(css(`#number-`+marta.ID), "8888-2222"),
		chromedp.Submit(css(`#number-`+marta.ID)),
	)
	msgIs("#msg", "Teléfono agregado.")
	assert.Contains(t, text(`article[data-contact="`+marta.ID+`"] .phones`), "8888 2222")
	do(
		chromedp.Click(css(`li[data-e164="+50688882222"] form.remove button`)),
	)
	msgIs("#msg", "Teléfono quitado.")
	assert.NotContains(t, text(`article[data-contact="`+marta.ID+`"] .phones`), "8888 2222")

	// Familia Mora's number: a warning naming whose it is; saved once
	// confirmed as shared.
	do(
		chromedp.Click(css(`article[data-contact="`+marta.ID+`"] details.edit summary`)),
		chromedp.SetValue(css(`#number-`+marta.ID), "2222-3333"),
		chromedp.Submit(css(`#number-`+marta.ID)),
	)
	msgIs("#warn", "ya es de Diego Mora (Familia Mora)")
	shot("casefile-warning-390.png", 390)
	do(chromedp.EmulateViewport(1366, 800), chromedp.Click(css(`#confirm-shared`)))
	msgIs("#msg", "Teléfono agregado.")
	assert.Contains(t, text(`article[data-contact="`+marta.ID+`"] .phones`), "2222 3333")
	do(chromedp.Click(css(`li[data-e164="+50622223333"] form.remove button`)))
	msgIs("#msg", "Teléfono quitado.")

	// Dial from the case file with the caller-ID choice: back on the case
	// file, told it was accepted; the dial is on this customer's case file.
	options, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#caller-id option')).map(o => o.textContent)`))
	require.NoError(t, err)
	assert.Len(t, options, 2, "Ana's two caller IDs, labelled")
	do(
		chromedp.Click(css(`li[data-e164="+50688881111"] button.call`)),
	)
	msgIs("#msg", "Solicitud aceptada")
	assert.Equal(t, "Comercial Solís", text(`#customer-name`), "back on the case file")
	var dialled []calls.Call
	for c, err := range a.ledger.Calls(context.Background(), calls.Query{Case: cu.ID, From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}) {
		require.NoError(t, err)
		if c.DialRef != "" {
			dialled = append(dialled, c)
		}
	}
	require.Len(t, dialled, 1, "the dial carries the customer's case")
	assert.Equal(t, marta.ID, dialled[0].Contact)
	do(chromedp.Navigate(a.srv.URL+"/customers/"+cu.ID), chromedp.WaitVisible(css(`#case-calls`)))
	assert.Contains(t, text(`#case-calls`), "Saliente", "the dialled call is on the case file")

	shot("casefile-1366.png", 1366)
	shot("casefile-390.png", 390)
	assertFits390(t, ctx, "the case file")
	do(chromedp.EmulateViewport(1366, 800), chromedp.Navigate(a.srv.URL+"/calls"), chromedp.WaitVisible(css(`#calls`)))
	shot("history-1366.png", 1366)
	shot("history-390.png", 390)
	assertFits390(t, ctx, "the history")
	do(chromedp.Navigate(a.srv.URL+"/customers"), chromedp.WaitVisible(css(`#customers`)))
	shot("customers-390.png", 390)
	assertFits390(t, ctx, "the customers page")
}

// The console's unknown-caller actions in headless Chromium: "Link" from
// the search saves the number on the chosen contact (told so on the card,
// which links the case file), so the next call from it pops as known;
// "Ignore" is recorded in the ledger before the card goes.
func TestConsoleLinkAndIgnoreUnknownCallers(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	_, marta := solis(t, a)
	first := inbound(t, a, "7000-0000", talkLong)
	c.until(`document.querySelector('` + card(first) + ` form.search') !== null`)
	c.do(
		chromedp.SendKeys(chromedp.CSS(card(first)+` form.search input[name=q]`), "Marta"),
		chromedp.Click(chromedp.CSS(card(first)+` form.search button`)),
	)
	c.until(`document.querySelector('` + card(first) + ` form.search .results button.candidate') !== null`)
	c.do(chromedp.Click(chromedp.CSS(card(first) + ` form.search .results button.candidate`)))
	c.until(`document.querySelector('` + card(first) + ` .card-msg')?.textContent.includes('quedó guardado en Marta Solís')`)
	c.until(`document.querySelector('` + card(first) + ` a.case-link') !== null`)
	assert.Equal(t, "/customers/"+marta.CustomerID, c.eval(`document.querySelector('`+card(first)+` a.case-link').getAttribute('href')`))
	assert.Equal(t, "Ver expediente", c.text(card(first)+` a.case-link`))

	second := inbound(t, a, "7000-0000", talkLong)
	c.until(`document.querySelector('` + card(second) + ` .contact-name')?.textContent === 'Marta Solís — Comercial Solís'`)
	assert.Equal(t, "NO ELEMENT", c.text(card(second)+` form.search`), "known now: no search offered")

	third := inbound(t, a, "7000-1111", talkLong)
	c.until(`document.querySelector('` + card(third) + ` button.ignore') !== null`)
	c.do(chromedp.Click(chromedp.CSS(card(third) + ` button.ignore`)))
	c.until(`document.querySelector('` + card(third) + `') === null`)
	call, err := a.ledger.Get(context.Background(), third)
	require.NoError(t, err)
	require.Len(t, call.Disps, 1, "the ignore is recorded")
	assert.Equal(t, resultIgnored, call.Disps[0].Result)
}
