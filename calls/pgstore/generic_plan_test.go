package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
	"github.com/callmyway-go/sdk/calls/pgstore"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

// TestUpdatesNeverUseGenericPlans: the ledger's statements are planned for
// their arguments at every execution. A generic plan, made while the table
// was empty, is a sequential scan that PostgreSQL keeps as the table grows
// (see internal/pgplan); here every statement runs 40 times on a table
// that starts empty, on a pool of one connection, whose prepared
// statements then show no generic plan.
func TestUpdatesNeverUseGenericPlans(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := pgstore.New(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := calls.New(modeltest.Account, s, calls.WithClock(modeltest.BenchNow))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := l.ApplyEvent(t.Context(), modeltest.BenchEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := pool.Query(t.Context(), `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements
		WHERE cardinality(parameter_types) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	custom := int64(0)
	for rows.Next() {
		var stmt string
		var g, c int64
		if err := rows.Scan(&stmt, &g, &c); err != nil {
			t.Fatal(err)
		}
		if g > 0 {
			t.Errorf("%d generic plans of %.100q", g, stmt)
		}
		custom += c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if custom < 40 {
		t.Fatalf("%d custom plans: the ledger's statements did not run on the pool's connection", custom)
	}
}
