package screenpop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// acct is the test account: UTC, Costa Rica's numbering plan.
var acct = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}

var (
	anaPhone  = callmyway.Endpoint{ID: "5001", User: "8000001"}
	betoPhone = callmyway.Endpoint{ID: "5002", User: "8000002"}
)

type fixture struct {
	dir      *MemoryDirectory
	contacts *MemoryContacts
	broker   *MemoryBroker
	hub      *Hub
	tracker  *Tracker
	ledger   *calls.Ledger
	unrouted []calls.Call
	now      time.Time
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{dir: NewMemoryDirectory(), contacts: NewMemoryContacts(acct), broker: NewMemoryBroker(), now: t0}
	require.NoError(t, f.dir.Assign(Agent{ID: "ana", Name: "Ana", Endpoint: anaPhone}, t0.Add(-time.Hour)))
	require.NoError(t, f.dir.Assign(Agent{ID: "beto", Name: "Beto", Endpoint: betoPhone}, t0.Add(-time.Hour)))
	f.contacts.Add(Contact{ID: "c1", Name: "Carla Solo", Numbers: []string{"8888-1111"}})
	f.contacts.Add(Contact{ID: "c2", Name: "Diego Casa", Numbers: []string{"2222-3333"}})
	f.contacts.Add(Contact{ID: "c3", Name: "Elena Casa", Numbers: []string{"+506 2222 3333"}})
	var err error
	f.hub, err = NewHub(f.broker)
	require.NoError(t, err)
	t.Cleanup(f.hub.Close)
	clock := func() time.Time { return f.now }
	f.tracker, err = NewTracker(acct, f.dir, f.contacts, f.broker, WithClock(clock),
		OnUnrouted(func(c calls.Call) { f.unrouted = append(f.unrouted, c) }), WithMaxCallAge(time.Hour))
	require.NoError(t, err)
	store, err := calls.NewMemoryStore(calls.WithStoreClock(clock))
	require.NoError(t, err)
	f.ledger, err = calls.New(acct, store, calls.WithClock(clock), calls.WithOnChange(f.tracker.OnChange))
	require.NoError(t, err)
	return f
}

// call returns the ledger's call id.
func (f *fixture) call(t *testing.T, id string) calls.Call {
	t.Helper()
	c, err := f.ledger.Get(context.Background(), id)
	require.NoError(t, err)
	return c
}

func event(action webhook.Action, callid, endpoint, dir, ani, dnis string) webhook.Event {
	d, _ := callmyway.ParseDirection(dir)
	return webhook.Event{Action: action, Call: webhook.Call{ID: callid, Endpoint: callmyway.Endpoint{ID: endpoint}, Direction: d, ANI: ani, DNIS: dnis,
		DetectTime: callmyway.NewTime(t0)}}
}

func (f *fixture) send(t *testing.T, ev webhook.Event) {
	t.Helper()
	require.NoError(t, f.ledger.HandleEvent(context.Background(), ev))
}

// next reads the next message of a subscription, or fails.
func next(t *testing.T, s *Subscription) Message {
	t.Helper()
	select {
	case m, ok := <-s.C:
		require.True(t, ok, "subscription closed")
		return m
	case <-time.After(2 * time.Second):
		t.Fatal("no message")
	}
	return Message{}
}

func none(t *testing.T, s *Subscription) {
	t.Helper()
	select {
	case m := <-s.C:
		t.Fatalf("unexpected message %+v", m)
	default:
	}
}

