package pgstore_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

var benchBase = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// benchEvent is the callEnd of the i-th call of a benchmark.
func benchEvent(i int) calls.Event {
	at := benchBase.Add(time.Duration(i) * time.Second)
	return calls.Event{CallID: fmt.Sprintf("bench-%07d", i), Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: fmt.Sprint(5000 + i%50)},
		Direction: callmyway.DirectionInbound, ANI: fmt.Sprintf("8%07d", i), DNIS: "8000001", Number: fmt.Sprintf("+5068%07d", i),
		Detect: at, Connect: at.Add(5 * time.Second), Disconnect: at.Add(65 * time.Second), Duration: time.Minute,
		Cost: decimal.New(35, -2), ReceivedAt: at.Add(66 * time.Second)}
}

// BenchmarkApplyEventPostgres applies the callEnd of a new call per
// iteration: one transaction with its advisory locks, reads FOR UPDATE,
// correlation and the numbered write.
func BenchmarkApplyEventPostgres(b *testing.B) {
	s := open(b, pgtest.Schema(b))
	defer s.Close()
	l, err := calls.New(modeltest.Account, s, calls.WithClock(func() time.Time { return benchBase.Add(time.Hour) }))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if _, err := l.ApplyEvent(ctx, benchEvent(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkApplyEventPostgresBaseline is a plain INSERT of the same row
// (index columns and document) into the same table, one autocommit each.
func BenchmarkApplyEventPostgresBaseline(b *testing.B) {
	dsn := pgtest.Schema(b)
	open(b, dsn).Close() // the schema
	pool := pgtest.Pool(b, dsn, "cmw-ledger-bench")
	ctx := b.Context()
	i := 0
	for b.Loop() {
		e := benchEvent(i)
		doc, _ := json.Marshal(map[string]map[string]calls.Event{"events": {"end:" + e.CallID + ":" + e.Endpoint.ID: e}})
		if _, err := pool.Exec(ctx, `INSERT INTO ledger_calls (id, alias_of, seq, agent_id, agent_user, busy, number, start_at, state, contact, case_id, doc)
			VALUES ($1, '', $2, $3, '', '', $4, $5, 'ended', '', '', $6)`, e.CallID, i+1, e.Endpoint.ID, e.Number, e.Detect, string(doc)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
