package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/casefile"
)

// Collection campaigns (issue 18's cost per campaign). A customer's case
// belongs to at most one campaign: the portfolio a collections team works
// it in, such as "Mora 30" (debts 30 days late). Agents and admins set it
// on the case file. Every dial the CRM places for the customer (click to
// dial, a callback's return call) carries it in the dial's metadata under
// casefile.MetaCampaign, so casefile.Costs sums calls, their cost and the
// charges posted per campaign: the board shows those sums and the cases
// that cost the most, and GET /collections/campaign-costs.csv exports
// them. Calls the CRM did not dial (inbound calls, calls known from the
// CDRs only) belong to no campaign; a call keeps the campaign it was
// dialled in when the customer moves to another.

// maxCampaignLen is the longest campaign name, in characters.
const maxCampaignLen = 40

// errBadCampaign is a campaign name normCampaign refuses.
var errBadCampaign = errors.New("a campaign name has up to 40 letters, digits, spaces and . - _ / #")

// normCampaign is a campaign name as stored: spaces trimmed and collapsed;
// up to maxCampaignLen letters, digits, spaces and ". - _ / #" ("" is no
// campaign). Nothing a spreadsheet would run as a formula can start it.
func normCampaign(s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxCampaignLen {
		return "", fmt.Errorf("%w: %d characters", errBadCampaign, utf8.RuneCountInString(s))
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" .-_/#", r) {
			return "", fmt.Errorf("%w: %q", errBadCampaign, r)
		}
	}
	if strings.HasPrefix(s, "-") {
		return "", fmt.Errorf("%w: starts with -", errBadCampaign)
	}
	return s, nil
}

// Campaign returns the customer's campaign ("" none).
func (db *DB) Campaign(ctx context.Context, customerID string) (string, error) {
	var c string
	err := db.QueryRowContext(ctx, db.q(`SELECT campaign FROM crm_customer_campaign WHERE customer_id = ?`), customerID).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return c, err
}

// SetCampaign puts the customer's case in a campaign (normCampaign's
// rules; "" takes it out of any), recording who did. Each is one
// statement: no transaction reads before it writes (on SQLite another
// writer would make it fail at once rather than wait).
func (db *DB) SetCampaign(ctx context.Context, customerID, campaign, by string) error {
	c, err := normCampaign(campaign)
	if err != nil {
		return err
	}
	if c == "" {
		if _, err := db.ExecContext(ctx, db.q(`DELETE FROM crm_customer_campaign WHERE customer_id = ?`), customerID); err != nil {
			return err
		}
		if _, ok, err := db.Customer(ctx, customerID); err != nil || !ok {
			return cmp.Or(err, errUnknownCustomer)
		}
		return nil
	}
	res, err := db.ExecContext(ctx, db.q(`INSERT INTO crm_customer_campaign (customer_id, campaign, updated_by, updated_at)
		SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT) WHERE EXISTS (SELECT 1 FROM crm_customers WHERE id = ?)
		ON CONFLICT (customer_id) DO UPDATE SET campaign = excluded.campaign, updated_by = excluded.updated_by, updated_at = excluded.updated_at`),
		customerID, c, by, time.Now().UnixMilli(), customerID)
	return affected(res, err, errUnknownCustomer)
}

