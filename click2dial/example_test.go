package click2dial_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
)

func ExampleDialer_Dial() {
	fake := cmwtest.NewServer() // stands in for CallMyWay
	defer fake.Close()
	client, err := fake.NewClient() // in production: callmyway.New(account, password)
	if err != nil {
		log.Fatal(err)
	}
	dialer, err := click2dial.New(client)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	ana := callmyway.Endpoint{ID: "5001", User: "8000001"} // the agent's phone, both names
	res, err := dialer.Dial(ctx, click2dial.Request{
		Agent:  ana,
		Number: "8888-7777",
		Meta:   map[string]string{"contact": "c42", "case": "k7"}, // comes back with the call
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accepted:", res.Number.E164, res.Meta["case"]) // accepted, not yet connected

	// The agent is on that call now: a second dial is refused.
	_, err = dialer.Dial(ctx, click2dial.Request{Agent: ana, Number: "8888-6666"})
	fmt.Println(errors.Is(err, click2dial.ErrCallInProgress))
	// Output:
	// accepted: +50688887777 k7
	// true
}

func ExampleCampaign_Run() {
	fake := cmwtest.NewServer()
	defer fake.Close()
	client, _ := fake.NewClient()
	dialer, _ := click2dial.New(client)
	agents := []callmyway.Endpoint{{ID: "5001", User: "8000001"}, {ID: "5002", User: "8000002"}}
	c, err := click2dial.NewCampaign(dialer, agents, click2dial.WithPace(600))
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.Run(context.Background(), []string{"8888-0001", "not a number"})
	fmt.Println(res[0].Status, res[1].Status, err)
	// Output: dialled skipped <nil>
}
