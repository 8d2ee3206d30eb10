package pgstore

import (
	"strings"
	"testing"
	"time"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

// TestScanWalksTheStartIndex: a scan of a time range, oldest or newest
// first, can walk the start index in its order (forward or backward)
// without sorting, every page starting at its keyset. Sequential scans
// and sorts are disabled so that the plan shows what the index allows,
// not what a tiny table makes cheapest.
func TestScanWalksTheStartIndex(t *testing.T) {
	s, err := Open(t.Context(), pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_bitmapscan = off"); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-24 * time.Hour)
	f := calls.Filter{From: from, To: from.Add(time.Hour), NotStates: []calls.State{calls.StateRefused}}
	after := &calls.Record{ID: "c1", Index: calls.Index{Start: from.Add(time.Minute)}}
	for _, newest := range []bool{false, true} {
		f.Newest = newest
		want := "Index Scan using ledger_calls_start"
		if newest {
			want = "Index Scan Backward using ledger_calls_start"
		}
		for _, after := range []*calls.Record{nil, after} {
			q, args := scanSQL(f, after, scanPage)
			rows, err := tx.Query(ctx, "EXPLAIN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			p := strings.Join(plan, "\n")
			if !strings.Contains(p, want) || strings.Contains(p, "Sort") {
				t.Errorf("newest %v, after %v: plan does not walk ledger_calls_start in order:\n%s", newest, after != nil, p)
			}
			if after != nil && !strings.Contains(p, "ROW(start_at, id)") {
				t.Errorf("newest %v: a later page does not seek to its keyset:\n%s", newest, p)
			}
		}
	}
}
