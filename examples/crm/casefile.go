package main

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/screenpop"
)

// The case file: one customer's page. Its contacts and numbers (editable
// by agents and admins, read-only for supervisors), click to dial, every
// call with its dispositions and charges, and the balance. Calls, dispositions
// and charges come from the ledger, nothing else.

// caseFileYears is how far back the case file reads the ledger.
const caseFileYears = 5

// numberLinkWindow is how far back the case file looks for calls from the
// customer's numbers, or naming one of its contacts, that nobody linked to
// its case (as the history links them by number). They are read through
// the ledger's indexes by number and by contact; a disposition naming the
// contact puts a call on the case file for good.
const numberLinkWindow = 30 * 24 * time.Hour

// caseFilePage is how many calls the case file shows a page, newest
// first; older ones are a link away (keyset on start time and id).
const caseFilePage = 50

// callKey is a call's place in the case file's order (newest first: start
// time, then id, both descending). The zero callKey is before the newest
// call. A plain value, safe to copy.
type callKey struct {
	Start time.Time
	ID    string
}

// after reports whether c comes after k in the case file's order (is
// older): every call does when k is zero.
func (k callKey) after(c calls.Call) bool {
	if k.ID == "" {
		return true
	}
	return c.Start.Before(k.Start) || (c.Start.Equal(k.Start) && c.ID < k.ID)
}

// caseRead is one read of a customer's calls: a page of them, newest
// first, and the charges of every call of the case.
type caseRead struct {
	Calls   []calls.Call    // at most the page's limit, after the keyset
	Linked  map[string]bool // calls found by number
	More    bool            // older calls remain
	Owners  map[string][]screenpop.Contact
	Balance map[string]decimal.Decimal // every charge of the case, per currency
	Charges int                        // how many charges the balance sums
}

// readCase reads customer cu's calls through the ledger's indexes, never
// the whole traffic: the calls of its case (caseFileYears), and over
// numberLinkWindow the calls naming one of its contacts and those from
// one of its numbers that nobody linked (when the number is one of its
// contacts' only). It keeps the first limit after before, newest first,
// and sums every charge of the case (the balance: exact, it reads all the
// case's calls; the calls linked by contact or number carry no case, so
// no charge). visit, when not nil, sees every call of the case. The page
// reads at most limit+1 calls per contact and per number.
func (a *App) readCase(ctx context.Context, cu CustomerRow, before callKey, limit int, visit func(calls.Call)) (caseRead, error) {
	now := time.Now()
	to := now.Add(24 * time.Hour)
	if before.ID != "" {
		to = before.Start.Add(time.Microsecond) // the ledger keeps microseconds
	}
	out := caseRead{Linked: map[string]bool{}, Balance: map[string]decimal.Decimal{}}
	seen := map[string]bool{}
	var found []calls.Call
	for c, err := range a.ledger.Calls(ctx, calls.Query{Case: cu.ID, From: now.AddDate(-caseFileYears, 0, 0), To: now.Add(24 * time.Hour), Newest: true}) {
		if err != nil {
			return out, err
		}
		for _, ch := range c.Charges {
			out.Balance[ch.Currency] = out.Balance[ch.Currency].Add(ch.Amount)
			out.Charges++
		}
		if visit != nil {
			visit(c)
		}
		if len(found) <= limit && before.after(c) {
			seen[c.ID] = true
			found = append(found, c)
		}
	}
	contactIDs := map[string]bool{}
	var numbers []string
	for _, co := range cu.Contacts {
		contactIDs[co.ID] = true
		for _, p := range co.Phones {
			numbers = append(numbers, p.E164)
		}
	}
	numbers = uniq(numbers)
	var err error
	if out.Owners, err = a.db.ContactsByNumber(ctx, numbers); err != nil {
		return out, err
	}
	// read adds the first limit+1 calls of q (newest first, after the
	// keyset) that keep returns true for.
	read := func(q calls.Query, keep func(calls.Call) bool) error {
		q.From, q.To, q.Newest = now.Add(-numberLinkWindow), to, true
		n := 0
		for c, err := range a.ledger.Calls(ctx, q) {
			if err != nil {
				return err
			}
			if seen[c.ID] || c.Case != "" || !before.after(c) || !keep(c) {
				continue
			}
			seen[c.ID] = true
			found = append(found, c)
			if n++; n > limit {
				break
			}
		}
		return nil
	}
	for _, co := range cu.Contacts {
		if err := read(calls.Query{Contact: co.ID}, func(calls.Call) bool { return true }); err != nil {
			return out, err
		}
	}
	for _, n := range numbers {
		if own := out.Owners[n]; len(own) != 1 || !contactIDs[own[0].ID] {
			continue // shared, or another customer's: not linked by number
		}
		err := read(calls.Query{Number: n}, func(c calls.Call) bool {
			if c.Contact == "" {
				out.Linked[c.ID] = true
				return true
			}
			return false
		})
		if err != nil {
			return out, err
		}
	}
	slices.SortFunc(found, func(x, y calls.Call) int { return cmp.Or(y.Start.Compare(x.Start), strings.Compare(y.ID, x.ID)) })
	if len(found) > limit {
		found, out.More = found[:limit], true
	}
	out.Calls = found
	return out, nil
}

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

