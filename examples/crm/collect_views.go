package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/policy"
)

// What the case file, the console and the board show of collections:
// a customer's attempts and refusals, callbacks, and costs, all read from
// the ledger when asked.

// AttemptRow is one dial to a customer, or one refusal, on the case file.
// A plain value (the zero value is no attempt), safe to copy and share.
type AttemptRow struct {
	At             time.Time
	Result         string // message key: attempt_dialled, attempt_refused, attempt_overridden, attempt_not_placed
	Rule           string // message key of the rule ("" none)
	NextAllowed    time.Time
	Number         string
	AgentName      string
	OverrideBy     string // username
	OverrideReason string
	CallID         string
}

// CallbackRow is a callback owed, as the case file, the console and the
// board show it. A plain value (the zero value is none), safe to copy.
type CallbackRow struct {
	ID           string `json:"id"`
	Number       string `json:"number"` // formatted as the account's country writes it
	CustomerID   string `json:"customer_id,omitempty"`
	CustomerName string `json:"customer_name,omitempty"`
	Missed       int    `json:"missed"`
	FirstMissed  string `json:"first_missed"` // the account's wall clock
	Due          string `json:"due"`
	Overdue      bool   `json:"overdue"`
	Owner        string `json:"owner"` // a username, or the queue's name
	Queue        bool   `json:"queue"` // owned by the queue, not an agent
}

// CaseCosts are a case's calls and what they cost. A plain value (the
// zero value is no calls), safe to copy.
type CaseCosts struct {
	Calls, Connected, Provisional int
	Talk                          time.Duration
	CallCost                      decimal.Decimal
	Currency                      string // the calls' cost currency
	Charges                       []Money
}

// collectionsView is what the case file shows of collections.
type collectionsView struct {
	PolicyCfg   CustomerPolicy
	PolicyNow   string // whether the customer may be called now, translated
	PolicyOK    bool
	Attempts    []AttemptRow
	Callbacks   []CallbackRow
	Costs       CaseCosts
	Refusal     *Refusal
	Zones       []string // suggestions for the zone field
	CanEditPol  bool
	AccountRule string // the account's limits, translated
}

// zoneSuggestions are offered for a customer's zone (any IANA zone is
// accepted).
var zoneSuggestions = []string{"America/Costa_Rica", "America/Mexico_City", "America/Bogota", "America/Guatemala", "America/Panama",
	"America/New_York", "America/Los_Angeles", "Europe/Madrid"}

// collections reads the case file's collections part for customer cu.
func (a *App) collections(ctx context.Context, r *http.Request, cu CustomerRow) (collectionsView, error) {
	l := lang(r)
	u := userFrom(ctx)
	v := collectionsView{Refusal: a.refusalFromURL(r), Zones: zoneSuggestions, CanEditPol: u.Role != RoleSupervisor,
		AccountRule: a.limitsText(l)}
	var err error
	if v.PolicyCfg, err = a.db.CustomerPolicy(ctx, cu.ID); err != nil {
		return v, err
	}
	// May the customer be called now? Checked on the first number.
	s := policy.Subject{Case: cu.ID}
	for _, co := range cu.Contacts {
		if len(co.Phones) > 0 && s.Number == "" {
			s.Contact, s.Number = co.ID, co.Phones[0].E164
		}
	}
	d, err := a.policy.Check(ctx, s)
	if err != nil {
		return v, err
	}
	v.PolicyOK = d.Allowed
	if d.Allowed {
		v.PolicyNow = translate(l, "policy_may_call")
	} else {
		v.PolicyNow = a.refusalText(l, d.Rule, d.NextAllowed)
	}
	if v.Attempts, err = a.attempts(ctx, cu.ID); err != nil {
		return v, err
	}
	// The customer's callbacks: linked to the case, or from one of its
	// numbers (read by case and number through the ledger's indexes),
	// kept when they are this customer's (a number shared with another
	// customer's contact is nobody's).
	var numbers []string
	for _, co := range cu.Contacts {
		for _, p := range co.Phones {
			numbers = append(numbers, p.E164)
		}
	}
	all, err := a.callbackRows(ctx, casefile.CallbackQuery{Case: cu.ID, Numbers: uniq(numbers)})
	if err != nil {
		return v, err
	}
	for _, cb := range all {
		if cb.CustomerID == cu.ID {
			v.Callbacks = append(v.Callbacks, cb)
		}
	}
	v.Costs, err = a.caseCosts(ctx, cu.ID)
	return v, err
}

