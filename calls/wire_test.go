package calls_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

var ana = callmyway.Endpoint{ID: "5001", User: "8000001"}

// fakeLedger returns an in-process fake (closed when t ends), a Client of
// its account and a ledger over a memory store. Call inside a synctest
// bubble.
func fakeLedger(t *testing.T) (*cmwtest.Server, *callmyway.Client, *calls.Ledger) {
	t.Helper()
	fake := cmwtest.NewServer(cmwtest.InProcess())
	t.Cleanup(fake.Close)
	client, err := fake.NewClient()
	require.NoError(t, err)
	store, err := calls.NewMemoryStore()
	require.NoError(t, err)
	ledger, err := calls.New(client.Account(), store)
	require.NoError(t, err)
	return fake, client, ledger
}

// The one-call guard reads the ledger: the accepted dial makes the agent
// busy, its callEnd frees it, a late re-delivered callStart does not make
// it busy again, and the outbound call carries the dial's metadata.
func TestGuardReadsTheLedger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, client, ledger := fakeLedger(t)
		d, err := click2dial.New(client, click2dial.WithLiveCalls(ledger), click2dial.WithOnAccepted(ledger.RecordAccepted))
		require.NoError(t, err)
		ctx := t.Context()

		res, err := d.Dial(ctx, click2dial.Request{Agent: ana, Number: "8888-7777", Meta: map[string]string{"contact": "c42"}})
		require.NoError(t, err)
		assert.False(t, d.Busy(ana), "the ledger holds the agent, not the Dialer")
		live, err := ledger.HasLiveCall(ctx, ana)
		require.NoError(t, err)
		assert.True(t, live, "requested counts as live")
		_, err = d.Dial(ctx, click2dial.Request{Agent: ana, Number: "8888-6666"})
		require.ErrorIs(t, err, click2dial.ErrCallInProgress)

		// The webhook call arrives and ends.
		at := callmyway.NewTime(time.Now())
		start := webhook.Event{Action: webhook.CallStart, Call: webhook.Call{ID: "900", Endpoint: callmyway.Endpoint{ID: "5001"},
			Direction: callmyway.DirectionOutbound, ANI: "8000001", DNIS: "50688887777", DetectTime: at}}
		end := start
		end.Action, end.Call.DisconnectTime = webhook.CallEnd, at
		require.NoError(t, ledger.HandleEvent(ctx, start))
		c, err := ledger.Get(ctx, "900")
		require.NoError(t, err)
		assert.Equal(t, "c42", c.Meta["contact"], "the outbound call carries the dial's metadata")
		assert.Equal(t, res.Ref, c.DialRef)
		require.NoError(t, ledger.HandleEvent(ctx, end))
		live, err = ledger.HasLiveCall(ctx, ana)
		require.NoError(t, err)
		assert.False(t, live)

		time.Sleep(16 * time.Minute)
		require.NoError(t, ledger.HandleEvent(ctx, start)) // re-delivered 16 minutes later
		live, err = ledger.HasLiveCall(ctx, ana)
		require.NoError(t, err)
		assert.False(t, live, "no ghost: an ended call is never live again")
		fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script { return cmwtest.Script{} })
		_, err = d.Dial(ctx, click2dial.Request{Agent: ana, Number: "8888-6666"})
		require.NoError(t, err)
	})
}

// The Syncer's commits reconcile the ledger: a call the webhook never
// reported enters it flagged.
func TestSyncerReconciles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, client, ledger := fakeLedger(t)
		_, err := fake.Inbound("8888-1111", ana)
		require.NoError(t, err)
		time.Sleep(time.Minute)
		s, err := cdr.NewSyncer(client, cdr.NewMemoryStore(), cdr.OnCommit(ledger.ReconcileCDRs))
		require.NoError(t, err)
		_, err = s.SyncOnce(t.Context())
		require.NoError(t, err)
		var got []calls.Call
		for c, err := range ledger.Calls(context.Background(), calls.Query{From: time.Now().Add(-time.Hour), To: time.Now()}) {
			require.NoError(t, err)
			got = append(got, c)
		}
		require.Len(t, got, 1)
		assert.True(t, got[0].WebhookMissed())
		assert.Equal(t, calls.StateFinal, got[0].State)
		assert.Equal(t, "+50688881111", got[0].Number)
	})
}

// A contact and case chosen at disposition time (an inbound call) make
// the call found by case, with its charge, exactly once.
func TestDispositionNamesTheCase(t *testing.T) {
	store, err := calls.NewMemoryStore()
	require.NoError(t, err)
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ledger, err := calls.New(acct, store)
	require.NoError(t, err)
	ctx := context.Background()
	now := time.Now()
	ev := webhook.Event{Action: webhook.CallEnd, Call: webhook.Call{ID: "in-1", Endpoint: callmyway.Endpoint{ID: "5001"},
		Direction: callmyway.DirectionInbound, ANI: "50622223333", DetectTime: callmyway.NewTime(now), DisconnectTime: callmyway.NewTime(now)}}
	require.NoError(t, ledger.HandleEvent(ctx, ev))
	charge := calls.Charge{Key: "case:in-1", Amount: decimal.RequireFromString("20.00"), Currency: "CRC"}
	for range 2 { // a double submit
		_, err = ledger.Dispose(ctx, "in-1", calls.Disposition{By: "ana", Contact: "c3", Case: "k9", Result: "promise", Charges: []calls.Charge{charge}})
		require.NoError(t, err)
	}
	var got []calls.Call
	for c, err := range ledger.Calls(ctx, calls.Query{Case: "k9", From: now.Add(-time.Hour), To: now.Add(time.Hour)}) {
		require.NoError(t, err)
		got = append(got, c)
	}
	require.Len(t, got, 1)
	assert.Equal(t, "c3", got[0].Contact)
	require.Len(t, got[0].Charges, 1, "posted once")
	assert.Equal(t, "20", got[0].Charges[0].Amount.String())
}
