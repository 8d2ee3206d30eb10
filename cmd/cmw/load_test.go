package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var d []time.Duration
		for _, x := range n {
			d = append(d, time.Duration(x)*time.Millisecond)
		}
		return d
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tt := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 99, 7 * time.Millisecond},
		{"p50 of two", ms(1, 2), 50, time.Millisecond},
		{"p51 of two", ms(1, 2), 51, 2 * time.Millisecond},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 100", hundred, 100, 100 * time.Millisecond},
		{"p99 of 10", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"tiny p", ms(3, 4), 0.001, 3 * time.Millisecond},
	} {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: percentile(p%g) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestLatencies(t *testing.T) {
	d := []time.Duration{3 * time.Millisecond, 1500 * time.Microsecond, time.Millisecond, 10 * time.Millisecond}
	got := latencies(d) // sorts d
	want := latencyReport{P50: 1.5, P90: 10, P99: 10, Max: 10}
	if got != want {
		t.Errorf("latencies = %+v, want %+v", got, want)
	}
	if (latencies(nil) != latencyReport{}) {
		t.Error("latencies(nil) is not zero")
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tcrm\nVmPeak:\t 2000 kB\nVmRSS:\t   51200 kB\nThreads:\t9\n"
	if got, err := parseVmRSS([]byte(status)); err != nil || got != 50<<20 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 50<<20)
	}
	for _, bad := range []string{"", "Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("parseVmRSS(%q): no error", bad)
		}
	}
}