// limitsText is the account's contact policy in words.
func (a *App) limitsText(l string) string {
	p := a.cfg.Policy
	var parts []string
	if p.MaxAttempts > 0 {
		parts = append(parts, strings.NewReplacer("{n}", itoaInt(p.MaxAttempts), "{d}", itoaInt(int(p.Window/(24*time.Hour)))).Replace(translate(l, "policy_max")))
	}
	if p.Cooldown > 0 {
		parts = append(parts, strings.Replace(translate(l, "policy_cool"), "{h}", itoaInt(int(p.Cooldown/time.Hour)), 1))
	}
	if !p.Hours.IsZero() {
		h := hhmm(p.Hours.Start) + "–" + hhmm(p.Hours.End)
		if len(p.Hours.Days) > 0 && len(p.Hours.Days) < 7 {
			var ds []string
			for _, d := range p.Hours.Days {
				ds = append(ds, translate(l, "day_"+weekdays[d]))
			}
			h += " (" + strings.Join(ds, ", ") + ")"
		}
		parts = append(parts, strings.Replace(translate(l, "policy_hours"), "{h}", h, 1))
	}
	if len(parts) == 0 {
		return translate(l, "policy_none")
	}
	return strings.Join(parts, " · ")
}

func itoaInt(n int) string { return decimal.NewFromInt(int64(n)).String() }

func hhmm(d time.Duration) string {
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format("15:04")
}

// attemptsYears is how far back the case file lists attempts.
const attemptsYears = 1

