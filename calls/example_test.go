package calls_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// An outbound call from the click to the CDR, its facts arriving out of
// order: the callEnd before the callStart, the callStart again later.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	store, _ := calls.NewMemoryStore()
	ledger, err := calls.New(callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}, store, calls.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	agent := callmyway.Endpoint{ID: "5001", User: "8000001"}

	// Click to dial accepted: the call has no callid yet.
	c, _ := ledger.RecordDial(ctx, calls.Dial{Ref: "req-1", Agent: agent, Number: "+50688887777", At: now,
		Meta: map[string]string{"contact": "c42", "case": "k7"}})
	fmt.Println(c.ID, c.State)
	busy, _ := ledger.HasLiveCall(ctx, agent)
	fmt.Println("agent busy:", busy)

	// The webhooks, callEnd first.
	start := calls.Event{CallID: "cmw-9", Action: calls.ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"},
		Direction: callmyway.DirectionOutbound, Number: "+50688887777", Detect: now.Add(2 * time.Second)}
	end := start
	end.Action, end.Connect, end.Disconnect, end.Duration = calls.ActionEnd, now.Add(8*time.Second), now.Add(68*time.Second), time.Minute
	c, _ = ledger.ApplyEvent(ctx, end)
	fmt.Println(c.ID, c.State, c.Outcome, c.Meta["contact"])
	c, _ = ledger.ApplyEvent(ctx, start) // late: changes nothing
	fmt.Println(c.ID, c.State)

	// The CDR.
	_ = ledger.ApplyLegs(ctx, []calls.Leg{{CallID: "cmw-9", RefCallID: "0", Agent: callmyway.Endpoint{User: "8000001"},
		Number: "+50688887777", Direction: callmyway.DirectionOutbound, Detect: now.Add(2 * time.Second), Connect: now.Add(8 * time.Second),
		Disconnect: now.Add(68 * time.Second), Duration: time.Minute, Cost: decimal.RequireFromString("0.35"), EndReason: "OK"}})

	// The agent's disposition, with a charge posted once.
	_, _ = ledger.Dispose(ctx, "dial:req-1", calls.Disposition{By: "u3", Result: "promise-to-pay",
		Charges: []calls.Charge{{Key: "form-77", Amount: decimal.RequireFromString("2500"), Currency: "CRC"}}})

	c, _ = ledger.Get(ctx, "dial:req-1")
	fmt.Println(c.ID, c.State, c.Outcome, c.Agent, c.Duration, c.Cost, len(c.Charges))
	busy, _ = ledger.HasLiveCall(ctx, agent)
	fmt.Println("agent busy:", busy)
	// Output:
	// dial:req-1 requested
	// agent busy: true
	// cmw-9 ended answered c42
	// cmw-9 ended
	// cmw-9 final answered 5001/8000001 1m0s 0.35 1
	// agent busy: false
}
