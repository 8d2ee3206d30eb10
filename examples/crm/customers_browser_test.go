package main

import (
	"context"
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

	do(
		chromedp.EmulateViewport(390, 800),
		chromedp.Navigate(a.srv.URL+"/login?lang=es&next=%2Fcustomers"),
		chromedp.WaitVisible(css(`form.login`)),
		chromedp.SendKeys(css(`input[name=username]`), "ana"),
		chromedp.SendKeys(css(`input[name=password]`), a.password(t, "ana")),
		chromedp.Click(css(`#sign-in`)),
		chromedp.WaitVisible(css(`#customers-pager a[rel=next]`)),
	)
	assertFits390(t, ctx, "/customers, page 1")
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#customers tr[data-customer]').dataset.customer`))
	require.NoError(t, err)
	do(chromedp.Click(css(`#customers-pager a[rel=next]`)))
	until(`location.search.includes('after=') && !!document.querySelector('#customers-pager a[rel=prev]')`)
	assertFits390(t, ctx, "/customers, page 2")
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
	assertFits390(t, ctx, "/calls, filtered by a customer")
	val, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('customer-q').value`))
	require.NoError(t, err)
	assert.Equal(t, "Comercial Solís", val, "the box names the chosen customer")
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, cu.ID, u.Query().Get("customer"))
}
