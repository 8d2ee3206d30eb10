package calls_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

// The ledger wired to its three sources: the webhook handler, click to
// dial and the CDR Syncer. (cmwtest stands in for CallMyWay.)
func Example_wiring() {
	ctx := context.Background()
	fake := cmwtest.NewServer()
	defer fake.Close()
	fake.ScriptNext(cmwtest.Script{Ring: 50 * time.Millisecond, Talk: 100 * time.Millisecond})
	client, err := fake.NewClient() // in production: callmyway.New(account, password)
	if err != nil {
		log.Fatal(err)
	}

	store, _ := calls.NewMemoryStore() // or calls/sqlitestore, calls/pgstore
	ledger, err := calls.New(client.Account(), store)
	if err != nil {
		log.Fatal(err)
	}
	// 1. Call events: the handler acks only what the ledger stored.
	hook, _ := webhook.NewHandler(client.Account(), ledger, webhook.WithToken("a-long-random-webhook-token"))
	crm := httptest.NewServer(hook)
	defer crm.Close()
	fake.SetWebhooks(crm.URL + "/a-long-random-webhook-token")
	// 2. Dials: recorded with their metadata; the one-call guard reads the ledger.
	dialer, _ := click2dial.New(client, click2dial.WithLiveCalls(ledger), click2dial.WithOnAccepted(ledger.RecordAccepted))
	// 3. CDRs: every page the Syncer commits reconciles the ledger.
	syncer, _ := cdr.NewSyncer(client, cdr.NewMemoryStore(), cdr.OnCommit(ledger.ReconcileCDRs))

	ana := callmyway.Endpoint{ID: "5001", User: "8000001"}
	res, err := dialer.Dial(ctx, click2dial.Request{Agent: ana, Number: "8888-7777", Meta: map[string]string{"contact": "c42"}})
	if err != nil {
		log.Fatal(err)
	}
	for live := true; live; live, _ = ledger.HasLiveCall(ctx, ana) {
		time.Sleep(50 * time.Millisecond) // the call rings, connects and ends
	}
	if _, err := syncer.SyncOnce(ctx); err != nil {
		log.Fatal(err)
	}
	for c, err := range ledger.Calls(ctx, calls.Query{Contact: "c42", From: res.At.Add(-time.Minute), To: time.Now()}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(c.State, c.Outcome, c.Direction, c.Number, c.Contact, c.DialRef == res.Ref, c.WebhookMissed())
	}
	// Output: final answered out +50688887777 c42 true false
}
