package calls

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

func TestOutboundLifecycle(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	at := clk.Now()
	c, err := l.RecordDial(ctx, Dial{Ref: "r1", Agent: agent1, Number: "+50688887777", At: at, Meta: map[string]string{"contact": "c42", "case": "k7"}})
	require.NoError(t, err)
	assert.Equal(t, "dial:r1", c.ID)
	assert.Equal(t, StateRequested, c.State)
	assert.True(t, c.Live)
	busy, err := l.HasLiveCall(ctx, callmyway.Endpoint{User: "8000001"})
	require.NoError(t, err)
	assert.True(t, busy, "a requested dial keeps its agent busy")

	clk.Advance(5 * time.Second)
	c, err = l.ApplyEvent(ctx, Event{CallID: "X1", Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionOutbound,
		Number: "+50688887777", Detect: at.Add(3 * time.Second)})
	require.NoError(t, err)
	assert.Equal(t, "X1", c.ID)
	assert.Equal(t, StateRinging, c.State)
	assert.Equal(t, "c42", c.Meta["contact"])
	assert.Equal(t, agent1, c.Agent)

	got, err := l.Get(ctx, "dial:r1")
	require.NoError(t, err)
	assert.Equal(t, "X1", got.ID, "the dial id is an alias of the call")

	c, err = l.ApplyEvent(ctx, Event{CallID: "X1", Action: ActionEnd, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionOutbound,
		Number: "+50688887777", Detect: at.Add(3 * time.Second), Connect: at.Add(10 * time.Second), Disconnect: at.Add(70 * time.Second), Duration: 60 * time.Second, Cost: dec("0.50")})
	require.NoError(t, err)
	assert.Equal(t, StateEnded, c.State)
	assert.Equal(t, OutcomeAnswered, c.Outcome)
	assert.False(t, c.Live)

	require.NoError(t, l.ApplyLegs(ctx, []Leg{{CallID: "X1", RefCallID: "0", Agent: callmyway.Endpoint{User: "8000001"}, Number: "+50688887777",
		Direction: callmyway.DirectionOutbound, Detect: at.Add(3 * time.Second), Connect: at.Add(10 * time.Second), Disconnect: at.Add(71 * time.Second),
		Duration: 61 * time.Second, Cost: dec("0.51"), Rate: dec("0.5"), EndReason: "OK"}}))
	c, err = l.Get(ctx, "X1")
	require.NoError(t, err)
	assert.Equal(t, StateFinal, c.State)
	assert.Equal(t, 61*time.Second, c.Duration)
	assert.Equal(t, "0.51", c.Cost.String())
	assert.Empty(t, c.Diffs, "within tolerance")

	// A callStart delivered again 16 minutes later does not revive it.
	clk.Advance(16 * time.Minute)
	c, err = l.ApplyEvent(ctx, Event{CallID: "X1", Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionOutbound,
		Number: "+50688887777", Detect: at.Add(3 * time.Second)})
	require.NoError(t, err)
	assert.Equal(t, StateFinal, c.State)
	busy, err = l.HasLiveCall(ctx, agent1)
	require.NoError(t, err)
	assert.False(t, busy)
}

func TestEndBeforeStartAndNoDuplicateWrites(t *testing.T) {
	l, st, clk := setup(t)
	ctx := t.Context()
	at := clk.Now()
	end := Event{CallID: "Y", Action: ActionEnd, Endpoint: agent2, Direction: callmyway.DirectionInbound, Number: "+50622223333",
		Detect: at, Disconnect: at.Add(20 * time.Second), ReceivedAt: at.Add(21 * time.Second)}
	start := Event{CallID: "Y", Action: ActionStart, Endpoint: agent2, Direction: callmyway.DirectionInbound, Number: "+50622223333", Detect: at, ReceivedAt: at.Add(22 * time.Second)}
	_, err := l.ApplyEvent(ctx, end)
	require.NoError(t, err)
	c, err := l.ApplyEvent(ctx, start)
	require.NoError(t, err)
	assert.Equal(t, StateEnded, c.State)
	assert.Equal(t, OutcomeNotConnected, c.Outcome)
	ch, err := st.Changes(ctx, 0, 100)
	require.NoError(t, err)
	seq := ch[len(ch)-1].Seq
	_, err = l.ApplyEvent(ctx, start)
	require.NoError(t, err)
	ch, err = st.Changes(ctx, seq, 100)
	require.NoError(t, err)
	assert.Empty(t, ch, "a duplicate writes nothing")
}