func TestRoutingAndMatching(t *testing.T) {
	f := newFixture(t)
	ana, _, _ := f.hub.Subscribe("ana", 0)
	beto, _, _ := f.hub.Subscribe("beto", 0)

	// Inbound, one contact: known, to Ana only.
	f.send(t, event(webhook.CallStart, "1", "5001", "in", "50688881111", "8000001"))
	m := next(t, ana)
	assert.Equal(t, TypePop, m.Type)
	assert.Equal(t, "ana", m.Agent.ID)
	assert.Equal(t, MatchKnown, m.Match.Kind)
	assert.Equal(t, "c1", m.Match.Contacts[0].ID)
	assert.Equal(t, "+50688881111", m.Call.NumberE164)
	assert.Equal(t, "8888 1111", m.Call.NumberDisplay, "as the account's country writes it")
	none(t, beto)

	// Inbound, shared number written another way: candidates for Beto.
	f.send(t, event(webhook.CallStart, "2", "5002", "in", "22223333", "8000002"))
	m = next(t, beto)
	assert.Equal(t, MatchCandidates, m.Match.Kind)
	assert.Len(t, m.Match.Contacts, 2)
	assert.Contains(t, m.Match.Offer, "pick")
	// Beto picks Elena: an update, and next time Elena ranks first for him.
	require.NoError(t, f.tracker.Pick(context.Background(), f.call(t, "2"), m.Match.Contacts[1]))
	u := next(t, beto)
	assert.Equal(t, TypeUpdate, u.Type)
	assert.Equal(t, "c3", u.Match.Contacts[0].ID)
	f.send(t, event(webhook.CallStart, "3", "5002", "in", "+50622223333", "8000002"))
	assert.Equal(t, "c3", next(t, beto).Match.Contacts[0].ID)

	// Unknown number: create / link / ignore.
	f.send(t, event(webhook.CallStart, "4", "5001", "in", "50670000000", "8000001"))
	m = next(t, ana)
	assert.Equal(t, MatchUnknown, m.Match.Kind)
	assert.Equal(t, []string{"create", "link", "ignore"}, m.Match.Offer)

	// Withheld: never auto-matched, search offered.
	f.send(t, event(webhook.CallStart, "5", "5001", "in", "anonymous", "8000001"))
	m = next(t, ana)
	assert.Equal(t, MatchWithheld, m.Match.Kind)
	assert.Contains(t, m.Match.Offer, "search")

	// Outbound with the clicked contact: that contact, no picker, even for
	// a shared number. The dial pops at once ("requested"); its webhook
	// call updates the same card.
	n, _ := number.Parse("22223333", "CR")
	_, err := f.ledger.RecordDial(context.Background(), calls.Dial{Ref: "r1", Agent: anaPhone, Number: n.E164, At: f.now,
		Meta: map[string]string{"contact": "c2"}})
	require.NoError(t, err)
	m = next(t, ana)
	assert.Equal(t, TypePop, m.Type)
	assert.Equal(t, calls.StateRequested, m.Call.State)
	assert.Equal(t, MatchKnown, m.Match.Kind)
	assert.Equal(t, "Diego Casa", m.Match.Contacts[0].Name)
	f.send(t, event(webhook.CallStart, "6", "5001", "out", "8000001", "50622223333"))
	m = next(t, ana)
	assert.Equal(t, TypeUpdate, m.Type)
	assert.Equal(t, "6", m.Call.CallID)
	assert.Equal(t, "r1", m.Call.DialRef, "the browser finds the dial's card by its ref")
	assert.Equal(t, MatchKnown, m.Match.Kind)
	assert.Equal(t, "c2", m.Match.Contacts[0].ID)
	assert.Empty(t, m.Match.Offer)

	// Unmapped endpoint: reported, not popped anywhere.
	f.send(t, event(webhook.CallStart, "7", "5999", "in", "50688881111", "8000999"))
	require.Len(t, f.unrouted, 1)
	assert.Equal(t, "5999", f.unrouted[0].Agent.ID)
	none(t, ana)
	none(t, beto)
}

func TestDirectoryHistory(t *testing.T) {
	f := newFixture(t)
	// From 11:00 endpoint 5001 belongs to Beto.
	require.NoError(t, f.dir.Assign(Agent{ID: "beto", Endpoint: anaPhone}, t0.Add(time.Hour)))
	a, ok, _ := f.dir.AgentFor(context.Background(), callmyway.Endpoint{ID: "5001"}, t0)
	assert.True(t, ok)
	assert.Equal(t, "ana", a.ID, "a past call is credited to who had the endpoint then")
	assert.Equal(t, anaPhone, a.Endpoint, "both names come back")
	a, _, _ = f.dir.AgentFor(context.Background(), callmyway.Endpoint{ID: "5001"}, t0.Add(2*time.Hour))
	assert.Equal(t, "beto", a.ID)
	a, _, _ = f.dir.AgentFor(context.Background(), callmyway.Endpoint{User: "8000001"}, t0.Add(2*time.Hour))
	assert.Equal(t, "beto", a.ID, "the username resolves too")
	require.NoError(t, f.dir.Unassign(callmyway.Endpoint{User: "8000001"}, t0.Add(3*time.Hour)))
	_, ok, _ = f.dir.AgentFor(context.Background(), callmyway.Endpoint{ID: "5001"}, t0.Add(4*time.Hour))
	assert.False(t, ok)
	assert.Error(t, f.dir.Assign(Agent{ID: "x", Endpoint: callmyway.Endpoint{ID: "5009"}}, t0), "both names are needed")
	var zero MemoryDirectory
	_, ok, err := zero.AgentFor(context.Background(), anaPhone, t0)
	assert.NoError(t, err)
	assert.False(t, ok)
}

