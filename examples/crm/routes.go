package main

import (
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/casefile"
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
	// The case file: everyone reads it; agents and admins edit it.
	mux.Handle("GET /customers/{id}", a.guard(page(), a.handleCaseFile()))
	mux.Handle("POST /customers/{id}", a.guard(page(RoleAgent, RoleAdmin), a.handleUpdateCustomer()))
	mux.Handle("POST /customers/{id}/policy", a.guard(page(RoleAgent, RoleAdmin), a.handleCustomerPolicy()))
	mux.Handle("POST /customers/{id}/campaign", a.guard(page(RoleAgent, RoleAdmin), a.handleCustomerCampaign()))
	mux.Handle("POST /customers/{id}/contacts", a.guard(page(RoleAgent, RoleAdmin), a.handleNewContact()))
	mux.Handle("POST /customers/{id}/contacts/{contact}", a.guard(page(RoleAgent, RoleAdmin), a.handleRenameContact()))
	mux.Handle("POST /customers/{id}/contacts/{contact}/numbers", a.guard(page(RoleAgent, RoleAdmin), a.handleAddNumber()))
	mux.Handle("POST /customers/{id}/contacts/{contact}/numbers/remove", a.guard(page(RoleAgent, RoleAdmin), a.handleRemoveNumber()))

	// The signed-in user acting as their CRM agent: pops, dials, dispositions.
	mux.Handle("GET /console", a.guard(page().asAgent(), a.handleConsole()))
	mux.Handle("GET /events", a.guard(api().asAgent(), a.handleEvents()))
	mux.Handle("GET /api/live", a.guard(api().asAgent(), a.handleLive())) // the console's cards after a reload
	mux.Handle("POST /dial", a.guard(page().asAgent(), a.handleDial()))
	mux.Handle("POST /api/pick", a.guard(api().asAgent(), a.handlePick()))
	mux.Handle("POST /api/contacts", a.guard(api().asAgent(), a.handleCreateContact()))
	mux.Handle("POST /api/ignore", a.guard(api().asAgent(), a.handleIgnore()))
	mux.Handle("POST /api/disposition", a.guard(api().asAgent(), a.handleDisposition()))
	mux.Handle("GET /api/callbacks", a.guard(api().asAgent(), a.handleCallbacks()))
	mux.Handle("POST /api/callbacks/dial", a.guard(api().asAgent(), a.handleCallbackDial()))
	mux.Handle("POST /api/callbacks/dismiss", a.guard(api().asAgent(), a.handleCallbackDismiss()))
	mux.Handle("POST /demo/inbound", a.guard(api().asAgent(), a.handleDemoInbound()))

	// Supervisors and admins: the read-only ledger (JSON) and the agents.
	mux.Handle("GET /ledger/", a.guard(api(RoleSupervisor, RoleAdmin), http.StripPrefix("/ledger", a.ledger.Handler())))
	mux.Handle("GET /agents", a.guard(page(RoleSupervisor, RoleAdmin), a.handleAgents()))
	mux.Handle("GET /board", a.guard(page(RoleSupervisor, RoleAdmin), a.handleBoard()))
	mux.Handle("GET /api/board", a.guard(api(RoleSupervisor, RoleAdmin), a.handleBoardAPI()))
	mux.Handle("GET /collections/costs.csv", a.guard(page(RoleSupervisor, RoleAdmin), a.handleCostsCSV(casefile.ByCase, "costs-per-case.csv")))
	mux.Handle("GET /collections/campaign-costs.csv", a.guard(page(RoleSupervisor, RoleAdmin), a.handleCostsCSV(casefile.ByCampaign, "costs-per-campaign.csv")))
	mux.Handle("GET /collections/policy.csv", a.guard(page(RoleSupervisor, RoleAdmin), a.handlePolicyCSV()))

	// Admins: agents, endpoint mappings and users.
	mux.Handle("POST /agents", a.guard(page(RoleAdmin), a.handleAddAgent()))
	mux.Handle("POST /agents/endpoint", a.guard(page(RoleAdmin), a.handleAssignEndpoint()))
	mux.Handle("POST /agents/mappings/{id}", a.guard(page(RoleAdmin), a.handleEditMapping()))
	mux.Handle("POST /agents/mappings/{id}/end", a.guard(page(RoleAdmin), a.handleEndMapping()))
	mux.Handle("POST /agents/mappings/{id}/remove", a.guard(page(RoleAdmin), a.handleRemoveMapping()))
	mux.Handle("GET /users", a.guard(page(RoleAdmin), a.handleUsers()))
	mux.Handle("POST /users", a.guard(page(RoleAdmin), a.handleAddUser()))
	mux.Handle("POST /users/{id}/password", a.guard(page(RoleAdmin), a.handleResetPassword()))
	mux.Handle("POST /users/{id}/disabled", a.guard(page(RoleAdmin), a.handleSetDisabled()))
	mux.Handle("POST /users/{id}/role", a.guard(page(RoleAdmin), a.handleSetRole()))
	mux.Handle("POST /users/{id}/agent", a.guard(page(RoleAdmin), a.handleSetAgent()))
	if a.cfg.HomologationHooks { // cmw homologate -crm-hooks: certification only
		mux.Handle("POST /homologation/hooks", a.guard(api(RoleAdmin), a.handleHomologationHooks()))
	}
	return http.NewCrossOriginProtection().Handler(a.refuseUnstorableText(mux)), nil
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
			"phone": a.phone,
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

// render writes a page in the request's language: its view model, with
// the Layout filled in (the signed-in user, the page, demo mode, the
// language switch).
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	l := lang(r)
	lay := v.layout()
	lay.L, lay.Demo, lay.Page, lay.Path = l, a.fake != nil, page, r.URL.Path
	// The language switch keeps the page's filters.
	q := r.URL.Query()
	if l == "es" {
		q.Set("lang", "en")
	} else {
		q.Set("lang", "es")
	}
	lay.LangURL = r.URL.Path + "?" + q.Encode()
	if u := userFrom(r.Context()); u.ID != "" {
		lay.User = &u
	}
	var buf strings.Builder
	if err := a.pages[page].Execute(&buf, v); err != nil {
		a.log.Error("crm: render", "page", page, "error", err)
		http.Error(w, internalError, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v := r.URL.Query().Get("lang"); v == "es" || v == "en" {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: v, Path: "/", SameSite: http.SameSiteLaxMode})
	}
	w.WriteHeader(status)
	if _, err := io.WriteString(w, buf.String()); err != nil {
		// The status is sent: the client went away.
		a.log.WarnContext(r.Context(), "crm: writing a page", "page", page, "error", err.Error())
	}
}
