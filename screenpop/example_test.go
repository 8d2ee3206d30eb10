package screenpop_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/webhook"
)

func ExampleTracker() {
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"} // in production: client.Account()
	dir := screenpop.NewMemoryDirectory()                                            // the CRM implements Directory over its mapping table
	ana := screenpop.Agent{ID: "ana", Name: "Ana", Endpoint: callmyway.Endpoint{ID: "5001", User: "8000001"}}
	if err := dir.Assign(ana, time.Time{}); err != nil {
		log.Fatal(err)
	}
	contacts := screenpop.NewMemoryContacts(acct) // ...and Contacts over its customers
	contacts.Add(screenpop.Contact{ID: "c1", Name: "Carla", Numbers: []string{"8888-1111"}})
	contacts.Add(screenpop.Contact{ID: "c2", Name: "Diego", Numbers: []string{"8888-1111"}})

	broker := screenpop.NewMemoryBroker()
	hub, err := screenpop.NewHub(broker) // serve hub.Handler(identify) at /events
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
	tracker, err := screenpop.NewTracker(acct, dir, contacts, broker)
	if err != nil {
		log.Fatal(err)
	}
	// The ledger owns the call's state; the tracker pops on its changes.
	store, _ := calls.NewMemoryStore()
	ledger, err := calls.New(acct, store, calls.WithOnChange(tracker.OnChange)) // pass ledger to webhook.NewHandler
	if err != nil {
		log.Fatal(err)
	}
	sub, _, _ := hub.Subscribe("ana", 0)

	_ = ledger.HandleEvent(context.Background(), webhook.Event{Action: webhook.CallStart, Call: webhook.Call{
		ID: "42", Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound, ANI: "50688881111",
		DetectTime: callmyway.NewTime(time.Now())}})
	m := <-sub.C
	fmt.Println(m.Type, m.Agent.Name, m.Call.State, m.Match.Kind, len(m.Match.Contacts))
	// Output: pop Ana ringing candidates 2
}

func ExampleWithMaxStreamsPerAgent() {
	broker := screenpop.NewMemoryBroker()
	hub, err := screenpop.NewHub(broker, screenpop.WithMaxStreamsPerAgent(2))
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
	first, _, _ := hub.Subscribe("ana", 0)
	_, _, _ = hub.Subscribe("ana", 0)
	_, _, _ = hub.Subscribe("ana", 0) // a third tab, or a reload: the oldest stream gives way
	_, open := <-first.C
	fmt.Println(hub.Subscribers("ana"), open, first.Superseded())
	// Output: 2 false true
}