func TestDuplicatesReorderingAndLateRedelivery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ana, _, _ := f.hub.Subscribe("ana", 0)
	start := event(webhook.CallStart, "1", "5001", "in", "50688881111", "8000001")
	end := start
	end.Action = webhook.CallEnd
	end.Call.Duration = time.Minute

	f.send(t, start)
	f.send(t, start) // duplicate: no second pop
	assert.Equal(t, TypePop, next(t, ana).Type)
	none(t, ana)
	live, _ := f.ledger.HasLiveCall(ctx, anaPhone)
	assert.True(t, live)
	f.send(t, end)
	f.send(t, end)
	e := next(t, ana)
	assert.Equal(t, TypeEnd, e.Type)
	assert.Equal(t, int64(60), e.Call.DurationSec)
	none(t, ana)
	live, _ = f.ledger.HasLiveCall(ctx, anaPhone)
	assert.False(t, live)

	// The callStart re-delivered 16 minutes later: no pop, no ghost.
	f.now = f.now.Add(16 * time.Minute)
	f.send(t, start)
	none(t, ana)
	live, _ = f.ledger.HasLiveCall(ctx, anaPhone)
	assert.False(t, live, "an ended call is never live again")

	// callEnd before callStart: an end, then nothing; no ghost live call.
	end2 := end
	end2.Call.ID = "2"
	start2 := start
	start2.Call.ID = "2"
	f.send(t, end2)
	f.send(t, start2)
	assert.Equal(t, TypeEnd, next(t, ana).Type)
	none(t, ana)
	live, _ = f.ledger.HasLiveCall(ctx, anaPhone)
	assert.False(t, live)
}

func TestStuckSubscriberBesideHealthyOnes(t *testing.T) {
	f := newFixture(t)
	f.hub.mu.Lock()
	f.hub.maxPerAgent = 128 // 101 streams of one agent: above the default cap
	f.hub.mu.Unlock()
	stuck, _, err := f.hub.Subscribe("ana", 0)
	require.NoError(t, err)
	var healthy []*Subscription
	for i := 0; i < 100; i++ {
		s, _, err := f.hub.Subscribe("ana", 0)
		require.NoError(t, err)
		healthy = append(healthy, s)
	}
	// Healthy readers keep up (each acknowledges every message); the stuck
	// one never reads.
	var wg sync.WaitGroup
	counts := make([]int, len(healthy))
	ack := make(chan struct{})
	for i, s := range healthy {
		wg.Go(func() {
			for range s.C {
				counts[i]++
				ack <- struct{}{}
				if counts[i] == 200 {
					return
				}
			}
		})
	}
	for i := 0; i < 200; i++ {
		f.send(t, event(webhook.CallStart, fmt.Sprint(i), "5001", "in", "anonymous", "8000001"))
		for range healthy {
			<-ack
		}
	}
	wg.Wait()
	for _, c := range counts {
		assert.Equal(t, 200, c, "healthy subscribers got everything")
	}
	// The stuck one overflowed: closed and marked, never blocked anyone.
	n := 0
	for range stuck.C {
		n++
	}
	assert.True(t, stuck.Overflowed())
	assert.Equal(t, 64, n)
	// It reconnects and replays the rest from the buffer.
	re, missed, err := f.hub.Subscribe("ana", 64)
	require.NoError(t, err)
	assert.Zero(t, missed)
	assert.Len(t, re.C, 136)
	f.hub.Cancel(re)
}

func TestReplayReportsWhatTheBufferLost(t *testing.T) {
	f := newFixture(t)
	hub, err := NewHub(f.broker, WithReplayBuffer(5))
	require.NoError(t, err)
	defer hub.Close()
	for i := 0; i < 8; i++ {
		f.send(t, event(webhook.CallStart, fmt.Sprint(i), "5001", "in", "anonymous", "8000001"))
		f.send(t, event(webhook.CallStart, fmt.Sprint(100+i), "5002", "in", "anonymous", "8000002")) // another agent's traffic
	}
	// Ana saw only her first message (id 1): her 2nd and 3rd were pushed out.
	s, missed, err := hub.Subscribe("ana", 1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, missed, "other agents' messages do not count")
	assert.Len(t, s.C, 5)
	s2, missed, _ := hub.Subscribe("ana", 5) // saw up to her 3rd message (id 5): nothing lost
	assert.Zero(t, missed)
	assert.Len(t, s2.C, 5)
}

