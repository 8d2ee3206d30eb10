package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/screenpop"
)

// console is a headless Chromium signed in as an agent on the agent
// console of a demo CRM.
type console struct {
	t   *testing.T
	a   *testApp
	ctx context.Context
	dir string
}

// newConsole signs username in on the console in Spanish, at width×height,
// and waits until the page listens to its pops. It skips without Chromium.
func newConsole(t *testing.T, a *testApp, username string, width, height int) *console {
	t.Helper()
	ctx, dir := headless(t, width, height)
	c := &console{t: t, a: a, ctx: ctx, dir: dir}
	c.signIn(username, "/console", `#signed-in`, width, height)
	c.do(chromedp.Navigate(a.srv.URL + "/console"))
	c.listening()
	return c
}

// signIn signs username in, in Spanish, at width×height, asking for the
// page next, and waits until the element wait shows.
func (c *console) signIn(username, next, wait string, width, height int) {
	c.t.Helper()
	c.do(
		chromedp.EmulateViewport(int64(width), int64(height)),
		chromedp.Navigate(c.a.srv.URL+"/login?lang=es&next="+url.QueryEscape(next)),
		chromedp.WaitVisible(chromedp.CSS(`form.login`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), c.a.password(c.t, username)),
		chromedp.Click(chromedp.CSS(`#sign-in`)),
		chromedp.WaitVisible(chromedp.CSS(wait)),
	)
}

func (c *console) do(actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	require.NoError(c.t, chromedp.Do(c.ctx, actions...))
}

// listening waits until the console's stream is subscribed.
func (c *console) listening() {
	c.t.Helper()
	agentID := c.a.agentID(c.t, "Ana")
	c.do(chromedp.WaitReady(chromedp.CSS(`#cards`)))
	require.Eventually(c.t, func() bool { return c.a.hub.Subscribers(agentID) > 0 }, 10*time.Second, 25*time.Millisecond)
}

// until waits for a JavaScript expression to be true.
func (c *console) until(js string) {
	c.t.Helper()
	_, err := chromedp.Run(c.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(c.t, err, "waiting for %s", js)
}

// text is the text of the first element sel matches, read in one
// step (a card re-renders its case file when it refreshes).
func (c *console) text(sel string) string {
	c.t.Helper()
	q, err := json.Marshal(sel)
	require.NoError(c.t, err)
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`(document.querySelector(`+string(q)+`) || {}).textContent ?? 'NO ELEMENT'`))
	require.NoError(c.t, err, sel)
	return s
}

func (c *console) eval(js string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](js))
	require.NoError(c.t, err, js)
	return s
}

func (c *console) shot(name string) string {
	c.t.Helper()
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	require.NoError(c.t, err)
	p := filepath.Join(c.dir, name)
	require.NoError(c.t, os.WriteFile(p, png, 0o644))
	c.t.Logf("screenshot %s", p)
	return p
}

// card is the CSS selector of a call's card.
func card(callID string) string { return `.call-card[data-callid="` + callID + `"]` }

// inbound rings Ana's primary phone from number, as scripted.
func inbound(t *testing.T, a *testApp, number string, sc cmwtest.Script) string {
	t.Helper()
	id, err := a.fake.Inbound(number, callmyway.Endpoint{ID: "5001"}, cmwtest.WithScript(sc))
	require.NoError(t, err)
	return id
}

// balances are the case-file balances of the demo's customers, by name.
func balances(t *testing.T, a *testApp) map[string]string {
	t.Helper()
	cs, err := a.db.Customers(context.Background())
	require.NoError(t, err)
	out := map[string]string{}
	for _, cu := range cs {
		_, total, err := a.CaseFile(context.Background(), cu.ID)
		require.NoError(t, err)
		out[cu.Name] = total.StringFixed(2)
	}
	return out
}

func plus(t *testing.T, v, add string) string {
	t.Helper()
	d, err := decimal.NewFromString(v)
	require.NoError(t, err)
	return d.Add(decimal.RequireFromString(add)).StringFixed(2)
}

// connectNow tells the ledger call id was answered, the way the CRM
// learns it: CallMyWay's webhook has no answer event, a live-calls query
// shows the connect time.
func connectNow(t *testing.T, a *testApp, id string) {
	t.Helper()
	require.NoError(t, a.ledger.ObserveLive(context.Background(), liveWhenConnected(t, a, id)))
}

