package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/internal/storetest"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func stores(t *testing.T, f func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, storetest.OpenPostgres(t, storetest.PostgresDSN(t))) })
}

func record(i int) cdr.Record {
	detect := time.Date(2017, 6, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return cdr.Record{
		CallID: fmt.Sprintf("c%05d", i), OriginalCallID: fmt.Sprintf("c%05d", i), RefCallID: "0",
		ANI: "50688887777", DNIS: "8000001", DNISUser: "8000001",
		DetectTime: callmyway.NewTime(detect), ConnectTime: callmyway.NewTime(detect.Add(5 * time.Second)),
		DisconnectTime: callmyway.NewTime(detect.Add(65 * time.Second)), Duration: time.Minute, RingTime: -2 * time.Second,
		Cost: decimal.RequireFromString("0.0450"), AccessFee: decimal.RequireFromString("0.0000"), Rate: decimal.RequireFromString("0.0450"),
		RoutePattern: "5068", RouteName: "CR Movil", EndReason: "OK", NameEndpointDNIS: "Agente Uno",
		Direction: callmyway.DirectionInbound, Type: "incoming",
		Extra: map[string]json.RawMessage{"x_trunk": json.RawMessage(`"T1"`), "billing_group": json.RawMessage(`3`)},
	}
}

func TestRoundTripAndUpsert(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		r := record(1)
		live := r
		live.DisconnectTime, live.Duration, live.ConnectTime = callmyway.Time{}, 0, callmyway.Time{}
		require.NoError(t, s.Commit(ctx, "acct", []cdr.Record{live}, cdr.Checkpoint{}))
		got, ok, err := s.Get(ctx, r.CallID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.True(t, got.Live())

		// The final version replaces the provisional one, in place.
		cp := cdr.Checkpoint{Through: time.Date(2017, 6, 2, 0, 0, 0, 0, time.UTC)}
		require.NoError(t, s.Commit(ctx, "acct", []cdr.Record{r, r}, cp))
		got, ok, err = s.Get(ctx, r.CallID)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, r.CallID, got.CallID)
		assert.True(t, got.DetectTime.Equal(r.DetectTime))
		assert.True(t, got.DisconnectTime.Equal(r.DisconnectTime))
		assert.Equal(t, r.Duration, got.Duration)
		assert.Equal(t, r.RingTime, got.RingTime)
		assert.Equal(t, "0.0450", cdr.Money(got.Cost))
		assert.Equal(t, r.Direction, got.Direction)
		assert.JSONEq(t, `"T1"`, string(got.Extra["x_trunk"]))
		n, err := s.Count(ctx, "acct")
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		back, err := s.LoadCheckpoint(ctx, "acct")
		require.NoError(t, err)
		assert.True(t, back.Through.Equal(cp.Through))
		other, err := s.LoadCheckpoint(ctx, "other")
		require.NoError(t, err)
		assert.True(t, other.Through.IsZero())

		list, err := s.List(ctx, sqlstore.Filter{Account: "acct", User: "8000001", From: cp.Through.Add(-48 * time.Hour), To: cp.Through})
		require.NoError(t, err)
		assert.Len(t, list, 1)
		require.NoError(t, s.Migrate(ctx), "migrations are idempotent")
	})
}

func TestCommitIsAtomic(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		bad := record(2)
		bad.Extra = map[string]json.RawMessage{"x": json.RawMessage(`{not json`)}
		err := s.Commit(ctx, "acct", []cdr.Record{record(1), bad}, cdr.Checkpoint{Through: time.Now()})
		require.Error(t, err)
		n, _ := s.Count(ctx, "")
		assert.Zero(t, n, "no record of a failed commit")
		cp, _ := s.LoadCheckpoint(ctx, "acct")
		assert.True(t, cp.Through.IsZero(), "the checkpoint did not move")
	})
}

func TestBatches(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		var recs []cdr.Record
		for i := 0; i < 1234; i++ {
			recs = append(recs, record(i))
		}
		require.NoError(t, s.Commit(ctx, "acct", recs, cdr.Checkpoint{}))
		require.NoError(t, s.Commit(ctx, "acct", recs[:700], cdr.Checkpoint{}))
		n, err := s.Count(ctx, "acct")
		require.NoError(t, err)
		assert.Equal(t, 1234, n)
	})
}

func benchRecords() []cdr.Record {
	recs := make([]cdr.Record, 1000)
	for i := range recs {
		recs[i] = record(i)
	}
	return recs
}

