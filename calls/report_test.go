package calls

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

func TestReport(t *testing.T) {
	l, _, clk := setup(t, WithCDRWithin(10*time.Minute))
	ctx := t.Context()
	at := clk.Now()
	ep := callmyway.Endpoint{ID: "5001"}
	end := func(id, num string, dur time.Duration, cost string) {
		_, err := l.ApplyEvent(ctx, Event{CallID: id, Action: ActionEnd, Endpoint: ep, Number: num, Detect: at,
			Connect: at.Add(time.Second), Disconnect: at.Add(time.Second + dur), Duration: dur, Cost: dec(cost)})
		require.NoError(t, err)
	}
	leg := func(id, num string, dur time.Duration, cost string) Leg {
		return Leg{CallID: id, RefCallID: "0", Agent: callmyway.Endpoint{User: "8000001"}, Number: num, Detect: at,
			Connect: at.Add(time.Second), Disconnect: at.Add(time.Second + dur), Duration: dur, Cost: dec(cost), EndReason: "OK"}
	}
	end("ok", "+50610000001", 60*time.Second, "0.50")
	end("nocdr", "+50610000002", 60*time.Second, "0.50")
	end("dur", "+50610000003", 60*time.Second, "0.50")
	end("cost", "+50610000004", 60*time.Second, "0.50")
	_, err := l.RecordDial(ctx, Dial{Ref: "lost", Agent: agent3, Number: "+50610000005", At: at})
	require.NoError(t, err)
	require.NoError(t, l.ApplyLegs(ctx, []Leg{
		leg("ok", "+50610000001", 61*time.Second, "0.505"),
		leg("dur", "+50610000003", 63*time.Second, "0.50"),
		leg("cost", "+50610000004", 60*time.Second, "0.52"),
		leg("nohook", "+50610000006", 60*time.Second, "0.50"),
	}))
	clk.Advance(11 * time.Minute) // 1s before the CDR's bound
	rep, err := l.Report(ctx, at.Add(-time.Hour), at.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, rep.NoCDR, "the CDR may still come")
	clk.Advance(time.Second)

	rep, err = l.Report(ctx, at.Add(-time.Hour), at.Add(time.Hour))
	require.NoError(t, err)
	ids := func(cs []Call) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	assert.Equal(t, 6, rep.Calls)
	assert.Equal(t, []string{"nocdr"}, ids(rep.NoCDR))
	assert.Equal(t, []string{"nohook"}, ids(rep.NoWebhook))
	assert.Equal(t, []string{"dial:lost"}, ids(rep.NeverArrived))
	assert.ElementsMatch(t, []string{"dur", "cost"}, ids(rep.Mismatched))
	c, err := l.Get(ctx, "cost")
	require.NoError(t, err)
	assert.Equal(t, []Diff{{Field: "cost", Webhook: "0.5", CDR: "0.52"}}, c.Diffs)
	assert.Equal(t, "0.52", c.Cost.String(), "the CDR's cost wins")

	_, err = l.Report(ctx, at, at)
	assert.ErrorIs(t, err, ErrInvalid)
}
