package sqlitestore

import (
	"strings"
	"testing"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// TestQueriesUseTheirIndex: a query by case, contact or agent uses its
// partial index (which SQLite only does when the query says the column
// is not empty), not a walk of every call in the range: the contact
// policy reads a customer's calls before every dial.
func TestQueriesUseTheirIndex(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir()+"/plan.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from := time.Now().Add(-24 * time.Hour)
	for index, f := range map[string]calls.Filter{
		"ledger_calls_case":       {Case: "k1", From: from, NotStates: []calls.State{calls.StateRefused}},
		"ledger_calls_contact":    {Contact: "p1", From: from},
		"ledger_calls_agent_user": {Agent: callmyway.Endpoint{User: "8000001"}, From: from},
	} {
		for _, f := range []calls.Filter{f, withNewest(f)} {
			if p := plan(t, s, f, nil); !strings.Contains(p, index) {
				t.Errorf("%+v: plan %q does not use %s", f, p, index)
			}
		}
	}
}

func withNewest(f calls.Filter) calls.Filter {
	f.Newest = true
	return f
}

// plan returns the query plan of Scan's page after the record after.
func plan(t *testing.T, s *Store, f calls.Filter, after *calls.Record) string {
	t.Helper()
	q, args := scanSQL(f, after, scanPage)
	rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// TestScanWalksTheStartIndex: a scan of a time range (what the Ledger
// asks for Query{From, To}, oldest or newest first) walks the start
// index in its order, forward or backward, without sorting, and each
// page after the first seeks to its keyset (not to the range's bound,
// which would make a long scan quadratic).
func TestScanWalksTheStartIndex(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir()+"/plan.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from := time.Now().Add(-24 * time.Hour)
	f := calls.Filter{From: from, To: from.Add(time.Hour), NotStates: []calls.State{calls.StateRefused}}
	after := &calls.Record{ID: "c1", Index: calls.Index{Start: from.Add(time.Minute)}}
	for _, f := range []calls.Filter{f, withNewest(f)} {
		for _, after := range []*calls.Record{nil, after} {
			p := plan(t, s, f, after)
			if !strings.Contains(p, "USING INDEX ledger_calls_start") || strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("newest %v, after %v: plan %q does not walk ledger_calls_start in order", f.Newest, after != nil, p)
			}
			if after != nil && !strings.Contains(p, "(start_us,id)") {
				t.Errorf("newest %v: a later page's plan %q does not seek to its keyset", f.Newest, p)
			}
		}
	}
}
