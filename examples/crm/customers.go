package main

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/policy"
)

// The customers page: contacts with click to dial (as the signed-in
// agent), search, and the contact card the pop-up shows.

func (a *App) handleCustomers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderCustomers(w, r, http.StatusOK, nil, newCustomerForm{})
	})
}

// customersPageSize is how many customers a page of /customers shows (a
// variable so tests can make several pages from a few customers).
var customersPageSize = 50

// customersPageURL links to the customers page before or after the
// customer id (dir "before" or "after"), keeping the language if the
// link had it, but not one-time messages (msg, a refused dial's
// details). The page has no search of its own (the console's and the
// /calls filter's use /api/search).
func customersPageURL(q url.Values, dir, id string) string {
	keep := url.Values{}
	for _, k := range []string{"lang"} {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	keep.Set(dir, id)
	return "/customers?" + keep.Encode()
}

// renderCustomers shows the customers page, with the create form's error
// (or its shared-number warning) and values after a failed create.
func (a *App) renderCustomers(w http.ResponseWriter, r *http.Request, status int, formErr error, form newCustomerForm) {
	u := userFrom(r.Context())
	q := r.URL.Query()
	after, before := q.Get("after"), q.Get("before")
	if !validID(after) {
		after = ""
	}
	if !validID(before) {
		before = ""
	}
	page, err := a.db.CustomersPage(r.Context(), after, before, customersPageSize)
	if a.fail(w, err) {
		return
	}
	var eps []Endpoint
	if u.AgentID != "" {
		if eps, err = a.db.endpoints(r.Context(), u.AgentID); a.fail(w, err) {
			return
		}
	}
	v := &customersView{Customers: page.Customers, Endpoints: eps, CanDial: u.AgentID != "", CanEdit: u.Role != RoleSupervisor, Form: form}
	if page.HasPrev {
		v.PrevURL = customersPageURL(q, "before", page.Prev)
	}
	if page.HasNext {
		v.NextURL = customersPageURL(q, "after", page.Next)
	}
	v.Msg, v.Err = flash(r)
	v.Refusal = a.refusalFromURL(r)
	if formErr != nil {
		text, ok := a.errorText(lang(r), formErr)
		if !ok {
			a.fail(w, formErr)
			return
		}
		v.Msg, v.Err = "", ""
		var dup *DuplicateError
		if errors.As(formErr, &dup) && dup.Field == "number" {
			v.Warn = text
		} else {
			v.FormErr = text
		}
	}
	a.render(w, r, status, "customers", v)
}

// handleAddCustomer creates a customer, its contact and the contact's
// number in one transaction, then opens the new case file. On an error
// nothing is saved and the form comes back with its values and the
// error; a number another contact has comes back as a warning naming
// whose it is, with a button to save it as shared (shared=1).
func (a *App) handleAddCustomer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := newCustomerForm{Customer: r.PostFormValue("customer"), Document: r.PostFormValue("document"),
			Contact: r.PostFormValue("contact"), Number: r.PostFormValue("number")}
		id, _, err := a.db.CreateCustomer(r.Context(), NewCustomer{Name: f.Customer, Document: f.Document, Contact: f.Contact,
			Number: f.Number, Shared: r.PostFormValue("shared") == "1"})
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, errDuplicate) {
				status = http.StatusConflict
			}
			a.renderCustomers(w, r, status, err, f)
			return
		}
		http.Redirect(w, r, "/customers/"+id+"?msg=customer_created", http.StatusSeeOther)
	})
}

// handleDial places a click-to-dial as the signed-in user's agent, from
// the customers page or a case file (customer_id: back to it). The
// contact's customer goes with the dial, so the call is on their case
// file from the first ring.
func (a *App) handleDial() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := lang(r)
		back := "/customers"
		if id := r.PostFormValue("customer_id"); id != "" && validID(id) {
			back = "/customers/" + id
		}
		key, err := a.dial(r)
		var re *policy.RefusalError
		if errors.As(err, &re) { // the rule, the next allowed time, the override form
			a.answerRefusal(w, r, re, back)
			return
		}
		if errors.Is(err, errNoOverAgt) && r.Header.Get("Accept") == "application/json" {
			a.jsonError(w, r, err) // 403
			return
		}
		if err != nil {
			a.log.WarnContext(r.Context(), "crm: click to dial", "error", err.Error())
			var ok bool
			if key, ok = errorKey(err); !ok {
				if r.Header.Get("Accept") == "application/json" {
					a.jsonError(w, r, err)
				} else {
					a.fail(w, err)
				}
				return
			}
		}
		if r.Header.Get("Accept") == "application/json" {
			writeJSON(w, http.StatusOK, map[string]string{"message": translate(l, key)})
			return
		}
		http.Redirect(w, r, back+"?msg="+key, http.StatusSeeOther)
	})
}