// liveWhenConnected waits for the fake to connect call id and returns the
// live-calls query that shows it so (the CRM's WatchLive applies such
// answers; the test app does not run it, its 4-second polls would pace
// the tests).
func liveWhenConnected(t *testing.T, a *testApp, id string) []cdr.Record {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		recs, err := cdr.Live(context.Background(), a.App.client)
		require.NoError(t, err)
		for _, r := range recs {
			if (r.CallID == id || r.OriginalCallID == id) && !r.ConnectTime.Time().IsZero() {
				return recs
			}
		}
		require.True(t, time.Now().Before(deadline), "call %s never connected at the fake", id)
		time.Sleep(100 * time.Millisecond)
	}
}

var talkLong = cmwtest.Script{Ring: 300 * time.Millisecond, Talk: 2 * time.Minute}

// Defect 1: the form of the next call was the previous call's, so saving
// it posted the previous charge again. Each card has its own fresh form:
// the first customer's balance rises by the charge exactly once.
func TestConsoleNextCallDoesNotRepeatTheCharge(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	before := balances(t, a)

	first := inbound(t, a, "8888-1111", cmwtest.Script{Ring: 300 * time.Millisecond, Talk: time.Second})
	c.until(`document.querySelector('` + card(first) + ` .balance') !== null`)
	assert.Equal(t, before["Comercial Solís"], c.text(card(first)+` .balance`), "the case file on the card")
	c.do(
		chromedp.SetValue(chromedp.CSS(card(first)+` select[name=result]`), "PAGO"),
		chromedp.SendKeys(chromedp.CSS(card(first)+` input[name=charge]`), "20"),
	)
	c.until(`document.querySelector('` + card(first) + `').dataset.state === 'wrapup'`)
	c.do(chromedp.Click(chromedp.CSS(card(first) + ` button.save`)))
	c.until(`document.querySelector('` + card(first) + ` .form-msg').textContent === 'Guardado'`)
	want := plus(t, before["Comercial Solís"], "20")
	c.until(`document.querySelector('` + card(first) + ` .balance').textContent === '` + want + `'`)
	assert.Contains(t, c.text(card(first)+` .card-state`), "gestión guardada")
	c.do(chromedp.Click(chromedp.CSS(card(first) + ` button.dismiss`)))
	c.until(`document.querySelector('` + card(first) + `') === null`)

	// The next call, from the same customer: a fresh form, saved without a charge.
	second := inbound(t, a, "8888-1111", talkLong)
	c.until(`document.querySelector('` + card(second) + ` .balance') !== null`)
	assert.Equal(t, "", c.eval(`document.querySelector('`+card(second)+` input[name=charge]').value`), "a fresh form")
	assert.Equal(t, want, c.text(card(second)+` .balance`))
	c.do(
		chromedp.SetValue(chromedp.CSS(card(second)+` select[name=result]`), "CONTACTO"),
		chromedp.Click(chromedp.CSS(card(second)+` button.save`)),
	)
	c.until(`document.querySelector('` + card(second) + ` .form-msg').textContent === 'Guardado'`)
	after := balances(t, a)
	assert.Equal(t, want, after["Comercial Solís"], "the first charge, once")
	assert.Equal(t, want, c.text(card(second)+` .balance`))
	for name, v := range before {
		if name != "Comercial Solís" {
			assert.Equal(t, v, after[name], name)
		}
	}
	first1, err := a.ledger.Get(context.Background(), first)
	require.NoError(t, err)
	second1, err := a.ledger.Get(context.Background(), second)
	require.NoError(t, err)
	assert.Len(t, first1.Charges, 1)
	assert.Empty(t, second1.Charges)
}

