package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/screenpop"
)

// customer is the demo customer with that name, fresh from the store.
func customer(t *testing.T, a *testApp, name string) (CustomerRow, bool) {
	t.Helper()
	cs, err := a.db.Customers(context.Background())
	require.NoError(t, err)
	for _, cu := range cs {
		if cu.Name == name {
			return cu, true
		}
	}
	return CustomerRow{}, false
}

func mustCustomer(t *testing.T, a *testApp, name string) CustomerRow {
	t.Helper()
	cu, ok := customer(t, a, name)
	require.True(t, ok, "no customer %s", name)
	return cu
}

// location posts a form without following the redirect and returns the
// status and where it redirects.
func (a *testApp) location(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", a.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := *a.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Location")
}

// The case file shows the customer, contacts, numbers in national format,
// every call with its dispositions and charges and the balance, in the
// reader's language; supervisors read it without the edit forms.
func TestCaseFilePage(t *testing.T) {
	a := newTestApp(t)
	cu, marta := solis(t, a)
	caseCall(t, a, "cf-1", "+50688881111", 30*time.Hour, marta.ID, "PAGO", "Paga el viernes", "1500.25")
	caseCall(t, a, "cf-2", "+50688881111", 2*time.Hour, marta.ID, "CONTACTO", "", "")
	caseCall(t, a, "cf-other", "+50622223333", time.Hour, "", "", "", "") // Familia Mora's shared number: not Solís's
	ana := a.as(t, "ana")

	code, body := ana.get(t, "/customers/"+cu.ID)
	require.Equal(t, http.StatusOK, code, body)
	for _, want := range []string{"Comercial Solís", "3-101-123456", "Marta Solís", "8888 1111", "Promesa de pago", "Paga el viernes",
		"Contactado", "por ana", "CRC 1500.25", `data-currency="CRC">CRC 1500.25</strong>`, "Cargo de gestión de cobro · Promesa de pago",
		`id="dial"`, `name="caller_id"`, `value="` + marta.ID + ` +50688881111"`, `action="/customers/` + cu.ID + `/contacts"`} {
		assert.Contains(t, body, strings.ReplaceAll(want, "+", "&#43;"), want)
	}
	assert.NotContains(t, body, "cf-other", "another customer's call")
	assert.NotContains(t, body, "Gestión de cobro — llamada", "the stored description is not shown: the reader's language is")

	_, body = ana.get(t, "/customers/"+cu.ID+"?lang=en")
	for _, want := range []string{"Customer case file", "Promise to pay", "Contacted", "by ana", "Collection charge · Promise to pay", "Inbound", "Balance"} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "Promesa de pago")

	super := a.as(t, "super")
	code, body = super.get(t, "/customers/"+cu.ID)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "CRC 1500.25", "supervisors read the case file")
	assert.Contains(t, body, `id="read-only"`)
	assert.NotContains(t, body, `action="/customers/`+cu.ID+`/contacts"`, "no edit forms for a supervisor")
	assert.NotContains(t, body, `class="call"`, "a supervisor is no agent: no dialling")
	for _, path := range []string{"/customers/" + cu.ID, "/customers/" + cu.ID + "/contacts", "/customers/" + cu.ID + "/contacts/" + marta.ID,
		"/customers/" + cu.ID + "/contacts/" + marta.ID + "/numbers", "/customers/" + cu.ID + "/contacts/" + marta.ID + "/numbers/remove", "/customers"} {
		code, _ := super.post(t, path, url.Values{"name": {"X"}, "number": {"8888-0000"}, "e164": {"+50688881111"}, "customer": {"X"}})
		assert.Equal(t, http.StatusForbidden, code, "supervisors are read-only: %s", path)
	}
	assert.Equal(t, "Comercial Solís", mustCustomer(t, a, "Comercial Solís").Name, "nothing changed")

	code, body = ana.get(t, "/customers/nope?lang=es")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "Cliente desconocido.")
	assert.Contains(t, body, "<h1>No encontrado</h1>")
	code, _ = a.noRedirects().get(t, "/customers/"+cu.ID)
	assert.Equal(t, http.StatusSeeOther, code, "signed out: to the sign-in page")
}

