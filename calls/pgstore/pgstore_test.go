package pgstore_test

import (
	"context"
	"fmt"
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

// TestWaitWakesOnEitherPath: Wait, polling only once a minute, wakes on
// the NOTIFY of an update that numbers its own rows (no one holds the
// numbering lock) and on that of a numbering pass (someone does).
func TestWaitWakesOnEitherPath(t *testing.T) {
	dsn := pgtest.Schema(t)
	s := open(t, dsn, pgstore.WithPollInterval(time.Minute))
	defer s.Close()
	admin := pgtest.Pool(t, dsn, "cmw-ledger-admin")
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	put := func(id string) {
		require.NoError(t, s.Update(t.Context(), []string{"k"}, func(ctx context.Context, tx calls.Tx) error {
			return tx.Put(ctx, calls.Record{ID: id, Index: calls.Index{Number: "+50611111111", Start: at}, Doc: []byte(`{}`)})
		}))
	}
	for i, contended := range []bool{false, true} {
		ch, err := s.Changes(t.Context(), 0, 0)
		require.NoError(t, err)
		var last uint64
		if len(ch) > 0 {
			last = ch[len(ch)-1].Seq
		}
		var release func()
		if contended {
			// Hold the numbering lock in another session for a moment,
			// so the update writes pending rows and a pass numbers them.
			tx, err := admin.Begin(t.Context())
			require.NoError(t, err)
			_, err = tx.Exec(t.Context(), "SELECT pg_advisory_xact_lock(hashtextextended('cmw-ledger:seq', 0))")
			require.NoError(t, err)
			release = func() { _ = tx.Rollback(context.Background()) }
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		done := make(chan error, 1)
		go func() { done <- s.Wait(ctx, last) }()
		time.Sleep(100 * time.Millisecond) // let Wait LISTEN (a later start only finds the change sooner)
		if release != nil {
			go func() { time.Sleep(100 * time.Millisecond); release() }()
		}
		put(fmt.Sprint("c", i))
		require.NoError(t, <-done, "contended %v", contended)
		cancel()
	}
}
