package main

import (
	"errors"
	"net/http"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
)

// The customers page: contacts with click to dial (as the signed-in
// agent), search, and the contact card the pop-up shows.

func (a *App) handleCustomers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userFrom(r.Context())
		customers, err := a.db.Customers(r.Context())
		if a.fail(w, err) {
			return
		}
		var eps []Endpoint
		if u.AgentID != "" {
			if eps, err = a.db.endpoints(r.Context(), u.AgentID); a.fail(w, err) {
				return
			}
		}
		a.render(w, r, http.StatusOK, "customers", map[string]any{"Customers": customers, "Endpoints": eps,
			"CanDial": u.AgentID != "", "CanEdit": u.Role != RoleSupervisor, "Msg": r.URL.Query().Get("msg")})
	})
}

func (a *App) handleAddCustomer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cid, err := a.db.AddCustomer(r.Context(), r.FormValue("customer"), r.FormValue("document"))
		if err == nil && r.FormValue("contact") != "" {
			_, err = a.db.AddContact(r.Context(), cid, r.FormValue("contact"), r.FormValue("number"))
		}
		redirectMsg(w, r, "/customers", err)
	})
}

// handleDial places a click-to-dial as the signed-in user's agent.
func (a *App) handleDial() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := lang(r)
		agentID := userFrom(r.Context()).AgentID
		d, eps, err := a.dialerFor(r.Context(), agentID)
		if err != nil {
			redirectMsg(w, r, "/customers", err)
			return
		}
		primary := eps[0] // endpoints come primary first
		for _, e := range eps {
			if e.Primary && !e.Private {
				primary = e
				break
			}
		}
		_, err = d.Dial(r.Context(), click2dial.Request{Agent: callmyway.Endpoint{ID: primary.EndpointID, User: primary.Username},
			Number: r.FormValue("number"), CallerID: r.FormValue("caller_id"), Meta: map[string]string{"contact": r.FormValue("contact_id"), "agent": agentID}})
		switch {
		case err == nil:
			err = errors.New(translate(l, "dial_ok"))
		case errors.Is(err, click2dial.ErrCallInProgress):
			err = errors.New(translate(l, "dial_busy"))
		}
		if r.Header.Get("Accept") == "application/json" {
			writeJSON(w, http.StatusOK, map[string]string{"message": err.Error()})
			return
		}
		redirectMsg(w, r, "/customers", err)
	})
}

func (a *App) handleSearch() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs, err := a.db.Search(r.Context(), r.URL.Query().Get("q"), 20)
		if a.fail(w, err) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
	})
}

// handleContactCard returns what the pop-up shows for a contact: the
// contact, the customer's case file and recent calls.
func (a *App) handleContactCard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok, err := a.db.Contact(r.Context(), r.URL.Query().Get("id"))
		if a.fail(w, err) {
			return
		}
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown contact"})
			return
		}
		entries, balance, err := a.CaseFile(r.Context(), c.CustomerID)
		if a.fail(w, err) {
			return
		}
		hist, err := a.History(r.Context(), CallsFilter{From: time.Now().AddDate(0, -3, 0), To: time.Now().Add(time.Hour), CustomerID: c.CustomerID})
		if a.fail(w, err) {
			return
		}
		if len(hist) > 5 {
			hist = hist[:5]
		}
		type call struct{ When, Direction, Result, Notes string }
		var calls []call
		for _, h := range hist {
			calls = append(calls, call{a.when(h.Detect), h.Direction, h.Result, h.Notes})
		}
		type entry struct{ When, Description, Amount string }
		var es []entry
		for _, e := range entries {
			es = append(es, entry{a.when(e.At), e.Description, e.Amount.StringFixed(2)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"contact": c, "case_file": es, "balance": balance.StringFixed(2), "calls": calls})
	})
}
