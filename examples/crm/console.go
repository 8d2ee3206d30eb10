package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/screenpop"
)

// The agent console: the signed-in agent's pops over SSE, picking a
// contact, linking an unknown caller, dispositions, demo calls.

// handleHome greets the user: their console, or the agents for
// supervisors and admins.
func (a *App) handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		a.render(w, r, http.StatusOK, "home", &homeView{Agents: agents})
	})
}

func (a *App) handleConsole() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userFrom(r.Context())
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		var current *AgentRow
		for i := range agents {
			if agents[i].ID == u.AgentID {
				current = &agents[i]
			}
		}
		if current == nil {
			a.render(w, r, http.StatusForbidden, "error", &errorView{Msg: translate(lang(r), "no_agent")})
			return
		}
		codes, err := a.db.ResultCodes(r.Context())
		if a.fail(w, err) {
			return
		}
		a.render(w, r, http.StatusOK, "console", &consoleView{Current: current, Codes: codes})
	})
}

// handleEvents streams the signed-in agent's pops, and no one else's.
func (a *App) handleEvents() http.Handler {
	return a.hub.Handler(func(r *http.Request) (string, error) {
		if id := userFrom(r.Context()).AgentID; id != "" {
			return id, nil
		}
		return "", errors.New("no agent")
	})
}

// wrapUpWindow is how far back the console looks for ended calls of the
// agent that have no disposition yet (wrap-up cards restored on reload).
const wrapUpWindow = 4 * time.Hour

// LiveCards is what GET /api/live answers: the messages of the signed-in
// agent's live calls and of recently ended calls not yet disposed, as the
// SSE stream would have sent them, so a reloaded console restores its
// cards. Now is the server's time in the account's zone, the timers'
// reference (the messages' times are the account's wall clock); NowMS and
// ZoneOffset give it to the millisecond. Disposed names the live calls
// that already have a disposition.
type LiveCards struct {
	Messages   []screenpop.Message `json:"messages"`
	Disposed   []string            `json:"disposed"`
	Now        callmyway.Time      `json:"now"`
	NowMS      int64               `json:"now_ms"`      // Unix milliseconds
	ZoneOffset int                 `json:"zone_offset"` // seconds east of UTC, now
}

// LiveCards returns the cards of the agent's console, from the ledger:
// each current endpoint's live calls (pop messages), then ended calls of
// the last wrapUpWindow without a disposition (end messages), newest
// first.
func (a *App) LiveCards(ctx context.Context, agentID string) (LiveCards, error) {
	now := time.Now().In(a.cfg.Loc)
	_, offset := now.Zone()
	out := LiveCards{Messages: []screenpop.Message{}, Disposed: []string{}, Now: callmyway.NewTime(now), NowMS: now.UnixMilli(), ZoneOffset: offset}
	eps, err := a.db.endpoints(ctx, agentID)
	if err != nil {
		return out, err
	}
	// Two ledger reads per current phone of the agent (its live calls,
	// then its recent calls), not one for all: Ledger.Live and
	// calls.Query name one phone (Query.Agent, and the stores' Filter.Agent
	// behind it), and one unfiltered read of the window would scan every
	// agent's calls. The count is bounded by the agent's phones (one or
	// two), not by the calls found.
	seen := map[string]bool{}
	var found []calls.Call
	var types []string
	add := func(typ string, c calls.Call) {
		if seen[c.ID] {
			return
		}
		seen[c.ID] = true
		found, types = append(found, c), append(types, typ)
	}
	for _, e := range eps {
		ep := callmyway.Endpoint{ID: e.EndpointID, User: e.Username}
		live, err := a.ledger.Live(ctx, ep)
		if err != nil {
			return out, err
		}
		for _, c := range live {
			add(screenpop.TypePop, c)
		}
	}
	for _, e := range eps {
		ep := callmyway.Endpoint{ID: e.EndpointID, User: e.Username}
		for c, err := range a.ledger.Calls(ctx, calls.Query{Agent: ep, From: now.Add(-wrapUpWindow), To: now.Add(time.Minute), Limit: 50, Newest: true}) {
			if err != nil {
				return out, err
			}
			ended := c.State == calls.StateEnded || c.State == calls.StateFinal
			if ended && len(c.Disps) == 0 && (c.WebhookSeen || c.DialRef != "") {
				add(screenpop.TypeEnd, c)
			}
		}
	}
	idx := make([]int, len(found))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return found[idx[i]].Start.After(found[idx[j]].Start) })
	for _, i := range idx {
		c := found[i]
		m, ok, err := a.tracker.Message(ctx, types[i], c)
		if err != nil {
			return out, err
		}
		if !ok {
			continue
		}
		// The agent's own calls only: a phone reassigned since is someone else's.
		if m.Agent.ID != agentID {
			continue
		}
		out.Messages = append(out.Messages, m)
		if len(c.Disps) > 0 {
			out.Disposed = append(out.Disposed, c.ID)
		}
	}
	return out, nil
}

// handleLive answers GET /api/live: the signed-in agent's cards.
func (a *App) handleLive() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cards, err := a.LiveCards(r.Context(), userFrom(r.Context()).AgentID)
		if a.fail(w, err) {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, cards)
	})
}

// errNotYourCall refuses acting on a call that did not ring the
// signed-in agent.
var errNotYourCall = errors.New("not your call")

// ownCall returns a call that rang (or was dialled by) the user's agent.
func (a *App) ownCall(ctx context.Context, u User, callID string) (calls.Call, error) {
	c, err := a.ledger.Get(ctx, callID)
	if err != nil {
		return c, err
	}
	at := cmp.Or(c.Start, time.Now())
	for _, ep := range append([]callmyway.Endpoint{c.Agent}, c.Rung...) {
		if ep == (callmyway.Endpoint{}) {
			continue
		}
		ag, ok, err := a.db.AgentFor(ctx, ep, at)
		if err != nil {
			return c, err
		}
		if ok && ag.ID == u.AgentID {
			return c, nil
		}
	}
	return c, errNotYourCall
}

