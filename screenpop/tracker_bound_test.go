package screenpop

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// TestTrackerKeepsNoCallState is issue 16's regression test for the
// ended-call memory (181 MB held for 15 minutes): the Tracker keeps no
// state per call, so 5,000 calls through the ledger, started and ended,
// leave nothing behind; its one map, the agents' picks on shared numbers,
// stays within maxPicks however many numbers are picked.
func TestTrackerKeepsNoCallState(t *testing.T) {
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	dir, contacts, broker := NewMemoryDirectory(), NewMemoryContacts(acct), NewMemoryBroker()
	defer broker.Close()
	phone := callmyway.Endpoint{ID: "5001", User: "8000001"}
	require.NoError(t, dir.Assign(Agent{ID: "a1", Endpoint: phone}, time.Time{}))
	tr, err := NewTracker(acct, dir, contacts, broker)
	require.NoError(t, err)
	store, err := calls.NewMemoryStore()
	require.NoError(t, err)
	ledger, err := calls.New(acct, store, calls.WithOnChange(tr.OnChange))
	require.NoError(t, err)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 5000 {
		e := calls.Event{Action: calls.ActionStart, CallID: fmt.Sprint("c", i), Endpoint: phone, Number: fmt.Sprintf("+5068%07d", i),
			Direction: callmyway.DirectionInbound, Detect: start, ReceivedAt: start}
		_, err := ledger.ApplyEvent(t.Context(), e)
		require.NoError(t, err)
		e.Action, e.Disconnect, e.ReceivedAt = calls.ActionEnd, start.Add(time.Minute), start.Add(time.Minute)
		_, err = ledger.ApplyEvent(t.Context(), e)
		require.NoError(t, err)
	}
	tr.mu.Lock()
	assert.Empty(t, tr.picks, "calls alone leave no state in the Tracker")
	tr.mu.Unlock()

	for i := range maxPicks + 1000 {
		c := calls.Call{ID: fmt.Sprint("p", i), Agent: phone, Number: fmt.Sprintf("+5068%07d", i), Start: start}
		require.NoError(t, tr.Pick(t.Context(), c, Contact{ID: "ct1", Name: "Carla"}))
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	assert.LessOrEqual(t, len(tr.picks), maxPicks, "picks are bounded")
	assert.NotEmpty(t, tr.picks)
}
