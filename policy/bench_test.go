package policy_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/sqlitestore"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/internal/testclock"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/policy"
)

// benchLimits are a typical collections policy.
var benchLimits = policy.Limits{MaxAttempts: 3, Window: 24 * time.Hour, Cooldown: 4 * time.Hour,
	Hours: policy.Hours{Start: 8 * time.Hour, End: 20 * time.Hour}}

// benchLedger returns a ledger over store kind ("memory" or "sqlite")
// holding 5,000 calls of 1,000 cases over the last day (5 per case), and
// the clock both it and a policy read.
func benchLedger(b *testing.B, kind string) (*calls.Ledger, *clock) {
	b.Helper()
	clk := testclock.New(t0)
	var st calls.Store
	switch kind {
	case "memory":
		s, err := calls.NewMemoryStore(calls.WithStoreClock(clk.Now))
		if err != nil {
			b.Fatal(err)
		}
		st = s
	case "sqlite":
		s, err := sqlitestore.Open(b.Context(), b.TempDir()+"/ledger.db")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		st = s
	}
	l, err := calls.New(acct, st, calls.WithClock(clk.Now))
	if err != nil {
		b.Fatal(err)
	}
	var legs []calls.Leg
	for i := range 5000 {
		at := t0.Add(-time.Duration(i) * 17 * time.Second)
		num := fmt.Sprintf("+5068800%04d", i%1000)
		if _, err := l.RecordDial(b.Context(), calls.Dial{Ref: fmt.Sprintf("b%d", i), Agent: agent, Number: num, At: at,
			Meta: map[string]string{"case": fmt.Sprintf("k%d", i%1000)}}); err != nil {
			b.Fatal(err)
		}
		legs = append(legs, calls.Leg{CallID: fmt.Sprintf("L%d", i), Agent: agent, Number: num, Detect: at.Add(time.Second),
			Disconnect: at.Add(30 * time.Second), EndReason: "NO_ANSWER"})
	}
	if err := l.ApplyLegs(b.Context(), legs); err != nil {
		b.Fatal(err)
	}
	return l, clk
}

// BenchmarkPolicyCheck: the policy's decision for one customer (its
// history read from the ledger, every rule applied, the zone of the
// number), without recording it.
func BenchmarkPolicyCheck(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite"} {
		b.Run(kind, func(b *testing.B) {
			l, clk := benchLedger(b, kind)
			p, err := policy.New(acct, l, benchLimits, policy.WithClock(clk.Now))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				d, err := p.Check(b.Context(), policy.Subject{Case: fmt.Sprintf("k%d", i%1000), Number: fmt.Sprintf("+5068800%04d", i%1000)})
				if err != nil || d.Attempts != 5 {
					b.Fatal(d, err)
				}
			}
		})
	}
}

// BenchmarkPolicyCheckBaseline: the bare ledger query the check is built
// on, counting one case's calls in the window.
func BenchmarkPolicyCheckBaseline(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite"} {
		b.Run(kind, func(b *testing.B) {
			l, _ := benchLedger(b, kind)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				n := 0
				for _, err := range l.Calls(b.Context(), calls.Query{Case: fmt.Sprintf("k%d", i%1000), From: t0.Add(-benchLimits.Window)}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 5 {
					b.Fatal(n)
				}
			}
		})
	}
}

// BenchmarkPolicyAdmit: a dial's admission, recorded atomically under the
// customer's lock (history read, rules, the pending dial written).
func BenchmarkPolicyAdmit(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite"} {
		b.Run(kind, func(b *testing.B) {
			l, clk := benchLedger(b, kind)
			p, err := policy.New(acct, l, policy.Limits{MaxAttempts: 1 << 30, Window: time.Hour}, policy.WithClock(clk.Now))
			if err != nil {
				b.Fatal(err)
			}
			nums := make([]number.Number, 1000)
			for i := range nums {
				nums[i], _ = number.Parse(fmt.Sprintf("+5068800%04d", i), "")
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				a := click2dial.Attempt{Ref: fmt.Sprintf("a%d", i), Agent: agent, Number: nums[i%1000], Meta: map[string]string{"case": fmt.Sprintf("k%d", i%1000)}}
				if err := p.Admit(b.Context(), a); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPolicyAdmitBaseline: recording an accepted dial without a
// policy (calls.Ledger.RecordDial), what every dial costs anyway.
func BenchmarkPolicyAdmitBaseline(b *testing.B) {
	for _, kind := range []string{"memory", "sqlite"} {
		b.Run(kind, func(b *testing.B) {
			l, clk := benchLedger(b, kind)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := l.RecordDial(b.Context(), calls.Dial{Ref: fmt.Sprintf("a%d", i), Agent: agent, Number: fmt.Sprintf("+5068800%04d", i%1000), At: clk.Now(),
					Meta: map[string]string{"case": fmt.Sprintf("k%d", i%1000)}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
