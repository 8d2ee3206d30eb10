package pgstore_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

// BenchmarkApplyEventPostgres applies the callEnd of a new call per
// iteration: one transaction with its advisory locks, reads FOR UPDATE,
// correlation and the numbered write.
func BenchmarkApplyEventPostgres(b *testing.B) {
	s := open(b, pgtest.Schema(b))
	defer s.Close()
	l, err := calls.New(modeltest.Account, s, calls.WithClock(modeltest.BenchNow))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if _, err := l.ApplyEvent(ctx, modeltest.BenchEvent(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// insertBare writes the i-th benchmark event's row (index columns and
// document) with a plain INSERT in its own autocommit: the baselines.
func insertBare(ctx context.Context, pool *pgxpool.Pool, i int) error {
	e := modeltest.BenchEvent(i)
	doc, err := json.Marshal(map[string]map[string]calls.Event{"events": {"end:" + e.CallID + ":" + e.Endpoint.ID: e}})
	if err != nil {
		return err
	}
	_, err = pool.Exec(ctx, `INSERT INTO ledger_calls (id, alias_of, seq, agent_id, agent_user, busy, number, start_at, state, contact, case_id, doc)
		VALUES ($1, '', $2, $3, '', '', $4, $5, 'ended', '', '', $6)`, e.CallID, i+1, e.Endpoint.ID, e.Number, e.Detect, string(doc))
	return err
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
		if err := insertBare(ctx, pool, i); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkApplyEventPostgresParallel applies callEnds of new calls from
// 64 goroutines at once, as concurrent webhook deliveries do: they share
// transactions (group commit).
func BenchmarkApplyEventPostgresParallel(b *testing.B) {
	s := open(b, pgtest.Schema(b))
	defer s.Close()
	l, err := calls.New(modeltest.Account, s, calls.WithClock(modeltest.BenchNow))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	var next atomic.Int64
	b.SetParallelism(32) // 64 goroutines on 2 CPUs
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.ApplyEvent(ctx, modeltest.BenchEvent(int(next.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkApplyEventPostgresParallelBaseline is the same plain INSERT
// as BenchmarkApplyEventPostgresBaseline, from as many goroutines: what
// a CRM writing each event in its own autocommit gets.
func BenchmarkApplyEventPostgresParallelBaseline(b *testing.B) {
	dsn := pgtest.Schema(b)
	open(b, dsn).Close() // the schema
	pool := pgtest.Pool(b, dsn, "cmw-ledger-bench")
	ctx := b.Context()
	var next atomic.Int64
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := insertBare(ctx, pool, int(next.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