// events drains g, returning each event's action and callid.
func events(t *testing.T, g *callGenerator) (actions, ids []string) {
	t.Helper()
	for {
		b, ok := g.next(time.Now())
		if !ok {
			return actions, ids
		}
		var ev struct {
			Action string `json:"action"`
			Data   struct {
				CallID string `json:"callid"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("event %s: %v", b, err)
		}
		actions, ids = append(actions, ev.Action), append(ids, ev.Data.CallID)
	}
}

func TestCallGenerator(t *testing.T) {
	eps := []loadEndpoint{{"5001", "8000001"}}
	for _, tt := range []struct {
		count, window, want int
	}{
		{10, 4, 10}, {5, 4, 4}, {2, 1, 2}, {100, 1, 100}, {6, 50, 6},
	} {
		g := newCallGenerator(tt.count, tt.window, eps, "3001", time.UTC)
		actions, ids := events(t, g)
		if len(actions) != tt.want {
			t.Errorf("count %d window %d: %d events, want %d", tt.count, tt.window, len(actions), tt.want)
		}
		// Every call starts once, then ends once; at most window are open.
		open := map[string]bool{}
		ended := map[string]bool{}
		for i, a := range actions {
			id := ids[i]
			switch {
			case a == "callStart" && !open[id] && !ended[id]:
				open[id] = true
				if len(open) > tt.window {
					t.Errorf("count %d window %d: %d calls open", tt.count, tt.window, len(open))
				}
			case a == "callEnd" && open[id]:
				delete(open, id)
				ended[id] = true
			default:
				t.Fatalf("count %d window %d: event %d %s %s out of order", tt.count, tt.window, i, a, id)
			}
		}
		if len(open) != 0 {
			t.Errorf("count %d window %d: calls left open: %v", tt.count, tt.window, open)
		}
	}

	// Unbounded by count: close ends the open calls, then stops.
	g := newCallGenerator(0, 3, eps, "3001", time.UTC)
	for range 7 {
		g.next(time.Now())
	}
	g.close()
	actions, _ := events(t, g)
	if strings.Join(actions, " ") != "callEnd callEnd callEnd" {
		t.Errorf("after close: %v, want the 3 open calls ended", actions)
	}
}

func TestCheckLoadURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080/cmw/hook/x", "http://localhost/x", "https://[::1]:9/", "http://127.1.2.3/"} {
		if _, err := checkLoadURL(ok, false); err != nil {
			t.Errorf("checkLoadURL(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "ftp://127.0.0.1/", "127.0.0.1:8080", "http://10.0.0.1/", "http://crm.example/hook", "http://0.0.0.0/"} {
		_, err := checkLoadURL(bad, false)
		if _, usage := err.(usageError); !usage {
			t.Errorf("checkLoadURL(%q) = %v, want a usage error", bad, err)
		}
	}
	if _, err := checkLoadURL("http://crm.example/hook", true); err != nil {
		t.Errorf("-allow-remote: %v", err)
	}
}

func TestRedactHookURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/cmw/hook/demo-0123456789abcdef": "http://127.0.0.1:8080/cmw/hook/REDACTED",
		"http://127.0.0.1:8080/hook?token=s3cr3t":              "http://127.0.0.1:8080/hook?token=REDACTED",
		"http://u:p@127.0.0.1/short":                           "http://127.0.0.1/short",
	} {
		u, _ := url.Parse(in)
		if got := redactHookURL(u); got != want {
			t.Errorf("redactHookURL(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestRunLoad runs a load against a receiver that acks some events and
// refuses others in each way, and checks the counts of the report.
func TestRunLoad(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Webhook-Token") != "tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch n.Add(1) % 5 {
		case 1:
			http.Error(w, `{"error":"busy"}`, http.StatusServiceUnavailable)
		case 2:
			w.Write([]byte(`OK`)) // a 200 that is not an ack
		default:
			w.Write([]byte(`{"ack":"ok"}`))
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/hook")
	cfg := loadConfig{url: u, token: "tok", concurrency: 4, timeout: 5 * time.Second, keepAlive: true,
		gen: newCallGenerator(100, 4, []loadEndpoint{{"5001", "8000001"}}, "3001", time.UTC)}
	rep := runLoad(context.Background(), cfg, nil, 0, nil)

	if rep.Sent != 100 || rep.Calls != 50 {
		t.Errorf("sent %d events of %d calls, want 100 of 50", rep.Sent, rep.Calls)
	}
	if rep.Acked != 60 || rep.NonAcks.Total != 40 {
		t.Errorf("acked %d, non-acks %d; want 60 and 40", rep.Acked, rep.NonAcks.Total)
	}
	if got := rep.NonAcks.ByStatus; got["503"] != 20 || got["200"] != 20 || len(got) != 2 {
		t.Errorf("non-acks by status %v, want 20 × 503 and 20 × 200", got)
	}
	if rep.Latency.Max <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
		t.Errorf("latency %+v not ordered", rep.Latency)
	}
	var text bytes.Buffer
	rep.writeText(&text)
	for _, want := range []string{"sent        100 events (50 calls)", "acked       60", "non-acks    40 (HTTP 200: 20, HTTP 503: 20)", "ack latency p50 "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}

	// A wrong token: every event is a 401, none acked, no latency line.
	cfg.token = "wrong"
	cfg.gen = newCallGenerator(10, 2, []loadEndpoint{{"5001", "8000001"}}, "3001", time.UTC)
	rep = runLoad(context.Background(), cfg, nil, 0, nil)
	if rep.Acked != 0 || rep.NonAcks.ByStatus["401"] != 10 {
		t.Errorf("wrong token: acked %d, by status %v", rep.Acked, rep.NonAcks.ByStatus)
	}
	text.Reset()
	rep.writeText(&text)
	if strings.Contains(text.String(), "ack latency") {
		t.Errorf("latency printed with no ack:\n%s", text.String())
	}

	// Cancelled before it starts: nothing sent, the report says so.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg.gen = newCallGenerator(10, 2, []loadEndpoint{{"5001", "8000001"}}, "3001", time.UTC)
	if rep = runLoad(ctx, cfg, nil, 0, nil); !rep.Interrupted || rep.Sent != 0 {
		t.Errorf("cancelled: interrupted %v, sent %d", rep.Interrupted, rep.Sent)
	}
}

// TestLoadReportEscapesErrors: the last error comes from the CRM under
// load; printed for a person, it cannot drive the terminal or forge a line.
func TestLoadReportEscapesErrors(t *testing.T) {
	r := &loadReport{URL: "http://crm/hook", LastError: "HTTP 500: \x1b[2J\nforged: ok"}
	var b strings.Builder
	r.writeText(&b)
	out := b.String()
	if !strings.Contains(out, `last error  HTTP 500: \x1b[2J\nforged: ok`) || strings.Contains(out, "\x1b") || strings.Contains(out, "\nforged") {
		t.Fatalf("last error not escaped:\n%s", out)
	}
}
