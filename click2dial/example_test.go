package click2dial_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
)

func ExampleDialer_Dial() {
	fake := cmwtest.NewServer() // stands in for CallMyWay
	defer fake.Close()
	client, err := fake.NewClient() // in production: callmyway.New(username, password, ...)
	if err != nil {
		log.Fatal(err)
	}
	dialer, err := click2dial.New(client)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	res, err := dialer.Dial(ctx, click2dial.Request{Agent: "8000001", Contact: "8888-7777"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("accepted:", res.Contact.E164) // accepted, not yet connected

	// The agent is on that call now: a second dial is refused.
	_, err = dialer.Dial(ctx, click2dial.Request{Agent: "8000001", Contact: "8888-6666"})
	fmt.Println(errors.Is(err, click2dial.ErrCallInProgress))
	// Output:
	// accepted: +50688887777
	// true
}

func ExampleCampaign_Run() {
	fake := cmwtest.NewServer()
	defer fake.Close()
	client, _ := fake.NewClient()
	dialer, _ := click2dial.New(client)
	c := &click2dial.Campaign{Dialer: dialer, Agents: []string{"8000001", "8000002"}, PerMinute: 600}
	res, err := c.Run(context.Background(), []string{"8888-0001", "not a number"})
	fmt.Println(res[0].Status, res[1].Status, err)
	// Output: dialled skipped <nil>
}