// attempts are the customer's outbound dials and refusals, newest first,
// from the ledger.
func (a *App) attempts(ctx context.Context, customerID string) ([]AttemptRow, error) {
	now := a.clock()
	names, err := a.phoneNames(ctx)
	if err != nil {
		return nil, err
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	byUser := map[string]string{}
	for _, u := range users {
		byUser[u.ID] = u.Username
	}
	var out []AttemptRow
	for c, err := range a.ledger.Calls(ctx, calls.Query{Case: customerID, Refusals: true, From: now.AddDate(-attemptsYears, 0, 0), To: now.Add(24 * time.Hour)}) {
		if err != nil {
			return nil, err
		}
		ad := c.Admission
		if ad.IsZero() && c.Direction != callmyway.DirectionOutbound {
			continue
		}
		row := AttemptRow{At: cmp.Or(ad.At, c.Start), Number: c.Number, CallID: c.ID, NextAllowed: ad.NextAllowed,
			OverrideBy: cmp.Or(byUser[ad.OverrideBy], ad.OverrideBy), OverrideReason: ad.OverrideReason}
		row.AgentName = cmp.Or(names["id:"+c.Agent.ID], names["user:"+c.Agent.User], names["id:"+ad.Agent.ID], names["user:"+ad.Agent.User])
		switch {
		case ad.Refused:
			row.Result = "attempt_refused"
		case ad.NotPlaced:
			row.Result = "attempt_not_placed"
		case ad.Overridden():
			row.Result = "attempt_overridden"
		default:
			row.Result = "attempt_dialled"
		}
		if ad.Rule != "" {
			row.Rule = "rule_" + ad.Rule
			if _, ok := messages[row.Rule]; !ok {
				row.Rule = "refused_other"
			}
		}
		out = append(out, row)
	}
	slices.SortStableFunc(out, func(x, y AttemptRow) int { return y.At.Compare(x.At) })
	return out, nil
}

// phoneNames maps "id:"+endpoint id and "user:"+username to the agent's
// name, over every mapping the agents had.
func (a *App) phoneNames(ctx context.Context) (map[string]string, error) {
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ag := range agents {
		for _, e := range append(ag.History, ag.Endpoints...) {
			out["id:"+e.EndpointID], out["user:"+e.Username] = ag.Name, ag.Name
		}
	}
	delete(out, "id:")
	delete(out, "user:")
	return out, nil
}

// caseCosts are the customer's totals (casefile.Costs, by case).
func (a *App) caseCosts(ctx context.Context, customerID string) (CaseCosts, error) {
	out := CaseCosts{Currency: currency, CallCost: decimal.Zero}
	totals, err := casefile.Costs(ctx, a.ledger, casefile.CostQuery{By: casefile.ByCase, Key: customerID})
	if err != nil || len(totals) == 0 {
		return out, err
	}
	t := totals[0]
	out.Calls, out.Connected, out.Provisional, out.Talk, out.CallCost = t.Calls, t.Connected, t.Provisional, t.Talk, t.CallCost
	for _, m := range t.Charges {
		out.Charges = append(out.Charges, Money{Currency: m.Currency, Amount: m.Amount})
	}
	return out, nil
}

// callbackRows are the open callbacks q selects, as pages show them.
func (a *App) callbackRows(ctx context.Context, q casefile.CallbackQuery) ([]CallbackRow, error) {
	open, err := a.callbacks.Open(ctx, q)
	if err != nil {
		return nil, err
	}
	return a.toCallbackRows(ctx, open)
}

func (a *App) toCallbackRows(ctx context.Context, open []casefile.Callback) ([]CallbackRow, error) {
	out := []CallbackRow{}
	if len(open) == 0 {
		return out, nil
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	byUser := map[string]string{}
	for _, u := range users {
		byUser[u.ID] = u.Username
	}
	// The callers' customers and their names in batched queries, never
	// one per callback.
	refs := make([]callerRef, len(open))
	for i, cb := range open {
		refs[i] = callerRef{Case: cb.Case, Contact: cb.Contact, Number: cb.Number}
	}
	ids, err := a.db.customersOf(ctx, refs)
	if err != nil {
		return nil, err
	}
	names, err := a.db.CustomerNames(ctx, uniq(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })))
	if err != nil {
		return nil, err
	}
	for i, cb := range open {
		row := CallbackRow{ID: cb.ID, Number: a.phone(cb.Number), Missed: len(cb.Missed), FirstMissed: a.when(cb.FirstMissed),
			Due: a.when(cb.Due), Overdue: cb.Overdue}
		if cb.Owner.Agent != "" {
			row.Owner = cmp.Or(byUser[cb.Owner.Agent], cb.Owner.Agent)
		} else {
			row.Owner, row.Queue = cmp.Or(cb.Owner.Queue, a.callbackQueue()), true
		}
		if name, ok := names[ids[i]]; ok {
			row.CustomerID, row.CustomerName = ids[i], name
		}
		out = append(out, row)
	}
	return out, nil
}

func (a *App) callbackQueue() string { return cmp.Or(a.cfg.CallbackQueue, casefile.DefaultQueue) }

// agentCallbacks are the callbacks the signed-in agent's console shows:
// the user's own, then the queue's, each by due time; from the shared
// cache (openCallbacks), so consoles polling every 3 s cost one
// computation per callbacksTTL between them.
func (a *App) agentCallbacks(ctx context.Context, u User) ([]casefile.Callback, error) {
	all, err := a.openCallbacks(ctx)
	if err != nil {
		return nil, err
	}
	return mineThenQueue(all, u.ID, a.callbackQueue()), nil
}