// CampaignNames lists the campaigns customers are in, sorted: the case
// file suggests them.
func (db *DB) CampaignNames(ctx context.Context) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT campaign FROM crm_customer_campaign ORDER BY campaign`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// customerLabels returns the name and campaign of the customers with
// these ids, by id (an unknown id is absent), in one query per chunk.
func (db *DB) customerLabels(ctx context.Context, ids []string) (map[string]customerLabel, error) {
	out := map[string]customerLabel{}
	err := inChunks(ids, func(chunk []string) error {
		rows, err := db.QueryContext(ctx, db.q(`SELECT cu.id, cu.name, COALESCE(cc.campaign, '') FROM crm_customers cu
			LEFT JOIN crm_customer_campaign cc ON cc.customer_id = cu.id WHERE cu.id IN (`+params(len(chunk))+`)`), anys(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var l customerLabel
			if err := rows.Scan(&id, &l.Name, &l.Campaign); err != nil {
				return err
			}
			out[id] = l
		}
		return rows.Err()
	})
	return out, err
}

// customerLabel is what the board shows of a customer. A plain value.
type customerLabel struct{ Name, Campaign string }

// withCampaign adds the campaign of the dial's customer (meta["case"]) to
// the dial's metadata, under casefile.MetaCampaign.
func (a *App) withCampaign(ctx context.Context, meta map[string]string) error {
	if meta["case"] == "" {
		return nil
	}
	c, err := a.db.Campaign(ctx, meta["case"])
	if err != nil {
		return err
	}
	if c != "" {
		meta[casefile.MetaCampaign] = c
	}
	return nil
}

// handleCustomerCampaign is POST /customers/{id}/campaign: the case's
// campaign (agents and admins).
func (a *App) handleCustomerCampaign() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := caseForm{Action: "campaign", Campaign: r.PostFormValue("campaign")}
		err := a.db.SetCampaign(r.Context(), r.PathValue("id"), f.Campaign, userFrom(r.Context()).ID)
		a.caseDone(w, r, err, "campaign_saved", f)
	})
}

// costsQuery selects what the board's costs and the cost exports sum:
// the calls started in the last csvWindow, grouped by.
func (a *App) costsQuery(by casefile.Grouping) casefile.CostQuery {
	now := a.clock()
	return casefile.CostQuery{By: by, From: now.Add(-csvWindow), To: now.Add(time.Hour)}
}

// boardTopCases is how many cases the board lists by cost.
const boardTopCases = 5

// CampaignCost is one campaign's calls and what they cost, on the board:
// the calls' cost in the account's currency, and the charges posted per
// currency. A plain value, safe to copy and share.
type CampaignCost struct {
	Campaign                      string
	Calls, Connected, Provisional int
	CallCost                      decimal.Decimal
	Charges                       []Money // by currency
}

// CaseCost is one of the cases that cost the most, on the board: the
// customer (Known: a customer of the CRM, whose case file it links), its
// campaign now, and its calls' figures. A plain value, safe to copy.
type CaseCost struct {
	CustomerID, Name, Campaign string
	Known                      bool
	Calls, Provisional         int
	CallCost                   decimal.Decimal
	Charges                    []Money
}

// BoardCosts is the board's cost section: per campaign, and the cases
// that cost the most, over the calls started since Since (the account's
// day). Currency is the calls' cost currency. A plain value.
type BoardCosts struct {
	Since     string
	Currency  string
	Campaigns []CampaignCost
	TopCases  []CaseCost
}

// boardCosts sums the calls of the last csvWindow per campaign and per
// case (casefile.Costs), the cases with the highest call cost first.
func (a *App) boardCosts(ctx context.Context) (BoardCosts, error) {
	q := a.costsQuery(casefile.ByCampaign)
	out := BoardCosts{Since: dayString(q.From, a.cfg.Loc), Currency: currency, Campaigns: []CampaignCost{}, TopCases: []CaseCost{}}
	byCampaign, err := casefile.Costs(ctx, a.ledger, q)
	if err != nil {
		return out, err
	}
	for _, t := range byCampaign {
		out.Campaigns = append(out.Campaigns, CampaignCost{Campaign: t.Key, Calls: t.Calls, Connected: t.Connected, Provisional: t.Provisional,
			CallCost: t.CallCost, Charges: moneyOf(t.Charges)})
	}
	q.By = casefile.ByCase
	byCase, err := casefile.Costs(ctx, a.ledger, q)
	if err != nil {
		return out, err
	}
	slices.SortStableFunc(byCase, func(x, y casefile.Totals) int {
		return cmp.Or(y.CallCost.Cmp(x.CallCost), cmp.Compare(y.Calls, x.Calls), cmp.Compare(x.Key, y.Key))
	})
	byCase = byCase[:min(len(byCase), boardTopCases)]
	ids := make([]string, 0, len(byCase))
	for _, t := range byCase {
		ids = append(ids, t.Key)
	}
	labels, err := a.db.customerLabels(ctx, ids)
	if err != nil {
		return out, err
	}
	for _, t := range byCase {
		l, known := labels[t.Key]
		out.TopCases = append(out.TopCases, CaseCost{CustomerID: t.Key, Name: cmp.Or(l.Name, t.Key), Campaign: l.Campaign, Known: known,
			Calls: t.Calls, Provisional: t.Provisional, CallCost: t.CallCost, Charges: moneyOf(t.Charges)})
	}
	return out, nil
}

// moneyOf is casefile's amounts as the pages' Money.
func moneyOf(ms []casefile.Money) []Money {
	out := make([]Money, 0, len(ms))
	for _, m := range ms {
		out = append(out, Money{Currency: m.Currency, Amount: m.Amount})
	}
	return out
}