// Defect 2: a shared-number call with nobody picked charged the previous
// call's customer. The card refuses the charge and says why; no balance
// moves until a contact is picked.
func TestConsoleChargeNeedsAPickedContact(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	before := balances(t, a)

	// A previous call with a known customer, on the screen.
	prev := inbound(t, a, "8888-1111", talkLong)
	c.until(`document.querySelector('` + card(prev) + ` .balance') !== null`)

	shared := inbound(t, a, "2222-3333", talkLong)
	c.until(`document.querySelectorAll('` + card(shared) + ` .match button.candidate').length === 2`)
	c.do(
		chromedp.SendKeys(chromedp.CSS(card(shared)+` input[name=charge]`), "20"),
		chromedp.Click(chromedp.CSS(card(shared)+` button.save`)),
	)
	c.until(`document.querySelector('` + card(shared) + ` .form-msg').textContent !== ''`)
	msg := c.text(card(shared) + ` .form-msg`)
	assert.Contains(t, msg, "Un cargo necesita un contacto")
	assert.Contains(t, c.text(card(shared)+` .charge-hint`), "requiere un contacto elegido")
	assert.Equal(t, "ninguno", c.text(card(shared)+` .chosen-name`))
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, before, balances(t, a), "no balance moved")
	call, err := a.ledger.Get(context.Background(), shared)
	require.NoError(t, err)
	assert.Empty(t, call.Disps, "nothing was posted")

	// The server says the same, translated, to a client that skips the check.
	c.eval(`window.refused = ''; (async () => { const b = new FormData(); b.append('callid', '` + shared + `'); b.append('result', 'PAGO'); b.append('charge', '20');
		const r = await fetch('/api/disposition', {method: 'POST', body: b}); window.refused = r.status + ' ' + (await r.json()).error; })(); ''`)
	c.until(`window.refused !== ''`)
	assert.Contains(t, c.eval(`window.refused`), "400 Un cargo necesita un contacto")
	c.shot("console-charge-refused.png")

	// Picking Elena: the charge goes to her customer, only.
	c.do(chromedp.Click(chromedp.CSS(card(shared) + ` .match button.candidate:last-of-type`)))
	c.until(`document.querySelector('` + card(shared) + ` .contact-name') !== null`)
	c.do(chromedp.Click(chromedp.CSS(card(shared) + ` button.save`)))
	c.until(`document.querySelector('` + card(shared) + ` .form-msg').textContent === 'Guardado'`)
	after := balances(t, a)
	assert.Equal(t, plus(t, before["Familia Mora"], "20"), after["Familia Mora"])
	assert.Equal(t, before["Comercial Solís"], after["Comercial Solís"], "not the previous call's customer")
	assert.Equal(t, before["Transportes Vega"], after["Transportes Vega"])
}

