// Command quickstart clicks to dial against cmwtest, the built-in fake
// CallMyWay, and prints the call's events as they arrive by webhook. It
// needs no account and no network.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

func main() {
	fake := cmwtest.NewServer() // stands in for CallMyWay
	defer fake.Close()
	fake.ScriptNext(cmwtest.Script{Ring: 500 * time.Millisecond, Talk: 2 * time.Second})

	// The account (username, zone, region) is configured once, on the
	// Client; everything else takes it from there.
	client, err := fake.NewClient() // in production: callmyway.New(account, password)
	if err != nil {
		log.Fatal(err)
	}
	dialer, err := click2dial.New(client)
	if err != nil {
		log.Fatal(err)
	}

	ended := make(chan struct{})
	printer := webhook.ListenerFunc(func(ctx context.Context, ev webhook.Event) error {
		fmt.Printf("webhook: %s call %s (%s) endpoint %s, %s -> %s, %v\n",
			ev.Action, ev.Call.ID, ev.Call.Direction, ev.Call.Endpoint, ev.Call.ANI, ev.Call.DNIS, ev.Call.Duration)
		if ev.Action == webhook.CallEnd {
			close(ended)
		}
		return nil
	})
	// The dialer listens too: callEnd frees its agent.
	hook, err := webhook.NewHandler(client.Account(), webhook.Listeners(dialer, printer),
		webhook.WithToken("quickstart-secret-token"))
	if err != nil {
		log.Fatal(err)
	}
	crm := httptest.NewServer(hook)
	defer crm.Close()
	fake.SetWebhooks(crm.URL + "/hook/quickstart-secret-token")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := callmyway.Endpoint{ID: "5001", User: "8000001"} // the agent's phone, both names
	res, err := dialer.Dial(ctx, click2dial.Request{Agent: agent, Number: "8888-7777", Meta: map[string]string{"contact": "c42"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("click2dial: agent %s -> %s accepted (CallMyWay said %q); the outcome comes by webhook\n", res.Agent, res.Number.E164, res.Raw)
	select {
	case <-ended:
		fmt.Println("call ended; agent free:", !dialer.Busy(agent))
	case <-ctx.Done():
		log.Fatal("no callEnd webhook within 30 s")
	}
}