func TestSSEReplayAfterReconnect(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.hub.Handler(func(r *http.Request) (string, error) { return r.URL.Query().Get("agent"), nil }))
	defer srv.Close()
	defer f.hub.Close()

	read := func(lastID string, n int) []Message {
		req, _ := http.NewRequest("GET", srv.URL+"?agent=ana", nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		sc := bufio.NewScanner(resp.Body)
		var out []Message
		var id string
		for sc.Scan() && len(out) < n {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "data: "):
				var m Message
				require.NoError(t, json.Unmarshal([]byte(line[6:]), &m))
				assert.Equal(t, id, fmt.Sprint(m.ID))
				assert.Equal(t, MessageVersion, m.Version)
				out = append(out, m)
			}
		}
		return out
	}
	for i := 0; i < 3; i++ {
		f.send(t, event(webhook.CallStart, fmt.Sprint(i), "5001", "in", "50688881111", "8000001"))
	}
	got := read("1", 2) // a browser that saw id 1 reconnects
	require.Len(t, got, 2)
	assert.Equal(t, []uint64{2, 3}, []uint64{got[0].ID, got[1].ID})
	assert.Equal(t, "1", got[0].Call.CallID)

	// A live stream receives new pops as they happen.
	done := make(chan []Message)
	go func() { done <- read("3", 1) }()
	require.Eventually(t, func() bool { return f.hub.Subscribers("ana") == 1 }, 2*time.Second, 5*time.Millisecond)
	f.send(t, event(webhook.CallStart, "9", "5001", "in", "50688881111", "8000001"))
	live := <-done
	require.Len(t, live, 1)
	assert.Equal(t, "9", live[0].Call.CallID)

	// Unknown agent: 401.
	bad := httptest.NewServer(f.hub.Handler(func(r *http.Request) (string, error) { return "", fmt.Errorf("no session") }))
	defer bad.Close()
	resp, err := http.Get(bad.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
}

// TestEndToEndWithFake: a simulated inbound call from the fake reaches the
// agent's subscription through the real webhook handler.
func TestEndToEndWithFake(t *testing.T) {
	f := newFixture(t)
	f.now = time.Now()
	f.tracker.now = time.Now
	require.NoError(t, f.dir.Assign(Agent{ID: "ana", Endpoint: anaPhone}, time.Now().Add(-time.Hour)))
	h, err := webhook.NewHandler(acct, f.ledger, webhook.WithToken("0123456789abcdef0123"))
	require.NoError(t, err)
	crm := httptest.NewServer(h)
	defer crm.Close()
	fake := cmwtest.NewServer(cmwtest.WithWebhook(crm.URL + "/hook/0123456789abcdef0123"))
	defer fake.Close()
	fake.ScriptNext(cmwtest.Script{Ring: 10 * time.Millisecond, Talk: 20 * time.Millisecond})
	ana, _, _ := f.hub.Subscribe("ana", 0)
	_, err = fake.Inbound("2222-3333", anaPhone)
	require.NoError(t, err)
	m := next(t, ana)
	assert.Equal(t, TypePop, m.Type)
	assert.Equal(t, MatchCandidates, m.Match.Kind)
	assert.Equal(t, TypeEnd, next(t, ana).Type)
	for _, d := range fake.Deliveries() {
		assert.True(t, d.Acked())
	}
}

