package calls

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// Call.Busy names exactly the phones Ledger.Live finds the call on: every
// phone a ring group rings, then only the one that answered, then none
// once the call is over.
func TestBusyIsWhatLiveMatches(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	at := clk.Now()
	ev := func(ep callmyway.Endpoint, action Action, connect, end time.Time) {
		t.Helper()
		_, err := l.ApplyEvent(ctx, Event{CallID: "G1", Action: action, Endpoint: ep, Direction: callmyway.DirectionInbound,
			Number: "+50688887777", Detect: at, Connect: connect, Disconnect: end})
		require.NoError(t, err)
	}
	check := func(step string, want ...string) {
		t.Helper()
		c, err := l.Get(ctx, "G1")
		require.NoError(t, err)
		var busy []string
		for _, p := range c.Busy() {
			busy = append(busy, p.ID)
		}
		assert.ElementsMatch(t, want, busy, step)
		for _, p := range []callmyway.Endpoint{{ID: "5001"}, {ID: "5002"}, {ID: "5003"}} {
			live, err := l.Live(ctx, p)
			require.NoError(t, err)
			assert.Equal(t, len(live) == 1, c.Live && slices.Contains(want, p.ID), "%s: Live on %s", step, p.ID)
		}
	}
	ev(callmyway.Endpoint{ID: "5001"}, ActionStart, time.Time{}, time.Time{})
	ev(callmyway.Endpoint{ID: "5002"}, ActionStart, time.Time{}, time.Time{})
	check("ringing two phones", "5001", "5002")
	clk.Advance(5 * time.Second)
	ev(callmyway.Endpoint{ID: "5002"}, ActionStart, at.Add(5*time.Second), time.Time{})
	check("answered on 5002", "5002")
	clk.Advance(time.Minute)
	ev(callmyway.Endpoint{ID: "5002"}, ActionEnd, at.Add(5*time.Second), at.Add(65*time.Second))
	check("over")
}
