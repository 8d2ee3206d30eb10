package click2dial

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The fake's default endpoints, by both names.
var (
	ana = callmyway.Endpoint{ID: "5001", User: "8000001"}
	bea = callmyway.Endpoint{ID: "5002", User: "8000002"}
	cai = callmyway.Endpoint{ID: "5003", User: "8000003"}
)

// newDialer returns a fake (in process) and a Dialer pointed at it.
func newDialer(t *testing.T, fakeOpts []cmwtest.Option, opts ...Option) (*cmwtest.Server, *Dialer) {
	t.Helper()
	fake := cmwtest.NewServer(append([]cmwtest.Option{cmwtest.InProcess()}, fakeOpts...)...)
	t.Cleanup(fake.Close)
	client, err := fake.NewClient()
	require.NoError(t, err)
	d, err := New(client, opts...)
	require.NoError(t, err)
	return fake, d
}

func TestAgentFirstAndContactFirstParameters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, []cmwtest.Option{cmwtest.WithAllowedFirstNumbers("50622223333")})
		res, err := d.Dial(t.Context(), Request{Agent: bea, Number: "8888-7777"})
		require.NoError(t, err)
		assert.Equal(t, "+50688887777", res.Number.E164)
		assert.Equal(t, "OK", res.Raw)
		assert.False(t, res.Duplicate)
		res2, err := d.Dial(t.Context(), Request{Agent: cai, Number: "2222 3333", Order: ContactFirst, Host: callmyway.HostClickToDialAlt})
		require.NoError(t, err)
		assert.Equal(t, ContactFirst, res2.Order)

		reqs := fake.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, callmyway.PathClickToDial, reqs[0].Path)
		assert.Equal(t, "8000002", reqs[0].Query["first_num"])
		assert.Equal(t, "50688887777", reqs[0].Query["second_num"])
		assert.Equal(t, callmyway.PathClickToDialAlt, reqs[1].Path)
		assert.Equal(t, "50622223333", reqs[1].Query["first_num"])
		assert.Equal(t, "8000003", reqs[1].Query["second_num"])
	})
}

func TestInvalidNumbersNeverSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil)
		for _, req := range []Request{
			{Agent: ana, Number: "12"},
			{Agent: ana, Number: "anonymous"},
			{Agent: ana, Number: "call me"},
			{Agent: callmyway.Endpoint{User: "agent-1"}, Number: "88887777"},
			{Agent: callmyway.Endpoint{ID: "5001"}, Number: "88887777"},
			{Agent: ana, Number: "8888-ABCD"},
		} {
			_, err := d.Dial(t.Context(), req)
			require.ErrorIs(t, err, ErrInvalidNumber, req)
			var ne *callmyway.NumberError
			require.ErrorAs(t, err, &ne)
			assert.Contains(t, err.Error(), "\""+ne.Input+"\"")
		}
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777", Order: Order(9)})
		assert.Error(t, err)
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88887777", Host: callmyway.HostCDR})
		assert.Error(t, err)
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88887777", CallerID: "999"})
		assert.ErrorIs(t, err, ErrUnknownCallerID)
		assert.Zero(t, fake.RequestCount(""))
	})
}

func TestOneCallPerAgentGuardReleasesOnCallEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil, WithBusyTimeout(10*time.Minute))
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.NoError(t, err)
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88886666"})
		require.ErrorIs(t, err, ErrCallInProgress)
		assert.Equal(t, 1, fake.RequestCount(""), "refused before asking CallMyWay")
		// Another agent is free.
		_, err = d.Dial(t.Context(), Request{Agent: bea, Number: "88886666"})
		require.NoError(t, err)

		time.Sleep(time.Minute) // the simulated call ends; callEnd names the endpoint by id only
		require.NoError(t, d.HandleEvent(t.Context(), webhook.Event{Action: webhook.CallEnd,
			Call: webhook.Call{ID: "x", Endpoint: callmyway.Endpoint{ID: "5001"}}}))
		assert.False(t, d.Busy(ana))
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88886666"})
		require.NoError(t, err)
	})
}

func TestGuardTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := newDialer(t, nil, WithBusyTimeout(2*time.Minute))
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.NoError(t, err)
		assert.True(t, d.Busy(ana))
		start := time.Now()
		require.NoError(t, d.WaitIdle(t.Context(), ana))
		assert.Equal(t, 2*time.Minute, time.Since(start))
		assert.False(t, d.Busy(ana))
	})
}

func TestProviderBusyAnswerMapsToErrCallInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil)
		_, err := fake.Inbound("88881111", ana) // a call the Dialer did not start
		require.NoError(t, err)
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.ErrorIs(t, err, ErrCallInProgress)
		var ae *callmyway.APIError
		require.ErrorAs(t, err, &ae)
		assert.Contains(t, ae.Message, "active call")
		assert.False(t, d.Busy(ana), "a provider refusal does not hold the agent")
	})
}

type liveCalls map[string]bool

func (l liveCalls) HasLiveCall(_ context.Context, agent callmyway.Endpoint) (bool, error) {
	return l[agent.User], nil
}

func TestLiveCallsRefuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil, WithLiveCalls(liveCalls{"8000001": true}))
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.ErrorIs(t, err, ErrCallInProgress)
		assert.Zero(t, fake.RequestCount(""))
	})
}

func TestDoubleClick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil, WithDoubleClickWindow(5*time.Second))
		var accepted atomic.Int32
		d.onAccepted = func(context.Context, Result) error { accepted.Add(1); return nil }
		var wg sync.WaitGroup
		results := make([]Result, 5)
		for i := range results {
			wg.Go(func() {
				r, err := d.Dial(t.Context(), Request{Agent: ana, Number: "8888 7777"})
				assert.NoError(t, err)
				results[i] = r
			})
		}
		wg.Wait()
		assert.Equal(t, 1, fake.RequestCount(""), "five clicks, one request")
		dups := 0
		for _, r := range results {
			if r.Duplicate {
				dups++
			}
			assert.Equal(t, results[0].At, r.At)
		}
		assert.Equal(t, 4, dups)
		assert.EqualValues(t, 1, accepted.Load())

		time.Sleep(6 * time.Second) // past the window: the agent is busy now
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		assert.ErrorIs(t, err, ErrCallInProgress)
	})
}

func TestCallerIDEndpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil, WithCallerID("8000009", "92345678901"))
		res, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777", CallerID: "8000009"})
		require.NoError(t, err)
		assert.Equal(t, "8000009", res.CallerID)
		assert.Equal(t, "8000009", fake.Requests()[0].Query["username"])
		assert.Equal(t, "92345678901", fake.Requests()[0].Query["password"])
		time.Sleep(time.Minute)
		assert.Equal(t, "anonymous", fake.CDRs()[0].ANI, "a private endpoint withholds the number")
	})
}

func TestRefusalsMapToSentinels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, []cmwtest.Option{cmwtest.WithClientIP("198.51.100.1")})
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.ErrorIs(t, err, callmyway.ErrIPNotAllowed)
		assert.Contains(t, err.Error(), "allow list")

		require.NoError(t, fake.SetAllowedIPs("198.51.100.0/24"))
		fake.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultWrongCredentials})
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.ErrorIs(t, err, callmyway.ErrUnauthorized)
		assertNoPassword(t, err, fake.Password())
	})
}

func assertNoPassword(t *testing.T, err error, pw string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		assert.NotContains(t, e.Error(), pw)
	}
}