// mineThenQueue are the callbacks of all owned by user, then those in
// queue, keeping their order.
func mineThenQueue(all []casefile.Callback, user, queue string) []casefile.Callback {
	var mine, queued []casefile.Callback
	for _, cb := range all {
		switch {
		case user != "" && cb.Owner.Agent == user:
			mine = append(mine, cb)
		case queue != "" && cb.Owner.Queue == queue:
			queued = append(queued, cb)
		}
	}
	return append(mine, queued...)
}

// handleCallbacks is GET /api/callbacks: the signed-in agent's callbacks
// and the queue's, due first.
func (a *App) handleCallbacks() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		open, err := a.agentCallbacks(r.Context(), userFrom(r.Context()))
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		rows, err := a.toCallbackRows(r.Context(), open)
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{"callbacks": rows})
	})
}

// findCallback is the open callback id among those the user's console
// shows.
// It reads the ledger afresh (not the shared cache): the agent acts on
// it.
func (a *App) findCallback(ctx context.Context, u User, id string) (casefile.Callback, error) {
	all, err := a.callbacks.Open(ctx, casefile.CallbackQuery{})
	if err != nil {
		return casefile.Callback{}, err
	}
	for _, cb := range mineThenQueue(all, u.ID, a.callbackQueue()) {
		if cb.ID == id {
			return cb, nil
		}
	}
	return casefile.Callback{}, errNoCB
}

// handleCallbackDial is POST /api/callbacks/dial: the agent returns the
// call, through the contact policy like any dial (a refusal is answered
// as POST /dial answers it).
func (a *App) handleCallbackDial() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := lang(r)
		u := userFrom(r.Context())
		cb, err := a.findCallback(r.Context(), u, r.PostFormValue("id"))
		if err == nil {
			err = a.dialCallback(r, u, cb)
		}
		var re *policy.RefusalError
		if errors.As(err, &re) {
			a.answerRefusal(w, r, re, "/console")
			return
		}
		if err != nil {
			a.log.WarnContext(r.Context(), "crm: callback dial", "error", err.Error())
			status := http.StatusBadRequest
			switch {
			case errors.Is(err, errNoOverAgt):
				status = http.StatusForbidden
			case errors.Is(err, errNoCB):
				status = http.StatusNotFound
			}
			text, ok := a.errorText(l, err)
			if !ok {
				a.jsonError(w, r, err)
				return
			}
			writeJSON(w, status, map[string]string{"error": text})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": translate(l, "dial_ok")})
	})
}

// dialCallback dials cb as u's agent (its primary endpoint).
func (a *App) dialCallback(r *http.Request, u User, cb casefile.Callback) error {
	d, eps, err := a.dialerFor(r.Context(), u.AgentID)
	if err != nil {
		return err
	}
	primary := eps[0]
	req := cb.Request(callmyway.Endpoint{ID: primary.EndpointID, User: primary.Username})
	req.Meta["agent"] = u.AgentID
	if req.Meta["case"] == "" { // the caller's customer, when the number says
		id, err := a.db.customerOf(r.Context(), cb.Case, cb.Contact, cb.Number)
		if err != nil {
			return err
		}
		if id != "" {
			req.Meta["case"] = id
		}
	}
	if err := a.withCampaign(r.Context(), req.Meta); err != nil { // the case's campaign, for the cost per campaign
		return err
	}
	by, reason, err := override(r)
	if err != nil {
		return err
	}
	req.Override.By, req.Override.Reason = by, reason
	_, err = d.Dial(r.Context(), req)
	return err
}

// handleCallbackDismiss is POST /api/callbacks/dismiss: closes a
// callback without a call, with a reason (a disposition on the missed
// call, in the ledger).
func (a *App) handleCallbackDismiss() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := userFrom(r.Context())
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": translate(lang(r), "err_dismiss_reason")})
			return
		}
		cb, err := a.findCallback(r.Context(), u, r.PostFormValue("id"))
		if errors.Is(err, errNoCB) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": translate(lang(r), "err_no_callback")})
			return
		}
		if err == nil {
			err = a.callbacks.Dismiss(r.Context(), cb, u.ID, reason)
			a.cache.callbacks.invalidate() // the agent sees it gone at once
		}
		if err != nil {
			a.jsonError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": translate(lang(r), "callback_dismissed")})
	})
}

