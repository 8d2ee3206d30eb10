package calls

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

func TestAdmit(t *testing.T) {
	var mu sync.Mutex
	var changed []string
	l, _, clk := setup(t, WithOnChange(func(_ context.Context, _, after Call) error {
		mu.Lock()
		defer mu.Unlock()
		changed = append(changed, after.ID)
		return nil
	}))
	ctx := t.Context()
	t0 := clk.Now()
	var seen []Call
	a := Admission{Ref: "r1", Agent: agent1, Number: "+50688881111", Meta: map[string]string{"case": "k1", "campaign": "nov"}}
	c, err := l.Admit(ctx, a, t0.Add(-time.Hour), func(h []Call) (Verdict, error) {
		seen = h
		return Verdict{}, nil
	})
	require.NoError(t, err)
	assert.Empty(t, seen)
	assert.Equal(t, "dial:r1", c.ID)
	assert.Equal(t, StateRequested, c.State)
	assert.True(t, c.Live, "an admitted dial is the agent's live call at once")
	assert.Equal(t, "case:k1", c.Admission.Subject)
	assert.Equal(t, "k1", c.Case)
	assert.Equal(t, callmyway.DirectionOutbound, c.Direction)
	live, err := l.HasLiveCall(ctx, agent1)
	require.NoError(t, err)
	assert.True(t, live)

	// The next attempt sees it in the history; a refusal.
	clk.Advance(time.Second)
	c2, err := l.Admit(ctx, Admission{Ref: "r2", Agent: agent2, Number: "+50688881111", Meta: map[string]string{"case": "k1"}}, t0.Add(-time.Hour),
		func(h []Call) (Verdict, error) {
			seen = h
			return Verdict{Refused: true, Rule: "max-attempts", NextAllowed: t0.Add(time.Hour), Detail: "1 dial"}, nil
		})
	require.NoError(t, err)
	require.Len(t, seen, 1)
	assert.Equal(t, "dial:r1", seen[0].ID)
	assert.Equal(t, "refusal:r2", c2.ID)
	assert.Equal(t, StateRefused, c2.State)
	assert.Equal(t, OutcomeRefused, c2.Outcome)
	assert.False(t, c2.Live)
	assert.Equal(t, t0.Add(time.Hour), c2.Admission.NextAllowed)
	live, err = l.HasLiveCall(ctx, agent2)
	require.NoError(t, err)
	assert.False(t, live, "a refusal occupies no phone")

	// The accepted dial joins the pending one; its webhook call too.
	_, err = l.RecordDial(ctx, Dial{Ref: "r1", Agent: agent1, Number: "+50688881111", At: t0.Add(time.Second), Meta: a.Meta})
	require.NoError(t, err)
	_, err = l.ApplyEvent(ctx, Event{CallID: "X1", Action: ActionStart, Endpoint: agent1, Direction: callmyway.DirectionOutbound,
		Number: "+50688881111", Detect: t0.Add(2 * time.Second)})
	require.NoError(t, err)
	got, err := l.Get(ctx, "dial:r1")
	require.NoError(t, err)
	assert.Equal(t, "X1", got.ID)
	assert.Equal(t, "case:k1", got.Admission.Subject)
	assert.Equal(t, StateRinging, got.State)
	var ids []string
	for c, err := range l.Calls(ctx, Query{}) {
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []string{"X1"}, ids, "refusals are left out of the call history")
	ids = nil
	for c, err := range l.Calls(ctx, Query{Refusals: true}) {
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []string{"X1", "refusal:r2"}, ids)
	mu.Lock()
	assert.NotContains(t, changed, "refusal:r2", "no screen hears of a refusal")
	assert.Contains(t, changed, "dial:r1")
	mu.Unlock()

	// The same ref again: the attempt as first recorded, decide not asked.
	c3, err := l.Admit(ctx, Admission{Ref: "r2", Agent: agent2, Number: "+50688881111"}, t0, func([]Call) (Verdict, error) {
		t.Fatal("decide asked again")
		return Verdict{}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, "refusal:r2", c3.ID)

	// The next attempt's history holds the calls, not the refusal: refused
	// clicks, however many, are not read by every later admission.
	_, err = l.Admit(ctx, Admission{Ref: "r3", Agent: agent2, Number: "+50688881111", Meta: map[string]string{"case": "k1"}}, t0.Add(-time.Hour),
		func(h []Call) (Verdict, error) {
			seen = h
			return Verdict{Refused: true, Rule: "max-attempts"}, nil
		})
	require.NoError(t, err)
	require.Len(t, seen, 1)
	assert.Equal(t, "X1", seen[0].ID)
}

func TestAdmitRefusesBadInput(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	ok := func([]Call) (Verdict, error) { return Verdict{}, nil }
	a := Admission{Ref: "r1", Agent: agent1, Number: "+50688881111"}
	for _, tc := range []struct {
		a      Admission
		decide func([]Call) (Verdict, error)
	}{
		{Admission{Agent: agent1, Number: "+50688881111"}, ok},
		{Admission{Ref: "r1", Number: "+50688881111"}, ok},
		{Admission{Ref: "r1", Agent: agent1, Number: "88881111"}, ok},
		{Admission{Ref: "r1", Agent: agent1, Number: "+50688881111", OverrideBy: "sup"}, ok},
		{a, nil},
		{a, func([]Call) (Verdict, error) { return Verdict{Refused: true}, nil }},
		{a, func([]Call) (Verdict, error) { return Verdict{Rule: "cooldown"}, nil }},
	} {
		_, err := l.Admit(ctx, tc.a, clk.Now(), tc.decide)
		assert.ErrorIs(t, err, ErrInvalid, "%+v", tc.a)
	}
	boom := errors.New("boom")
	_, err := l.Admit(ctx, a, clk.Now(), func([]Call) (Verdict, error) { return Verdict{}, boom })
	assert.ErrorIs(t, err, boom)
	_, err = l.Get(ctx, "dial:r1")
	assert.ErrorIs(t, err, ErrNotFound, "nothing recorded when decide fails")
	var zero *Ledger
	_, err = zero.Admit(ctx, a, clk.Now(), ok)
	assert.ErrorIs(t, err, ErrNoLedger)
}

func TestNotPlaced(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	_, err := l.Admit(ctx, Admission{Ref: "r1", Agent: agent1, Number: "+50688881111"}, clk.Now(), func([]Call) (Verdict, error) { return Verdict{}, nil })
	require.NoError(t, err)
	c, err := l.NotPlaced(ctx, "r1", "ERROR: not an endpoint")
	require.NoError(t, err)
	assert.Equal(t, StateEnded, c.State)
	assert.Equal(t, OutcomeNotPlaced, c.Outcome)
	assert.False(t, c.Live)
	assert.Equal(t, "ERROR: not an endpoint", c.Admission.NotPlacedReason)
	again, err := l.NotPlaced(ctx, "r1", "ERROR: not an endpoint")
	require.NoError(t, err)
	assert.Equal(t, c.State, again.State)
	_, err = l.NotPlaced(ctx, "nope", "")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = l.RecordDial(ctx, Dial{Ref: "plain", Agent: agent1, Number: "+50688881111", At: clk.Now()})
	require.NoError(t, err)
	_, err = l.NotPlaced(ctx, "plain", "")
	assert.ErrorIs(t, err, ErrInvalid)
}

// TestAdmittedDialJoinsItsWebhookCall: the webhook call of an admitted
// dial joins it even when the accepted dial is never recorded (the accept
// hook failed or is not wired), so the attempt is one call, with its
// case; a refusal joins nothing.
func TestAdmittedDialJoinsItsWebhookCall(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	t0 := clk.Now()
	_, err := l.Admit(ctx, Admission{Ref: "r1", Agent: agent1, Number: "+50688881111", Meta: map[string]string{"case": "k1"}}, t0,
		func([]Call) (Verdict, error) { return Verdict{}, nil })
	require.NoError(t, err)
	_, err = l.Admit(ctx, Admission{Ref: "r2", Agent: agent2, Number: "+50688881111", Meta: map[string]string{"case": "k1"}}, t0,
		func([]Call) (Verdict, error) { return Verdict{Refused: true, Rule: "max-attempts"}, nil })
	require.NoError(t, err)
	for _, a := range []callmyway.Endpoint{agent1, agent2} {
		_, err = l.ApplyEvent(ctx, Event{CallID: "X-" + a.ID, Action: ActionStart, Endpoint: a, Direction: callmyway.DirectionOutbound,
			Number: "+50688881111", Detect: t0.Add(2 * time.Second)})
		require.NoError(t, err)
	}
	c, err := l.Get(ctx, "dial:r1")
	require.NoError(t, err)
	assert.Equal(t, "X-5001", c.ID)
	assert.Equal(t, "k1", c.Case)
	r, err := l.Get(ctx, "refusal:r2")
	require.NoError(t, err)
	assert.Equal(t, "refusal:r2", r.ID)
	x, err := l.Get(ctx, "X-5002")
	require.NoError(t, err)
	assert.Empty(t, x.Case, "a refusal is no dial to correlate with")
}
