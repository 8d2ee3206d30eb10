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

func ExampleNew() {
	loc, err := time.LoadLocation("America/Costa_Rica")
	if err != nil {
		log.Fatal(err)
	}
	client, err := callmyway.New("1234567", "98765432101",
		callmyway.WithLocation(loc),       // provider times carry no zone
		callmyway.WithDefaultRegion("CR"), // numbers without a country code
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client) // the password is never printed
	// Output: callmyway.Client{username: 1234567, password: REDACTED, cdr: https://callmyway.com, location: America/Costa_Rica}
}

func ExampleWithBaseURL() {
	// Point every CallMyWay host at a fake or a proxy.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"IP not allowed"}`, http.StatusForbidden)
	}))
	defer fake.Close()

	client, err := callmyway.New("1234567", "98765432101", callmyway.WithBaseURL(fake.URL))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Query(context.Background(), "example", callmyway.HostCDR, callmyway.PathCDR, nil)
	fmt.Println(errors.Is(err, callmyway.ErrIPNotAllowed))
	// Output: true
}

func ExampleWithLogger() {
	// The SDK is silent unless given a logger.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := callmyway.New("1234567", "98765432101", callmyway.WithLogger(logger))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleParseNumber() {
	n, err := callmyway.ParseNumber("8888-7777", "CR")
	fmt.Println(n.E164, err)
	w, _ := callmyway.ParseNumber("anonymous", "CR")
	fmt.Println(w.Withheld)
	_, err = callmyway.ParseNumber("12", "CR")
	fmt.Println(errors.Is(err, callmyway.ErrInvalidNumber))
	// Output:
	// +50688887777 <nil>
	// true
	// true
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
	_, err := callmyway.New("1234567", "98765432101", callmyway.WithQueryLimiter(shared))
	fmt.Println(err, shared.Burst())
	// Output: <nil> 1
}

func ExampleWithHostURL() {
	client, _ := callmyway.New("1234567", "98765432101",
		callmyway.WithHostURL(callmyway.HostCDR, "https://cdr-proxy.example.com/cmw"))
	fmt.Println(client.BaseURL(callmyway.HostCDR))
	fmt.Println(client.BaseURL(callmyway.HostClickToDial))
	// Output:
	// https://cdr-proxy.example.com/cmw
	// https://www.callmyway.com
}
