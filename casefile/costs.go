package casefile

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/internal/safetext"
)

// Grouping is what Costs sums calls by.
//
// The zero Grouping is ByCase. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Grouping int

// Groupings.
const (
	ByCase     Grouping = iota // the call's Case
	ByCampaign                 // the call's Meta[MetaCampaign] (click2dial.WithCampaignMeta)
)

// MetaCampaign is the key of a dial's metadata (click2dial.Request.Meta,
// calls.Call.Meta) naming the campaign the call belongs to: what
// ByCampaign groups by.
const MetaCampaign = "campaign"

// String returns "case", "campaign" or "Grouping(N)".
func (g Grouping) String() string {
	switch g {
	case ByCase:
		return "case"
	case ByCampaign:
		return "campaign"
	}
	return "Grouping(" + strconv.Itoa(int(g)) + ")"
}

// Money is an amount in one currency.
//
// The zero Money is nothing in no currency. It is a plain value; copies
// may be read from several goroutines concurrently.
type Money struct {
	Currency string
	Amount   decimal.Decimal
}

// Totals are the calls of one case or campaign and what they cost: the
// provider's cost of the calls (from the reconciled CDR; the webhook's
// figure until the CDR arrives, counted in Provisional) and the charges
// posted to the case file, summed per currency.
//
// The zero Totals is no calls. It is a plain value; copies may be read
// from several goroutines concurrently.
type Totals struct {
	Key         string // the case id or campaign name
	Calls       int    // calls placed or received (refusals and dials never placed are not calls)
	Connected   int
	Talk        time.Duration
	Provisional int             // calls whose CDR has not arrived: their cost may change
	CallCost    decimal.Decimal // the sum of the calls' cost, in the account's currency
	Charges     []Money         // the sum of the charges posted, per currency, by currency
}

// CostQuery selects the calls Costs sums: started in [From, To) (zero:
// unbounded), grouped By case or campaign; Key keeps one group.
//
// The zero CostQuery sums every call by case. It is a plain value;
// copies may be read from several goroutines concurrently.
type CostQuery struct {
	From, To time.Time
	By       Grouping
	Key      string
}

// Costs sums the calls of the ledger per case or per campaign (calls
// with no case, or no campaign, are left out), sorted by key.
func Costs(ctx context.Context, l *calls.Ledger, q CostQuery) ([]Totals, error) {
	if l == nil {
		return nil, errors.New("casefile: Costs: nil ledger")
	}
	if q.By != ByCase && q.By != ByCampaign {
		return nil, fmt.Errorf("casefile: Costs: unknown grouping %v", q.By)
	}
	lq := calls.Query{From: q.From, To: q.To}
	if q.By == ByCase {
		lq.Case = q.Key
	}
	by := map[string]*Totals{}
	charges := map[string]map[string]decimal.Decimal{}
	for c, err := range l.Calls(ctx, lq) {
		if err != nil {
			return nil, fmt.Errorf("casefile: costs: %w", err)
		}
		if c.Outcome == calls.OutcomeNotPlaced {
			continue
		}
		key := c.Case
		if q.By == ByCampaign {
			key = c.Meta[MetaCampaign]
		}
		if key == "" || (q.Key != "" && key != q.Key) {
			continue
		}
		t := by[key]
		if t == nil {
			t = &Totals{Key: key}
			by[key] = t
			charges[key] = map[string]decimal.Decimal{}
		}
		t.Calls++
		if !c.Connect.IsZero() {
			t.Connected++
		}
		t.Talk += c.Duration
		t.CallCost = t.CallCost.Add(c.Cost)
		if !c.CDRSeen {
			t.Provisional++
		}
		for _, ch := range c.Charges {
			charges[key][ch.Currency] = charges[key][ch.Currency].Add(ch.Amount)
		}
	}
	out := make([]Totals, 0, len(by))
	for key, t := range by {
		for cur, amt := range charges[key] {
			t.Charges = append(t.Charges, Money{Currency: cur, Amount: amt})
		}
		slices.SortFunc(t.Charges, func(a, b Money) int { return cmp.Compare(a.Currency, b.Currency) })
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Totals) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// WriteCostsCSV writes totals as CSV for a spreadsheet: a UTF-8 byte
// order mark (so Excel reads the accents), a header row, then one row per
// case or campaign: key, calls, connected, talk_seconds, provisional,
// call_cost (labelled with callCurrency when given), and one
// charges_<CUR> column per currency any row has. Text cells that a
// spreadsheet would run as a formula are neutralised.
func WriteCostsCSV(w io.Writer, by Grouping, callCurrency string, totals []Totals) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	var curs []string
	for _, t := range totals {
		for _, m := range t.Charges {
			if !slices.Contains(curs, m.Currency) {
				curs = append(curs, m.Currency)
			}
		}
	}
	slices.Sort(curs)
	costCol := "call_cost"
	if callCurrency != "" {
		costCol += "_" + callCurrency
	}
	head := []string{by.String(), "calls", "connected", "talk_seconds", "provisional", costCol}
	for _, c := range curs {
		head = append(head, "charges_"+c)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(safetext.CSVRow(head)); err != nil {
		return err
	}
	for _, t := range totals {
		row := []string{t.Key, strconv.Itoa(t.Calls), strconv.Itoa(t.Connected),
			strconv.FormatInt(int64(t.Talk/time.Second), 10), strconv.Itoa(t.Provisional), t.CallCost.String()}
		for _, c := range curs {
			amt := decimal.Zero
			for _, m := range t.Charges {
				if m.Currency == c {
					amt = m.Amount
				}
			}
			row = append(row, amt.String())
		}
		if err := cw.Write(safetext.CSVRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
