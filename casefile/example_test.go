package casefile_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
)

// A caller's missed calls become one callback, due by the SLA, until the
// customer is reached.
func ExampleCallbacks_Open() {
	store, _ := calls.NewMemoryStore()
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ledger, _ := calls.New(acct, store)
	t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	ctx := context.Background()
	for i, id := range []string{"m1", "m2"} {
		at := t0.Add(time.Duration(i) * 10 * time.Minute)
		_, _ = ledger.ApplyEvent(ctx, calls.Event{CallID: id, Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: "5001"},
			Direction: callmyway.DirectionInbound, Number: "+50688881111", Detect: at, Disconnect: at.Add(20 * time.Second)})
	}
	cb, _ := casefile.NewCallbacks(ledger, 2*time.Hour)
	open, _ := cb.Open(ctx, casefile.CallbackQuery{})
	for _, c := range open {
		fmt.Println(c.Number, c.Missed, "overdue:", c.Overdue, "queue:", c.Owner.Queue)
	}
	// The agent returns the call and the customer answers.
	at := t0.Add(time.Hour)
	_, _ = ledger.ApplyEvent(ctx, calls.Event{CallID: "o1", Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: "5001"},
		Direction: callmyway.DirectionOutbound, Number: "+50688881111", Detect: at, Connect: at.Add(5 * time.Second), Disconnect: at.Add(time.Minute)})
	open, _ = cb.Open(ctx, casefile.CallbackQuery{})
	fmt.Println("open after the call:", len(open))
	// Output:
	// +50688881111 [m1 m2] overdue: true queue: callbacks
	// open after the call: 0
}

// The cost of a campaign's calls and the charges posted, as CSV.
func ExampleWriteCostsCSV() {
	store, _ := calls.NewMemoryStore()
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ledger, _ := calls.New(acct, store)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	agent := callmyway.Endpoint{ID: "5001", User: "8000001"}
	_, _ = ledger.RecordDial(ctx, calls.Dial{Ref: "r1", Agent: agent, Number: "+50688881111", At: at,
		Meta: map[string]string{"case": "K-1", "campaign": "november"}})
	_ = ledger.ApplyLegs(ctx, []calls.Leg{{CallID: "X1", Agent: agent, Number: "+50688881111", Direction: callmyway.DirectionOutbound,
		Detect: at, Connect: at.Add(5 * time.Second), Disconnect: at.Add(125 * time.Second), Duration: 2 * time.Minute,
		Cost: dec("0.24"), EndReason: "OK"}})
	_, _ = ledger.Dispose(ctx, "dial:r1", calls.Disposition{By: "ana", Result: "promise-to-pay",
		Charges: []calls.Charge{{Key: "fee-1", Amount: dec("1500"), Currency: "CRC"}}})
	totals, _ := casefile.Costs(ctx, ledger, casefile.CostQuery{By: casefile.ByCampaign})
	var buf bytes.Buffer
	_ = casefile.WriteCostsCSV(&buf, casefile.ByCampaign, "USD", totals)
	out, bom := strings.CutPrefix(buf.String(), "\ufeff")
	fmt.Println("BOM:", bom)
	fmt.Print(out)
	// Output:
	// BOM: true
	// campaign,calls,connected,talk_seconds,provisional,call_cost_USD,charges_CRC
	// november,1,1,120,0,0.24,1500
}
