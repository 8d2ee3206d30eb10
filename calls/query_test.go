package calls

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

// Query.Newest reads newest first (ties on start broken by id,
// descending), so that a Limit keeps the newest calls; without it a
// Limit keeps the oldest.
func TestCallsNewest(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	t0 := clk.Now()
	for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute, 2 * time.Minute, 3 * time.Minute} {
		_, err := l.ApplyEvent(ctx, Event{CallID: fmt.Sprintf("C%d", i), Action: ActionStart, Endpoint: agent1,
			Direction: callmyway.DirectionOutbound, Number: fmt.Sprintf("+5068888111%d", i), Detect: t0.Add(at)})
		require.NoError(t, err)
	}
	read := func(q Query) []string {
		var ids []string
		for c, err := range l.Calls(ctx, q) {
			require.NoError(t, err)
			ids = append(ids, c.ID)
		}
		return ids
	}
	assert.Equal(t, []string{"C0", "C1", "C2", "C3", "C4"}, read(Query{}))
	assert.Equal(t, []string{"C0", "C1"}, read(Query{Limit: 2}), "a Limit keeps the oldest")
	assert.Equal(t, []string{"C4", "C3", "C2", "C1", "C0"}, read(Query{Newest: true}))
	assert.Equal(t, []string{"C4", "C3", "C2"}, read(Query{Newest: true, Limit: 3}), "with Newest, the newest")
	assert.Equal(t, []string{"C3", "C2", "C1"}, read(Query{Newest: true, From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}))
}