// A reload during a call brings its card back, in its state, from /api/live.
func TestConsoleReloadKeepsTheCard(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	id := inbound(t, a, "2222-3333", talkLong)
	c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'ringing'`)
	connectNow(t, a, id)
	c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'talking'`)
	c.do(chromedp.Click(chromedp.CSS(card(id) + ` .match button.candidate:last-of-type`)))
	c.until(`document.querySelector('` + card(id) + ` .contact-name') !== null`)

	c.do(chromedp.Reload())
	c.listening()
	c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'talking'`)
	assert.Equal(t, "en conversación", c.text(card(id)+` .card-state`))
	c.until(`/^\d+:\d\d$/.test(document.querySelector('` + card(id) + ` .card-timer').textContent)`)
	c.until(`document.querySelector('` + card(id) + ` .contact-name') !== null`)
	assert.Contains(t, c.text(card(id)+` .contact-name`), "Elena Mora", "the pick is kept")
	assert.Equal(t, "1", c.eval(`String(document.querySelectorAll('.call-card').length)`))
	assert.True(t, c.eval(`String(document.getElementById('conn').hidden)`) == "true", "no reconnecting banner")
}

// Two calls at once are two cards, each with its own form; screenshots
// at a desktop's and a phone's width, without horizontal overflow.
func TestConsoleTwoCallsTwoCards(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	one := inbound(t, a, "8888-1111", talkLong)
	two := inbound(t, a, "2222-3333", cmwtest.Script{Ring: time.Minute, Talk: time.Minute})
	c.until(`document.querySelectorAll('.call-card').length === 2`)
	connectNow(t, a, one)
	c.until(`document.querySelector('` + card(one) + ` .balance') !== null && document.querySelector('` + card(one) + `').dataset.state === 'talking'`)
	c.until(`document.querySelectorAll('` + card(two) + ` .match button.candidate').length === 2`)
	assert.Equal(t, "sonando", c.text(card(two)+` .card-state`))
	assert.Equal(t, "2", c.eval(`String(document.querySelectorAll('form.disposition').length)`))
	assert.Equal(t, "", c.eval(`Array.from(document.querySelectorAll('.call-card input, .call-card select, .call-card textarea')).filter(f => !f.labels || f.labels.length === 0).map(f => f.name).join(',')`), "every field is labelled")
	c.until(`document.getElementById('announce').textContent.startsWith('Llamada entrante de')`)
	c.do(chromedp.SendKeys(chromedp.CSS(card(one)+` textarea[name=notes]`), "Promete pagar"))
	c.shot("console-1366.png")

	c.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))
	c.until(`document.documentElement.clientWidth === 390`)
	assert.Equal(t, "true", c.eval(`String(document.documentElement.scrollWidth <= document.documentElement.clientWidth)`), "no horizontal overflow at 390 px")
	left := c.eval(`String(document.querySelector('` + card(one) + `').getBoundingClientRect().left === document.querySelector('` + card(two) + `').getBoundingClientRect().left)`)
	assert.Equal(t, "true", left, "the cards stack")
	c.shot("console-390.png")
}

// A card's state follows the call: ringing, talking, then the wrap-up with
// the call's duration, the timer running meanwhile.
func TestConsoleCardFollowsTheCall(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	a.fake.ScriptNext(cmwtest.Script{Ring: 2500 * time.Millisecond, Talk: 4 * time.Second})
	at := time.Now()
	id, err := a.fake.Inbound("8888-1111", callmyway.Endpoint{ID: "5001"})
	require.NoError(t, err)
	clockRe := regexp.MustCompile(`^\d+:\d\d$`)

	c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'ringing'`)
	assert.Equal(t, "sonando", c.text(card(id)+` .card-state`))
	assert.Contains(t, c.text(card(id)+` .card-title`), "Entrante")
	c.until(`document.querySelector('` + card(id) + ` .card-timer').textContent === '0:01'`)
	time.Sleep(time.Until(at.Add(2600 * time.Millisecond)))
	connectNow(t, a, id) // answered after the script's ring: a live-calls poll tells

	c.until(`document.querySelector('` + card(id) + `').dataset.state === 'talking'`)
	assert.Equal(t, "en conversación", c.text(card(id)+` .card-state`))
	assert.Regexp(t, clockRe, c.text(card(id)+` .card-timer`))
	c.until(`document.querySelector('` + card(id) + ` .card-timer').textContent === '0:02'`)

	c.until(`document.querySelector('` + card(id) + `').dataset.state === 'wrapup'`)
	assert.Equal(t, "cierre: falta la gestión", c.text(card(id)+` .card-state`))
	assert.Regexp(t, `^0:0[3-5]$`, c.text(card(id)+` .card-timer`), "the call's duration")
	time.Sleep(1100 * time.Millisecond)
	assert.Regexp(t, `^0:0[3-5]$`, c.text(card(id)+` .card-timer`), "stopped")
	c.do(chromedp.Click(chromedp.CSS(card(id) + ` button.save`)))
	c.until(`document.querySelector('` + card(id) + `').dataset.state === 'ended'`)
}