// caseCalls returns a page of a customer's case file (caseFilePage
// calls, newest first, after the keyset before; more reports older ones),
// with the balance per currency over every charge of the case (readCase).
// Its ledger reads go through the indexes by case, contact and number,
// and its database queries are batched, whatever the number of calls.
func (a *App) caseCalls(ctx context.Context, l string, cu CustomerRow, before callKey) (page []CaseCall, money []Money, more bool, err error) {
	rd, err := a.readCase(ctx, cu, before, caseFilePage, nil)
	if err != nil {
		return nil, nil, false, err
	}
	found, linked, owners, balance := rd.Calls, rd.Linked, rd.Owners, rd.Balance
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	byPhone := map[string]string{} // endpoint id or username -> agent name
	for _, ag := range agents {
		for _, e := range append(ag.History, ag.Endpoints...) {
			byPhone["id:"+e.EndpointID], byPhone["user:"+e.Username] = ag.Name, ag.Name
		}
	}
	users, err := a.db.Users(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	byUser := map[string]string{}
	for _, u := range users {
		byUser[u.ID] = u.Username
	}
	labels, err := a.resultLabels(ctx, l)
	if err != nil {
		return nil, nil, false, err
	}
	contactName := map[string]string{}
	for _, co := range cu.Contacts {
		contactName[co.ID] = co.Name
	}

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
		}
		out = append(out, cc)
	}
	for cur, amt := range balance {
		money = append(money, Money{Currency: cur, Amount: amt})
	}
	slices.SortFunc(money, func(x, y Money) int { return strings.Compare(x.Currency, y.Currency) })
	if len(money) == 0 {
		money = []Money{{Currency: currency, Amount: decimal.Zero}}
	}
	return out, money, rd.More, nil
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

// pageKey is the case file's keyset from the URL (before, before_id: the
// last call of the previous page); zero for the first page or a bad one.
func pageKey(r *http.Request) callKey {
	q := r.URL.Query()
	us, err := strconv.ParseInt(q.Get("before"), 10, 64)
	if err != nil || q.Get("before_id") == "" {
		return callKey{}
	}
	return callKey{Start: time.UnixMicro(us).UTC(), ID: q.Get("before_id")}
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
	before := pageKey(r)
	var more bool
	if v.Calls, v.Balance, more, err = a.caseCalls(r.Context(), l, cu, before); a.fail(w, err) {
		return
	}
	v.Paged = before.ID != ""
	if n := len(v.Calls); more && n > 0 {
		last := v.Calls[n-1]
		v.Older = "/customers/" + url.PathEscape(cu.ID) + "?" + url.Values{"before": {strconv.FormatInt(last.Start.UnixMicro(), 10)}, "before_id": {last.ID}}.Encode() + "#calls-h"
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