// handlePick records the agent's choice of contact for one of their
// calls. link=1 (the console's "Link to existing" on an unknown caller)
// also saves the call's number on that contact, so the next call from it
// pops as the contact's.
func (a *App) handlePick() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := lang(r)
		c, ok, err := a.db.Contact(r.Context(), r.PostFormValue("contact_id"))
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		if !ok {
			a.jsonError(w, r, errUnknownContact)
			return
		}
		call, err := a.ownCall(r.Context(), userFrom(r.Context()), r.PostFormValue("callid"))
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		msg := translate(l, "picked")
		if r.PostFormValue("link") == "1" && call.Number != "" {
			// Shared on purpose: the agent chose this contact for the number.
			if err := a.db.AddNumber(r.Context(), "", c.ID, call.Number, true); err != nil {
				a.jsonError(w, r, err)
				return
			}
			if c, _, err = a.db.Contact(r.Context(), c.ID); err != nil {
				a.jsonError(w, r, err)
				return
			}
			msg = fmt.Sprintf(translate(l, "number_linked"), a.phone(call.Number), c.Name)
		}
		if err := a.tracker.Pick(r.Context(), call, c); err != nil {
			a.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "contact": c, "message": msg})
	})
}

// handleCreateContact creates a customer, its contact and the unknown
// caller's number in one transaction (nothing saved on an error), then
// links the call. A number another contact has since got is a 409 with
// a warning naming whose it is; shared=1 saves it anyway.
func (a *App) handleCreateContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := lang(r)
		var call *calls.Call
		if id := r.PostFormValue("callid"); id != "" {
			c, err := a.ownCall(r.Context(), userFrom(r.Context()), id)
			if err != nil {
				a.jsonError(w, r, err)
				return
			}
			call = &c
		}
		if strings.TrimSpace(r.PostFormValue("name")) == "" { // a contact is what the call is linked to
			a.jsonError(w, r, errContactNameRequired)
			return
		}
		_, id, err := a.db.CreateCustomer(r.Context(), NewCustomer{Name: r.PostFormValue("customer"), Document: r.PostFormValue("document"),
			Contact: r.PostFormValue("name"), Number: r.PostFormValue("number"), Shared: r.PostFormValue("shared") == "1"})
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		c, _, err := a.db.Contact(r.Context(), id)
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		if call != nil {
			if err := a.tracker.Pick(r.Context(), *call, c); err != nil {
				a.jsonError(w, r, err)
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"contact": c, "message": fmt.Sprintf(translate(l, "contact_created"), c.Name, c.CustomerName)})
	})
}

// handleIgnore records the agent's "Ignore" on an unknown caller: a
// disposition with the CRM's own result code IGNORADO, by the signed-in
// user, so the call shows in the history as ignored (by whom, when).
func (a *App) handleIgnore() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userFrom(r.Context())
		call, err := a.ownCall(r.Context(), u, r.PostFormValue("callid"))
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		// The card's callid keys the disposition: a double click records it once.
		if _, err := a.ledger.Dispose(r.Context(), call.ID, calls.Disposition{ID: "ignore", By: u.ID, Result: resultIgnored}); err != nil {
			a.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message": translate(lang(r), "ignored")})
	})
}

// handleDisposition saves the agent's disposition of one of their calls,
// recorded as by the signed-in user.
func (a *App) handleDisposition() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userFrom(r.Context())
		d := Disposition{CallID: r.PostFormValue("callid"), ContactID: r.PostFormValue("contact_id"), ResultCode: r.PostFormValue("result"), By: u.ID,
			Notes: strings.TrimSpace(r.PostFormValue("notes")), NextAction: strings.TrimSpace(r.PostFormValue("next_action"))}
		if v := r.PostFormValue("next_action_date"); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, a.cfg.Loc)
			if err != nil {
				a.jsonError(w, r, errBadDate)
				return
			}
			d.NextActionAt = t
		}
		charge, err := parseAmount(r.PostFormValue("charge")) // "" is no charge
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		d.Charge = charge
		if _, err := a.ownCall(r.Context(), u, d.CallID); err != nil {
			a.jsonError(w, r, err)
			return
		}
		switch {
		case d.ResultCode == "":
			a.jsonError(w, r, errResultRequired)
			return
		case d.Charge.IsNegative():
			a.jsonError(w, r, errChargeNegative)
			return
		case !d.Charge.IsZero() && d.ContactID == "":
			// SaveDisposition refuses it too; here before any query.
			a.jsonError(w, r, errChargeNeedsContact)
			return
		}
		if err := a.SaveDisposition(r.Context(), d); err != nil {
			a.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message": translate(lang(r), "saved")})
	})
}

// handleDemoInbound places a simulated inbound call at the fake, to the
// signed-in agent's primary phone.
func (a *App) handleDemoInbound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.fake == nil {
			http.NotFound(w, r)
			return
		}
		numbers := map[string]string{"known": "8888-1111", "shared": "2222-3333", "unknown": "7000-0000", "withheld": ""}
		number, ok := numbers[r.FormValue("kind")]
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": translate(lang(r), "err_demo_kind")})
			return
		}
		eps, err := a.db.endpoints(r.Context(), userFrom(r.Context()).AgentID)
		if a.fail(w, err) {
			return
		}
		endpointID := ""
		for _, e := range eps {
			if e.Primary {
				endpointID = e.EndpointID
			}
		}
		id, err := a.fake.Inbound(number, callmyway.Endpoint{ID: endpointID})
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"callid": id})
	})
}