// BenchmarkFanout: 1,000 subscribed agents, events for random agents,
// latency from the event entering the ledger (memory store) to its SSE
// frame written
// (one event in flight at a time, so the figure is latency, not queueing).
func BenchmarkFanout(b *testing.B) {
	dir, contacts, broker := NewMemoryDirectory(), NewMemoryContacts(acct), NewMemoryBroker()
	hub, err := NewHub(broker)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTracker(acct, dir, contacts, broker)
	if err != nil {
		b.Fatal(err)
	}
	store, err := calls.NewMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	ledger, err := calls.New(acct, store, calls.WithOnChange(tr.OnChange))
	if err != nil {
		b.Fatal(err)
	}
	contacts.Add(Contact{ID: "c1", Name: "Carla", Numbers: []string{"88881111"}})
	const agents = 1000
	written := make(chan time.Time, 1)
	var wg sync.WaitGroup
	for i := 0; i < agents; i++ {
		ep := fmt.Sprint(10000 + i)
		if err := dir.Assign(Agent{ID: ep, Endpoint: callmyway.Endpoint{ID: ep, User: "7" + ep}}, time.Time{}); err != nil {
			b.Fatal(err)
		}
		s, _, _ := hub.Subscribe(ep, 0)
		wg.Go(func() {
			var frame []byte
			for m := range s.C {
				frame = AppendFrame(frame[:0], m)
				written <- time.Now()
			}
		})
	}
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ep := fmt.Sprint(10000 + rand.IntN(agents))
		ev := webhook.Event{Action: webhook.CallStart, Call: webhook.Call{ID: fmt.Sprint(i), Endpoint: callmyway.Endpoint{ID: ep},
			Direction: callmyway.DirectionInbound, ANI: "50688881111", DetectTime: callmyway.NewTime(time.Now())}}
		start := time.Now()
		if err := ledger.HandleEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-written).Sub(start))
	}
	b.StopTimer()
	hub.Close()
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkFanoutBaseline is the floor for BenchmarkFanout: the same
// message handed straight to one of 1,000 goroutines over a channel, which
// writes the same SSE frame; no routing, matching, broker or hub.
func BenchmarkFanoutBaseline(b *testing.B) {
	const agents = 1000
	written := make(chan time.Time, 1)
	chans := make([]chan Message, agents)
	var wg sync.WaitGroup
	for i := range chans {
		chans[i] = make(chan Message, 64)
		wg.Go(func() {
			var frame []byte
			for m := range chans[i] {
				frame = AppendFrame(frame[:0], m)
				written <- time.Now()
			}
		})
	}
	m := Message{Version: MessageVersion, Type: TypePop, Call: CallInfo{Direction: callmyway.DirectionInbound, Number: "50688881111"},
		Match: Match{Kind: MatchKnown, Contacts: []Contact{{ID: "c1", Name: "Carla", Numbers: []string{"88881111"}}}}}
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.ID, m.Call.CallID = uint64(i), fmt.Sprint(i)
		start := time.Now()
		chans[rand.IntN(agents)] <- m
		lat = append(lat, (<-written).Sub(start))
	}
	b.StopTimer()
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

func TestZeroValuesReturnErrors(t *testing.T) {
	var h Hub
	_, _, err := h.Subscribe("ana", 0)
	assert.ErrorIs(t, err, ErrNoHub)
	h.Deliver(Message{Agent: Agent{ID: "ana"}})
	h.Cancel(nil)
	h.Close()
	assert.Zero(t, h.Subscribers("ana"))

	var tr Tracker
	assert.ErrorIs(t, tr.OnChange(context.Background(), calls.Call{}, calls.Call{ID: "1"}), ErrNoTracker)
	assert.ErrorIs(t, tr.Pick(context.Background(), calls.Call{ID: "1"}, Contact{}), ErrNoTracker)
	_, _, err = tr.Message(context.Background(), TypePop, calls.Call{ID: "1"})
	assert.ErrorIs(t, err, ErrNoTracker)

	var d MemoryDirectory
	require.NoError(t, d.Assign(Agent{ID: "ana", Endpoint: anaPhone}, t0))
	a, ok, err := d.AgentFor(context.Background(), callmyway.Endpoint{ID: "5001"}, t0)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "ana", a.ID)

	var c MemoryContacts
	c.Add(Contact{ID: "c1", Numbers: []string{"+50688881111"}})
	found, err := c.FindByNumber(context.Background(), "+50688881111")
	require.NoError(t, err)
	assert.Len(t, found, 1)

	var b MemoryBroker
	stop, err := b.Subscribe(func(Message) {})
	require.NoError(t, err)
	stop()
	_, err = b.Publish(context.Background(), Message{})
	assert.NoError(t, err)
}

func TestOptionsBelongToTheirType(t *testing.T) {
	_, err := NewHub(NewMemoryBroker(), WithMaxCallAge(time.Hour))
	assert.ErrorContains(t, err, "WithMaxCallAge configures a Tracker, not a Hub")
	_, err = NewTracker(acct, NewMemoryDirectory(), NewMemoryContacts(acct), NewMemoryBroker(), WithReplayBuffer(3))
	assert.ErrorContains(t, err, "WithReplayBuffer configures a Hub, not a Tracker")
	for _, o := range []Option{WithLogger(nil), WithMaxCallAge(0), OnUnrouted(nil), WithClock(nil), nil} {
		_, err := NewTracker(acct, NewMemoryDirectory(), NewMemoryContacts(acct), NewMemoryBroker(), o)
		assert.Error(t, err)
	}
	_, err = NewTracker(callmyway.Account{}, NewMemoryDirectory(), NewMemoryContacts(acct), NewMemoryBroker())
	assert.ErrorIs(t, err, callmyway.ErrInvalidAccount)
}
