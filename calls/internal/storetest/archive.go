package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// runArchive checks Ledger.Archive on a store: the cutoff guard; only
// calls that started before the cutoff and got no fact since are deleted,
// with their aliases and charge keys, after copyOut saw them; a call
// within the re-delivery horizon still finds its re-delivery and stays
// ended (no ghost); kept calls keep their charges exactly once; the
// change stream never numbers a change again.
func runArchive(t *testing.T, newStore func(t *testing.T) calls.Store) {
	ctx := t.Context()
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	clk := &testClock{t: t0}
	l, err := calls.New(acct, newStore(t), calls.WithClock(clk.Now))
	require.NoError(t, err)
	agent := callmyway.Endpoint{ID: "5001", User: "8000001"}
	ended := func(id, number string, at time.Time) {
		t.Helper()
		_, err := l.ApplyEvent(ctx, calls.Event{CallID: id, Action: calls.ActionEnd, Endpoint: agent, Direction: callmyway.DirectionOutbound,
			Number: number, Detect: at, Connect: at.Add(time.Second), Disconnect: at.Add(time.Minute), Duration: 59 * time.Second, ReceivedAt: at.Add(time.Minute)})
		require.NoError(t, err)
	}
	leg := func(id, number string, at, seen time.Time) {
		t.Helper()
		require.NoError(t, l.ApplyLegs(ctx, []calls.Leg{{CallID: id, RefCallID: "0", Agent: agent, Number: number, Direction: callmyway.DirectionOutbound,
			Detect: at, Connect: at.Add(time.Second), Disconnect: at.Add(time.Minute), Duration: 59 * time.Second, EndReason: "OK", SeenAt: seen}}))
	}
	charge := func(id, key string) error {
		_, err := l.Dispose(ctx, id, calls.Disposition{By: "u1", Charges: []calls.Charge{{Key: key, Amount: decimal.NewFromInt(5), Currency: "USD"}}})
		return err
	}

	// Old calls, at t0: "old" was dialled (alias dial:r1), ended, its CDR
	// is in and a charge was posted; "stale" rang and never ended.
	_, err = l.RecordDial(ctx, calls.Dial{Ref: "r1", Agent: agent, Number: "+50688880001", At: t0})
	require.NoError(t, err)
	ended("old", "+50688880001", t0.Add(time.Second))
	leg("old", "+50688880001", t0.Add(time.Second), t0.Add(5*time.Minute))
	clk.Set(t0.Add(10 * time.Minute))
	require.NoError(t, charge("old", "k-old"))
	_, err = l.ApplyEvent(ctx, calls.Event{CallID: "stale", Action: calls.ActionStart, Endpoint: agent, Direction: callmyway.DirectionInbound,
		Number: "+50688880002", Detect: t0, ReceivedAt: t0})
	require.NoError(t, err)
	// Old calls touched lately: "touched" got its CDR again half an hour
	// ago, "charged" a charge ten days ago.
	ended("touched", "+50688880003", t0)
	ended("charged", "+50688880004", t0)
	now := t0.Add(90 * 24 * time.Hour)
	leg("touched", "+50688880003", t0, now.Add(-30*time.Minute))
	clk.Set(now.Add(-10 * 24 * time.Hour))
	require.NoError(t, charge("charged", "k-kept"))
	// A recent call.
	clk.Set(now)
	ended("new", "+50688880005", now.Add(-time.Hour))
	ch, err := l.Changes(ctx, 0, 1000)
	require.NoError(t, err)
	lastSeq := ch[len(ch)-1].Seq

	// The cutoff guard.
	n, err := l.Archive(ctx, now.Add(-calls.MinArchiveAge+time.Second), nil)
	assert.Zero(t, n)
	require.ErrorIs(t, err, calls.ErrArchiveTooRecent)
	assert.ErrorIs(t, err, calls.ErrInvalid)
	var ce *calls.ArchiveCutoffError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, calls.MinArchiveAge, ce.Min)
	_, err = l.Archive(ctx, time.Time{}, nil)
	assert.ErrorIs(t, err, calls.ErrInvalid)

	// A failing copy deletes nothing.
	boom := errors.New("cold storage down")
	n, err = l.Archive(ctx, now.Add(-calls.MinArchiveAge), func(context.Context, []calls.Call) error { return boom })
	assert.Zero(t, n)
	require.ErrorIs(t, err, boom)
	_, err = l.Get(ctx, "old")
	require.NoError(t, err)

	var copied []string
	n, err = l.Archive(ctx, now.Add(-calls.MinArchiveAge), func(_ context.Context, cs []calls.Call) error {
		for _, c := range cs {
			copied = append(copied, c.ID)
			if c.ID == "old" {
				assert.Equal(t, calls.StateFinal, c.State)
				assert.Len(t, c.Charges, 1)
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"old", "stale"}, copied)
	assert.Equal(t, 2, n)
	for _, id := range []string{"old", "dial:r1", "stale"} {
		_, err := l.Get(ctx, id)
		assert.ErrorIs(t, err, calls.ErrNotFound, id)
	}
	for _, id := range []string{"touched", "charged", "new"} {
		_, err := l.Get(ctx, id)
		assert.NoError(t, err, id)
	}

	// A re-delivery within the horizon finds its call, which stays
	// ended: no ghost.
	_, err = l.ApplyEvent(ctx, calls.Event{CallID: "touched", Action: calls.ActionStart, Endpoint: agent, Direction: callmyway.DirectionOutbound,
		Number: "+50688880003", Detect: t0})
	require.NoError(t, err)
	c, err := l.Get(ctx, "touched")
	require.NoError(t, err)
	assert.Equal(t, calls.StateFinal, c.State)
	assert.False(t, c.Live)
	var touched int
	for c, err := range l.Calls(ctx, calls.Query{Number: "+50688880003"}) {
		require.NoError(t, err)
		touched++
		assert.Equal(t, "touched", c.ID)
	}
	assert.Equal(t, 1, touched, "one call for the number")

	// A kept call's charge key is still posted exactly once.
	require.NoError(t, charge("charged", "k-kept"), "again on its call: a no-op")
	c, err = l.Get(ctx, "charged")
	require.NoError(t, err)
	assert.Len(t, c.Charges, 1)
	assert.ErrorIs(t, charge("new", "k-kept"), calls.ErrChargeConflict)

	// The change stream goes on after the last change seen before.
	ended("newer", "+50688880006", now)
	ch, err = l.Changes(ctx, lastSeq, 1000)
	require.NoError(t, err)
	var ids []string
	for _, c := range ch {
		ids = append(ids, c.ID)
	}
	assert.Contains(t, ids, "newer")

	// Years later, everything is archivable; a store may keep the record
	// it numbers changes from (SQLite), and the next change still comes
	// after every change seen.
	ch, err = l.Changes(ctx, 0, 1000)
	require.NoError(t, err)
	lastSeq = ch[len(ch)-1].Seq
	clk.Set(now.Add(2 * 365 * 24 * time.Hour))
	n, err = l.Archive(ctx, clk.Now().Add(-calls.MinArchiveAge), nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 3)
	ended("latest", "+50688880007", clk.Now())
	ch, err = l.Changes(ctx, lastSeq, 1000)
	require.NoError(t, err)
	require.NotEmpty(t, ch)
	assert.Equal(t, "latest", ch[len(ch)-1].ID)
	_, err = l.Get(ctx, "latest")
	require.NoError(t, err)
}
