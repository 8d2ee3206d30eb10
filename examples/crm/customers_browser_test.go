package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBrowserCustomersPagedAndCallsFilter drives headless Chromium as an
// agent: /customers at 390 px does not scroll sideways and its pager
// reaches page 2; on /calls, typing a customer's name in the filter box
// suggests it from /api/search, and filtering puts its id in the URL.
func TestBrowserCustomersPagedAndCallsFilter(t *testing.T) {
	defer func(n int) { customersPageSize = n }(customersPageSize)
	customersPageSize = 3
	ctx, _ := headless(t, 390, 800)
	a := newTestApp(t)
	cu, _ := solis(t, a)
	for i := range 4 { // more than one page
		_, _, err := a.db.CreateCustomer(context.Background(), NewCustomer{Name: fmt.Sprint("Página ", i), Contact: "Contacto con un nombre bastante largo", Number: fmt.Sprintf("8777-000%d", i)})
		require.NoError(t, err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, actions...))
	}
	until := func(js string) {
		t.Helper()
		var err error
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var ok bool
			if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
				return
			}
		}
		t.Fatalf("waiting for %s: %v", js, err)
	}
	fits390 := func(what string) {
		t.Helper()
		// A page reached by a click or a submit may still be loading its
		// stylesheet: measure the page as styled.
		until(`document.readyState === 'complete'`)
		const measure = `(() => { const d = document.documentElement;
			const wide = Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > d.clientWidth + 0.5)
				.slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
			return JSON.stringify({scroll: d.scrollWidth, client: d.clientWidth, wide}); })()`
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](measure))
		require.NoError(t, err)
		var m struct {
			Scroll, Client int
			Wide           []string
		}
		require.NoError(t, json.Unmarshal([]byte(got), &m))
		assert.Equal(t, 390, m.Client, what)
		assert.LessOrEqual(t, m.Scroll, m.Client, "%s overflows at 390 px; too wide: %v", what, m.Wide)
	}

	do(
		chromedp.EmulateViewport(390, 800),
		chromedp.Navigate(a.srv.URL+"/login?lang=es&next=%2Fcustomers"),
		chromedp.WaitVisible(css(`form.login`)),
		chromedp.SendKeys(css(`input[name=username]`), "ana"),
		chromedp.SendKeys(css(`input[name=password]`), a.password(t, "ana")),
		chromedp.Click(css(`#sign-in`)),
		chromedp.WaitVisible(css(`#customers-pager a[rel=next]`)),
	)
	fits390("/customers, page 1")
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#customers tr[data-customer]').dataset.customer`))
	require.NoError(t, err)
	do(chromedp.Click(css(`#customers-pager a[rel=next]`)))
	until(`location.search.includes('after=') && !!document.querySelector('#customers-pager a[rel=prev]')`)
	fits390("/customers, page 2")
	second, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#customers tr[data-customer]').dataset.customer`))
	require.NoError(t, err)
	assert.NotEqual(t, first, second, "page 2 shows other customers")

	do(
		chromedp.Navigate(a.srv.URL+"/calls"),
		chromedp.WaitVisible(css(`#customer-q`)),
		chromedp.SendKeys(css(`#customer-q`), "Solís"),
	)
	until(`Array.from(document.querySelectorAll('#customer-list option')).some((o) => o.value === 'Comercial Solís')`)
	do(chromedp.SetValue(css(`#customer-q`), "Comercial Solís"))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('customer-q').dispatchEvent(new Event('input'))`))
	require.NoError(t, err)
	until(`document.getElementById('customer-id').value === '` + cu.ID + `'`)
	do(chromedp.Submit(css(`#customer-q`)))
	until(`location.search.includes('customer=` + cu.ID + `')`)
	fits390("/calls, filtered by a customer")
	val, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('customer-q').value`))
	require.NoError(t, err)
	assert.Equal(t, "Comercial Solís", val, "the box names the chosen customer")
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, cu.ID, u.Query().Get("customer"))
}