// boardCallbacks is how many overdue callbacks the board lists (the
// longest overdue first).
const boardCallbacks = 10

// overdueCallbacks are the board's overdue callbacks, longest overdue
// first.
func (a *App) overdueCallbacks(ctx context.Context) ([]CallbackRow, error) {
	all, err := a.openCallbacks(ctx)
	if err != nil {
		return nil, err
	}
	return a.toCallbackRows(ctx, slices.DeleteFunc(all, func(cb casefile.Callback) bool { return !cb.Overdue }))
}

// csvWindow is how far back the CSV exports read.
const csvWindow = 90 * 24 * time.Hour

// handleCostsCSV is GET /collections/costs.csv (by case) and
// /collections/campaign-costs.csv (by campaign): every group's calls and
// costs over csvWindow (supervisors and admins), written by
// casefile.WriteCostsCSV (a BOM, formulas neutralised) straight to the
// response. casefile.Costs holds one total per group (case or campaign),
// not the calls.
func (a *App) handleCostsCSV(by casefile.Grouping, filename string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		totals, err := casefile.Costs(r.Context(), a.ledger, a.costsQuery(by))
		if a.fail(w, err) {
			return
		}
		a.streamCSV(w, r, filename, func(w io.Writer) error {
			return casefile.WriteCostsCSV(w, by, currency, totals)
		})
	})
}

// handlePolicyCSV is GET /collections/policy.csv: every attempt and
// refusal per customer over csvWindow (supervisors and admins), streamed:
// policy.ReportSeq reads one customer at a time and
// policy.WriteReportCSVSeq writes its rows (a BOM, formulas neutralised)
// as they come, so a download holds one customer's attempts, not 90 days
// of calls.
func (a *App) handlePolicyCSV() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := a.clock()
		a.streamCSV(w, r, "contact-policy.csv", func(w io.Writer) error {
			return policy.WriteReportCSVSeq(w, a.policy.ReportSeq(r.Context(), now.Add(-csvWindow), now.Add(time.Hour)))
		})
	})
}

// csvHold is how much of a CSV download is held before the first byte is
// sent: an error within it still answers 500.
const csvHold = 64 << 10

// streamCSV answers a CSV download named name, written by write as it
// produces it. The first csvHold bytes are held: if write fails before
// they are sent, the answer is a 500 (and no CSV). Once bytes are sent,
// the status (200) and the headers are gone: an error then is logged and
// the response is aborted (http.ErrAbortHandler: the connection is cut,
// or the HTTP/2 stream reset), so the browser reports a failed download
// instead of saving a file that looks complete but is not.
func (a *App) streamCSV(w http.ResponseWriter, r *http.Request, name string, write func(io.Writer) error) {
	out := &csvResponse{w: w, name: name}
	bw := bufio.NewWriterSize(out, csvHold)
	err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	switch {
	case err == nil:
		if !out.sent { // an empty file
			out.start()
		}
	case !out.sent:
		a.fail(w, err)
	default:
		a.log.WarnContext(r.Context(), "crm: CSV download cut short", "file", name, "error", err.Error())
		panic(http.ErrAbortHandler)
	}
}

// csvResponse writes a CSV download, its headers with the first bytes.
type csvResponse struct {
	w    http.ResponseWriter
	name string
	sent bool // the headers are sent
}

func (c *csvResponse) start() {
	c.sent = true
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", `attachment; filename="`+c.name+`"`)
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
}

func (c *csvResponse) Write(p []byte) (int, error) {
	if !c.sent {
		c.start()
	}
	return c.w.Write(p)
}
