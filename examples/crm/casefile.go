package main

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/calls"
)

// The case file: one customer's page. Its contacts and numbers (editable
// by agents and admins, read-only for supervisors), click to dial, every
// call with its dispositions and charges, and the balance. Calls, dispositions
// and charges come from the ledger, nothing else.

// caseFileYears is how far back the case file reads the ledger.
const caseFileYears = 5

// numberLinkWindow is how far back the case file looks for calls from the
// customer's numbers that nobody linked to a contact (as the history
// links them by number). Those calls are found by reading every call of
// the window (the ledger has no query by number), so it is kept short;
// a disposition naming the contact puts a call on the case file for good.
const numberLinkWindow = 30 * 24 * time.Hour

// CaseCall is one call on a customer's case file, from the ledger. It is
// a plain value (the zero value is no call), safe to copy and to read from
// several goroutines.
type CaseCall struct {
	ID, Direction, AgentName, ContactName, EndReason string
	Number                                           string // E.164; "" withheld
	Start                                            time.Time
	Duration                                         time.Duration
	Cost                                             decimal.Decimal
	Provisional                                      bool // not yet confirmed by its CDR
	Linked                                           bool // found by its number, not named by a dial or disposition
	Disps                                            []CaseDisp
	Charges                                          []CaseCharge
}

// CaseDisp is a disposition on a case file: the result code's label in
// the reader's language, who recorded it and when. A plain value, safe to
// copy and share; the zero value is an empty line.
type CaseDisp struct {
	Result, Notes, NextAction, By string
	At, NextAt                    time.Time
	Amends                        bool // corrects an earlier one
}

// CaseCharge is a charge on a case file's call, described in the reader's
// language. A plain value, safe to copy and share; the zero value is no
// charge.
type CaseCharge struct {
	Result   string // the label of the disposition's result that posted it
	Currency string
	Amount   decimal.Decimal
}

// Money is an amount in a currency. A plain value, safe to copy and
// share; the zero value is zero in no currency.
type Money struct {
	Currency string
	Amount   decimal.Decimal
}

