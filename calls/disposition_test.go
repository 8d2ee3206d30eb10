package calls

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

func endedCall(t *testing.T, l *Ledger, clk *clock, id, number string) {
	t.Helper()
	_, err := l.ApplyEvent(t.Context(), Event{CallID: id, Action: ActionEnd, Endpoint: agent1, Direction: callmyway.DirectionInbound,
		Number: number, Detect: clk.Now(), Connect: clk.Now().Add(time.Second), Disconnect: clk.Now().Add(time.Minute), Duration: 59 * time.Second})
	require.NoError(t, err)
}

func TestDisposeAmendmentsAreAppendOnly(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	endedCall(t, l, clk, "A", "+50611110000")
	c, err := l.Dispose(ctx, "A", Disposition{By: "u3", Result: "promise-to-pay", NextAction: "call back", NextAt: clk.Now().Add(24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, c.Disps, 1)
	first := c.Disps[0]
	assert.Equal(t, "u3", first.By)
	assert.Equal(t, clk.Now(), first.At)

	clk.Advance(time.Minute)
	c, err = l.Dispose(ctx, "A", Disposition{By: "u9", Amends: first.ID, Result: "refused"})
	require.NoError(t, err)
	require.Len(t, c.Disps, 2)
	assert.Equal(t, first, c.Disps[0], "the original is never rewritten")
	assert.Equal(t, first.ID, c.Disps[1].Amends)
	assert.Equal(t, "u9", c.Disps[1].By)
	assert.Equal(t, clk.Now(), c.Disps[1].At)

	_, err = l.Dispose(ctx, "A", Disposition{By: "u9", Amends: "nope", Result: "x"})
	var ie *InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Disposition.Amends", ie.Field)
	_, err = l.Dispose(ctx, "A", Disposition{Result: "x"})
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Disposition.By", ie.Field)
	_, err = l.Dispose(ctx, "missing", Disposition{By: "u", Result: "x"})
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestChargesExactlyOnce(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	endedCall(t, l, clk, "A", "+50611110000")
	endedCall(t, l, clk, "B", "+50611110001")
	charge := Charge{Key: "form-1", Amount: dec("2500.00"), Currency: "CRC", Description: "gestión de cobro"}
	c, err := l.Dispose(ctx, "A", Disposition{By: "u3", Result: "paid", Charges: []Charge{charge}})
	require.NoError(t, err)
	require.Len(t, c.Charges, 1)
	assert.Equal(t, c.Disps[0].ID, c.Charges[0].DispositionID)

	// The same form posted again: a no-op returning the existing charge.
	again, err := l.Dispose(ctx, "A", Disposition{By: "u3", Charges: []Charge{{Key: "form-1", Amount: dec("9"), Currency: "CRC"}}})
	require.NoError(t, err)
	require.Len(t, again.Charges, 1)
	assert.Equal(t, "2500", again.Charges[0].Amount.String())
	assert.Len(t, again.Disps, 1)

	// A stale form cannot land on another call.
	_, err = l.Dispose(ctx, "B", Disposition{By: "u3", Result: "paid", Charges: []Charge{charge}})
	require.ErrorIs(t, err, ErrChargeConflict)
	var ce *ChargeConflictError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "A", ce.CallID)
	b, err := l.Get(ctx, "B")
	require.NoError(t, err)
	assert.Empty(t, b.Disps, "a refused disposition writes nothing")

	// A retried disposition with its id is idempotent.
	d := Disposition{ID: "form-2", By: "u3", Notes: "n", Charges: []Charge{{Key: "k2", Amount: dec("1"), Currency: "USD"}}}
	_, err = l.Dispose(ctx, "B", d)
	require.NoError(t, err)
	b, err = l.Dispose(ctx, "B", d)
	require.NoError(t, err)
	assert.Len(t, b.Disps, 1)
	assert.Len(t, b.Charges, 1)

	var ie *InvalidError
	_, err = l.Dispose(ctx, "B", Disposition{By: "u", Charges: []Charge{{Key: "k3", Amount: dec("1"), Currency: "usd"}}})
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Disposition.Charges[0].Currency", ie.Field)
	_, err = l.Dispose(ctx, "B", Disposition{By: "u", Charges: []Charge{{Key: "k3", Amount: dec("1"), Currency: "USD"}, {Key: "k3", Amount: dec("1"), Currency: "USD"}}})
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Disposition.Charges[1].Key", ie.Field)
}

func TestChargeFollowsMergedCall(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	at := clk.Now()
	_, err := l.RecordDial(ctx, Dial{Ref: "r", Agent: agent1, Number: "+50688887777", At: at})
	require.NoError(t, err)
	_, err = l.Dispose(ctx, "dial:r", Disposition{By: "u", Charges: []Charge{{Key: "k", Amount: dec("5"), Currency: "CRC"}}})
	require.NoError(t, err)
	_, err = l.ApplyEvent(ctx, Event{CallID: "X", Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"}, Number: "+50688887777", Detect: at.Add(time.Second)})
	require.NoError(t, err)
	c, err := l.Dispose(ctx, "X", Disposition{By: "u", Charges: []Charge{{Key: "k", Amount: dec("5"), Currency: "CRC"}}})
	require.NoError(t, err, "the key was posted on the dial, now an alias of X: the same call")
	assert.Len(t, c.Charges, 1)
}

// A call keeps at most MaxDispositions: a form resubmitted without end
// cannot grow its record (rewritten by every write) for good. A known
// disposition ID is still accepted, changing nothing.
func TestDispositionsPerCallAreBounded(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	endedCall(t, l, clk, "A", "+50611110000")
	defer func(n int) { maxDispositions = n }(maxDispositions)
	maxDispositions = 20 // MaxDispositions rewrites take seconds under -race
	var first Disposition
	for i := range maxDispositions {
		c, err := l.Dispose(ctx, "A", Disposition{By: "u1", Result: "no-answer"})
		require.NoError(t, err, "disposition %d", i)
		if i == 0 {
			first = c.Disps[0]
		}
	}
	_, err := l.Dispose(ctx, "A", Disposition{By: "u1", Result: "no-answer"})
	var ie *InvalidError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "Disposition", ie.Field)
	assert.ErrorIs(t, err, ErrInvalid)
	c, err := l.Dispose(ctx, "A", first)
	require.NoError(t, err, "a repeat of a known disposition is not a new one")
	assert.Len(t, c.Disps, maxDispositions)
}
