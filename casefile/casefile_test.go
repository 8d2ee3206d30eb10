package casefile_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/internal/testclock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable clock shared by a ledger and what reads it.
type clock = testclock.Clock

var (
	acct  = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	phone = callmyway.Endpoint{ID: "5001", User: "8000001"}
	t0    = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
)

func setup(t testing.TB) (*calls.Ledger, *clock) {
	t.Helper()
	clk := testclock.New(t0)
	st, err := calls.NewMemoryStore(calls.WithStoreClock(clk.Now))
	require.NoError(t, err)
	l, err := calls.New(acct, st, calls.WithClock(clk.Now))
	require.NoError(t, err)
	return l, clk
}

// call applies an ended call: inbound or outbound, connected or not.
func call(t testing.TB, l *calls.Ledger, id string, dir callmyway.Direction, num string, at time.Time, connected bool) {
	t.Helper()
	e := calls.Event{CallID: id, Action: calls.ActionEnd, Endpoint: phone, Direction: dir, Number: num,
		Detect: at, Disconnect: at.Add(time.Minute)}
	if connected {
		e.Connect = at.Add(10 * time.Second)
		e.Duration = 50 * time.Second
	}
	_, err := l.ApplyEvent(t.Context(), e)
	require.NoError(t, err)
}

type owners map[string]casefile.Owner

func (o owners) Owner(_ context.Context, c casefile.Caller) (casefile.Owner, error) {
	return o[c.Case], nil
}

func TestCallbacks(t *testing.T) {
	l, clk := setup(t)
	ctx := t.Context()
	cb, err := casefile.NewCallbacks(l, 2*time.Hour, casefile.WithClock(clk.Now), casefile.WithOwners(owners{"k1": {Agent: "ana"}}))
	require.NoError(t, err)
	in, out := callmyway.DirectionInbound, callmyway.DirectionOutbound

	// A known customer (the agent linked the miss to case k1) called
	// twice; an unknown number once; a withheld caller once; a customer
	// who called, then was reached.
	call(t, l, "m1", in, "+50688881111", t0, false)
	_, err = l.Dispose(ctx, "m1", calls.Disposition{By: "ana", Case: "k1", Contact: "p1", Notes: "missed"})
	require.NoError(t, err)
	call(t, l, "m2", in, "+50688881111", t0.Add(30*time.Minute), false)
	call(t, l, "m3", in, "+50688882222", t0.Add(10*time.Minute), false)
	call(t, l, "m4", in, "", t0.Add(10*time.Minute), false)
	call(t, l, "m5", in, "+50688883333", t0, false)
	call(t, l, "o5", out, "+50688883333", t0.Add(20*time.Minute), true)
	// A connected call before the miss does not close it.
	call(t, l, "o6", out, "+50688882222", t0.Add(-time.Hour), true)

	clk.Set(t0.Add(2*time.Hour + 5*time.Minute))
	open, err := cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	require.Len(t, open, 2)
	k1, unknown := open[0], open[1]
	assert.Equal(t, "+50688881111", k1.Number)
	assert.Equal(t, []string{"m1", "m2"}, k1.Missed, "de-duplicated by caller")
	assert.Equal(t, "k1", k1.Case)
	assert.Equal(t, "p1", k1.Contact)
	assert.Equal(t, t0.Add(2*time.Hour), k1.Due)
	assert.True(t, k1.Overdue)
	assert.Equal(t, casefile.Owner{Agent: "ana"}, k1.Owner)
	assert.Equal(t, "+50688882222", unknown.Number)
	assert.False(t, unknown.Overdue)
	assert.Equal(t, casefile.Owner{Queue: casefile.DefaultQueue}, unknown.Owner)

	got, err := cb.Open(ctx, casefile.CallbackQuery{Agent: "ana"})
	require.NoError(t, err)
	assert.Len(t, got, 1)
	got, err = cb.Open(ctx, casefile.CallbackQuery{OverdueOnly: true})
	require.NoError(t, err)
	assert.Len(t, got, 1)

	req := k1.Request(phone)
	assert.Equal(t, "k1", req.Meta["case"])
	assert.Equal(t, k1.ID, req.Meta["callback"])

	// Returning the call closes the callback by itself.
	call(t, l, "o7", out, "+50688881111", t0.Add(2*time.Hour), true)
	// Dismissing closes the other one; a new miss after it reopens.
	require.Error(t, cb.Dismiss(ctx, unknown, "ana", " "), "a reason is required")
	require.NoError(t, cb.Dismiss(ctx, unknown, "ana", "wrong number"))
	open, err = cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	assert.Empty(t, open)
	call(t, l, "m8", in, "+50688882222", t0.Add(3*time.Hour), false)
	open, err = cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	require.Len(t, open, 1)
	assert.Equal(t, []string{"m8"}, open[0].Missed)
	assert.Equal(t, t0.Add(5*time.Hour), open[0].Due)
}

