package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/testclock"
	"github.com/callmyway-go/sdk/policy"
)

// TestCallbackDialGoesThroughThePolicy: a missed call opens a callback;
// returning it at night is refused by the calling hours, in the morning
// it is placed, and the connected call closes the callback.
func TestCallbackDialGoesThroughThePolicy(t *testing.T) {
	fake := cmwtest.NewServer()
	defer fake.Close()
	client, err := fake.NewClient()
	require.NoError(t, err)
	acct := fake.Account()
	st, err := calls.NewMemoryStore()
	require.NoError(t, err)
	l, err := calls.New(acct, st)
	require.NoError(t, err)
	clk := testclock.New(time.Date(2026, 3, 3, 3, 0, 0, 0, time.UTC)) // 21:00 in Costa Rica
	p, err := policy.New(acct, l, policy.Limits{Hours: policy.Hours{Start: 8 * time.Hour, End: 20 * time.Hour}}, policy.WithClock(clk.Now))
	require.NoError(t, err)
	d, err := click2dial.New(client, click2dial.WithPolicy(p), click2dial.WithOnAccepted(l.RecordAccepted))
	require.NoError(t, err)
	ctx := t.Context()

	missedAt := time.Now().Add(-time.Hour)
	_, err = l.ApplyEvent(ctx, calls.Event{CallID: "m1", Action: calls.ActionEnd, Endpoint: agent, Direction: callmyway.DirectionInbound,
		Number: "+50688881111", Detect: missedAt, Disconnect: missedAt.Add(15 * time.Second)})
	require.NoError(t, err)
	cb, err := casefile.NewCallbacks(l, 4*time.Hour)
	require.NoError(t, err)
	open, err := cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	require.Len(t, open, 1)

	_, err = d.Dial(ctx, open[0].Request(agent))
	re := refusal(t, err)
	assert.Equal(t, policy.RuleCallingHours, re.Rule)
	assert.Equal(t, time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC), re.NextAllowed.UTC())
	assert.Equal(t, 0, fake.RequestCount(""))

	clk.Set(time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC))
	res, err := d.Dial(ctx, open[0].Request(agent))
	require.NoError(t, err)
	assert.Equal(t, open[0].ID, res.Meta["callback"])
	open, err = cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	assert.Len(t, open, 1, "dialled, not reached yet")

	now := time.Now()
	_, err = l.ApplyEvent(ctx, calls.Event{CallID: "X1", Action: calls.ActionStart, Endpoint: agent, Direction: callmyway.DirectionOutbound,
		Number: "+50688881111", Detect: now, Connect: now.Add(5 * time.Second)})
	require.NoError(t, err)
	c, err := l.Get(ctx, calls.DialPrefix+res.Ref)
	require.NoError(t, err)
	assert.Equal(t, "X1", c.ID, "the webhook call joined the admitted dial")
	open, err = cb.Open(ctx, casefile.CallbackQuery{})
	require.NoError(t, err)
	assert.Empty(t, open, "the connected call closed the callback")
}
