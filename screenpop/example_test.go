package screenpop_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/webhook"
)

func ExampleTracker() {
	dir := screenpop.NewMemoryDirectory() // the CRM implements Directory over its mapping table
	dir.Assign("5001", screenpop.Agent{ID: "ana", Name: "Ana", Endpoint: "8000001"}, time.Time{})
	contacts := screenpop.NewMemoryContacts("CR") // ...and Contacts over its customers
	contacts.Add(screenpop.Contact{ID: "c1", Name: "Carla", Numbers: []string{"8888-1111"}})
	contacts.Add(screenpop.Contact{ID: "c2", Name: "Diego", Numbers: []string{"8888-1111"}})

	broker := screenpop.NewMemoryBroker()
	hub, err := screenpop.NewHub(broker) // serve hub.Handler(identify) at /events
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()
	tracker, err := screenpop.NewTracker(dir, contacts, broker) // pass it to webhook.NewHandler
	if err != nil {
		log.Fatal(err)
	}
	sub, _, _ := hub.Subscribe("ana", 0)

	_ = tracker.HandleEvent(context.Background(), webhook.Event{Action: webhook.CallStart, Call: webhook.Call{
		ID: "42", EndpointID: "5001", Direction: callmyway.DirectionInbound, ANI: "50688881111"}})
	m := <-sub.C
	fmt.Println(m.Type, m.Agent.Name, m.Match.Kind, len(m.Match.Contacts))
	// Output: pop Ana candidates 2
}
