package sqlitestore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
	"github.com/callmyway-go/sdk/calls/sqlitestore"
)

// benchLeg is the CDR of the i-th call.
func benchLeg(i int) calls.Leg {
	e := modeltest.BenchEvent(i)
	return calls.Leg{CallID: e.CallID, RefCallID: "0", Agent: callmyway.Endpoint{User: fmt.Sprint(8000000 + i%50)}, ANI: e.ANI, DNIS: e.DNIS,
		Number: e.Number, Direction: e.Direction, Detect: e.Detect, Connect: e.Connect, Disconnect: e.Disconnect, Duration: e.Duration,
		Cost: decimal.New(36, -2), Rate: decimal.New(35, -2), EndReason: "OK", SeenAt: e.ReceivedAt.Add(time.Minute)}
}

func newLedger(b *testing.B, path string) (*calls.Ledger, *sqlitestore.Store) {
	b.Helper()
	s, err := sqlitestore.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	l, err := calls.New(modeltest.Account, s, calls.WithClock(modeltest.BenchNow))
	if err != nil {
		b.Fatal(err)
	}
	return l, s
}

// BenchmarkApplyEventSQLite applies the callEnd of a new call per
// iteration: one write transaction correlating and merging.
func BenchmarkApplyEventSQLite(b *testing.B) {
	l, _ := newLedger(b, filepath.Join(b.TempDir(), "ledger.db"))
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if _, err := l.ApplyEvent(ctx, modeltest.BenchEvent(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkApplyEventSQLiteBaseline is a plain INSERT of the same row
// (index columns and document) in the same table, one autocommit each.
func BenchmarkApplyEventSQLiteBaseline(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ledger.db")
	newLedger(b, path) // the same schema and pragmas
	db := openRaw(b, path)
	ctx := b.Context()
	ins, err := db.PrepareContext(ctx, `INSERT INTO ledger_calls (id, alias_of, seq, agent_id, agent_user, busy, number, start_us, state, contact, case_id, doc)
		VALUES (?, '', ?, ?, '', ?, ?, ?, 'ended', '', '', ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	i := 0
	for b.Loop() {
		e := modeltest.BenchEvent(i)
		doc, _ := json.Marshal(map[string]map[string]calls.Event{"events": {"end:" + e.CallID + ":" + e.Endpoint.ID: e}})
		if _, err := ins.ExecContext(ctx, e.CallID, i+1, e.Endpoint.ID, "", e.Number, e.Detect.UnixMicro(), string(doc)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func openRaw(b *testing.B, path string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

const reconcileN = 50000

// reconcileTemplate builds, once, a ledger file holding reconcileN
// webhook calls, and a baseline file holding reconcileN plain rows.
var reconcileTemplate = struct {
	dir string
	err error
}{}

func template(b *testing.B) (ledger, baseline string) {
	b.Helper()
	t := &reconcileTemplate
	if t.dir == "" && t.err == nil {
		t.dir, t.err = os.MkdirTemp("", "cmw-reconcile-*")
		if t.err == nil {
			t.err = buildTemplate(b.Context(), t.dir)
		}
	}
	if t.err != nil {
		b.Fatal(t.err)
	}
	return filepath.Join(t.dir, "ledger.db"), filepath.Join(t.dir, "baseline.db")
}

func buildTemplate(ctx context.Context, dir string) error {
	s, err := sqlitestore.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		return err
	}
	l, err := calls.New(modeltest.Account, s, calls.WithClock(modeltest.BenchNow))
	if err != nil {
		s.Close()
		return err
	}
	for i := range reconcileN {
		if _, err := l.ApplyEvent(ctx, modeltest.BenchEvent(i)); err != nil {
			s.Close()
			return err
		}
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file
		return err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "baseline.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, baselineDDL); err != nil {
		return err
	}
	return upsertLegs(ctx, db, 0)
}

const baselineDDL = `CREATE TABLE cdr (callid TEXT PRIMARY KEY, original_callid TEXT, ref_callid TEXT, agent TEXT, number TEXT,
	detect_us INTEGER, connect_us INTEGER, disconnect_us INTEGER, duration_s INTEGER, cost TEXT, rate TEXT, end_reason TEXT, doc TEXT)`

// upsertLegs upserts the reconcileN legs into the baseline table, 256
// rows per transaction like ApplyLegs.
func upsertLegs(ctx context.Context, db *sql.DB, version int) error {
	for start := 0; start < reconcileN; start += 256 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO cdr VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (callid) DO UPDATE SET
			cost = excluded.cost, rate = excluded.rate, end_reason = excluded.end_reason, doc = excluded.doc`)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := start; i < min(start+256, reconcileN); i++ {
			lg := benchLeg(i)
			lg.Cost = lg.Cost.Add(decimal.New(int64(version), -2))
			doc, _ := json.Marshal(lg)
			if _, err := st.ExecContext(ctx, lg.CallID, lg.OriginalCallID, lg.RefCallID, lg.Agent.User, lg.Number, lg.Detect.UnixMicro(),
				lg.Connect.UnixMicro(), lg.Disconnect.UnixMicro(), int64(lg.Duration/time.Second), lg.Cost.String(), lg.Rate.String(), lg.EndReason, string(doc)); err != nil {
				tx.Rollback()
				return err
			}
		}
		st.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReconcile50k applies the CDRs of 50,000 calls the ledger
// already holds from their webhooks (each iteration on a fresh copy).
func BenchmarkReconcile50k(b *testing.B) {
	tmpl, _ := template(b)
	ctx := b.Context()
	legs := make([]calls.Leg, reconcileN)
	for i := range legs {
		legs[i] = benchLeg(i)
	}
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "ledger.db")
		copyFile(b, tmpl, path)
		l, s := newLedger(b, path)
		b.StartTimer()
		if err := l.ApplyLegs(ctx, legs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c, err := l.Get(ctx, legs[reconcileN-1].CallID)
		if err != nil || c.State != calls.StateFinal {
			b.Fatalf("last call %s: %v", c.State, err)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/reconcileN, "ns/leg")
}

// BenchmarkReconcile50kBaseline upserts the same 50,000 rows into a
// plain table already holding them, 256 per transaction.
func BenchmarkReconcile50kBaseline(b *testing.B) {
	_, tmpl := template(b)
	ctx := b.Context()
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "baseline.db")
		copyFile(b, tmpl, path)
		db := openRaw(b, path)
		b.StartTimer()
		if err := upsertLegs(ctx, db, 1); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/reconcileN, "ns/leg")
}