func TestZeroLedger(t *testing.T) {
	var l *Ledger
	ctx := t.Context()
	_, err := l.RecordDial(ctx, Dial{})
	assert.ErrorIs(t, err, ErrNoLedger)
	_, err = (&Ledger{}).Get(ctx, "x")
	assert.ErrorIs(t, err, ErrNoLedger)
	assert.ErrorIs(t, (&Ledger{}).ApplyLegs(ctx, nil), ErrNoLedger)
	for _, err := range (&Ledger{}).Calls(ctx, Query{}) {
		assert.ErrorIs(t, err, ErrNoLedger)
	}
	_, err = l.Live(ctx, agent1)
	assert.ErrorIs(t, err, ErrNoLedger)
	_, err = l.HasLiveCall(ctx, agent1)
	assert.ErrorIs(t, err, ErrNoLedger)
	_, err = l.Dispose(ctx, "x", Disposition{})
	assert.ErrorIs(t, err, ErrNoLedger)
	_, err = l.Changes(ctx, 0, 1)
	assert.ErrorIs(t, err, ErrNoLedger)
	assert.ErrorIs(t, l.WaitChanges(ctx, 0), ErrNoLedger)
	_, err = l.Report(ctx, time.Now(), time.Now())
	assert.ErrorIs(t, err, ErrNoLedger)
	_, err = l.ApplyEvent(ctx, Event{})
	assert.ErrorIs(t, err, ErrNoLedger)
}

