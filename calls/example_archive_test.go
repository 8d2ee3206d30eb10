package calls_test

import (
	"context"
	"fmt"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// ExampleLedger_Archive archives the calls over for two years: each batch
// is copied to cold storage (here a map; in a CRM, an archive table or
// object store, written idempotently by call id) before it is deleted.
func ExampleLedger_Archive() {
	ctx := context.Background()
	now := time.Date(2028, 3, 2, 15, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store, _ := calls.NewMemoryStore(calls.WithRetention(3*365*24*time.Hour), calls.WithStoreClock(clock))
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	l, _ := calls.New(acct, store, calls.WithClock(clock))

	agent := callmyway.Endpoint{ID: "5001", User: "8000001"}
	for i, at := range []time.Time{now.AddDate(-2, -1, 0), now.AddDate(0, 0, -1)} {
		_, _ = l.ApplyEvent(ctx, calls.Event{CallID: fmt.Sprint("call-", i), Action: calls.ActionEnd, Endpoint: agent,
			Number: "+50688887777", Detect: at, Disconnect: at.Add(time.Minute), ReceivedAt: at.Add(time.Minute)})
	}

	cold := map[string]calls.Call{}
	n, err := l.Archive(ctx, now.AddDate(-2, 0, 0), func(_ context.Context, batch []calls.Call) error {
		for _, c := range batch {
			cold[c.ID] = c // an upsert: a batch may come again
		}
		return nil
	})
	fmt.Println(n, err, len(cold))

	_, err = l.Archive(ctx, now.AddDate(0, 0, -7), nil)
	fmt.Println(err != nil)
	// Output:
	// 1 <nil> 1
	// true
}
