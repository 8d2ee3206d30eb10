package webhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/webhook"
)

func ExampleNewHandler() {
	loc, _ := time.LoadLocation("America/Costa_Rica")
	// The account's zone and region, given once; with a callmyway.Client
	// at hand, pass client.Account() instead.
	acct := callmyway.Account{Username: "8000001", Location: loc, Region: "CR"}
	h, err := webhook.NewHandler(acct, webhook.ListenerFunc(func(ctx context.Context, ev webhook.Event) error {
		fmt.Println(ev.Action, ev.Call.ID, ev.Call.Direction, ev.Call.ANI)
		return nil // returning an error makes the handler answer 500
	}),
		webhook.WithToken("a-long-random-secret-token"), // CallMyWay posts to .../hook/a-long-random-secret-token
		webhook.WithMaxInFlight(128),                    // at most 128 processed at once; a burst beyond waits, never refused
	)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /cmw/hook/", h)

	body := `{"action":"callStart","data":{"callid":"42","endpoint_id":"5001","ani":"50688887777","dnis":"8000001","detect_time":"2017-06-01 13:45:09","type":"in"}}`
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("POST", "/cmw/hook/a-long-random-secret-token", strings.NewReader(body)))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// callStart 42 in 50688887777
	// 200 {"ack":"ok"}
}

func ExampleParse() {
	// The single-quoted form printed in CallMyWay's documentation.
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ev, err := webhook.Parse(acct, []byte(`{'action': 'callEnd', 'data': {'callid': '7', 'duration': '65', 'cost': '0.09', 'type': 'out'}}`))
	fmt.Println(ev.Action, ev.Call.Duration, ev.Call.Cost, err)
	// Output: callEnd 1m5s 0.09 <nil>
}