func TestValidation(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	ok := Event{CallID: "c1", Action: ActionStart, Detect: clk.Now()}
	for name, tc := range map[string]struct {
		mut   func(*Event)
		field string
	}{
		"empty callid":    {func(e *Event) { e.CallID = "" }, "Event.CallID"},
		"long callid":     {func(e *Event) { e.CallID = string(make([]byte, 129)) }, "Event.CallID"},
		"invalid utf8":    {func(e *Event) { e.CallID = "a\xffb" }, "Event.CallID"},
		"nul in callid":   {func(e *Event) { e.CallID = "a\x00b" }, "Event.CallID"},
		"dial prefix":     {func(e *Event) { e.CallID = "dial:1" }, "Event.CallID"},
		"action":          {func(e *Event) { e.Action = "ring" }, "Event.Action"},
		"negative dur":    {func(e *Event) { e.Duration = -time.Second }, "Event.Duration"},
		"dur over a year": {func(e *Event) { e.Duration = 400 * 24 * time.Hour }, "Event.Duration"},
		"nul in ani":      {func(e *Event) { e.ANI = "12\x003" }, "Event.ANI"},
		"number":          {func(e *Event) { e.Number = "88887777" }, "Event.Number"},
		"year 10000":      {func(e *Event) { e.Detect = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "Event.Detect"},
		"direction":       {func(e *Event) { e.Direction = "sideways" }, "Event.Direction"},
		"endpoint space":  {func(e *Event) { e.Endpoint.ID = "50 01" }, "Event.Endpoint.ID"},
		"cost":            {func(e *Event) { e.Cost = dec("1e15") }, "Event.Cost"},
	} {
		t.Run(name, func(t *testing.T) {
			e := ok
			tc.mut(&e)
			_, err := l.ApplyEvent(ctx, e)
			require.ErrorIs(t, err, ErrInvalid)
			var ie *InvalidError
			require.True(t, errors.As(err, &ie))
			assert.Equal(t, tc.field, ie.Field)
		})
	}
	err := l.ApplyLegs(ctx, []Leg{{CallID: "ok"}, {CallID: "x", Duration: -1}})
	var ie *InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Legs[1].Duration", ie.Field)
	_, err = l.Get(ctx, "ok")
	assert.ErrorIs(t, err, ErrNotFound, "an invalid batch applies nothing")
	_, err = l.RecordDial(ctx, Dial{Ref: "r", Number: "+50688887777", At: clk.Now()})
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Dial.Agent", ie.Field)
}

func TestNewValidatesOptions(t *testing.T) {
	st, err := NewMemoryStore()
	require.NoError(t, err)
	for name, o := range map[string]Option{
		"WithClock":             WithClock(nil),
		"WithNeverArrivedAfter": WithNeverArrivedAfter(0),
		"WithMaxLiveAge":        WithMaxLiveAge(49 * time.Hour),
		"WithCorrelationWindow": WithCorrelationWindow(-time.Second, time.Minute),
		"WithTolerance":         WithTolerance(-time.Second, dec("0")),
		"WithCDRWithin":         WithCDRWithin(0),
		"WithLogger":            WithLogger(nil),
		"WithOnChange":          WithOnChange(nil),
	} {
		_, err := New(testAcct, st, o)
		var ie *InvalidError
		require.ErrorAs(t, err, &ie, name)
		assert.Equal(t, name, ie.Field)
	}
	_, err = New(testAcct, nil)
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = NewMemoryStore(WithRetention(30 * time.Minute))
	assert.ErrorIs(t, err, ErrInvalid, "retention below the re-delivery horizon")
	short, err := NewMemoryStore(WithRetention(2 * time.Hour))
	require.NoError(t, err)
	_, err = New(testAcct, short)
	assert.ErrorIs(t, err, ErrInvalid, "the default max live age (4h) exceeds a 2h retention")
	_, err = New(testAcct, short, WithMaxLiveAge(2*time.Hour))
	assert.NoError(t, err)
}

func TestNeverArrived(t *testing.T) {
	l, _, clk := setup(t, WithNeverArrivedAfter(2*time.Minute))
	ctx := t.Context()
	_, err := l.RecordDial(ctx, Dial{Ref: "r9", Agent: agent3, Number: "+50688880000", At: clk.Now()})
	require.NoError(t, err)
	clk.Advance(119 * time.Second)
	c, err := l.Get(ctx, "dial:r9")
	require.NoError(t, err)
	assert.Equal(t, OutcomePending, c.Outcome)
	assert.True(t, c.Live)
	clk.Advance(time.Second)
	c, err = l.Get(ctx, "dial:r9")
	require.NoError(t, err)
	assert.Equal(t, StateRequested, c.State)
	assert.Equal(t, OutcomeNeverArrived, c.Outcome)
	assert.False(t, c.Live)
	busy, err := l.HasLiveCall(ctx, agent3)
	require.NoError(t, err)
	assert.False(t, busy, "a dial that never arrived frees its agent")
}

func TestMaxLiveAge(t *testing.T) {
	l, _, clk := setup(t, WithMaxLiveAge(time.Hour))
	ctx := t.Context()
	_, err := l.ApplyEvent(ctx, Event{CallID: "G", Action: ActionStart, Endpoint: agent1, Detect: clk.Now(), Number: "+50611112222"})
	require.NoError(t, err)
	live, err := l.Live(ctx, agent1)
	require.NoError(t, err)
	require.Len(t, live, 1)
	clk.Advance(time.Hour)
	live, err = l.Live(ctx, agent1)
	require.NoError(t, err)
	assert.Empty(t, live, "a call whose end never came stops counting as live")
}