// Over real sockets: a 500, a reset and a timeout after the request was
// sent each produce exactly one request at the fake.
func TestNeverRetriedOnceSent(t *testing.T) {
	for name, fault := range map[string]cmwtest.Fault{
		"500":     {Kind: cmwtest.Fault5xx},
		"reset":   {Kind: cmwtest.FaultReset},
		"timeout": {Kind: cmwtest.FaultSlow, Delay: 2 * time.Second},
		"html":    {Kind: cmwtest.FaultHTML},
	} {
		t.Run(name, func(t *testing.T) {
			fake := cmwtest.NewServer()
			defer fake.Close()
			client, err := callmyway.New(fake.Account(), fake.Password(), callmyway.WithBaseURL(fake.URL),
				callmyway.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
			require.NoError(t, err)
			d, err := New(client)
			require.NoError(t, err)
			fake.FailNext(1, fault)
			_, err = d.Dial(context.Background(), Request{Agent: ana, Number: "88887777"})
			require.Error(t, err)
			assert.Equal(t, 1, fake.RequestCount(""))
			assertNoPassword(t, err, fake.Password())
			var te *callmyway.TransportError
			if errors.As(err, &te) {
				assert.True(t, te.Sent)
				assert.True(t, d.Busy(ana), "the call may be ringing: the agent stays busy")
			} else {
				assert.False(t, d.Busy(ana))
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	_, err := New(nil)
	assert.Error(t, err)
	_, err = New(&callmyway.Client{})
	assert.Error(t, err)
	c, err := callmyway.New(cmwtest.DefaultAccount, "2")
	require.NoError(t, err)
	for _, o := range []Option{WithLiveCalls(nil), WithBusyTimeout(0), WithDoubleClickWindow(-1), WithNumberFormat(nil), WithCallerID("", "x"), WithOnAccepted(nil), nil} {
		_, err := New(c, o)
		assert.Error(t, err)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"8888-7777", "+506 8888 7777", "00525512345678", "anonymous", "", "12", "(55) 1234-5678", "+1 202 555 0101", "８８８８７７７７", "+5068888777712345678"} {
		f.Add("8000001", s)
	}
	c, err := callmyway.New(cmwtest.DefaultAccount, "x")
	if err != nil {
		f.Fatal(err)
	}
	d, err := New(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, agent, contact string) {
		a, n, err := d.Normalize(Request{Agent: callmyway.Endpoint{User: agent}, Number: contact})
		if err != nil {
			if !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("error %v is not ErrInvalidNumber", err)
			}
			return
		}
		if a.User == "" || n.Withheld || len(n.E164) < 3 || n.E164[0] != '+' {
			t.Fatalf("accepted %q/%q as %q/%+v", agent, contact, a, n)
		}
		// Normalising the normalised form is stable.
		_, n2, err := d.Normalize(Request{Agent: a, Number: n.E164})
		if err != nil || n2.E164 != n.E164 {
			t.Fatalf("unstable: %q -> %q -> %q (%v)", contact, n.E164, n2.E164, err)
		}
	})
}

// Busy, the call ends, Release, redial within the double-click window: a
// new call is placed (it used to come back as a Duplicate with no call).
func TestReleaseThenRedialPlacesANewCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil, WithDoubleClickWindow(5*time.Second))
		fake.ScriptNext(cmwtest.Script{Outcome: cmwtest.AgentNoAnswer, Ring: 500 * time.Millisecond}) // over in 1 s
		first, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.NoError(t, err)
		time.Sleep(2 * time.Second)
		d.Release(callmyway.Endpoint{ID: "5001"}) // by endpoint id, as callEnd names it
		assert.False(t, d.Busy(ana))
		again, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.NoError(t, err)
		assert.False(t, again.Duplicate, "a released agent's redial is a new call")
		assert.NotEqual(t, first.At, again.At)
		assert.Equal(t, 2, fake.RequestCount(callmyway.PathClickToDial))
	})
}

func TestMetaAndHookContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		var got Result
		var gotVal any
		_, d := newDialer(t, nil, WithOnAccepted(func(ctx context.Context, res Result) error {
			got, gotVal = res, ctx.Value(key{})
			return nil
		}))
		meta := map[string]string{"contact": "c42", "case": "k7"}
		ctx := context.WithValue(t.Context(), key{}, "from the caller")
		res, err := d.Dial(ctx, Request{Agent: ana, Number: "88887777", Meta: meta})
		require.NoError(t, err)
		meta["contact"] = "changed later"
		assert.Equal(t, "c42", res.Meta["contact"], "the Result keeps a copy")
		assert.Equal(t, "k7", got.Meta["case"])
		assert.Equal(t, "from the caller", gotVal)
		assert.Equal(t, ana, res.Agent)
		assert.Len(t, res.Ref, 24)
	})
}

func TestHookFailureStillReturnsTheResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := newDialer(t, nil, WithOnAccepted(func(context.Context, Result) error { return errors.New("db down") }))
		res, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.ErrorIs(t, err, ErrHookFailed)
		assert.ErrorContains(t, err, "db down")
		assert.Equal(t, "+50688887777", res.Number.E164, "the call was placed")
		assert.True(t, d.Busy(ana))
	})
}

func TestOneDialerManyCallerIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil)
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777", CallerID: "8000009"})
		require.ErrorIs(t, err, ErrUnknownCallerID)
		require.NoError(t, d.SetCallerID("8000009", "92345678901"))
		_, err = d.Dial(t.Context(), Request{Agent: ana, Number: "88887777", CallerID: "8000009"})
		require.NoError(t, err)
		_, err = d.Dial(t.Context(), Request{Agent: bea, Number: "88886666"})
		require.NoError(t, err)
		reqs := fake.Requests()
		assert.Equal(t, "8000009", reqs[0].Query["username"])
		assert.Equal(t, "8000001", reqs[1].Query["username"])
		d.Release(ana) // one Dialer releases whatever caller ID the call used
		assert.False(t, d.Busy(ana))
		assert.True(t, d.Busy(bea))
	})
}

func TestRefusalSentinels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := newDialer(t, nil)
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "2222 3333", Order: ContactFirst})
		require.ErrorIs(t, err, ErrContactNotAllowed)
		assert.NotErrorIs(t, err, ErrInvalidNumber)
		assert.NotErrorIs(t, err, ErrNotEndpoint)
		_, err = d.Dial(t.Context(), Request{Agent: callmyway.Endpoint{User: "7777777"}, Number: "88887777"})
		require.ErrorIs(t, err, ErrNotEndpoint)
		assert.NotErrorIs(t, err, ErrInvalidNumber)
		assert.NotErrorIs(t, err, ErrContactNotAllowed)
	})
}

func TestZeroDialer(t *testing.T) {
	var d Dialer
	_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
	assert.ErrorIs(t, err, ErrNoDialer)
	assert.ErrorIs(t, d.WaitIdle(t.Context(), ana), ErrNoDialer)
	assert.ErrorIs(t, d.SetCallerID("1", "2"), ErrNoDialer)
	assert.False(t, d.Busy(ana))
	d.Release(ana)
	var nd *Dialer
	_, err = nd.Dial(t.Context(), Request{})
	assert.ErrorIs(t, err, ErrNoDialer)
	_, err = NewCampaign(nd, []callmyway.Endpoint{ana})
	assert.ErrorIs(t, err, ErrNoDialer)
	var c Campaign
	_, err = c.Run(t.Context(), []string{"1"})
	assert.Error(t, err)
}

func TestStringsNeverPanic(t *testing.T) {
	for _, s := range []Status{Pending, Dialled, Skipped, Failed, Status(-1), Status(99)} {
		assert.NotPanics(t, func() { _ = s.String() })
	}
	assert.Equal(t, "Status(99)", Status(99).String())
	assert.Equal(t, "Order(7)", Order(7).String())
}

// A 200 carrying a PHP warning page is not "accepted": Dial reports it
// (cmw dial exits non-zero) and holds the agent, since the request may
// have been inserted.
func TestPHPWarningPageIsNotAccepted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil)
		fake.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultPHPWarning})
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88887777"})
		require.ErrorIs(t, err, callmyway.ErrMalformedResponse)
		assert.True(t, d.Busy(ana), "the call may be ringing")
		assert.Equal(t, 1, fake.RequestCount(""))
	})
}

