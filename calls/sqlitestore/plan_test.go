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
		where, args := filterSQL(f)
		rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN SELECT "+cols+" FROM ledger_calls WHERE "+where+" ORDER BY start_us, id LIMIT 200", args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, index) {
			t.Errorf("%+v: plan %q does not use %s", f, p, index)
		}
	}
}
