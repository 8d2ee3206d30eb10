package calls

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// setup returns a ledger over a fresh memory store and its clock.
func setup(t testing.TB, opts ...Option) (*Ledger, *MemoryStore, *clock) {
	t.Helper()
	clk := newClock()
	st, err := NewMemoryStore(WithStoreClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	l, err := New(testAcct, st, append([]Option{WithClock(clk.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l, st, clk
}

// testAcct is the tests' account: UTC, Costa Rica's numbering plan.
var testAcct = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}

var (
	agent1 = callmyway.Endpoint{ID: "5001", User: "8000001"}
	agent2 = callmyway.Endpoint{ID: "5002", User: "8000002"}
	agent3 = callmyway.Endpoint{ID: "5003", User: "8000003"}
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