// TestCallbacksModel: for random histories applied in random orders, the
// open callbacks are those of a simple model: per number, the misses
// after its last connected call.
func TestCallbacksModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 42))
	for round := range 30 {
		l, clk := setup(t)
		cb, err := casefile.NewCallbacks(l, time.Hour, casefile.WithClock(clk.Now))
		require.NoError(t, err)
		type ev struct {
			id        string
			dir       callmyway.Direction
			num       string
			at        time.Time
			connected bool
		}
		var evs []ev
		for i := range 40 {
			num := fmt.Sprintf("+5068888%04d", r.IntN(5))
			dir := callmyway.DirectionInbound
			if r.IntN(3) == 0 {
				dir = callmyway.DirectionOutbound
			}
			evs = append(evs, ev{fmt.Sprintf("c%d", i), dir, num, t0.Add(time.Duration(r.IntN(600)) * time.Minute), r.IntN(3) == 0})
		}
		// The model.
		want := map[string][]string{}
		for _, num := range []string{"+50688880000", "+50688880001", "+50688880002", "+50688880003", "+50688880004"} {
			var last time.Time
			for _, e := range evs {
				if e.num == num && e.connected && e.at.Add(10*time.Second).After(last) {
					last = e.at.Add(10 * time.Second)
				}
			}
			var ms []ev
			for _, e := range evs {
				if e.num == num && !e.connected && e.dir == callmyway.DirectionInbound && e.at.After(last) {
					ms = append(ms, e)
				}
			}
			slices.SortFunc(ms, func(a, b ev) int { return cmp(a.at, b.at, a.id, b.id) })
			for _, m := range ms {
				want[num] = append(want[num], m.id)
			}
		}
		r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		for _, e := range evs {
			call(t, l, e.id, e.dir, e.num, e.at, e.connected)
		}
		clk.Set(t0.Add(24 * time.Hour))
		open, err := cb.Open(t.Context(), casefile.CallbackQuery{})
		require.NoError(t, err)
		got := map[string][]string{}
		for _, c := range open {
			got[c.Number] = c.Missed
		}
		require.Equal(t, want, got, "round %d", round)
		// Read by number through the index, each number's callback is
		// the same.
		for num, missed := range want {
			one, err := cb.Open(t.Context(), casefile.CallbackQuery{Numbers: []string{num, "+50699990000"}})
			require.NoError(t, err)
			require.Len(t, one, 1, "round %d", round)
			require.Equal(t, missed, one[0].Missed, "round %d", round)
		}
	}
}

// rowCounter is a calls.Store that counts the records its scans yield.
type rowCounter struct {
	calls.Store
	rows atomic.Int64
}

func (s *rowCounter) Scan(ctx context.Context, f calls.Filter) iter.Seq2[calls.Record, error] {
	return func(yield func(calls.Record, error) bool) {
		for r, err := range s.Store.Scan(ctx, f) {
			s.rows.Add(1)
			if !yield(r, err) {
				return
			}
		}
	}
}

