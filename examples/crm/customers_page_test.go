package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// customerIDsIn is the customers a page lists, in order.
func customerIDsIn(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`data-customer="([0-9a-f]+)"`).FindAllStringSubmatch(body, -1) {
		if len(ids) == 0 || ids[len(ids)-1] != m[1] {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// /customers shows one page of customers in (name, id) order, with
// links to the pages before and after it (keyset on name and id: two
// customers of the same name are on one page or the next, never lost).
func TestCustomersPaged(t *testing.T) {
	defer func(n int) { customersPageSize = n }(customersPageSize)
	customersPageSize = 3
	a := newTestApp(t)
	ctx := context.Background()
	for i := range 4 { // the same name: the id breaks the tie
		_, _, err := a.db.CreateCustomer(ctx, NewCustomer{Name: "Aaa Igual", Contact: fmt.Sprint("Contacto ", i), Number: fmt.Sprintf("8777-000%d", i)})
		require.NoError(t, err)
	}
	all, err := a.db.Customers(ctx)
	require.NoError(t, err)
	require.Greater(t, len(all), 2*customersPageSize, "more than two pages")
	want := make([]string, len(all))
	for i, c := range all { // Customers is in (name, id) order
		want[i] = c.ID
	}
	ana := a.as(t, "ana")

	_, body := ana.get(t, "/customers")
	assert.Equal(t, want[:3], customerIDsIn(body), "page 1")
	assert.NotContains(t, body, `rel="prev"`, "page 1 has no page before")
	assert.Contains(t, body, `href="/customers?after=`+want[2]+`" rel="next"`)
	assert.Contains(t, body, ">"+all[0].Contacts[0].Name+"</td>", "contacts are shown")
	assert.Contains(t, body, "☎ "+all[0].Contacts[0].Phones[0].Raw+"</button>", "and their numbers")

	_, body = ana.get(t, "/customers?after="+want[2])
	assert.Equal(t, want[3:6], customerIDsIn(body), "page 2")
	assert.Contains(t, body, `href="/customers?before=`+want[3]+`" rel="prev"`)
	assert.Contains(t, body, `href="/customers?after=`+want[5]+`" rel="next"`)

	_, body = ana.get(t, "/customers?before="+want[3])
	assert.Equal(t, want[:3], customerIDsIn(body), "back to page 1")
	assert.NotContains(t, body, `rel="prev"`)

	// Walking forward reaches every customer once; the last page has no next.
	var seen []string
	next := "/customers"
	for range len(all) {
		_, body = ana.get(t, next)
		seen = append(seen, customerIDsIn(body)...)
		m := regexp.MustCompile(`href="(/customers\?after=[0-9a-f]+)" rel="next"`).FindStringSubmatch(body)
		if m == nil {
			break
		}
		next = m[1]
	}
	assert.Equal(t, want, seen, "every customer once, in order")

	// The language is kept in the links; an unknown cursor reads from the start.
	_, body = ana.get(t, "/customers?lang=en&after="+want[2])
	assert.Contains(t, body, `href="/customers?after=`+want[5]+`&amp;lang=en" rel="next"`)
	_, body = ana.get(t, "/customers?after=ffff")
	assert.Equal(t, want[:3], customerIDsIn(body))
	_, body = ana.get(t, "/customers?after=%3Cx%3E")
	assert.Equal(t, want[:3], customerIDsIn(body), "a malformed cursor is ignored")
}

// CustomersPage reads contacts and numbers in batches, as Customers does.
func TestCustomersPageMatchesCustomers(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	all, err := a.db.Customers(ctx)
	require.NoError(t, err)
	p, err := a.db.CustomersPage(ctx, "", "", len(all)+1)
	require.NoError(t, err)
	assert.False(t, p.HasNext)
	assert.False(t, p.HasPrev)
	require.Len(t, p.Customers, len(all))
	for i := range all {
		assert.Equal(t, all[i].ID, p.Customers[i].ID)
		assert.Equal(t, all[i].Campaign, p.Customers[i].Campaign)
		assert.Equal(t, len(all[i].Contacts), len(p.Customers[i].Contacts), all[i].Name)
		for j := range all[i].Contacts {
			assert.Equal(t, all[i].Contacts[j].Phones, p.Customers[i].Contacts[j].Phones)
		}
	}
}

// The /calls customer filter no longer lists every customer: it names
// the chosen one, and suggests others from /api/search (20 at most).
func TestCallsCustomerFilterIsBounded(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	var last string
	for i := range 30 {
		id, _, err := a.db.CreateCustomer(ctx, NewCustomer{Name: fmt.Sprintf("Filtro %02d", i), Contact: "C", Number: fmt.Sprintf("8666-00%02d", i)})
		require.NoError(t, err)
		last = id
	}
	super := a.as(t, "super")
	_, body := super.get(t, "/calls")
	assert.NotContains(t, body, "Filtro 0", "no customer is listed")
	assert.NotContains(t, body, `<option value="`+last+`"`)
	assert.Contains(t, body, `<input type="search" id="customer-q" list="customer-list"`)
	assert.Contains(t, body, `<input type="hidden" name="customer" id="customer-id" value="">`)

	_, body = super.get(t, "/calls?customer="+last)
	assert.Contains(t, body, `id="customer-q" list="customer-list" autocomplete="off" value="Filtro 29"`, "the chosen customer is named")
	assert.Contains(t, body, `name="customer" id="customer-id" value="`+last+`"`, "and its id kept in the filter")
	assert.Contains(t, body, `href="/calls.csv?customer=`+last+`"`, "the export keeps it")
	assert.NotContains(t, body, "Filtro 28")

	// The box's suggestions: /api/search, bounded.
	code, js := super.get(t, "/api/search?q=Filtro", "Accept", "application/json")
	require.Equal(t, 200, code, js)
	assert.Equal(t, 20, strings.Count(js, `"customer_id"`), "20 suggestions at most")
}

// On PostgreSQL (its collation orders names), walking CustomersPage
// forward and back lists every customer once, in Customers' order.
func TestCustomersPageOnPostgres(t *testing.T) {
	cfg, _ := pgConfig(t)
	app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(app.Close)
	ctx := context.Background()
	for i, name := range []string{"beta", "Alfa", "Ñandú", "alfa", "Zeta", "Alfa", "éter", "Beta"} {
		_, _, err := app.db.CreateCustomer(ctx, NewCustomer{Name: name, Contact: fmt.Sprint("C", i), Number: fmt.Sprintf("8555-000%d", i)})
		require.NoError(t, err)
	}
	all, err := app.db.Customers(ctx)
	require.NoError(t, err)
	var want, seen []string
	for _, c := range all {
		want = append(want, c.ID)
	}
	var pages []CustomersPage
	for p, after := (CustomersPage{HasNext: true}), ""; p.HasNext; after = p.Next {
		p, err = app.db.CustomersPage(ctx, after, "", 3)
		require.NoError(t, err)
		pages = append(pages, p)
		for _, c := range p.Customers {
			seen = append(seen, c.ID)
			assert.Len(t, c.Contacts, 1, c.Name)
		}
	}
	assert.Equal(t, want, seen)
	require.Len(t, pages, 3)
	back, err := app.db.CustomersPage(ctx, "", pages[2].Prev, 3)
	require.NoError(t, err)
	assert.Equal(t, pages[1].Customers, back.Customers, "back from page 3 is page 2")
}