// BenchmarkUpsert commits a 1,000-record batch (SQLite) through the Store.
func BenchmarkUpsert(b *testing.B) {
	s := storetest.OpenSQLite(b)
	recs := benchRecords()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Commit(ctx, "acct", recs, cdr.Checkpoint{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpsertBaseline inserts the same rows with plain single-row
// INSERT statements in one transaction.
func BenchmarkUpsertBaseline(b *testing.B) {
	s := storetest.OpenSQLite(b)
	recs := benchRecords()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if _, err := s.DB().Exec("DELETE FROM cmw_cdr"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if _, err := tx.Exec(`INSERT INTO cmw_cdr (callid, account, original_callid, ref_callid, ani, dnis, ani_user, dnis_user,
				detect_time, connect_time, disconnect_time, duration_s, ring_time_s, cost, access_fee, rate, route_pattern, route_name,
				end_reason, name_endpoint_ani, name_endpoint_dnis, direction, type, extra, live, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.CallID, "acct", r.OriginalCallID, r.RefCallID, r.ANI, r.DNIS, r.ANIUser, r.DNISUser,
				r.DetectTime.Time().Unix(), r.ConnectTime.Time().Unix(), r.DisconnectTime.Time().Unix(), 60, -2,
				"0.0450", "0.0000", "0.0450", r.RoutePattern, r.RouteName, r.EndReason, r.NameEndpointANI, r.NameEndpointDNIS,
				"in", r.Type, `{"x_trunk":"T1","billing_group":3}`, false, 0); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRebind(t *testing.T) {
	assert.Equal(t, "SELECT $1, $2 FROM t WHERE a = $3", sqlstore.Postgres.Rebind("SELECT ?, ? FROM t WHERE a = ?"))
	assert.Equal(t, "SELECT ?", sqlstore.SQLite.Rebind("SELECT ?"))
	assert.Equal(t, "SELECT 1", sqlstore.Postgres.Rebind("SELECT 1"))
}

func TestZeroStore(t *testing.T) {
	var s sqlstore.Store
	ctx := context.Background()
	_, err := s.LoadCheckpoint(ctx, "a")
	assert.ErrorIs(t, err, sqlstore.ErrNotInitialized)
	assert.ErrorIs(t, s.Commit(ctx, "a", nil, cdr.Checkpoint{}), sqlstore.ErrNotInitialized)
	assert.ErrorIs(t, s.Upsert(ctx, "a", nil), sqlstore.ErrNotInitialized)
	assert.ErrorIs(t, s.Migrate(ctx), sqlstore.ErrNotInitialized)
	_, err = s.List(ctx, sqlstore.Filter{})
	assert.ErrorIs(t, err, sqlstore.ErrNotInitialized)
	_, _, err = s.Get(ctx, "1")
	assert.ErrorIs(t, err, sqlstore.ErrNotInitialized)
	_, err = s.Count(ctx, "")
	assert.ErrorIs(t, err, sqlstore.ErrNotInitialized)
	assert.ErrorIs(t, s.Close(), sqlstore.ErrNotInitialized)
}

func TestNewValidatesAccount(t *testing.T) {
	_, err := sqlstore.New(nil, sqlstore.SQLite, storetest.Account)
	assert.Error(t, err)
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	defer db.Close()
	acct := storetest.Account
	acct.Location = nil
	_, err = sqlstore.New(db, sqlstore.SQLite, acct)
	assert.ErrorIs(t, err, callmyway.ErrInvalidAccount)
	_, err = sqlstore.New(db, sqlstore.Dialect(7), storetest.Account)
	assert.Error(t, err)
}

// Get takes the callid raw, as a Record holds it, and gives the record
// back with raw ids: a callid with a NUL and the literal text of its
// escaped form are two records.
func TestGetTakesRawCallIDs(t *testing.T) {
	stores(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		odd, lookalike := record(1), record(2)
		odd.CallID, odd.OriginalCallID = "c\x00", "c\x00"
		lookalike.CallID, lookalike.OriginalCallID = `esc:c\x00`, `esc:c\x00`
		require.NoError(t, s.Commit(ctx, "acct", []cdr.Record{odd, lookalike}, cdr.Checkpoint{}))
		n, err := s.Count(ctx, "acct")
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		for _, want := range []cdr.Record{odd, lookalike} {
			got, ok, err := s.Get(ctx, want.CallID)
			require.NoError(t, err)
			require.True(t, ok, "%q", want.CallID)
			assert.Equal(t, want.CallID, got.CallID)
			assert.Equal(t, want.OriginalCallID, got.OriginalCallID)
			assert.Equal(t, want.DetectTime, got.DetectTime)
		}
	})
}
