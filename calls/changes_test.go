package calls

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

func TestChangesResume(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	at := clk.Now()
	_, err := l.RecordDial(ctx, Dial{Ref: "r", Agent: agent1, Number: "+50688887777", At: at})
	require.NoError(t, err)
	endedCall(t, l, clk, "B", "+50611110000")

	ch, err := l.Changes(ctx, 0, 10)
	require.NoError(t, err)
	require.Len(t, ch, 2)
	assert.Equal(t, "dial:r", ch[0].ID)
	assert.Equal(t, "B", ch[1].ID)
	assert.Less(t, ch[0].Seq, ch[1].Seq)
	last := ch[1].Seq

	// A browser reloads and resumes after its last id: it sees only what
	// changed since, each call once at its latest Seq.
	_, err = l.ApplyEvent(ctx, Event{CallID: "X", Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"}, Number: "+50688887777", Detect: at.Add(time.Second)})
	require.NoError(t, err)
	_, err = l.Dispose(ctx, "B", Disposition{By: "u", Notes: "n"})
	require.NoError(t, err)
	ch, err = l.Changes(ctx, last, 10)
	require.NoError(t, err)
	var ids []string
	for _, c := range ch {
		ids = append(ids, c.ID)
		assert.Greater(t, c.Seq, last)
	}
	assert.ElementsMatch(t, []string{"X", "dial:r", "B"}, ids)
	for _, c := range ch {
		if c.ID == "dial:r" {
			assert.Equal(t, "X", c.AliasOf, "the dial now points to its call")
		}
	}
	page, err := l.Changes(ctx, last, 1)
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, ch[0].ID, page[0].ID)

	_, err = l.Changes(ctx, 0, 0)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestWaitChanges(t *testing.T) {
	l, _, clk := setup(t)
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- l.WaitChanges(ctx, 0) }()
	endedCall(t, l, clk, "B", "+50611110000")
	require.NoError(t, <-done)

	ch, err := l.Changes(ctx, 0, 10)
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, l.WaitChanges(cctx, ch[len(ch)-1].Seq), context.Canceled)
	assert.NoError(t, l.WaitChanges(ctx, 0), "a change after 0 exists already")
}

func TestMemoryStorePrunes(t *testing.T) {
	l, st, clk := setup(t)
	ctx := t.Context()
	endedCall(t, l, clk, "old", "+50611110000")
	clk.Advance(DefaultRetention + time.Minute)
	endedCall(t, l, clk, "new", "+50611110001")
	st.Prune()
	_, err := l.Get(ctx, "old")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = l.Get(ctx, "new")
	assert.NoError(t, err)
}