// caseCalls returns the calls of a customer's case file, newest first,
// with the balance per currency: the calls whose case is the customer
// (a dial from the customer's page, or a disposition naming one of its
// contacts), plus the recent calls from one of its numbers that nobody
// linked, when that number is one contact's (as the history links them).
// Two ledger reads and two batched queries, whatever the number of calls.
func (a *App) caseCalls(ctx context.Context, l string, cu CustomerRow) ([]CaseCall, []Money, error) {
	now := time.Now()
	seen := map[string]bool{}
	var found []calls.Call
	for c, err := range a.ledger.Calls(ctx, calls.Query{Case: cu.ID, From: now.AddDate(-caseFileYears, 0, 0), To: now.Add(24 * time.Hour)}) {
		if err != nil {
			return nil, nil, err
		}
		seen[c.ID] = true
		found = append(found, c)
	}
	contactIDs := map[string]bool{}
	var numbers []string
	for _, co := range cu.Contacts {
		contactIDs[co.ID] = true
		for _, p := range co.Phones {
			numbers = append(numbers, p.E164)
		}
	}
	owners, err := a.db.ContactsByNumber(ctx, uniq(numbers))
	if err != nil {
		return nil, nil, err
	}
	linked := map[string]bool{} // calls found by number
	if len(numbers) > 0 {
		for c, err := range a.ledger.Calls(ctx, calls.Query{From: now.Add(-numberLinkWindow), To: now.Add(24 * time.Hour)}) {
			if err != nil {
				return nil, nil, err
			}
			if seen[c.ID] || c.Case != "" {
				continue
			}
			byNumber := c.Contact == "" && len(owners[c.Number]) == 1 && contactIDs[owners[c.Number][0].ID]
			if contactIDs[c.Contact] || byNumber {
				seen[c.ID], linked[c.ID] = true, byNumber
				found = append(found, c)
			}
		}
	}

	agents, err := a.db.Agents(ctx)
	if err != nil {
		return nil, nil, err
	}
	byPhone := map[string]string{} // endpoint id or username -> agent name
	for _, ag := range agents {
		for _, e := range append(ag.History, ag.Endpoints...) {
			byPhone["id:"+e.EndpointID], byPhone["user:"+e.Username] = ag.Name, ag.Name
		}
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		return nil, nil, err
	}
	byUser := map[string]string{}
	for _, u := range users {
		byUser[u.ID] = u.Username
	}
	labels, err := a.resultLabels(ctx, l)
	if err != nil {
		return nil, nil, err
	}
	contactName := map[string]string{}
	for _, co := range cu.Contacts {
		contactName[co.ID] = co.Name
	}

	balance := map[string]decimal.Decimal{}
	out := make([]CaseCall, 0, len(found))
	for _, c := range found {
		cc := CaseCall{ID: c.ID, Direction: string(c.Direction), Number: c.Number, Start: c.Start, Duration: c.Duration, Cost: c.Cost,
			EndReason: c.EndReason, Provisional: !c.CDRSeen, Linked: linked[c.ID], ContactName: contactName[c.Contact]}
		if cc.AgentName = byPhone["id:"+c.Agent.ID]; cc.AgentName == "" {
			cc.AgentName = byPhone["user:"+c.Agent.User]
		}
		if cc.Linked && len(owners[c.Number]) == 1 {
			cc.ContactName = owners[c.Number][0].Name
		}
		for _, d := range c.Disps {
			cc.Disps = append(cc.Disps, CaseDisp{Result: label(labels, d.Result), Notes: d.Notes, NextAction: d.NextAction,
				By: cmp.Or(byUser[d.By], d.By), At: d.At, NextAt: d.NextAt, Amends: d.Amends != ""})
		}
		for _, ch := range c.Charges {
			r := ""
			for _, d := range c.Disps {
				if d.ID == ch.DispositionID {
					r = label(labels, d.Result)
				}
			}
			cc.Charges = append(cc.Charges, CaseCharge{Result: r, Currency: ch.Currency, Amount: ch.Amount})
			balance[ch.Currency] = balance[ch.Currency].Add(ch.Amount)
		}
		out = append(out, cc)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.After(out[j].Start) })
	var money []Money
	for cur, amt := range balance {
		money = append(money, Money{Currency: cur, Amount: amt})
	}
	slices.SortFunc(money, func(x, y Money) int { return strings.Compare(x.Currency, y.Currency) })
	if len(money) == 0 {
		money = []Money{{Currency: currency, Amount: decimal.Zero}}
	}
	return out, money, nil
}

// resultIgnored is the result code of an unknown caller the agent chose
// to ignore (recorded by the console's Ignore button): a code of the CRM
// itself, not one of the crm_result_codes an agent picks from.
const resultIgnored = "IGNORADO"

// resultLabels are the result codes' labels in language l.
func (a *App) resultLabels(ctx context.Context, l string) (map[string]string, error) {
	codes, err := a.db.ResultCodes(ctx)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{resultIgnored: translate(l, "result_ignored")}
	for _, c := range codes {
		labels[c.Code] = c.ES
		if l == "en" {
			labels[c.Code] = c.EN
		}
	}
	return labels, nil
}

// label is a result code's label, else the code.
func label(labels map[string]string, code string) string {
	if s, ok := labels[code]; ok {
		return s
	}
	return code
}

// caseForm is what the case file's forms posted, kept after an error.
type caseForm struct {
	Action            string // the form: "customer", "contact", "rename", "number", "campaign"
	ContactID         string
	Name, Document    string
	Campaign          string
	Contact, Number   string
	ConfirmSharedPath string // where the shared-number confirmation posts
}

// handleCaseFile is GET /customers/{id}.
func (a *App) handleCaseFile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.renderCaseFile(w, r, http.StatusOK, nil, caseForm{})
	})
}

