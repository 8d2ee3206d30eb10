package pgstore_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
	"github.com/callmyway-go/sdk/calls/internal/storetest"
	"github.com/callmyway-go/sdk/calls/pgstore"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open opens a Store (with its own pool) on the schema of dsn.
func open(t testing.TB, dsn string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(t.Context(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) calls.Store {
		s := open(t, pgtest.Schema(t))
		t.Cleanup(s.Close)
		return s
	})
}

// truncate empties the ledger's tables between interleavings.
func truncate(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), "TRUNCATE ledger_calls, ledger_charges"); err != nil {
		t.Fatal(err)
	}
}

// TestModel runs the model test on PostgreSQL: two replicas are two
// Ledgers over two pools on one database (a schema of its own), and a
// restart opens a third.
func TestModel(t *testing.T) {
	dsn := pgtest.Schema(t)
	seed, n := modeltest.Config(100)
	admin := pgtest.Pool(t, dsn, "cmw-ledger-admin")
	var replicas []*pgstore.Store
	for range 3 {
		s := open(t, dsn)
		t.Cleanup(s.Close)
		replicas = append(replicas, s)
	}
	modeltest.Run(t, seed, n, func(t *testing.T) modeltest.Env {
		truncate(t, admin)
		next := 1
		return modeltest.Env{Store: replicas[0], Replica: func(opts ...calls.Option) (*calls.Ledger, error) {
			s := replicas[next%len(replicas)]
			next++
			return calls.New(modeltest.Account, s, opts...)
		}}
	})
}
