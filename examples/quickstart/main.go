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

	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

func main() {
	ended := make(chan struct{})
	hook, err := webhook.NewHandler(webhook.ListenerFunc(func(ctx context.Context, ev webhook.Event) error {
		fmt.Printf("webhook: %s call %s (%s) endpoint %s, %s -> %s, %v\n",
			ev.Action, ev.Call.ID, ev.Call.Direction, ev.Call.EndpointID, ev.Call.ANI, ev.Call.DNIS, ev.Call.Duration)
		if ev.Action == webhook.CallEnd {
			close(ended)
		}
		return nil
	}), webhook.WithToken("quickstart-secret-token"))
	if err != nil {
		log.Fatal(err)
	}
	crm := httptest.NewServer(hook)
	defer crm.Close()

	fake := cmwtest.NewServer(cmwtest.WithWebhook(crm.URL + "/hook/quickstart-secret-token"))
	defer fake.Close()
	fake.ScriptNext(cmwtest.Script{Ring: 500 * time.Millisecond, Talk: 2 * time.Second})

	client, err := fake.NewClient()
	if err != nil {
		log.Fatal(err)
	}
	dialer, err := click2dial.New(client)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := dialer.Dial(ctx, click2dial.Request{Agent: "8000001", Contact: "8888-7777"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("click2dial: agent %s -> %s accepted (CallMyWay said %q); the outcome comes by webhook\n", res.Agent, res.Contact.E164, res.Raw)
	select {
	case <-ended:
		dialer.Release(res.Agent)
		fmt.Println("call ended; agent free:", !dialer.Busy(res.Agent))
	case <-ctx.Done():
		log.Fatal("no callEnd webhook within 30 s")
	}
}