// agentLive is a LiveCalls the test switches: whether ana has a live call.
type agentLive struct{ live atomic.Bool }

func (l *agentLive) HasLiveCall(context.Context, callmyway.Endpoint) (bool, error) {
	return l.live.Load(), nil
}

// Inside the double-click window, a click for another contact on the same
// number (a shared family phone) is not a repeat of the first: it is
// refused while the first call is live, and placed once it has ended.
// A repeat of the same click after the first call ended is a new dial too.
func TestDoubleClickIsTheSameRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		live := &agentLive{}
		fake, d := newDialer(t, nil, WithLiveCalls(live), WithDoubleClickWindow(5*time.Second))
		d.onAccepted = func(context.Context, Result) error { live.live.Store(true); return nil } // the ledger records the dial
		fake.ScriptNext(cmwtest.Script{Ring: 500 * time.Millisecond, Talk: time.Second}, cmwtest.Script{Ring: 500 * time.Millisecond, Talk: time.Second})
		diego := Request{Agent: ana, Number: "2222 3333", Meta: map[string]string{"contact": "diego"}}
		elena := Request{Agent: ana, Number: "2222 3333", Meta: map[string]string{"contact": "elena"}}

		first, err := d.Dial(t.Context(), diego)
		require.NoError(t, err)
		again, err := d.Dial(t.Context(), diego)
		require.NoError(t, err)
		assert.True(t, again.Duplicate, "the same click again: the first answer")
		assert.Equal(t, first.Ref, again.Ref)
		_, err = d.Dial(t.Context(), elena)
		assert.ErrorIs(t, err, ErrCallInProgress, "another contact while Diego's call is live")
		assert.Equal(t, 1, fake.RequestCount(""))

		time.Sleep(2500 * time.Millisecond) // Diego's call ends, still inside the window
		live.live.Store(false)
		res, err := d.Dial(t.Context(), elena)
		require.NoError(t, err)
		assert.False(t, res.Duplicate)
		assert.Equal(t, "elena", res.Meta["contact"], "Elena's dial, not Diego's answer")
		time.Sleep(2500 * time.Millisecond) // Elena's call ends, inside the window
		live.live.Store(false)
		res, err = d.Dial(t.Context(), elena)
		require.NoError(t, err)
		assert.False(t, res.Duplicate, "Elena's call ended: a new click is a new dial")
		assert.Equal(t, 3, fake.RequestCount(""))
	})
}

// staleLive answers its first question at once; every later one only when
// released, so the answer can be stale: asked before a dial was recorded,
// read after it was handed over.
type staleLive struct {
	asked, release chan struct{}
	n              atomic.Int32
}

func (l *staleLive) HasLiveCall(ctx context.Context, _ callmyway.Endpoint) (bool, error) {
	if l.n.Add(1) == 1 {
		return false, nil
	}
	close(l.asked)
	select {
	case <-l.release:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	return false, nil
}

// A repeated click whose "is the agent free?" question was asked before
// the first dial was recorded, and answered after it was handed over, is
// still a repeat: the stale "free" does not drop the first dial from the
// double-click window, so the customer is not rung twice.
func TestStaleFreeAnswerDoesNotRingTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		live := &staleLive{asked: make(chan struct{}), release: make(chan struct{})}
		fake, d := newDialer(t, nil, WithLiveCalls(live), WithDoubleClickWindow(5*time.Second))
		accepted, goOn := make(chan struct{}), make(chan struct{})
		d.onAccepted = func(context.Context, Result) error { close(accepted); <-goOn; return nil }
		fake.ScriptNext(cmwtest.Script{Ring: time.Second, Talk: time.Second})
		diego := Request{Agent: ana, Number: "2222 3333", Meta: map[string]string{"contact": "diego"}}

		first := make(chan Result, 1)
		go func() {
			res, err := d.Dial(t.Context(), diego)
			assert.NoError(t, err)
			first <- res
		}()
		<-accepted // the first dial is accepted; the ledger is recording it
		second := make(chan Result, 1)
		go func() {
			res, err := d.Dial(t.Context(), diego)
			assert.NoError(t, err)
			second <- res
		}()
		<-live.asked // the repeat asks now, before the dial is recorded
		close(goOn)  // recorded and handed over
		r1 := <-first
		close(live.release) // the stale "free" arrives
		r2 := <-second
		assert.True(t, r2.Duplicate, "the same click: the first answer")
		assert.Equal(t, r1.Ref, r2.Ref)
		assert.Equal(t, 1, fake.RequestCount(""), "the customer is rung once")
	})
}