// Open by case or by number reads that customer's calls through the
// ledger's indexes, not every call of the horizon, and finds the same
// callbacks as a full read: a miss linked to a case is closed by a
// connected call of that case from another number.
func TestCallbacksByCaseAndNumberReadTheirCallsOnly(t *testing.T) {
	clk := testclock.New(t0)
	mem, err := calls.NewMemoryStore(calls.WithStoreClock(clk.Now))
	require.NoError(t, err)
	st := &rowCounter{Store: mem}
	l, err := calls.New(acct, st, calls.WithClock(clk.Now))
	require.NoError(t, err)
	ctx := t.Context()
	cb, err := casefile.NewCallbacks(l, time.Hour, casefile.WithClock(clk.Now))
	require.NoError(t, err)
	in, out := callmyway.DirectionInbound, callmyway.DirectionOutbound

	// Case k1: a miss from its number A and one from its number B
	// (linked by dispositions), closed by a later connected call of the
	// case from number C; then a new miss from A, still open. Case k2: a miss from D, still open, and an
	// unlinked miss from E.
	call(t, l, "a1", in, "+50688880001", t0, false)
	_, err = l.Dispose(ctx, "a1", calls.Disposition{By: "ana", Case: "k1", Contact: "p1", Notes: "n"})
	require.NoError(t, err)
	call(t, l, "b1", in, "+50688880002", t0.Add(time.Minute), false)
	_, err = l.Dispose(ctx, "b1", calls.Disposition{By: "ana", Case: "k1", Notes: "n"})
	require.NoError(t, err)
	call(t, l, "a2", in, "+50688880001", t0.Add(3*time.Minute), false)
	_, err = l.Dispose(ctx, "a2", calls.Disposition{By: "ana", Case: "k1", Notes: "n"})
	require.NoError(t, err)
	call(t, l, "c1", out, "+50688880003", t0.Add(2*time.Minute), true)
	_, err = l.Dispose(ctx, "c1", calls.Disposition{By: "ana", Case: "k1", Notes: "n"})
	require.NoError(t, err)
	call(t, l, "d1", in, "+50688880004", t0.Add(4*time.Minute), false)
	_, err = l.Dispose(ctx, "d1", calls.Disposition{By: "ana", Case: "k2", Notes: "n"})
	require.NoError(t, err)
	call(t, l, "e1", in, "+50688880005", t0.Add(5*time.Minute), false)
	// Everyone else's traffic: 300 calls of other numbers.
	for i := range 300 {
		call(t, l, fmt.Sprintf("x%d", i), in, fmt.Sprintf("+5067000%04d", i), t0.Add(time.Duration(i)*time.Second), i%2 == 0)
	}
	clk.Set(t0.Add(2 * time.Hour))

	all, err := cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	byNum := map[string]casefile.Callback{}
	for _, c := range all {
		byNum[c.Number] = c
	}
	for _, tc := range []struct {
		q    casefile.CallbackQuery
		want []string // numbers
	}{
		{casefile.CallbackQuery{Case: "k1"}, []string{"+50688880001"}},
		{casefile.CallbackQuery{Case: "k2"}, []string{"+50688880004"}},
		{casefile.CallbackQuery{Numbers: []string{"+50688880002", "+50688880005"}}, []string{"+50688880005"}},
		{casefile.CallbackQuery{Case: "k1", Numbers: []string{"+50688880005"}}, []string{"+50688880001", "+50688880005"}},
		{casefile.CallbackQuery{Case: "k1", Numbers: []string{"+50688880005"}, Limit: 1}, []string{"+50688880001"}},
	} {
		st.rows.Store(0)
		got, err := cb.Open(ctx, tc.q)
		require.NoError(t, err)
		var nums []string
		for _, c := range got {
			nums = append(nums, c.Number)
			assert.Equal(t, byNum[c.Number], c, "%+v: as a full read finds it", tc.q)
		}
		assert.Equal(t, tc.want, nums, "%+v", tc.q)
		assert.LessOrEqual(t, st.rows.Load(), int64(12), "%+v: the case's and numbers' calls, not the other 300", tc.q)
	}
	assert.Equal(t, []string{"a2"}, byNum["+50688880001"].Missed, "a1 closed by the case's connected call from another number")
	assert.NotContains(t, byNum, "+50688880002")
	st.rows.Store(0)
	_, err = cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	assert.Greater(t, st.rows.Load(), int64(300), "a query without case or numbers reads the horizon")

	_, err = cb.Open(ctx, casefile.CallbackQuery{Limit: -1})
	require.ErrorIs(t, err, calls.ErrInvalid)
}

