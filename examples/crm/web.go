package main

import (
	"cmp"
	"embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/internal/safetext"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Routes returns the CRM's HTTP handler. Browser forms are protected
// against cross-site requests by http.CrossOriginProtection; the webhook
// (server to server, no Origin) passes through it untouched.
func (a *App) Routes() (http.Handler, error) {
	pages := map[string]*template.Template{}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(template.FuncMap{
			"T":     func(l, k string) string { return translate(l, k) },
			"when":  func(t time.Time) string { return a.when(t) },
			"day":   func(t time.Time) string { return dayString(t, a.cfg.Loc) },
			"money": func(d decimal.Decimal) string { return d.StringFixed(2) },
			"dur":   func(d time.Duration) string { return d.String() },
		}).ParseFS(templateFS, "templates/layout.html", e)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	render := func(w http.ResponseWriter, r *http.Request, page string, data map[string]any) {
		l := lang(r)
		if data == nil {
			data = map[string]any{}
		}
		data["L"], data["Demo"], data["Page"], data["Agent"] = l, a.fake != nil, page, agentCookie(r)
		data["Path"] = r.URL.Path
		var buf strings.Builder
		if err := pages[page].Execute(&buf, data); err != nil {
			a.log.Error("crm: render", "page", page, "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if v := r.URL.Query().Get("lang"); v == "es" || v == "en" {
			http.SetCookie(w, &http.Cookie{Name: "lang", Value: v, Path: "/", SameSite: http.SameSiteLaxMode})
		}
		fmt.Fprint(w, buf.String())
	}

	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", noListing(http.FileServerFS(static))))
	mux.Handle("POST "+a.cfg.WebhookPath+"/", a.hook)

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		render(w, r, "home", map[string]any{"Agents": agents})
	})
	mux.HandleFunc("GET /agents", func(w http.ResponseWriter, r *http.Request) {
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		render(w, r, "agents", map[string]any{"Agents": agents, "Msg": r.URL.Query().Get("msg")})
	})
	mux.HandleFunc("POST /agents", func(w http.ResponseWriter, r *http.Request) {
		_, err := a.db.AddAgent(r.Context(), r.FormValue("name"))
		redirectMsg(w, r, "/agents", err)
	})
	mux.HandleFunc("POST /agents/endpoint", func(w http.ResponseWriter, r *http.Request) {
		err := a.db.AssignEndpoint(r.Context(), Endpoint{AgentID: r.FormValue("agent_id"), EndpointID: r.FormValue("endpoint_id"),
			Username: strings.TrimSpace(r.FormValue("username")), Password: r.FormValue("password"),
			Private: r.FormValue("private") != "", Primary: r.FormValue("primary") != ""})
		redirectMsg(w, r, "/agents", err)
	})
	mux.HandleFunc("GET /customers", func(w http.ResponseWriter, r *http.Request) {
		customers, err := a.db.Customers(r.Context())
		if a.fail(w, err) {
			return
		}
		var eps []Endpoint
		if ag := agentCookie(r); ag != "" {
			eps, _ = a.db.endpoints(r.Context(), ag)
		}
		agents, _ := a.db.Agents(r.Context())
		render(w, r, "customers", map[string]any{"Customers": customers, "Endpoints": eps, "Agents": agents, "Msg": r.URL.Query().Get("msg")})
	})
	mux.HandleFunc("POST /customers", func(w http.ResponseWriter, r *http.Request) {
		cid, err := a.db.AddCustomer(r.Context(), r.FormValue("customer"), r.FormValue("document"))
		if err == nil && r.FormValue("contact") != "" {
			_, err = a.db.AddContact(r.Context(), cid, r.FormValue("contact"), r.FormValue("number"))
		}
		redirectMsg(w, r, "/customers", err)
	})
	mux.HandleFunc("POST /dial", a.handleDial)
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		agent := r.URL.Query().Get("agent")
		if agent == "" {
			agent = agentCookie(r)
		}
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		var current *AgentRow
		for i := range agents {
			if agents[i].ID == agent {
				current = &agents[i]
			}
		}
		if current == nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "agent", Value: agent, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		codes, _ := a.db.ResultCodes(r.Context())
		render(w, r, "console", map[string]any{"Current": current, "Codes": codes})
	})
	mux.Handle("GET /events", a.hub.Handler(func(r *http.Request) (string, error) {
		if ag := r.URL.Query().Get("agent"); ag != "" {
			return ag, nil
		}
		if ag := agentCookie(r); ag != "" {
			return ag, nil
		}
		return "", errors.New("no agent")
	}))
	mux.HandleFunc("GET /api/search", func(w http.ResponseWriter, r *http.Request) {
		cs, err := a.db.Search(r.Context(), r.URL.Query().Get("q"), 20)
		if a.fail(w, err) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"contacts": cs})
	})
	mux.HandleFunc("GET /api/contact", a.handleContactCard)
	mux.HandleFunc("POST /api/pick", func(w http.ResponseWriter, r *http.Request) {
		c, ok, err := a.db.Contact(r.Context(), r.FormValue("contact_id"))
		if a.fail(w, err) {
			return
		}
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown contact"})
			return
		}
		call, err := a.ledger.Get(r.Context(), r.FormValue("callid"))
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		if err := a.tracker.Pick(r.Context(), call, c); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("POST /api/contacts", func(w http.ResponseWriter, r *http.Request) {
		// Create a customer and contact for an unknown number, then link the call.
		cid, err := a.db.AddCustomer(r.Context(), r.FormValue("customer"), r.FormValue("document"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		id, err := a.db.AddContact(r.Context(), cid, r.FormValue("name"), r.FormValue("number"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		c, _, err := a.db.Contact(r.Context(), id)
		if a.fail(w, err) {
			return
		}
		if call, err := a.ledger.Get(r.Context(), r.FormValue("callid")); err == nil {
			if err := a.tracker.Pick(r.Context(), call, c); a.fail(w, err) {
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"contact": c})
	})
	mux.HandleFunc("POST /api/disposition", a.handleDisposition)
	// The ledger, read-only JSON: a call by id, calls by range (for
	// supervisors' tools and the homologation runner).
	mux.Handle("GET /ledger/", http.StripPrefix("/ledger", a.ledger.Handler()))
	mux.HandleFunc("POST /demo/inbound", a.handleDemoInbound)
	mux.HandleFunc("GET /calls", func(w http.ResponseWriter, r *http.Request) {
		f := a.callsFilter(r)
		rows, err := a.History(r.Context(), f)
		if a.fail(w, err) {
			return
		}
		agents, _ := a.db.Agents(r.Context())
		customers, _ := a.db.Customers(r.Context())
		render(w, r, "calls", map[string]any{"Rows": rows, "Agents": agents, "Customers": customers, "F": f,
			"FromStr": dayString(f.From, a.cfg.Loc), "ToStr": dayString(f.To.AddDate(0, 0, -1), a.cfg.Loc),
			"Query": r.URL.RawQuery, "Sync": a.SyncStatus()})
	})
	mux.HandleFunc("GET /calls.csv", func(w http.ResponseWriter, r *http.Request) {
		rows, err := a.History(r.Context(), a.callsFilter(r))
		if a.fail(w, err) {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="llamadas.csv"`)
		// A UTF-8 byte-order mark, so Excel reads "Solís" as written.
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return
		}
		cw := csv.NewWriter(w)
		cw.Write([]string{"callid", "detect_time", "direction", "number", "agent", "contact", "customer", "duration_s", "cost", "end_reason", "result", "notes", "next_action", "next_action_date", "charge", "provisional"})
		for _, h := range rows {
			// Cells a spreadsheet would run as formulas are neutralised.
			cw.Write(safetext.CSVRow([]string{h.CallID, a.when(h.Detect), h.Direction, h.Number, h.AgentName, h.ContactName, h.CustomerName,
				fmt.Sprint(int64(h.Duration / time.Second)), h.Cost, h.EndReason, h.Result, h.Notes, h.NextAction, dayString(h.NextActionAt, a.cfg.Loc), h.Charge, fmt.Sprint(h.Provisional)}))
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			a.log.WarnContext(r.Context(), "crm: writing the calls CSV", "error", err.Error())
		}
	})
	return http.NewCrossOriginProtection().Handler(mux), nil
}

// noListing answers 404 for directories instead of listing them.
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (a *App) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(a.cfg.Loc).Format("2006-01-02 15:04:05")
}

func dayString(t time.Time, loc *time.Location) string {
	if t.IsZero() || t.Year() < 1971 {
		return ""
	}
	return t.In(loc).Format("2006-01-02")
}

func agentCookie(r *http.Request) string {
	if c, err := r.Cookie("agent"); err == nil {
		return c.Value
	}
	return ""
}

func (a *App) fail(w http.ResponseWriter, err error) bool {
	if err == nil {
		return false
	}
	a.log.Error("crm: request failed", "error", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
	return true
}

func redirectMsg(w http.ResponseWriter, r *http.Request, to string, err error) {
	msg := "ok"
	if err != nil {
		msg = err.Error()
	}
	http.Redirect(w, r, to+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (a *App) callsFilter(r *http.Request) CallsFilter {
	q := r.URL.Query()
	f := CallsFilter{AgentID: q.Get("agent"), CustomerID: q.Get("customer")}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("from"), a.cfg.Loc); err == nil {
		f.From = t
	} else {
		now := time.Now().In(a.cfg.Loc)
		f.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc).AddDate(0, 0, -7)
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("to"), a.cfg.Loc); err == nil {
		f.To = t.AddDate(0, 0, 1)
	} else {
		now := time.Now().In(a.cfg.Loc)
		f.To = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc).AddDate(0, 0, 1)
	}
	return f
}

// handleDial places a click-to-dial for the current agent.
func (a *App) handleDial(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	agentID := agentCookie(r)
	if v := r.FormValue("agent"); v != "" {
		agentID = v
	}
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
}

// handleContactCard returns what the pop-up shows for a contact: the
// contact, the customer's case file and recent calls.
func (a *App) handleContactCard(w http.ResponseWriter, r *http.Request) {
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
}

func (a *App) handleDisposition(w http.ResponseWriter, r *http.Request) {
	d := Disposition{CallID: r.FormValue("callid"), ContactID: r.FormValue("contact_id"), ResultCode: r.FormValue("result"), By: cmp.Or(agentCookie(r), "crm"),
		Notes: strings.TrimSpace(r.FormValue("notes")), NextAction: strings.TrimSpace(r.FormValue("next_action"))}
	if v := r.FormValue("next_action_date"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, a.cfg.Loc)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid date " + v})
			return
		}
		d.NextActionAt = t
	}
	if v := strings.TrimSpace(r.FormValue("charge")); v != "" {
		c, err := decimal.NewFromString(strings.ReplaceAll(v, ",", "."))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid amount " + v})
			return
		}
		d.Charge = c
	}
	if err := a.SaveDisposition(r.Context(), d); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message": translate(lang(r), "saved")})
}

// handleDemoInbound places a simulated inbound call at the fake.
func (a *App) handleDemoInbound(w http.ResponseWriter, r *http.Request) {
	if a.fake == nil {
		http.NotFound(w, r)
		return
	}
	numbers := map[string]string{"known": "8888-1111", "shared": "2222-3333", "unknown": "7000-0000", "withheld": ""}
	number, ok := numbers[r.FormValue("kind")]
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "kind must be known, shared, unknown or withheld"})
		return
	}
	endpointID := r.FormValue("endpoint_id")
	if endpointID == "" {
		eps, _ := a.db.endpoints(r.Context(), agentCookie(r))
		for _, e := range eps {
			if e.Primary {
				endpointID = e.EndpointID
			}
		}
	}
	id, err := a.fake.Inbound(number, callmyway.Endpoint{ID: endpointID})
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"callid": id})
}
