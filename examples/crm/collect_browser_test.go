package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/policy"
)

// Issue 18's browser test: a missed inbound call opens a callback that
// appears in the agent's console (the queue's: nobody talked with the
// customer yet); "call back" dials it through the contact policy, and once
// the customer is reached the callback closes by itself and leaves the
// console.
func TestConsoleCallbackClosesWhenReached(t *testing.T) {
	a := newCollectApp(t, func(c *Config) {
		c.Policy = policy.Limits{MaxAttempts: 3, Window: 7 * 24 * time.Hour, Cooldown: 4 * time.Hour}
	})
	c := newConsole(t, a, "ana", 1366, 768)
	cu := mustCustomer(t, a, "Comercial Solís")
	missed := inbound(t, a, "8888-1111", cmwtest.Script{Outcome: cmwtest.AgentNoAnswer, Ring: 300 * time.Millisecond, Talk: 300 * time.Millisecond})
	require.Eventually(t, func() bool {
		call, err := a.ledger.Get(context.Background(), missed)
		return err == nil && call.State == calls.StateEnded
	}, 15*time.Second, 50*time.Millisecond, "the missed call ended")

	cbItem := `#callback-list li.callback`
	c.until(`document.querySelector('` + cbItem + `') !== null`)
	assert.Contains(t, c.text(cbItem), "8888 1111")
	assert.Contains(t, c.text(cbItem), "Comercial Solís")
	assert.Contains(t, c.text(cbItem), "1 llamada perdida")
	assert.Contains(t, c.text(cbItem), "(cola)", "nobody owns the customer yet: the queue's")
	assert.Equal(t, "true", c.eval(`String(document.getElementById('no-callbacks').hidden)`))
	shots := os.Getenv("CMW_SCREENSHOT_DIR") != ""
	if shots {
		c.shot("console-callback-1366.png")
		c.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))
		c.until(`document.documentElement.clientWidth === 390`)
		assert.Equal(t, "true", c.eval(`String(document.documentElement.scrollWidth <= document.documentElement.clientWidth)`), "no horizontal overflow at 390 px")
		c.shot("console-callback-390.png")
		c.do(chromedp.EmulateViewport(1366, 768))
	}

	a.fake.ScriptNext(talkLong)
	c.do(chromedp.Click(chromedp.CSS(cbItem + ` button.call-back`)))
	c.until(`(document.getElementById('callback-msg').textContent || '').includes('Solicitud aceptada')`)
	var id string
	require.Eventually(t, func() bool {
		for call, err := range a.ledger.Calls(context.Background(), calls.Query{Case: cu.ID}) {
			if err == nil && call.DialRef != "" && call.WebhookSeen {
				id = call.ID
			}
		}
		return id != ""
	}, 15*time.Second, 20*time.Millisecond, "the callback's dial, on the customer's case")
	assert.Equal(t, "1", c.eval(`String(document.querySelectorAll('`+cbItem+`').length)`), "still owed while the call rings")
	connectNow(t, a, id)
	c.until(`document.querySelector('` + cbItem + `') === null`)
	assert.Equal(t, "false", c.eval(`String(document.getElementById('no-callbacks').hidden)`))
	open, err := a.callbacks.Open(context.Background(), casefileQueryAll)
	require.NoError(t, err)
	assert.Empty(t, open, "closed in the ledger, not only on the page")

	// The case file lists the callback's dial among the attempts.
	c.do(chromedp.Navigate(a.srv.URL+"/customers/"+cu.ID), chromedp.WaitVisible(chromedp.CSS(`#case-attempts`)))
	assert.Contains(t, c.text(`#case-attempts`), "Marcado")
	assert.Contains(t, c.text(`#case-callbacks`), "No hay llamadas por devolver")
}

// casefileQueryAll selects every open callback.
var casefileQueryAll = casefile.CallbackQuery{}

// A supervisor's override in the browser: the case file's dial is refused
// with the rule and the next time, the override form asks for a reason,
// and the dial it lets through is on the attempts with who and why.
func TestCaseFileOverrideInBrowser(t *testing.T) {
	a := newCollectApp(t, oneAttemptPerWeek)
	require.NoError(t, a.db.SetAgent(context.Background(), a.userID(t, "super"), a.agentID(t, "Carla")))
	cu := mustCustomer(t, a, "Comercial Solís")
	_, body := a.as(t, "ana").post(t, "/dial", dialForm(cu), "Accept", "application/json")
	require.Contains(t, body, "Solicitud aceptada")

	ctx, dir := headless(t, 1366, 800)
	c := &console{t: t, a: a, ctx: ctx, dir: dir}
	c.signIn("super", "/customers/"+cu.ID, `#customer-name`, 1366, 800)
	c.do(
		chromedp.Click(chromedp.CSS(`li[data-e164="+50688881111"] button.call`)),
		chromedp.WaitVisible(chromedp.CSS(`#refusal`)),
	)
	assert.Contains(t, c.text(`#refusal`), "se alcanzó el máximo de intentos")
	assert.Contains(t, c.text(`#refusal`), "Próximo intento permitido:")
	c.shot("casefile-refused-1366.png")
	c.do(
		chromedp.SendKeys(chromedp.CSS(`#override-reason`), "El cliente pidió que lo llamen hoy"),
		chromedp.Click(chromedp.CSS(`#override-dial`)),
		chromedp.WaitVisible(chromedp.CSS(`#msg`)),
	)
	assert.Contains(t, c.text(`#msg`), "Solicitud aceptada")
	assert.Contains(t, c.text(`#case-attempts`), "Autorizado por supervisor")
	assert.Contains(t, c.text(`#case-attempts`), "autorizó super: El cliente pidió que lo llamen hoy")
	assert.Contains(t, c.text(`#case-attempts`), "Máximo de intentos", "the rule it overrode")
}
