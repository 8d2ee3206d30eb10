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

// A live-calls poll is how a call shows as talking: webhooks carry no
// answer event. The sighting never ends a call, never counts as its
// webhook, and an old sighting applied after the CDR changes nothing.
func TestObserveLiveShowsTalking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, client, ledger := fakeLedger(t)
		ctx := t.Context()
		beto := callmyway.Endpoint{ID: "5002", User: "8000002"}
		carla := callmyway.Endpoint{ID: "5003", User: "8000003"}
		id, err := fake.Inbound("8888-7777", ana, cmwtest.RingGroup(beto, carla),
			cmwtest.WithScript(cmwtest.Script{Ring: 5 * time.Second, Talk: time.Minute}))
		require.NoError(t, err)

		time.Sleep(2 * time.Second) // ringing on three phones
		ringing, err := cdr.Live(ctx, client)
		require.NoError(t, err)
		require.Len(t, ringing, 3)
		require.NoError(t, ledger.ObserveLive(ctx, ringing))
		c, err := ledger.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, calls.StateRinging, c.State)
		assert.True(t, c.Live)
		assert.Len(t, c.Rung, 3)

		time.Sleep(5 * time.Second) // ana answered; the others stopped ringing
		talking, err := cdr.Live(ctx, client)
		require.NoError(t, err)
		require.NoError(t, ledger.ObserveLive(ctx, talking))
		c, err = ledger.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, calls.StateConnected, c.State, "talking")
		assert.True(t, c.Live)
		assert.Equal(t, ana.User, c.Agent.User, "the phone that answered owns the call")
		assert.False(t, c.WebhookSeen, "a sighting is not the webhook")

		time.Sleep(2 * time.Minute) // over; its CDR is in
		recs, err := cdr.Recent(ctx, client)
		require.NoError(t, err)
		require.NoError(t, ledger.ReconcileCDRs(ctx, recs))
		require.NoError(t, ledger.ObserveLive(ctx, talking)) // a late poll's answer
		c, err = ledger.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, calls.StateFinal, c.State)
		assert.Equal(t, calls.OutcomeAnswered, c.Outcome)
		assert.False(t, c.Live, "an ended call is never live again")
		assert.True(t, c.WebhookMissed(), "known from its CDR and a live poll only: flagged")
		assert.Equal(t, ana.User, c.Agent.User)
		n := 0
		for _, err := range ledger.Calls(ctx, calls.Query{}) {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 1, n, "three ringing legs, one call")
	})
}

// LiveOf skips records that are not in progress, keys a leg by its call's
// group id and refuses nothing a live query sends.
func TestLiveOf(t *testing.T) {
	_, ok := calls.LiveOf("CR", cdr.Record{CallID: "1", Duration: time.Minute}, time.Now())
	assert.False(t, ok, "a record with a duration is not in progress")
	e, ok := calls.LiveOf("CR", cdr.Record{CallID: "2", OriginalCallID: "1", ANI: "88887777", DNISUser: "8000001",
		Direction: callmyway.DirectionInbound}, time.Now())
	require.True(t, ok)
	assert.Equal(t, "1", e.CallID, "keyed by the call, not the leg")
	assert.Equal(t, calls.ActionLive, e.Action)
	assert.Equal(t, "+50688887777", e.Number)
	assert.True(t, e.Connect.IsZero())
}

// WatchLive polls live calls only while a call rings, and that is how a
// ringing call becomes talking in the ledger.
func TestWatchLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, client, ledger := fakeLedger(t)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- ledger.WatchLive(ctx, client, 5*time.Second) }()
		liveQueries := func() int {
			n := 0
			for _, r := range fake.Requests() {
				if r.Query["live"] == "1" {
					n++
				}
			}
			return n
		}

		time.Sleep(time.Minute)
		assert.Zero(t, liveQueries(), "nothing rings: no query spent")

		id, err := fake.Inbound("8888-7777", ana, cmwtest.WithScript(cmwtest.Script{Ring: 8 * time.Second, Talk: time.Minute}))
		require.NoError(t, err)
		// The callStart webhook, as the handler would apply it.
		start := webhook.Event{Action: webhook.CallStart, ReceivedAt: time.Now(), Call: webhook.Call{ID: id, Endpoint: callmyway.Endpoint{ID: ana.ID},
			Direction: callmyway.DirectionInbound, ANI: "88887777", DNIS: ana.User, DetectTime: callmyway.NewTime(time.Now())}}
		require.NoError(t, ledger.HandleEvent(ctx, start))
		c, err := ledger.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, calls.StateRinging, c.State)

		time.Sleep(12 * time.Second)
		c, err = ledger.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, calls.StateConnected, c.State, "answered: talking")
		polled := liveQueries()
		assert.Positive(t, polled)

		time.Sleep(30 * time.Second)
		assert.Equal(t, polled, liveQueries(), "connected: polling stops")

		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
		assert.ErrorIs(t, ledger.WatchLive(t.Context(), client, 0), calls.ErrInvalid)
		assert.ErrorIs(t, ledger.WatchLive(t.Context(), nil, time.Second), calls.ErrInvalid)
	})
}

// A double-click window longer than the ledger's never-arrived time is
// refused when the Dialer is made: once the ledger forgets a dial no
// webhook reported, it says the agent is free, and a repeated click still
// inside the window would ring the customer a second time. A window within
// that time keeps a repeat a repeat.
func TestDoubleClickWindowWithinNeverArrived(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, client, _ := fakeLedger(t)
		store, err := calls.NewMemoryStore()
		require.NoError(t, err)
		ledger, err := calls.New(client.Account(), store, calls.WithNeverArrivedAfter(time.Second))
		require.NoError(t, err)
		assert.Equal(t, time.Second, ledger.NeverArrivedAfter())
		var _ click2dial.DialForgetter = ledger

		for _, opts := range [][]click2dial.Option{
			{click2dial.WithLiveCalls(ledger)}, // the default 5 s window
			{click2dial.WithDoubleClickWindow(2 * time.Second), click2dial.WithLiveCalls(ledger), click2dial.WithOnAccepted(ledger.RecordAccepted)},
		} {
			_, err = click2dial.New(client, opts...)
			require.ErrorIs(t, err, click2dial.ErrOptionConflict)
			var wc *click2dial.WindowConflictError
			require.ErrorAs(t, err, &wc)
			assert.Equal(t, time.Second, wc.NeverArrived)
			assert.Contains(t, err.Error(), "WithNeverArrivedAfter")
		}

		d, err := click2dial.New(client, click2dial.WithDoubleClickWindow(time.Second),
			click2dial.WithLiveCalls(ledger), click2dial.WithOnAccepted(ledger.RecordAccepted))
		require.NoError(t, err)
		fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script { return cmwtest.Script{Outcome: cmwtest.DialLost} }) // no webhook ever comes
		req := click2dial.Request{Agent: ana, Number: "8888-7777"}
		first, err := d.Dial(t.Context(), req)
		require.NoError(t, err)
		time.Sleep(999 * time.Millisecond)
		again, err := d.Dial(t.Context(), req)
		require.NoError(t, err)
		assert.True(t, again.Duplicate, "a repeat inside the window")
		assert.Equal(t, first.Ref, again.Ref)
		assert.Equal(t, 1, fake.RequestCount(""), "the customer is rung once")
		time.Sleep(time.Millisecond) // the window is over as the ledger forgets the dial
		later, err := d.Dial(t.Context(), req)
		require.NoError(t, err)
		assert.False(t, later.Duplicate, "a click after the window is a new dial")
		assert.Equal(t, 2, fake.RequestCount(""))
	})
}
