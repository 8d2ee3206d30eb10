package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestPendingRowsAreNumbered: a row left pending (a negative seq: written
// by an update whose process died before its numbering pass) is invisible
// to Changes until a pass numbers it, here the one Open runs; it then
// comes after every change a reader may already have seen.
func TestPendingRowsAreNumbered(t *testing.T) {
	dsn := pgtest.Schema(t)
	s := open(t, dsn)
	defer s.Close()
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	require.NoError(t, s.Update(ctx, []string{"k"}, func(ctx context.Context, tx calls.Tx) error {
		return tx.Put(ctx, calls.Record{ID: "a", Index: calls.Index{Number: "+50611111111", Start: at}, Doc: []byte(`{}`)})
	}))
	seen, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, seen, 1)
	admin := pgtest.Pool(t, dsn, "cmw-ledger-admin")
	_, err = admin.Exec(ctx, `INSERT INTO ledger_calls (id, seq, start_at) VALUES ('b', -nextval('ledger_calls_seq'), $1)`, at)
	require.NoError(t, err)
	ch, err := s.Changes(ctx, seen[0].Seq, 0)
	require.NoError(t, err)
	assert.Empty(t, ch, "a pending row is not a change yet")
	b, err := s.Get(ctx, "b")
	require.NoError(t, err)
	assert.Zero(t, b.Seq, "pending")

	s2 := open(t, dsn) // its Open numbers the pending row
	defer s2.Close()
	ch, err = s.Changes(ctx, seen[0].Seq, 0)
	require.NoError(t, err)
	require.Len(t, ch, 1)
	assert.Equal(t, "b", ch[0].ID)
	assert.Greater(t, ch[0].Seq, seen[0].Seq)
}
