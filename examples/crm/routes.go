package main

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/number"
)

// Routes returns the CRM's HTTP handler: every route, and who may use it.
// Browser forms are protected against cross-site requests by
// http.CrossOriginProtection; the webhook (server to server, no Origin)
// passes through it untouched.
func (a *App) Routes() (http.Handler, error) {
	if err := a.parseTemplates(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	// Public: the assets, the webhook (it has its own token), signing in.
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /static/", http.StripPrefix("/static/", noListing(http.FileServerFS(static))))
	mux.Handle("POST "+a.cfg.WebhookPath+"/", a.hook)
	mux.Handle("GET /login", a.handleLoginPage())
	mux.Handle("POST /login", a.handleLogin())
	mux.Handle("POST /logout", a.handleLogout())

	// Any signed-in user.
	mux.Handle("GET /{$}", a.guard(page(), a.handleHome()))
	mux.Handle("GET /customers", a.guard(page(), a.handleCustomers()))
	mux.Handle("GET /calls", a.guard(page(), a.handleCalls()))        // an agent sees their own calls
	mux.Handle("GET /calls.csv", a.guard(page(), a.handleCallsCSV())) // likewise
	mux.Handle("GET /api/search", a.guard(api(), a.handleSearch()))
	mux.Handle("GET /api/contact", a.guard(api(), a.handleContactCard()))
	mux.Handle("POST /customers", a.guard(page(RoleAgent, RoleAdmin), a.handleAddCustomer()))

	// The signed-in user acting as their CRM agent: pops, dials, dispositions.
	mux.Handle("GET /console", a.guard(page().asAgent(), a.handleConsole()))
	mux.Handle("GET /events", a.guard(api().asAgent(), a.handleEvents()))
	mux.Handle("GET /api/live", a.guard(api().asAgent(), a.handleLive())) // the console's cards after a reload
	mux.Handle("POST /dial", a.guard(page().asAgent(), a.handleDial()))
	mux.Handle("POST /api/pick", a.guard(api().asAgent(), a.handlePick()))
	mux.Handle("POST /api/contacts", a.guard(api().asAgent(), a.handleCreateContact()))
	mux.Handle("POST /api/disposition", a.guard(api().asAgent(), a.handleDisposition()))
	mux.Handle("POST /demo/inbound", a.guard(api().asAgent(), a.handleDemoInbound()))

	// Supervisors and admins: the read-only ledger (JSON) and the agents.
	mux.Handle("GET /ledger/", a.guard(api(RoleSupervisor, RoleAdmin), http.StripPrefix("/ledger", a.ledger.Handler())))
	mux.Handle("GET /agents", a.guard(page(RoleSupervisor, RoleAdmin), a.handleAgents()))

	// Admins: agents, endpoint mappings and users.
	mux.Handle("POST /agents", a.guard(page(RoleAdmin), a.handleAddAgent()))
	mux.Handle("POST /agents/endpoint", a.guard(page(RoleAdmin), a.handleAssignEndpoint()))
	mux.Handle("GET /users", a.guard(page(RoleAdmin), a.handleUsers()))
	mux.Handle("POST /users", a.guard(page(RoleAdmin), a.handleAddUser()))
	mux.Handle("POST /users/{id}/password", a.guard(page(RoleAdmin), a.handleResetPassword()))
	mux.Handle("POST /users/{id}/disabled", a.guard(page(RoleAdmin), a.handleSetDisabled()))
	return http.NewCrossOriginProtection().Handler(mux), nil
}

// parseTemplates parses each page with the layout.
func (a *App) parseTemplates() error {
	a.pages = map[string]*template.Template{}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
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
			// phone writes an E.164 number as the account's country does.
			"phone": func(e164 string) string {
				n, err := number.Parse(e164, a.cfg.Region)
				if err != nil {
					return e164
				}
				return n.National(a.cfg.Region)
			},
			// code translates a provider code (direction, end reason):
			// messages["<kind>_<code>"], else the code as sent.
			"code": func(l, kind, c string) string {
				if c == "" {
					return ""
				}
				if _, ok := messages[kind+"_"+c]; ok {
					return translate(l, kind+"_"+c)
				}
				return c
			},
		}).ParseFS(templateFS, "templates/layout.html", e)
		if err != nil {
			return err
		}
		a.pages[name] = t
	}
	return nil
}

// render writes a page in the request's language, with what the layout
// needs: the signed-in user (nil on the login page), the page, demo mode.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	l := lang(r)
	if data == nil {
		data = map[string]any{}
	}
	data["L"], data["Demo"], data["Page"], data["Path"] = l, a.fake != nil, page, r.URL.Path
	// The language switch keeps the page's filters.
	q := r.URL.Query()
	if l == "es" {
		q.Set("lang", "en")
	} else {
		q.Set("lang", "es")
	}
	data["LangURL"] = r.URL.Path + "?" + q.Encode()
	if u := userFrom(r.Context()); u.ID != "" {
		data["User"] = &u
	}
	var buf strings.Builder
	if err := a.pages[page].Execute(&buf, data); err != nil {
		a.log.Error("crm: render", "page", page, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v := r.URL.Query().Get("lang"); v == "es" || v == "en" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: v, Path: "/", SameSite: http.SameSiteLaxMode})
	}
	w.WriteHeader(status)
	fmt.Fprint(w, buf.String())
}
