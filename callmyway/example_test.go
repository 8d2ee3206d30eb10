package callmyway_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// acct is the account most examples use.
var acct = callmyway.Account{Username: "1234567", Location: time.UTC, Region: "CR"}

func ExampleNew() {
	loc, err := time.LoadLocation("America/Costa_Rica")
	if err != nil {
		log.Fatal(err)
	}
	acct := callmyway.Account{
		Username: "1234567",
		Location: loc,  // provider times carry no zone
		Region:   "CR", // numbers without a country code
	}
	client, err := callmyway.New(acct, "98765432101")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client) // the password is never printed
	// Output: callmyway.Client{username: 1234567, password: REDACTED, cdr: https://callmyway.com, location: America/Costa_Rica, region: CR}
}

func ExampleWithBaseURL() {
	// Point every CallMyWay host at a fake or a proxy.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"IP not allowed"}`, http.StatusForbidden)
	}))
	defer fake.Close()

	client, err := callmyway.New(acct, "98765432101", callmyway.WithBaseURL(fake.URL))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Query(context.Background(), callmyway.HostCDR, callmyway.PathCDR, nil)
	fmt.Println(errors.Is(err, callmyway.ErrIPNotAllowed))
	// Output: true
}

func ExampleWithLogger() {
	// The SDK is silent unless given a logger.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := callmyway.New(acct, "98765432101", callmyway.WithLogger(logger))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleParseTime() {
	loc, _ := time.LoadLocation("America/Costa_Rica")
	t, _ := callmyway.ParseTime("2017-06-01 13:45:09", loc)
	fmt.Println(t.Time().UTC())
	z, _ := callmyway.ParseTime("1970-01-01 00:00:00", loc)
	fmt.Println(z.IsZero())
	// Output:
	// 2017-06-01 19:45:09 +0000 UTC
	// true
}

func ExampleWithQueryLimiter() {
	// Processes that poll one account must share the 4-second spacing; a
	// *rate.Limiter (golang.org/x/time/rate) or any Limiter backed by a
	// shared store will do. Within one process, Clients of an account
	// already share one.
	shared := callmyway.NewQueryLimiter(callmyway.DefaultQueryMargin)
	_, err := callmyway.New(acct, "98765432101", callmyway.WithQueryLimiter(shared))
	fmt.Println(err, shared.Burst())
	// Output: <nil> 1
}

func ExampleWithHostURL() {
	client, _ := callmyway.New(acct, "98765432101",
		callmyway.WithHostURL(callmyway.HostCDR, "https://cdr-proxy.example.com/cmw"))
	fmt.Println(client.BaseURL(callmyway.HostCDR))
	fmt.Println(client.BaseURL(callmyway.HostClickToDial))
	// Output:
	// https://cdr-proxy.example.com/cmw
	// https://www.callmyway.com
}

func ExampleAccount() {
	loc, err := time.LoadLocation("America/Mexico_City")
	if err != nil {
		log.Fatal(err)
	}
	// The account's zone and region are given once, here; every package
	// (webhook, screenpop, cdr stores, cmwtest) takes them from the Account.
	acct := callmyway.Account{Username: "1234567", Location: loc, Region: "MX"}
	t, _ := acct.ParseTime("2026-11-24 09:30:00")
	fmt.Println(acct, t.Time().UTC())
	fmt.Println(callmyway.Account{Username: "1234567"}.Validate())
	// Output:
	// 1234567 (America/Mexico_City, MX) 2026-11-24 15:30:00 +0000 UTC
	// callmyway: Account.Location: nil: set the account's zone, such as America/Costa_Rica (time.UTC if it really is UTC); CallMyWay times carry no zone
}

func ExampleEndpoint() {
	// One phone, two names: webhooks say endpoint_id 5001, click to dial
	// and CDRs say username 8000001.
	ana := callmyway.Endpoint{ID: "5001", User: "8000001"}
	fmt.Println(ana, ana.Has("5001"), ana.Has("8000001"), ana.Same(callmyway.Endpoint{User: "8000001"}))
	// Output: 5001/8000001 true true true
}