// forgettingLive is a LiveCalls that, like the calls ledger, counts an
// accepted dial as live until na after its acceptance, then forgets it
// (no webhook came: never arrived).
type forgettingLive struct {
	na time.Duration
	mu sync.Mutex
	at time.Time
}

func (l *forgettingLive) HasLiveCall(context.Context, callmyway.Endpoint) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.at.IsZero() && time.Now().Before(l.at.Add(l.na)), nil
}

func (l *forgettingLive) NeverArrivedAfter() time.Duration { return l.na }

func (l *forgettingLive) record(_ context.Context, res Result) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.at = res.At
	return nil
}

// A double-click window longer than the LiveCalls source's never-arrived
// time is refused by New, whatever the order of the options: past that
// time the source says the agent is free, and a repeated click still
// inside the window would place a second call to the customer (shown
// below by forcing such a window). A window within it keeps a repeat a
// repeat.
func TestWindowLongerThanNeverArrivedIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := cmwtest.NewServer(cmwtest.InProcess())
		t.Cleanup(fake.Close)
		client, err := fake.NewClient()
		require.NoError(t, err)
		live := &forgettingLive{na: time.Second}
		for _, opts := range [][]Option{
			{WithLiveCalls(live)}, // the default window, 5 s
			{WithDoubleClickWindow(1001 * time.Millisecond), WithLiveCalls(live)},
			{WithLiveCalls(live), WithDoubleClickWindow(3 * time.Second)},
		} {
			_, err := New(client, opts...)
			require.ErrorIs(t, err, ErrOptionConflict)
			var wc *WindowConflictError
			require.ErrorAs(t, err, &wc)
			assert.Equal(t, time.Second, wc.NeverArrived)
			assert.Greater(t, wc.Window, wc.NeverArrived)
		}
		for _, w := range []time.Duration{0, 500 * time.Millisecond, time.Second} {
			_, err := New(client, WithLiveCalls(live), WithDoubleClickWindow(w))
			assert.NoError(t, err, "window %v", w)
		}

		fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script { return cmwtest.Script{Outcome: cmwtest.DialLost} })
		req := Request{Agent: ana, Number: "8888-7777"}
		clickTwice := func(d *Dialer, gap time.Duration) (second Result) {
			_, err := d.Dial(t.Context(), req)
			require.NoError(t, err)
			time.Sleep(gap)
			second, err = d.Dial(t.Context(), req)
			require.NoError(t, err)
			return second
		}
		_, d := newDialer(t, nil, WithLiveCalls(live), WithDoubleClickWindow(time.Second), WithOnAccepted(live.record))
		assert.True(t, clickTwice(d, 999*time.Millisecond).Duplicate, "a repeat inside the window is the first dial")

		// What New refuses: a 5 s window over a source that forgets the
		// dial after 1 s rings the customer again at 2 s.
		live2 := &forgettingLive{na: time.Second}
		fake2, d := newDialer(t, nil, WithLiveCalls(live2), WithDoubleClickWindow(time.Second), WithOnAccepted(live2.record))
		fake2.SetScript(func(cmwtest.DialRequest) cmwtest.Script { return cmwtest.Script{Outcome: cmwtest.DialLost} })
		d.window = 5 * time.Second
		assert.False(t, clickTwice(d, 2*time.Second).Duplicate)
		assert.Equal(t, 2, fake2.RequestCount(""), "a second call inside the window")
	})
}