// validID reports whether s looks like one of the CRM's ids (newID).
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// dial places the click to dial; key is the outcome's message key.
func (a *App) dial(r *http.Request) (key string, err error) {
	agentID := userFrom(r.Context()).AgentID
	d, eps, err := a.dialerFor(r.Context(), agentID)
	if err != nil {
		return "", err
	}
	primary := eps[0] // endpoints come primary first
	for _, e := range eps {
		if e.Primary && !e.Private {
			primary = e
			break
		}
	}
	meta := map[string]string{"agent": agentID}
	num, contactID := r.PostFormValue("number"), r.PostFormValue("contact_id")
	if v := r.PostFormValue("dial"); v != "" { // a case file's button: "contact number"
		contactID, num, _ = strings.Cut(v, " ")
	}
	if id := contactID; id != "" {
		c, ok, err := a.db.Contact(r.Context(), id)
		if err != nil {
			return "", err
		}
		if ok { // the call's contact and case file
			meta["contact"], meta["case"] = c.ID, c.CustomerID
		}
	}
	if err := a.withCampaign(r.Context(), meta); err != nil { // the case's campaign, for the cost per campaign
		return "", err
	}
	by, reason, err := override(r) // a supervisor's, with a reason
	if err != nil {
		return "", err
	}
	order := click2dial.AgentFirst
	if r.PostFormValue("order") == "contact" { // ring the customer first, the agent when they answer
		order = click2dial.ContactFirst
	}
	_, err = d.Dial(r.Context(), click2dial.Request{Agent: callmyway.Endpoint{ID: primary.EndpointID, User: primary.Username},
		Number: num, Order: order, CallerID: r.PostFormValue("caller_id"), Meta: meta, Override: click2dial.Override{By: by, Reason: reason}})
	if err != nil {
		return "", err
	}
	return "dial_ok", nil
}

// handleSearch answers GET /api/search?q=: the contacts DB.Search finds
// (accents, case, % and _ do not matter), or a translated error.
func (a *App) handleSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := a.db.Search(r.Context(), r.URL.Query().Get("q"), 20)
		if err != nil {
			a.jsonError(w, r, err) // logged; a translated message for the console
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
	})
}

// handleContactCard returns what the pop-up shows for a contact, in the
// reader's language: the contact, the customer's case file (the newest
// cardCharges charges and the balance of all of them, from the ledger),
// the newest cardCalls calls, and the case file's URL. It reads the
// customer's calls through the ledger's indexes, never the traffic.
func (a *App) handleContactCard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := lang(r)
		c, ok, err := a.db.Contact(r.Context(), r.URL.Query().Get("id"))
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		if !ok {
			a.jsonError(w, r, errUnknownContact)
			return
		}
		cu, ok, err := a.db.Customer(r.Context(), c.CustomerID)
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		if !ok {
			a.jsonError(w, r, errUnknownCustomer)
			return
		}
		// One read of the customer's calls through the ledger's indexes:
		// the newest cardCalls, and every charge of the case for the
		// balance (the newest cardCharges listed).
		cl := chargeList{n: cardCharges, total: decimal.Zero}
		rd, err := a.readCase(r.Context(), cu, callKey{}, cardCalls, cl.add)
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		cl.trim()
		entries, balance := cl.entries, cl.total
		labels, err := a.resultLabels(r.Context(), l)
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		type call struct{ When, Direction, Result, Notes string }
		calls := []call{}
		for _, h := range rd.Calls {
			cl := call{When: a.when(h.Start), Direction: codeText(l, "dir", string(h.Direction))}
			if n := len(h.Disps); n > 0 {
				cl.Result, cl.Notes = label(labels, h.Disps[n-1].Result), h.Disps[n-1].Notes
			}
			calls = append(calls, cl)
		}
		type entry struct{ When, Description, Amount string }
		es := []entry{}
		for _, e := range entries {
			es = append(es, entry{a.when(e.At), translate(l, "charge") + " · " + label(labels, e.Result), e.Currency + " " + e.Amount.StringFixed(2)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"contact": c, "case_file": es, "balance": balance.StringFixed(2), "currency": currency,
			"calls": calls, "case_file_url": "/customers/" + c.CustomerID})
	})
}
