package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
)

func TestParseArchiveAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "0": 0, "1825d": 1825 * 24 * time.Hour, "7y": 7 * 365 * 24 * time.Hour, "43800h": 43800 * time.Hour} {
		got, err := parseArchiveAfter(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"29d", "730d", "2y", "1824d", "720h", "1h", "-1y", "101y", "xd", "soon"} {
		_, err := parseArchiveAfter(in)
		assert.Error(t, err, in)
	}
}

// TestRunArchive: -archive-after deletes the ledger's calls and the CDR
// records older than it, and keeps the rest.
func TestRunArchive(t *testing.T) {
	a := newTestApp(t)
	setupArchive(t, a)
	ctx := t.Context()
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); a.runArchive(actx, 365*24*time.Hour) }()
	require.Eventually(t, func() bool {
		_, err := a.ledger.Get(ctx, "old-call")
		_, ok, _ := a.cdrs.Get(ctx, "old-cdr")
		return err != nil && !ok
	}, 10*time.Second, 20*time.Millisecond)
	cancel()
	<-done
	_, ok, err := a.cdrs.Get(ctx, "new-cdr")
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = a.ledger.Get(ctx, "new-call")
	assert.NoError(t, err)
}

func setupArchive(t *testing.T, a *testApp) {
	ctx := t.Context()
	old := time.Now().Add(-400 * 24 * time.Hour)
	_, err := a.ledger.ApplyEvent(ctx, calls.Event{CallID: "old-call", Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: "5001"},
		Number: "+50688887777", Detect: old, Disconnect: old.Add(time.Minute), ReceivedAt: old.Add(time.Minute)})
	require.NoError(t, err)
	// A newer call (SQLite keeps the row numbering the change stream).
	_, err = a.ledger.ApplyEvent(ctx, calls.Event{CallID: "new-call", Action: calls.ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"},
		Number: "+50688887777", Detect: time.Now()})
	require.NoError(t, err)
	require.NoError(t, a.cdrs.Upsert(ctx, "acct", []cdr.Record{{CallID: "old-cdr", RefCallID: "0", DetectTime: callmyway.NewTime(old)},
		{CallID: "new-cdr", RefCallID: "0", DetectTime: callmyway.NewTime(time.Now())}}))

}
