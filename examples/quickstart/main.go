// Command quickstart sends one click-to-dial request to a local stand-in
// for CallMyWay and prints what came back. It needs no account and no
// network.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

func main() {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "OK: call from %s to %s inserted", r.URL.Query().Get("first_num"), r.URL.Query().Get("second_num"))
	}))
	defer fake.Close()

	client, err := callmyway.New("1234567", "98765432101", callmyway.WithBaseURL(fake.URL))
	if err != nil {
		log.Fatal(err)
	}
	contact, err := client.ParseNumber("8888-7777")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := client.Send(ctx, "quickstart", callmyway.HostClickToDial, callmyway.PathClickToDial,
		url.Values{"first_num": {client.Username()}, "second_num": {contact.Digits()}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: dial request accepted, provider said %q\n", client, resp.Body)
}