// A click to dial shows a "dialing" card at once ("dial:"+ref); when the
// call's webhook arrives, the same card becomes the call's card.
func TestConsoleDialCardBecomesTheCallsCard(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	found, err := a.db.Search(context.Background(), "Marta", 1)
	require.NoError(t, err)
	require.Len(t, found, 1)
	c.eval(`window.seen = []; new MutationObserver(ms => ms.forEach(m => {
		if (m.type === 'attributes') window.seen.push(m.target.dataset.callid);
		if (m.target.id === 'cards') m.addedNodes.forEach(() => window.seen.push('+card'));
	})).observe(document.getElementById('cards'), {subtree: true, attributes: true, attributeFilter: ['data-callid'], childList: true}); ''`)

	a.fake.ScriptNext(talkLong)
	code, body := a.as(t, "ana").post(t, "/dial", url.Values{"number": {"8888-1111"}, "contact_id": {found[0].ID}}, "Accept", "application/json")
	require.Equal(t, http.StatusOK, code, body)
	var id string
	require.Eventually(t, func() bool {
		for call, err := range a.ledger.Calls(context.Background(), calls.Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}) {
			if err == nil && call.DialRef != "" && call.WebhookSeen {
				id = call.ID
			}
		}
		return id != ""
	}, 10*time.Second, 20*time.Millisecond)
	c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'ringing'`)
	c.until(`document.querySelector('` + card(id) + ` .contact-name') !== null`)
	assert.Contains(t, c.text(card(id)+` .contact-name`), "Marta Solís", "the dialled contact, no picker")
	assert.Contains(t, c.text(card(id)+` .card-title`), "Saliente")
	assert.Equal(t, "1", c.eval(`String(document.querySelectorAll('.call-card').length)`), "one card for the call")
	// The dial's pop and its call's may cross (webhook and dial accepted
	// race): either the dial's card became the call's, or the late dial
	// message was folded into the call's card.
	seen := c.eval(`window.seen.join(' ')`)
	assert.Regexp(t, `^\+card (dial:\S+ )?`+regexp.QuoteMeta(id)+`$`, seen, "one card: the dial's, become the call's")

	// Both orders, delivered as the stream would.
	ana := a.agentID(t, "Ana")
	seq := uint64(1 << 40)
	deliver := func(typ, callID, ref string, state calls.State) {
		seq++
		a.hub.Deliver(screenpop.Message{Version: 1, ID: seq, Type: typ, Agent: screenpop.Agent{ID: ana},
			Call:  screenpop.CallInfo{CallID: callID, DialRef: ref, Direction: callmyway.DirectionOutbound, Number: "50688881111", State: state, Live: true},
			Match: screenpop.Match{Kind: screenpop.MatchKnown, Contacts: found[:1]}})
	}
	c.eval(`window.seen = []; ''`)
	deliver(screenpop.TypePop, "dial:r1", "", calls.StateRequested)
	c.until(`document.querySelector('` + card("dial:r1") + `')?.dataset.state === 'dialing'`)
	assert.Equal(t, "marcando", c.text(card("dial:r1")+` .card-state`))
	deliver(screenpop.TypeUpdate, "x1", "r1", calls.StateRinging)
	c.until(`document.querySelector('` + card("x1") + `')?.dataset.state === 'ringing'`)
	assert.Equal(t, "+card dial:r1 x1", c.eval(`window.seen.join(' ')`), "the same card, now the call's")
	deliver(screenpop.TypeUpdate, "x2", "r2", calls.StateRinging)
	deliver(screenpop.TypePop, "dial:r2", "", calls.StateRequested) // late
	deliver(screenpop.TypeUpdate, "x1", "r1", calls.StateConnected)
	c.until(`document.querySelector('` + card("x1") + `')?.dataset.state === 'talking'`)
	assert.Equal(t, "+card dial:r1 x1 +card x2", c.eval(`window.seen.join(' ')`), "the late dial message joined its call's card")
	assert.Equal(t, "false", c.eval(`String(document.querySelector('`+card("dial:r2")+`') !== null)`))
}

// Defect 3: dialling a number two contacts share showed the picker in 2
// of 6 tries. Twenty dials of the demo's family phone, alternating between
// its two contacts: each call's card shows the dialled contact and never
// a picker, not even for a moment.
func TestConsoleSharedNumberDialShowsTheContact(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	ctx := context.Background()
	shared, err := a.db.Search(ctx, "Mora", 10)
	require.NoError(t, err)
	require.Len(t, shared, 2, "the seed's two contacts of 2222-3333")
	for _, co := range shared {
		require.Equal(t, []string{"2222-3333"}, co.Numbers, co.Name)
	}
	ana := a.as(t, "ana")
	// Any candidate button ever added to a card is a picker shown.
	c.eval(`window.pickers = []; new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
		if (n.nodeType === 1 && (n.matches('button.candidate') || n.querySelector('button.candidate')))
			window.pickers.push(n.closest('.call-card')?.dataset.callid || '?');
	}))).observe(document.getElementById('cards'), {subtree: true, childList: true}); ''`)

	done := map[string]bool{}
	for i := range 20 {
		want := shared[i%2]
		// Long enough to see the card ringing; it then ends by itself.
		a.fake.ScriptNext(cmwtest.Script{Ring: 300 * time.Millisecond, Talk: 300 * time.Millisecond})
		code, body := ana.post(t, "/dial", url.Values{"number": {"2222-3333"}, "contact_id": {want.ID}}, "Accept", "application/json")
		require.Equal(t, http.StatusOK, code, "dial %d: %s", i, body)
		var id string
		require.Eventually(t, func() bool {
			for call, err := range a.ledger.Calls(ctx, calls.Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}) {
				if err == nil && call.DialRef != "" && call.WebhookSeen && !done[call.ID] {
					id = call.ID
				}
			}
			return id != ""
		}, 10*time.Second, 20*time.Millisecond, "dial %d: the call's webhook", i)
		done[id] = true

		c.until(`document.querySelector('` + card(id) + ` .contact-name') !== null`)
		assert.Equal(t, want.Name+" — "+want.CustomerName, c.text(card(id)+` .contact-name`), "dial %d: the dialled contact", i)
		assert.Equal(t, "0", c.eval(`String(document.querySelectorAll('`+card(id)+` .match button.candidate').length)`), "dial %d: no picker", i)
		assert.Equal(t, "1", c.eval(`String(document.querySelectorAll('.call-card').length)`), "dial %d: one card", i)

		// The call ends; its disposition clears it, so the next dial starts clean.
		c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'wrapup'`)
		assert.Equal(t, "0", c.eval(`String(document.querySelectorAll('`+card(id)+` .match button.candidate').length)`), "dial %d: no picker after the end", i)
		c.do(
			chromedp.SetValue(chromedp.CSS(card(id)+` select[name=result]`), "CONTACTO"),
			chromedp.Click(chromedp.CSS(card(id)+` button.save`)),
		)
		c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'ended'`)
		c.do(chromedp.Click(chromedp.CSS(card(id) + ` button.dismiss`)))
		c.until(`document.querySelectorAll('.call-card').length === 0`)
		call, err := a.ledger.Get(ctx, id)
		require.NoError(t, err)
		require.Len(t, call.Disps, 1, "dial %d", i)
		assert.Equal(t, want.ID, call.Disps[0].Contact, "dial %d: the disposition's contact", i)
		if t.Failed() {
			c.shot("shared-dial-failed.png")
			t.FailNow()
		}
	}
	assert.Equal(t, "", c.eval(`window.pickers.join(' ')`), "no picker was ever shown")
}

// When the event stream breaks, a banner says so until it reopens; then
// the console asks the ledger (GET /api/live) for what it missed.
func TestConsoleReconnectsAndResyncs(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	id := inbound(t, a, "8888-1111", talkLong)
	c.until(`document.querySelector('` + card(id) + `')?.dataset.state === 'ringing'`)
	answered := liveWhenConnected(t, a, id) // read now, applied while the stream is down
	c.eval(`window.banner = []; new MutationObserver(() => window.banner.push(document.getElementById('conn').hidden ? 'hidden' : 'shown'))
		.observe(document.getElementById('conn'), {attributes: true, attributeFilter: ['hidden']}); ''`)

	// Flood the agent's stream until the hub drops it as a slow reader
	// (the browser ignores these events), then answer the call while the
	// stream is down: its update has an older id than the flood, so only
	// the resync can bring it.
	ana := a.agentID(t, "Ana")
	for i := uint64(1); a.hub.Subscribers(ana) > 0 && i < 200000; i++ {
		a.hub.Deliver(screenpop.Message{Version: 1, ID: 1<<40 + i, Type: "noise", Agent: screenpop.Agent{ID: ana}})
	}
	require.Zero(t, a.hub.Subscribers(ana), "the stream was dropped")
	require.NoError(t, a.ledger.ObserveLive(context.Background(), answered))
	c.until(`window.banner.includes('shown')`)
	c.until(`document.getElementById('conn').hidden && window.banner.at(-1) === 'hidden'`)
	c.until(`document.querySelector('` + card(id) + `').dataset.state === 'talking'`)
	assert.Equal(t, "1", c.eval(`String(document.querySelectorAll('.call-card').length)`))
}

// An unknown number's card offers to create the customer; a withheld
// one's, a search to link the call. Either way the card then shows the
// customer's case file and takes a charge.
func TestConsoleUnknownAndWithheldCards(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	unknown := inbound(t, a, "7000-0000", talkLong)
	withheld := inbound(t, a, "", talkLong)
	c.until(`document.querySelector('` + card(unknown) + ` form.create') !== null && document.querySelector('` + card(withheld) + ` form.search') !== null`)
	assert.Equal(t, "privado", c.text(card(withheld)+` .num`))
	c.shot("console-unknown-withheld.png")

	c.do(
		chromedp.SendKeys(chromedp.CSS(card(unknown)+` form.create input[name=name]`), "Rosa Quirós"),
		chromedp.SendKeys(chromedp.CSS(card(unknown)+` form.create input[name=customer]`), "Quirós y Asociados"),
		chromedp.Click(chromedp.CSS(card(unknown)+` form.create button`)),
	)
	c.until(`document.querySelector('` + card(unknown) + ` .contact-name')?.textContent === 'Rosa Quirós — Quirós y Asociados'`)
	assert.Equal(t, "NO ELEMENT", c.text(card(unknown)+` form.create`), "the offer is gone")

	c.do(
		chromedp.SendKeys(chromedp.CSS(card(withheld)+` form.search input[name=q]`), "Vega"),
		chromedp.Click(chromedp.CSS(card(withheld)+` form.search button`)),
	)
	c.until(`document.querySelector('` + card(withheld) + ` form.search .results button.candidate') !== null`)
	c.do(chromedp.Click(chromedp.CSS(card(withheld) + ` form.search .results button.candidate`)))
	c.until(`document.querySelector('` + card(withheld) + ` .contact-name')?.textContent === 'Luis Vega — Transportes Vega'`)
	assert.Equal(t, "privado", c.text(card(withheld)+` .num`), "still withheld once linked")
	before := balances(t, a)
	c.do(
		chromedp.SendKeys(chromedp.CSS(card(withheld)+` input[name=charge]`), "12,50"),
		chromedp.Click(chromedp.CSS(card(withheld)+` button.save`)),
	)
	c.until(`document.querySelector('` + card(withheld) + ` .form-msg').textContent === 'Guardado'`)
	c.until(`document.querySelector('` + card(withheld) + ` .balance')?.textContent === '` + plus(t, before["Transportes Vega"], "12.50") + `'`)
	assert.Equal(t, plus(t, before["Transportes Vega"], "12.50"), balances(t, a)["Transportes Vega"])
	c.shot("console-saved.png")
}

// The withheld caller's search: Enter searches, accents and case do not
// matter ("solis" finds Solís), an empty result says so, and a failed
// search says it failed (translated), not that nothing was found.
func TestConsoleWithheldSearch(t *testing.T) {
	a := newTestApp(t)
	c := newConsole(t, a, "ana", 1366, 768)
	id := inbound(t, a, "", talkLong)
	box := card(id) + ` form.search`
	c.until(`document.querySelector('` + box + `') !== null`)
	results := func() string { return c.text(box + ` .results`) }
	// search types q in an emptied box and presses Enter; the previous
	// results are cleared first, so a wait for results waits for these.
	search := func(q string) {
		t.Helper()
		c.eval(`document.querySelector('` + box + ` input[name=q]').value = ''; document.querySelector('` + box + ` .results').textContent = ''; ''`)
		c.do(chromedp.SendKeys(chromedp.CSS(box+` input[name=q]`), q+kb.Enter))
	}

	search("solis")
	c.until(`document.querySelector('` + box + ` .results button.candidate') !== null`)
	assert.Contains(t, results(), "Marta Solís — Comercial Solís")

	search("SOLÍS")
	c.until(`document.querySelector('` + box + ` .results button.candidate') !== null`)
	assert.Contains(t, results(), "Marta Solís")

	search("zzzz")
	c.until(`document.querySelector('` + box + ` .results .no-results') !== null`)
	assert.Equal(t, "Sin resultados", results())

	// The CRM answers an error: its translated message, not "no results".
	c.eval(`window.realFetch = window.fetch; window.fetch = (u, o) => String(u).startsWith('/api/search')
		? Promise.resolve(new Response('internal error', {status: 500})) : window.realFetch(u, o); ''`)
	search("solis")
	c.until(`document.querySelector('` + box + ` .results .err') !== null`)
	assert.Equal(t, "No se pudo buscar: error del CRM. Inténtelo de nuevo.", results())
	// The network fails.
	c.eval(`window.fetch = (u, o) => String(u).startsWith('/api/search') ? Promise.reject(new TypeError('Failed to fetch')) : window.realFetch(u, o); ''`)
	search("solis")
	c.until(`document.querySelector('` + box + ` .results .err')?.textContent === 'No se pudo buscar: sin conexión con el CRM.'`)
	assert.Equal(t, "0", c.eval(`String(document.querySelectorAll('`+box+` .results button.candidate').length)`))
	// Signed out meanwhile (another tab): the server's translated refusal.
	c.eval(`window.fetch = window.realFetch; window.out = 0; fetch('/logout', {method: 'POST'}).then(r => { window.out = r.status; }); ''`)
	c.until(`window.out !== 0`)
	search("solis")
	c.until(`document.querySelector('` + box + ` .results .err')?.textContent === 'Inicie sesión para continuar.'`)
}

// Signed out, a page of the CRM (the login page) cannot reach the
// console's endpoints with fetch: the event stream, the live cards and
// click to dial answer 401 with a translated error, or send a plain POST
// to the login page; an EventSource never opens, even with a call ringing
// for Ana; nothing is dialled.
func TestSignedOutBrowserIsRefused(t *testing.T) {
	a := newTestApp(t)
	ctx, _ := headless(t, 1366, 768)
	c := &console{t: t, a: a, ctx: ctx}
	ana := a.agentID(t, "Ana")
	ring := inbound(t, a, "8888-1111", talkLong)
	require.Eventually(t, func() bool { _, err := a.ledger.Get(context.Background(), ring); return err == nil }, 10*time.Second, 20*time.Millisecond)
	c.do(chromedp.Navigate(a.srv.URL+"/login?lang=es"), chromedp.WaitVisible(chromedp.CSS(`form.login`)))

	c.eval(`window.got = null; (async () => {
		const out = {};
		const show = async (name, r) => {
			const text = await r.text();
			let error = '';
			try { error = JSON.parse(text).error || ''; } catch (e) { error = 'not JSON'; }
			out[name] = {status: r.status, type: r.headers.get('Content-Type') || '', redirected: r.redirected, path: new URL(r.url).pathname, error};
		};
		const form = () => { const b = new URLSearchParams(); b.append('number', '8888-1111'); return b; };
		await show('events', await fetch('/events', {headers: {Accept: 'text/event-stream'}}));
		await show('events_agent', await fetch('/events?agent=` + ana + `', {headers: {Accept: 'text/event-stream'}}));
		await show('live', await fetch('/api/live', {headers: {Accept: 'application/json'}}));
		await show('dial_json', await fetch('/dial', {method: 'POST', body: form(), headers: {Accept: 'application/json'}}));
		await show('dial_form', await fetch('/dial', {method: 'POST', body: form()}));
		window.got = JSON.stringify(out);
	})().catch(e => { window.got = JSON.stringify({failed: String(e)}); }); ''`)
	c.until(`window.got !== null`)
	type answer struct {
		Status     int
		Type       string
		Redirected bool
		Path       string
		Error      string
	}
	var got map[string]answer
	require.NoError(t, json.Unmarshal([]byte(c.eval(`window.got`)), &got))
	for _, name := range []string{"events", "events_agent", "live", "dial_json"} {
		if assert.Contains(t, got, name) {
			assert.Equal(t, http.StatusUnauthorized, got[name].Status, name)
			assert.Contains(t, got[name].Type, "application/json", name)
			assert.NotContains(t, got[name].Type, "event-stream", name)
			assert.Equal(t, "Inicie sesión para continuar.", got[name].Error, name)
		}
	}
	// A plain form POST is sent to sign in (303), which fetch follows.
	assert.Equal(t, answer{Status: http.StatusOK, Type: "text/html; charset=utf-8", Redirected: true, Path: "/login", Error: "not JSON"}, got["dial_form"])

	// An EventSource is refused too: it closes without opening, and gets
	// nothing while Ana's call rings and its update is delivered.
	c.eval(`window.es = {opened: false, closed: false, events: 0};
		const es = new EventSource('/events');
		es.onopen = () => { window.es.opened = true; };
		es.onerror = () => { window.es.closed = es.readyState === EventSource.CLOSED; };
		['pop', 'update', 'end', 'message'].forEach(type => es.addEventListener(type, () => { window.es.events++; })); ''`)
	c.until(`window.es.closed`)
	connectNow(t, a, ring) // an update for Ana's call
	assert.Equal(t, `{"opened":false,"closed":true,"events":0}`, c.eval(`JSON.stringify(window.es)`))
	assert.Zero(t, a.hub.Subscribers(ana), "no stream was subscribed")

	// Nothing was dialled: the only call is the inbound one.
	for call, err := range a.ledger.Calls(context.Background(), calls.Query{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}) {
		require.NoError(t, err)
		assert.Equal(t, ring, call.ID)
		assert.Empty(t, call.DialRef, "no dial")
	}
}