// renderCaseFile shows the case file, with a failed form's error (or its
// shared-number warning) and its values.
func (a *App) renderCaseFile(w http.ResponseWriter, r *http.Request, status int, formErr error, form caseForm) {
	l := lang(r)
	u := userFrom(r.Context())
	cu, ok, err := a.db.Customer(r.Context(), r.PathValue("id"))
	if a.fail(w, err) {
		return
	}
	if !ok {
		a.render(w, r, http.StatusNotFound, "error", &errorView{Title: "not_found", Msg: translate(l, "err_unknown_customer")})
		return
	}
	v := &caseFileView{Customer: cu, CanDial: u.AgentID != "", CanEdit: u.Role != RoleSupervisor, Form: form}
	v.Msg, v.Err = flash(r)
	if v.Calls, v.Balance, err = a.caseCalls(r.Context(), l, cu); a.fail(w, err) {
		return
	}
	if v.Coll, err = a.collections(r.Context(), r, cu); a.fail(w, err) {
		return
	}
	if v.Campaigns, err = a.db.CampaignNames(r.Context()); a.fail(w, err) {
		return
	}
	if u.AgentID != "" {
		if v.Endpoints, err = a.db.endpoints(r.Context(), u.AgentID); a.fail(w, err) {
			return
		}
	}
	if formErr != nil {
		text, ok := a.errorText(l, formErr)
		if !ok {
			a.fail(w, formErr)
			return
		}
		v.Msg = ""
		var dup *DuplicateError
		if errors.As(formErr, &dup) && dup.Field == "number" {
			v.Warn = text
		} else {
			v.Err = text
		}
	}
	a.render(w, r, status, "casefile", v)
}

// caseDone answers a case-file form: back to the case file with okKey,
// or the case file again with the error and the form's values.
func (a *App) caseDone(w http.ResponseWriter, r *http.Request, err error, okKey string, form caseForm) {
	if err == nil {
		http.Redirect(w, r, "/customers/"+r.PathValue("id")+"?msg="+okKey, http.StatusSeeOther)
		return
	}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, errDuplicate):
		status = http.StatusConflict
	case errors.Is(err, errUnknownContact), errors.Is(err, errUnknownCustomer), errors.Is(err, errUnknownNumber):
		status = http.StatusNotFound
	}
	a.renderCaseFile(w, r, status, err, form)
}

// handleUpdateCustomer is POST /customers/{id}: name and document.
func (a *App) handleUpdateCustomer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := caseForm{Action: "customer", Name: r.PostFormValue("name"), Document: r.PostFormValue("document")}
		err := a.db.UpdateCustomer(r.Context(), r.PathValue("id"), f.Name, f.Document)
		a.caseDone(w, r, err, "customer_saved", f)
	})
}

// handleNewContact is POST /customers/{id}/contacts: a contact and its
// first number, in one transaction.
func (a *App) handleNewContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := caseForm{Action: "contact", Contact: r.PostFormValue("name"), Number: r.PostFormValue("number"),
			ConfirmSharedPath: "/customers/" + r.PathValue("id") + "/contacts"}
		var nums []string
		if strings.TrimSpace(f.Number) != "" {
			nums = append(nums, f.Number)
		}
		_, err := a.db.NewContact(r.Context(), r.PathValue("id"), f.Contact, r.PostFormValue("shared") == "1", nums...)
		a.caseDone(w, r, err, "contact_added", f)
	})
}

// handleRenameContact is POST /customers/{id}/contacts/{contact}.
func (a *App) handleRenameContact() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := caseForm{Action: "rename", ContactID: r.PathValue("contact"), Contact: r.PostFormValue("name")}
		err := a.db.RenameContact(r.Context(), r.PathValue("id"), f.ContactID, f.Contact)
		a.caseDone(w, r, err, "contact_saved", f)
	})
}

// handleAddNumber is POST /customers/{id}/contacts/{contact}/numbers. A
// number another contact has needs shared=1: the page warns, naming
// whose it is, and offers to save it as shared.
func (a *App) handleAddNumber() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := caseForm{Action: "number", ContactID: r.PathValue("contact"), Number: r.PostFormValue("number"),
			ConfirmSharedPath: "/customers/" + r.PathValue("id") + "/contacts/" + r.PathValue("contact") + "/numbers"}
		err := a.db.AddNumber(r.Context(), r.PathValue("id"), f.ContactID, f.Number, r.PostFormValue("shared") == "1")
		a.caseDone(w, r, err, "number_added", f)
	})
}

// handleRemoveNumber is POST /customers/{id}/contacts/{contact}/numbers/remove.
func (a *App) handleRemoveNumber() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := a.db.RemoveNumber(r.Context(), r.PathValue("id"), r.PathValue("contact"), r.PostFormValue("e164"))
		a.caseDone(w, r, err, "number_removed", caseForm{Action: "remove", ContactID: r.PathValue("contact")})
	})
}