// Every change to a customer is validated, with errors in the reader's
// language; duplicates are refused (documents) or warned about and saved
// only when confirmed as shared (numbers).
func TestCaseFileEdits(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	cu, marta := solis(t, a)
	mora := mustCustomer(t, a, "Familia Mora")
	base := "/customers/" + cu.ID
	contact := base + "/contacts/" + marta.ID

	// Customer details.
	code, body := ana.post(t, base, url.Values{"name": {"  "}, "document": {"x"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Escriba el nombre del cliente.")
	code, body = ana.post(t, base, url.Values{"name": {""}}, "Accept-Language", "en")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Enter the customer&#39;s name.")
	code, body = ana.post(t, base, url.Values{"name": {"Comercial Solís S.A."}, "document": {"1 0923 0456"}})
	assert.Equal(t, http.StatusConflict, code, "Familia Mora's document, written differently")
	assert.Contains(t, body, "ya es del cliente Familia Mora")
	assert.Contains(t, body, `value="Comercial Solís S.A."`, "the typed values are kept")
	assert.Equal(t, "3-101-123456", mustCustomer(t, a, "Comercial Solís").Document, "nothing saved")
	code, loc := ana.location(t, base, url.Values{"name": {"Comercial Solís S.A."}, "document": {"3-101-123456"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, base+"?msg=customer_saved", loc)
	_, body = ana.get(t, loc)
	assert.Contains(t, body, "Datos del cliente guardados.")
	assert.Contains(t, body, `<h1 id="customer-name">Comercial Solís S.A.</h1>`)

	// Contacts.
	code, body = ana.post(t, contact, url.Values{"name": {""}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Escriba el nombre del contacto.")
	code, loc = ana.location(t, contact, url.Values{"name": {"Marta Solís Mora"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, base+"?msg=contact_saved", loc)
	code, body = ana.post(t, "/customers/"+cu.ID+"/contacts/"+mora.Contacts[0].ID, url.Values{"name": {"Robado"}})
	assert.Equal(t, http.StatusNotFound, code, "another customer's contact, through this customer's URL")
	assert.Contains(t, body, "Contacto desconocido.")

	// Numbers: letters are an error; another contact's number is a
	// warning naming whose it is, saved only once confirmed as shared.
	for _, bad := range []string{"8888-ABCD", "12", "call me"} {
		code, body = ana.post(t, contact+"/numbers", url.Values{"number": {bad}})
		assert.Equal(t, http.StatusBadRequest, code, bad)
		assert.Contains(t, body, "Número de teléfono inválido", bad)
		assert.NotContains(t, body, "invalid phone number", bad)
	}
	code, body = ana.post(t, contact+"/numbers", url.Values{"number": {"2222-3333"}})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, "El teléfono 2222 3333 ya es de Diego Mora (Familia Mora)")
	assert.Contains(t, body, `id="confirm-shared"`)
	found, err := a.db.FindByNumber(context.Background(), "+50622223333")
	require.NoError(t, err)
	assert.Len(t, found, 2, "not saved without the confirmation")
	code, loc = ana.location(t, contact+"/numbers", url.Values{"number": {"2222-3333"}, "shared": {"1"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, base+"?msg=number_added", loc)
	found, err = a.db.FindByNumber(context.Background(), "+50622223333")
	require.NoError(t, err)
	assert.Len(t, found, 3, "shared on purpose")
	code, _ = ana.location(t, contact+"/numbers", url.Values{"number": {"8888 1111"}})
	assert.Equal(t, http.StatusSeeOther, code, "a contact's own number again: no warning, no second copy")
	assert.Len(t, mustCustomer(t, a, "Comercial Solís S.A.").Contacts[0].Phones, 2)

	code, loc = ana.location(t, contact+"/numbers/remove", url.Values{"e164": {"+50622223333"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, base+"?msg=number_removed", loc)
	code, body = ana.post(t, contact+"/numbers/remove", url.Values{"e164": {"+50622223333"}}, "Accept-Language", "en")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "That contact has no such number.")

	// A new contact with its number, in one transaction.
	code, body = ana.post(t, base+"/contacts", url.Values{"name": {"Jorge Solís"}, "number": {"8888-12ab"}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Número de teléfono inválido")
	assert.Len(t, mustCustomer(t, a, "Comercial Solís S.A.").Contacts, 1, "no contact without its number")
	code, body = ana.post(t, base+"/contacts", url.Values{"name": {"Jorge Solís"}, "number": {"2222-3333"}})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, `name="name" value="Jorge Solís"`, "the confirmation resubmits the contact")
	assert.Len(t, mustCustomer(t, a, "Comercial Solís S.A.").Contacts, 1)
	code, loc = ana.location(t, base+"/contacts", url.Values{"name": {"Jorge Solís"}, "number": {"2222-3333"}, "shared": {"1"}})
	assert.Equal(t, http.StatusSeeOther, code)
	assert.Equal(t, base+"?msg=contact_added", loc)
	assert.Len(t, mustCustomer(t, a, "Comercial Solís S.A.").Contacts, 2)
}

// Creating a customer with its contact and number is one transaction: on
// any error nothing is saved, the form comes back with its values and the
// error in the reader's language.
func TestCreateCustomerIsOneTransaction(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	form := func(number, doc string) url.Values {
		return url.Values{"customer": {"Ferretería Núñez"}, "document": {doc}, "contact": {"Ana Núñez"}, "number": {number}}
	}
	code, body := ana.post(t, "/customers", form("8888-ABCD", "3-101-999999"))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Número de teléfono inválido")
	assert.Contains(t, body, `value="Ferretería Núñez"`, "the values are kept")
	_, ok := customer(t, a, "Ferretería Núñez")
	assert.False(t, ok, "no half record")

	code, body = ana.post(t, "/customers", form("8888-5555", "3101-123456"))
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, "El documento 3101-123456 ya es del cliente Comercial Solís")
	_, ok = customer(t, a, "Ferretería Núñez")
	assert.False(t, ok)

	code, body = ana.post(t, "/customers", form("8888-1111", "3-101-999999"))
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body, "ya es de Marta Solís (Comercial Solís)")
	assert.Contains(t, body, `id="confirm-shared"`)
	_, ok = customer(t, a, "Ferretería Núñez")
	assert.False(t, ok, "a warned duplicate saves nothing")

	code, body = ana.post(t, "/customers", url.Values{"customer": {"Sin Contacto"}, "number": {"8888-7777"}}, "Accept-Language", "en")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "Enter the contact&#39;s name.")

	f := form("8888-5555", "3-101-999999")
	code, loc := ana.location(t, "/customers", f)
	require.Equal(t, http.StatusSeeOther, code)
	cu := mustCustomer(t, a, "Ferretería Núñez")
	assert.Equal(t, "/customers/"+cu.ID+"?msg=customer_created", loc)
	require.Len(t, cu.Contacts, 1)
	assert.Equal(t, []ContactNumber{{Raw: "8888-5555", E164: "+50688885555"}}, cu.Contacts[0].Phones)
	_, body = ana.get(t, loc)
	assert.Contains(t, body, "Cliente creado.")

	// Shared on purpose, after the warning.
	f = url.Values{"customer": {"Hermanos Solís"}, "contact": {"Pedro Solís"}, "number": {"8888-1111"}, "shared": {"1"}}
	code, _ = ana.location(t, "/customers", f)
	assert.Equal(t, http.StatusSeeOther, code)
	found, err := a.db.FindByNumber(context.Background(), "+50688881111")
	require.NoError(t, err)
	assert.Len(t, found, 2)
}

// The store's errors are typed: callers match them with errors.Is/As.
func TestCustomerStoreErrors(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	_, _, err := a.db.CreateCustomer(ctx, NewCustomer{Name: "X", Contact: "Y", Number: "8888-ABCD"})
	assert.ErrorIs(t, err, callmyway.ErrInvalidNumber, "letters in a number")
	_, _, err = a.db.CreateCustomer(ctx, NewCustomer{Name: " "})
	assert.ErrorIs(t, err, errCustomerNameRequired)
	_, _, err = a.db.CreateCustomer(ctx, NewCustomer{Name: "X", Document: "3.101.123456"})
	var dup *DuplicateError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, DuplicateError{Field: "document", Value: "3.101.123456", CustomerID: dup.CustomerID, CustomerName: "Comercial Solís"}, *dup)
	assert.ErrorIs(t, err, errDuplicate)
	_, _, err = a.db.CreateCustomer(ctx, NewCustomer{Name: "X", Contact: "Y", Number: "2222-3333"})
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, "number", dup.Field)
	assert.Equal(t, "Familia Mora", dup.CustomerName)
	assert.ErrorIs(t, a.db.AddNumber(ctx, "", "nope", "8888-0000", false), errUnknownContact)
	_, err = a.db.AddContact(ctx, "nope", "Y")
	assert.ErrorIs(t, err, errUnknownCustomer)
	assert.ErrorIs(t, a.db.UpdateCustomer(ctx, "nope", "Z", ""), errUnknownCustomer)
	for _, e := range []error{errCustomerNameRequired, errContactNameRequired, errNumberRequired, errUnknownCustomer, errUnknownContact, errUnknownNumber,
		callmyway.ErrInvalidNumber, errNotYourCall, errNoEndpoint, errChargeNeedsContact, calls.ErrNotFound, errBadDate} {
		k, ok := errorKey(e)
		assert.True(t, ok, "%v has a message key", e)
		assert.NotEmpty(t, messages[k][0], k)
		assert.NotEmpty(t, messages[k][1], k)
	}
	_, ok := errorKey(errors.New("disk full"))
	assert.False(t, ok, "an unexpected error has no key: it is a 500, its text never shown")
}

// postJSON posts a form asking for JSON and decodes the answer.
func (a *testApp) postJSON(t *testing.T, path string, form url.Values, hdr ...string) (int, map[string]any) {
	t.Helper()
	code, body := a.post(t, path, form, append([]string{"Accept", "application/json"}, hdr...)...)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return code, m
}

// No English reaches the Spanish UI: the console's JSON errors, the
// contact card's lines and the pages' messages are translated, and a page
// echoes nothing from its URL but known message keys.
func TestErrorsAreTranslated(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	_, marta := solis(t, a)
	cases := []struct {
		path   string
		form   url.Values
		status int
		es, en string
	}{
		{"/api/pick", url.Values{"contact_id": {"nope"}, "callid": {"x"}}, 404, "Contacto desconocido.", "Unknown contact."},
		{"/api/pick", url.Values{"contact_id": {marta.ID}, "callid": {"nope"}}, 404, "Llamada desconocida.", "Unknown call."},
		{"/api/ignore", url.Values{"callid": {"nope"}}, 404, "Llamada desconocida.", "Unknown call."},
		{"/api/contacts", url.Values{"customer": {"X"}}, 400, "Escriba el nombre del contacto.", "Enter the contact's name."},
		{"/api/contacts", url.Values{"customer": {"X"}, "name": {"Y"}, "number": {"abc"}}, 400, "Número de teléfono inválido", "Invalid phone number"},
		{"/api/disposition", url.Values{"callid": {"x"}, "next_action_date": {"mañana"}}, 400, "Fecha inválida.", "Invalid date."},
		{"/api/disposition", url.Values{"callid": {"x"}, "charge": {"diez"}}, 400, "Monto inválido.", "Invalid amount."},
		{"/api/disposition", url.Values{"callid": {"nope"}, "result": {"PAGO"}}, 404, "Llamada desconocida.", "Unknown call."},
		{"/demo/inbound", url.Values{"kind": {"nope"}}, 400, "Tipo de llamada de prueba desconocido.", "Unknown kind of test call."},
	}
	for _, c := range cases {
		code, m := ana.postJSON(t, c.path, c.form)
		assert.Equal(t, c.status, code, c.path)
		assert.Contains(t, m["error"], c.es, c.path)
		_, m = ana.postJSON(t, c.path, c.form, "Accept-Language", "en")
		assert.Contains(t, m["error"], c.en, c.path)
	}
	// A known call, an unknown result code.
	code, body := ana.post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, 200, code, body)
	var r struct{ CallID string }
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Eventually(t, func() bool { _, err := a.ledger.Get(context.Background(), r.CallID); return err == nil }, 5*time.Second, 10*time.Millisecond)
	code, m := ana.postJSON(t, "/api/disposition", url.Values{"callid": {r.CallID}, "result": {"NOPE"}})
	assert.Equal(t, 400, code)
	assert.Equal(t, "Resultado desconocido.", m["error"])
	code, m = a.as(t, "beto").postJSON(t, "/api/ignore", url.Values{"callid": {r.CallID}})
	assert.Equal(t, http.StatusForbidden, code, "someone else's call")
	assert.Equal(t, "Esa llamada no es suya.", m["error"])

	// The contact card: unknown contact, and its lines in the reader's language.
	code, body = ana.get(t, "/api/contact?id=nope")
	assert.Equal(t, 404, code)
	assert.Contains(t, body, "Contacto desconocido.")
	caseCall(t, a, "card-1", "+50688881111", time.Hour, marta.ID, "PAGO", "", "10")
	_, body = ana.get(t, "/api/contact?id="+marta.ID+"&lang=en")
	var card struct {
		CaseFile    []struct{ Description, Amount string } `json:"case_file"`
		Calls       []struct{ Direction, Result string }
		CaseFileURL string `json:"case_file_url"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &card), body)
	require.NotEmpty(t, card.CaseFile)
	assert.Equal(t, "Collection charge · Promise to pay", card.CaseFile[0].Description)
	assert.Equal(t, "CRC 10.00", card.CaseFile[0].Amount)
	results := map[string]string{}
	for _, c := range card.Calls {
		results[c.Result] = c.Direction
	}
	assert.Equal(t, "Inbound", results["Promise to pay"], "%+v", card.Calls)
	assert.Equal(t, "/customers/"+marta.CustomerID, card.CaseFileURL)

	// Pages: only known keys from the URL, translated.
	_, body = ana.get(t, "/customers?msg=%3Cscript%3Ealert(1)%3C/script%3E")
	assert.NotContains(t, body, "alert(1)</", "nothing else is echoed")
	assert.NotContains(t, body, `id="msg"`)
	_, body = ana.get(t, "/customers?msg=invalid+phone+number")
	assert.NotContains(t, body, `id="msg"`, "an English error in the URL is not shown")
	_, body = ana.get(t, "/customers?msg=customer_created&lang=en")
	assert.Contains(t, body, `id="msg">Customer created.`)
	admin := a.as(t, "admin")
	_, body = admin.post(t, "/agents", url.Values{"name": {" "}})
	assert.Contains(t, body, "El agente necesita un nombre.", "the agents page's errors are translated")
	_, body = admin.post(t, "/agents", url.Values{"name": {"Diana"}}, "Accept-Language", "en")
	assert.Contains(t, body, "Agent added.")

	code, body = ana.post(t, "/dial", url.Values{"number": {"8888-ABCD"}}, "Cookie", "lang=es")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `<p class="msg err" role="alert" id="msg">Número de teléfono inválido`, "the dial's error, translated and shown as an error")
}

// Every message a case file, a form or an error uses has both languages,
// and none of them overrides an existing text.
func TestCaseFileMessages(t *testing.T) {
	for k, v := range caseFileMessages {
		assert.Equal(t, v, messages[k], "%s collides with another text", k)
		assert.NotEmpty(t, v[0], k)
		assert.NotEmpty(t, v[1], k)
	}
	for _, k := range append(errorKeys, customerErrorKeys...) {
		assert.NotEmpty(t, messages[k.key][0], k.key)
		assert.NotEmpty(t, messages[k.key][1], k.key)
	}
	a := newTestApp(t)
	cu, _ := solis(t, a)
	for _, user := range []string{"ana", "super", "admin"} {
		c := a.as(t, user)
		for _, l := range []string{"es", "en"} {
			code, body := c.get(t, "/customers/"+cu.ID+"?lang="+l)
			require.Equal(t, 200, code)
			for key := range caseFileMessages {
				assert.NotContains(t, body, ">"+key+"<", "%s printed as a key", key)
			}
		}
	}
}

// Regression: "Link to existing" on an unknown caller saves the number on
// the chosen contact, so the next call from that number pops as known.
func TestLinkUnknownCallerToExisting(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	sub, _, err := a.hub.Subscribe(a.agentID(t, "Ana"), 0)
	require.NoError(t, err)
	pop := func(callID string) screenpop.Message {
		t.Helper()
		for {
			select {
			case m := <-sub.C:
				if m.Call.CallID == callID && m.Type == screenpop.TypePop {
					return m
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no pop")
			}
		}
	}
	_, marta := solis(t, a)
	first := inbound(t, a, "7000-0000", talkLong)
	m := pop(first)
	require.Equal(t, screenpop.MatchUnknown, m.Match.Kind)
	code, res := ana.postJSON(t, "/api/pick", url.Values{"callid": {first}, "contact_id": {marta.ID}, "link": {"1"}})
	require.Equal(t, http.StatusOK, code, res)
	assert.Equal(t, "El número 7000 0000 quedó guardado en Marta Solís: sus próximas llamadas lo reconocerán.", res["message"])

	second := inbound(t, a, "7000-0000", talkLong)
	m = pop(second)
	assert.Equal(t, screenpop.MatchKnown, m.Match.Kind, "the next call from that number is the contact's")
	require.NotEmpty(t, m.Match.Contacts)
	assert.Equal(t, marta.ID, m.Match.Contacts[0].ID)
	_, body := ana.get(t, "/customers/"+marta.CustomerID)
	assert.Contains(t, body, "7000 0000", "the number is on the case file")
}

// "Ignore" on an unknown caller is recorded in the ledger as the agent's
// disposition, once, and shows in the history.
func TestIgnoreUnknownCallerIsRecorded(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	id := inbound(t, a, "7000-0000", talkLong)
	require.Eventually(t, func() bool { _, err := a.ledger.Get(context.Background(), id); return err == nil }, 5*time.Second, 10*time.Millisecond)
	for i := 0; i < 2; i++ { // a double click records it once
		code, res := ana.postJSON(t, "/api/ignore", url.Values{"callid": {id}})
		require.Equal(t, http.StatusOK, code, res)
		assert.Equal(t, "Llamada marcada como ignorada.", res["message"])
	}
	c, err := a.ledger.Get(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, c.Disps, 1)
	assert.Equal(t, resultIgnored, c.Disps[0].Result)
	assert.Equal(t, a.userID(t, "ana"), c.Disps[0].By)
	_, body := ana.get(t, "/calls")
	assert.Contains(t, body, "Ignorada (número desconocido)")
	_, body = ana.get(t, "/calls?lang=en")
	assert.Contains(t, body, "Ignored (unknown number)")
}

// The console's "Create" answers with what it created; a number another
// contact got meanwhile is a 409 warning, and nothing is saved.
func TestConsoleCreateGivesFeedback(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	id := inbound(t, a, "7000-0000", talkLong)
	require.Eventually(t, func() bool { _, err := a.ledger.Get(context.Background(), id); return err == nil }, 5*time.Second, 10*time.Millisecond)
	code, res := ana.postJSON(t, "/api/contacts", url.Values{"callid": {id}, "name": {"Rosa Quirós"}, "customer": {"Quirós y Asociados"}, "number": {"8888-1111"}})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, res["error"], "ya es de Marta Solís (Comercial Solís)")
	_, ok := customer(t, a, "Quirós y Asociados")
	assert.False(t, ok, "nothing saved")
	code, res = ana.postJSON(t, "/api/contacts", url.Values{"callid": {id}, "name": {"Rosa Quirós"}, "customer": {"Quirós y Asociados"}, "number": {"+50670000000"}})
	require.Equal(t, http.StatusOK, code, res)
	assert.Equal(t, "Creado: Rosa Quirós — Quirós y Asociados.", res["message"])
	cu := mustCustomer(t, a, "Quirós y Asociados")
	assert.Equal(t, "Rosa Quirós", cu.Contacts[0].Name)
}

// The customer store on PostgreSQL: the same SQL (the document index on
// an expression, the one-transaction create, the duplicate checks).
func TestCustomerStoreOnPostgres(t *testing.T) {
	cfg, _ := pgConfig(t)
	app, err := NewApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer app.Close()
	ctx := context.Background()
	cid, coid, err := app.db.CreateCustomer(ctx, NewCustomer{Name: "Comercial Solís", Document: "3-101-123456", Contact: "Marta", Number: "8888-1111"})
	require.NoError(t, err)
	_, _, err = app.db.CreateCustomer(ctx, NewCustomer{Name: "Otra", Document: "3101 123456", Contact: "X", Number: "8888-2222"})
	var dup *DuplicateError
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, cid, dup.CustomerID)
	_, _, err = app.db.CreateCustomer(ctx, NewCustomer{Name: "Otra", Contact: "X", Number: "8888-1111"})
	require.ErrorAs(t, err, &dup)
	assert.Equal(t, coid, dup.ContactID)
	cs, err := app.db.Customers(ctx)
	require.NoError(t, err)
	assert.Len(t, cs, 1, "a refused create leaves nothing behind")
	require.NoError(t, app.db.AddNumber(ctx, cid, coid, "+50622223333", false))
	require.NoError(t, app.db.RemoveNumber(ctx, cid, coid, "+50688881111"))
	cu, ok, err := app.db.Customer(ctx, cid)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []ContactNumber{{Raw: "+50622223333", E164: "+50622223333"}}, cu.Contacts[0].Phones)
}

// The case file shows caseFilePage calls a page, newest first, with a
// link to the older ones; the balance on every page sums every charge of
// the case, to the cent.
func TestCaseFilePagedWithExactBalance(t *testing.T) {
	a := newTestApp(t)
	cu, marta := solis(t, a)
	want := decimal.Zero
	for i := range caseFilePage + 5 {
		amt := decimal.New(int64(i), 0).Add(decimal.RequireFromString("0.25"))
		want = want.Add(amt)
		caseCall(t, a, fmt.Sprintf("pg-%02d", i), "+50688881111", time.Duration(i+1)*time.Hour, marta.ID, "PAGO", "", amt.String())
	}
	ana := a.as(t, "ana")
	balance := `data-currency="CRC">CRC ` + want.StringFixed(2) + `</strong>`
	code, body := ana.get(t, "/customers/"+cu.ID)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, caseFilePage, strings.Count(body, `class="case-call`))
	assert.Contains(t, body, `data-callid="pg-00"`, "the newest first")
	assert.NotContains(t, body, `data-callid="pg-50"`)
	assert.Contains(t, body, balance, "the balance sums the calls of every page")
	m := regexp.MustCompile(`href="([^"]+)" id="older-calls"`).FindStringSubmatch(body)
	require.NotNil(t, m, "a link to the older calls")
	code, body = ana.get(t, html.UnescapeString(m[1]))
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, 5, strings.Count(body, `class="case-call`))
	for i := caseFilePage; i < caseFilePage+5; i++ {
		assert.Contains(t, body, fmt.Sprintf(`data-callid="pg-%02d"`, i))
	}
	assert.Contains(t, body, balance)
	assert.NotContains(t, body, `id="older-calls"`, "the last page")
	assert.Contains(t, body, `id="newest-calls"`)
}
