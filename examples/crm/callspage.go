package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/internal/safetext"
)

// The calls page: the history from the ledger, filtered; an agent sees
// their own calls only, supervisors and admins everyone's.

// scopedFilter reads the filters, keeping an agent to their own calls.
// ok is false for an agent user linked to no agent.
func (a *App) scopedFilter(r *http.Request) (f CallsFilter, ok bool) {
	f = a.callsFilter(r)
	if u := userFrom(r.Context()); u.Role == RoleAgent {
		f.AgentID = u.AgentID
		return f, u.AgentID != ""
	}
	return f, true
}

func (a *App) handleCalls() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := a.scopedFilter(r)
		if !ok {
			a.render(w, r, http.StatusForbidden, "error", &errorView{Msg: translate(lang(r), "no_agent")})
			return
		}
		rows, limited, err := a.history(r.Context(), f)
		if a.fail(w, err) {
			return
		}
		agents, err := a.db.Agents(r.Context())
		if a.fail(w, err) {
			return
		}
		// The customer filter names the chosen customer only: the box
		// suggests others from /api/search (20 at most), so the page
		// never lists every customer.
		customerName := f.CustomerID
		if f.CustomerID != "" {
			names, err := a.db.CustomerNames(r.Context(), []string{f.CustomerID})
			if a.fail(w, err) {
				return
			}
			if n, ok := names[f.CustomerID]; ok {
				customerName = n
			}
		}
		labels, err := a.resultLabels(r.Context(), lang(r))
		if a.fail(w, err) {
			return
		}
		pages := max(1, (len(rows)+historyPage-1)/historyPage)
		page := min(f.Page, pages)
		lo, hi := (page-1)*historyPage, min(page*historyPage, len(rows))
		pageURL := func(p int) string {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(p))
			return "/calls?" + q.Encode()
		}
		shown := rows[lo:hi]
		for i := range shown { // result codes in the reader's language
			if l, ok := labels[shown[i].Result]; ok {
				shown[i].Result = l
			}
		}
		v := &callsView{Rows: shown, Total: len(rows), Agents: agents, CustomerName: customerName, F: f,
			AllAgents: userFrom(r.Context()).Role != RoleAgent, Currency: currency,
			FromStr: dayString(f.From, a.cfg.Loc), ToStr: dayString(f.To.AddDate(0, 0, -1), a.cfg.Loc),
			CSVURL: "/calls.csv?" + r.URL.RawQuery, Sync: a.SyncStatus(), PageN: page, Pages: pages, Limited: limited}
		if page > 1 {
			v.PrevURL = pageURL(page - 1)
		}
		if page < pages {
			v.NextURL = pageURL(page + 1)
		}
		a.render(w, r, http.StatusOK, "calls", v)
	})
}

// historyPage is how many calls a page of the history shows.
const historyPage = 50

// charge writes a posted charge with two decimals, "" for none.
func charge(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.StringFixed(2)
}

func (a *App) handleCallsCSV() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := a.scopedFilter(r)
		if !ok {
			http.Error(w, translate(lang(r), "no_agent"), http.StatusForbidden)
			return
		}
		rows, err := a.History(r.Context(), f)
		if a.fail(w, err) {
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="llamadas.csv"`)
		// A UTF-8 byte-order mark, so Excel reads "Solís" as written.
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			a.log.WarnContext(r.Context(), "crm: writing the calls CSV", "error", err.Error())
			return
		}
		cw := csv.NewWriter(w)
		err = cw.Write([]string{"callid", "detect_time", "direction", "number", "agent", "contact", "customer", "duration_s", "cost", "end_reason", "result", "notes", "next_action", "next_action_date", "charge", "provisional"})
		for _, h := range rows {
			if err != nil {
				break // the client went away: stop writing
			}
			// Cells a spreadsheet would run as formulas are neutralised.
			err = cw.Write(safetext.CSVRow([]string{h.CallID, a.when(h.Detect), h.Direction, h.Number, h.AgentName, h.ContactName, h.CustomerName,
				fmt.Sprint(int64(h.Duration / time.Second)), h.Cost.StringFixed(2), h.EndReason, h.Result, h.Notes, h.NextAction, dayString(h.NextActionAt, a.cfg.Loc), charge(h.Charge), fmt.Sprint(h.Provisional)}))
		}
		cw.Flush()
		if err := errors.Join(err, cw.Error()); err != nil {
			a.log.WarnContext(r.Context(), "crm: writing the calls CSV", "error", err.Error())
		}
	})
}