func cmp(a, b time.Time, ida, idb string) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	return strings.Compare(ida, idb)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestCostsAndCSV(t *testing.T) {
	l, _ := setup(t)
	ctx := t.Context()
	// Two campaign calls on case k1 (one reconciled with its CDR), one
	// manual call on case =evil, one call with no case.
	for i, d := range []calls.Dial{
		{Ref: "a", Agent: phone, Number: "+50688881111", At: t0, Meta: map[string]string{"case": "k1", "campaign": "nov"}},
		{Ref: "b", Agent: phone, Number: "+50688881111", At: t0.Add(time.Hour), Meta: map[string]string{"case": "k1", "campaign": "nov"}},
		{Ref: "c", Agent: phone, Number: "+50688882222", At: t0, Meta: map[string]string{"case": "=HYPERLINK(\"x\")"}},
		{Ref: "d", Agent: phone, Number: "+50688883333", At: t0},
	} {
		_, err := l.RecordDial(ctx, d)
		require.NoError(t, err)
		id := fmt.Sprintf("call%d", i)
		_, err = l.ApplyEvent(ctx, calls.Event{CallID: id, Action: calls.ActionEnd, Endpoint: phone, Direction: callmyway.DirectionOutbound,
			Number: d.Number, Detect: d.At, Connect: d.At.Add(5 * time.Second), Disconnect: d.At.Add(65 * time.Second),
			Duration: time.Minute, Cost: dec("0.10")})
		require.NoError(t, err)
	}
	require.NoError(t, l.ApplyLegs(ctx, []calls.Leg{{CallID: "call0", Agent: phone, Number: "+50688881111", Direction: callmyway.DirectionOutbound,
		Detect: t0, Connect: t0.Add(5 * time.Second), Disconnect: t0.Add(65 * time.Second), Duration: time.Minute, Cost: dec("0.125"), EndReason: "OK"}}))
	_, err := l.Dispose(ctx, "call0", calls.Disposition{By: "ana", Result: "promise", Charges: []calls.Charge{
		{Key: "f1", Amount: dec("2500"), Currency: "CRC"}, {Key: "f2", Amount: dec("1.50"), Currency: "USD"}}})
	require.NoError(t, err)
	_, err = l.Dispose(ctx, "call1", calls.Disposition{By: "ana", Result: "promise", Charges: []calls.Charge{
		{Key: "f3", Amount: dec("500.25"), Currency: "CRC"}}})
	require.NoError(t, err)
	// A retried form posts nothing twice.
	_, err = l.Dispose(ctx, "call1", calls.Disposition{By: "ana", Charges: []calls.Charge{{Key: "f3", Amount: dec("500.25"), Currency: "CRC"}}})
	require.NoError(t, err)

	byCase, err := casefile.Costs(ctx, l, casefile.CostQuery{})
	require.NoError(t, err)
	require.Len(t, byCase, 2)
	k1 := byCase[1]
	assert.Equal(t, "k1", k1.Key)
	assert.Equal(t, 2, k1.Calls)
	assert.Equal(t, 2, k1.Connected)
	assert.Equal(t, 1, k1.Provisional, "call1 has no CDR yet")
	assert.Equal(t, "0.225", k1.CallCost.String(), "the CDR's cost where known, decimals")
	require.Len(t, k1.Charges, 2)
	assert.Equal(t, "CRC 3000.25", k1.Charges[0].Currency+" "+k1.Charges[0].Amount.String())
	assert.Equal(t, "USD 1.5", k1.Charges[1].Currency+" "+k1.Charges[1].Amount.String())

	byCampaign, err := casefile.Costs(ctx, l, casefile.CostQuery{By: casefile.ByCampaign})
	require.NoError(t, err)
	require.Len(t, byCampaign, 1)
	assert.Equal(t, "nov", byCampaign[0].Key)
	assert.True(t, byCampaign[0].CallCost.Equal(k1.CallCost))

	one, err := casefile.Costs(ctx, l, casefile.CostQuery{Key: "k1"})
	require.NoError(t, err)
	assert.Equal(t, []casefile.Totals{k1}, one)

	var buf bytes.Buffer
	require.NoError(t, casefile.WriteCostsCSV(&buf, casefile.ByCase, "USD", byCase))
	assert.Equal(t, "\ufeffcase,calls,connected,talk_seconds,provisional,call_cost_USD,charges_CRC,charges_USD\n"+
		"\"'=HYPERLINK(\"\"x\"\")\",1,1,60,1,0.1,0,0\n"+
		"k1,2,2,120,1,0.225,3000.25,1.5\n", buf.String())
}
