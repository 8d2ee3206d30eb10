package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/webhook"
)

// lowerHistoryLimits lowers History's bound and batch for one test.
func lowerHistoryLimits(t *testing.T, limit, batch int) {
	t.Helper()
	oldLimit, oldBatch := historyLimit, historyBatch
	historyLimit, historyBatch = limit, batch
	t.Cleanup(func() { historyLimit, historyBatch = oldLimit, oldBatch })
}

// The history shows the newest calls of a range busier than its bound,
// newest first, and says there are more; a filtered view (an agent, a
// customer) finds its calls even when other agents' calls exceed the
// bound, and says there are more only when there are.
func TestHistoryNewestFirstAndFilteredBeyondTheLimit(t *testing.T) {
	const def = 5000 // the default bound, which the notice states
	require.Equal(t, def, historyLimit)
	assert.Contains(t, translate("en", "history_limited"), "5,000")
	assert.Contains(t, translate("es", "history_limited"), "5.000")
	lowerHistoryLimits(t, 20, 7)

	a := newTestApp(t)
	ctx := t.Context()
	// A day outside the demo's seeded week: Beto's 30 calls from unknown
	// numbers, and Ana's 4 calls from Marta Solís's number (linked to
	// Comercial Solís by it), one before Beto's and three after.
	day := time.Now().In(a.cfg.Loc).AddDate(0, 0, -20)
	base := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, a.cfg.Loc)
	hook := func(id, endpoint, ani string, at time.Time) {
		t.Helper()
		ct := callmyway.NewTime(at)
		require.NoError(t, a.ledger.HandleEvent(ctx, webhook.Event{Action: webhook.CallEnd, Call: webhook.Call{ID: id,
			Endpoint: callmyway.Endpoint{ID: endpoint}, Direction: callmyway.DirectionInbound, ANI: ani, DetectTime: ct, DisconnectTime: ct}}))
	}
	for i := range 30 {
		hook(fmt.Sprintf("beto-%02d", i), "5002", fmt.Sprintf("5067000%04d", i), base.Add(time.Duration(i)*time.Minute))
	}
	for i, at := range []time.Duration{-time.Minute, 40 * time.Minute, 41 * time.Minute, 42 * time.Minute} {
		hook(fmt.Sprintf("ana-%d", i), "5001", "50688881111", base.Add(at))
	}
	f := CallsFilter{From: base.Add(-time.Hour), To: base.Add(time.Hour)}
	callIDs := func(rows []HistoryRow) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.CallID)
		}
		return out
	}

	rows, more, err := a.history(ctx, f)
	require.NoError(t, err)
	want := []string{"ana-3", "ana-2", "ana-1"}
	for i := 29; len(want) < 20; i-- {
		want = append(want, fmt.Sprintf("beto-%02d", i))
	}
	assert.Equal(t, want, callIDs(rows), "the 20 newest, newest first")
	assert.True(t, more, "there are more")

	agents, err := a.db.Agents(ctx)
	require.NoError(t, err)
	ids := map[string]string{}
	for _, ag := range agents {
		ids[ag.Name] = ag.ID
	}
	fa := f
	fa.AgentID = ids["Ana Rojas"]
	rows, more, err = a.history(ctx, fa)
	require.NoError(t, err)
	assert.Equal(t, []string{"ana-3", "ana-2", "ana-1", "ana-0"}, callIDs(rows), "all of Ana's calls, though Beto's exceed the limit")
	assert.False(t, more)

	customers, err := a.db.Customers(ctx)
	require.NoError(t, err)
	fc := f
	for _, c := range customers {
		if c.Name == "Comercial Solís" {
			fc.CustomerID = c.ID
		}
	}
	require.NotEmpty(t, fc.CustomerID)
	rows, more, err = a.history(ctx, fc) // read in batches of 7
	require.NoError(t, err)
	assert.Equal(t, []string{"ana-3", "ana-2", "ana-1", "ana-0"}, callIDs(rows), "all of the customer's calls")
	assert.False(t, more)
	for _, r := range rows {
		assert.True(t, r.Linked, "linked by number")
	}

	fb := f
	fb.AgentID = ids["Beto Vargas"]
	historyLimit = 30
	rows, more, err = a.history(ctx, fb)
	require.NoError(t, err)
	assert.Len(t, rows, 30)
	assert.False(t, more, "exactly the limit: nothing more")
	historyLimit = 29
	rows, more, err = a.history(ctx, fb)
	require.NoError(t, err)
	assert.Equal(t, "beto-01", rows[len(rows)-1].CallID)
	assert.True(t, more, "one more than the limit")
	historyLimit = 20

	// The page: the newest call on page 1 and the notice; none for Ana.
	super := a.as(t, "super")
	from := base.Format("2006-01-02")
	_, body := super.get(t, "/calls?from="+from+"&to="+from)
	assert.Equal(t, 20, strings.Count(body, "<tr class="))
	assert.Contains(t, body, translate("es", "history_limited"))
	first := strings.Index(body, `data-callid="`)
	require.Positive(t, first)
	assert.True(t, strings.HasPrefix(body[first:], `data-callid="ana-3"`), "the newest call first")
	assert.NotContains(t, body, `data-callid="beto-00"`, "the oldest are left out")
	_, body = super.get(t, "/calls?from="+from+"&to="+from+"&agent="+ids["Ana Rojas"])
	assert.Equal(t, 4, strings.Count(body, "<tr class="))
	assert.NotContains(t, body, translate("es", "history_limited"))
}
