package main

// Typed view models: one struct per page, each embedding Layout, which
// render fills for the layout template. Templates read the page's fields
// by name (.Customers, .Msg) and the layout's the same way (.L, .User).

// Layout is what the layout template needs on every page: the reader's
// language, the page name, the signed-in user (nil on the login page),
// demo mode, and the URL that switches language keeping the page's
// filters. render fills it; handlers leave it zero.
type Layout struct {
	L       string // "es" or "en"
	Page    string // the template's name, also the title's message key
	Path    string
	LangURL string
	Demo    bool
	User    *User
}

func (l *Layout) layout() *Layout { return l }

// view is a page's view model: a struct embedding Layout.
type view interface{ layout() *Layout }

// errorView is the error page: a translated message, under a title's
// message key ("" for forbidden_title).
type errorView struct {
	Layout
	Title string
	Msg   string
}

// loginView is the sign-in page.
type loginView struct {
	Layout
	Next     string // where to go after signing in (already made safe)
	Username string // kept after a failed attempt
	Msg      string // translated
}

// homeView is the landing page.
type homeView struct {
	Layout
	Agents []AgentRow
}

// consoleView is the agent's console.
type consoleView struct {
	Layout
	Current *AgentRow
	Codes   []ResultCode
}

// boardView is the supervisor board: the same Board GET /api/board
// answers, which the page's script refreshes it from.
type boardView struct {
	Layout
	Board Board

	Callbacks      []CallbackRow // the longest overdue (issue 18)
	CallbacksTotal int           // how many are overdue
	Costs          BoardCosts    // per campaign and the costliest cases (issue 18)
}

// agentsView is the agents and endpoint mappings page.
type agentsView struct {
	Layout
	Agents  []AgentRow
	CanEdit bool
	Msg     string // translated
	MsgErr  bool   // Msg is a refusal
	Now     string // the account's wall clock, for the end date's default and bound
}

// usersView is the admins' users page.
type usersView struct {
	Layout
	Users  []User
	Agents []AgentRow
	Roles  []Role
	Msg    string
	MsgErr bool // Msg is a refusal
}

// customersView is the customers page.
type customersView struct {
	Layout
	Customers []CustomerRow
	Endpoints []Endpoint // the signed-in agent's, for the caller-ID choice
	CanDial   bool
	CanEdit   bool
	Msg       string          // a translated outcome
	Err       string          // a failed action's error (a dial), translated
	FormErr   string          // the create form's error, translated
	Warn      string          // the number is another contact's: confirm to share it
	Form      newCustomerForm // the create form's values after an error
	PrevURL   string          // the page before ("" on the first)
	NextURL   string          // the page after ("" on the last)

	Refusal *Refusal // a dial the contact policy refused (issue 18)
}

// callsView is the call history: one page of rows and the filters.
type callsView struct {
	Layout
	Rows   []HistoryRow
	Total  int
	Agents []AgentRow
	F      CallsFilter
	// CustomerName is the filtered customer's name (its id if unknown),
	// shown in the customer box; "" when no customer is filtered.
	CustomerName string
	AllAgents    bool // the agent filter is shown (supervisors and admins)
	Currency     string
	FromStr      string
	ToStr        string
	CSVURL       string
	Sync         SyncStatus
	PageN        int
	Pages        int
	Limited      bool   // the history was cut at its bound
	PrevURL      string // "" on the first page
	NextURL      string // "" on the last page
}

// customersView's form values, kept after a failed create.
type newCustomerForm struct {
	Customer, Document, Contact, Number string
}

// caseFileView is a customer's case file: the customer, its contacts and
// numbers, every call with its dispositions and charges (from the
// ledger), and the balance per currency.
// RefusalNotice is the refused dial to explain, if any (the "refusal"
// template).
func (v *customersView) RefusalNotice() *Refusal { return v.Refusal }

// RefusalNotice is the refused dial to explain, if any (the "refusal"
// template).
func (v *caseFileView) RefusalNotice() *Refusal { return v.Coll.Refusal }

type caseFileView struct {
	Layout
	Customer  CustomerRow
	Calls     []CaseCall // one page, caseFilePage at most, newest first
	Older     string     // the next page's URL ("" when none is older)
	Paged     bool       // a page after the first (link back to the newest)
	Balance   []Money    // every charge of the case, exact
	Endpoints []Endpoint // the signed-in agent's, for the caller-ID choice
	CanDial   bool
	CanEdit   bool
	Msg       string   // a translated outcome
	Err       string   // a failed form's error, translated
	Warn      string   // a number already another contact's: confirm to share it
	Form      caseForm // the failed form's values
	Campaigns []string // the campaigns in use, suggested for this case's

	Coll collectionsView // contact policy, attempts, callbacks, costs (issue 18)
}
