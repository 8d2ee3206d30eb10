package calls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
)

// groupEvents are the webhook events (and live sightings) of n calls on
// a few shared numbers, with duplicates, in a random order.
func groupEvents(r *rand.Rand, n int) []Event {
	base := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	phones := []callmyway.Endpoint{agent1, agent2, agent3}
	var evs []Event
	for i := range n {
		id := fmt.Sprintf("g%03d", i)
		num := fmt.Sprintf("+5068888%04d", r.IntN(4))
		ep := phones[r.IntN(len(phones))]
		detect := base.Add(time.Duration(i) * 7 * time.Second)
		connect := detect.Add(4 * time.Second)
		start := Event{CallID: id, Action: ActionStart, Endpoint: callmyway.Endpoint{ID: ep.ID}, Direction: callmyway.DirectionInbound,
			Number: num, Detect: detect, ReceivedAt: detect}
		live := Event{CallID: id, Action: ActionLive, Endpoint: callmyway.Endpoint{User: ep.User}, Direction: callmyway.DirectionInbound,
			Number: num, Detect: detect, Connect: connect, ReceivedAt: connect}
		end := start
		end.Action, end.Connect, end.Disconnect, end.Duration, end.Cost = ActionEnd, connect, connect.Add(time.Minute), time.Minute, decimal.New(int64(10+i), -2)
		end.ReceivedAt = end.Disconnect
		evs = append(evs, start, live, end)
		if r.IntN(3) == 0 {
			evs = append(evs, end) // delivered twice
		}
	}
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	return evs
}

// dump is every call of l, as JSON without change numbers.
func dump(t *testing.T, l *Ledger) []byte {
	t.Helper()
	var b bytes.Buffer
	for c, err := range l.Calls(t.Context(), Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		c.Seq = 0
		b.Write(mustJSON(t, c))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Events applied concurrently (sharing transactions) give exactly the
// ledger they give one at a time.
func TestGroupCommitMatchesSequential(t *testing.T) {
	for seed := range uint64(20) {
		evs := groupEvents(rand.New(rand.NewPCG(seed, 7)), 40)
		seq, _, _ := setup(t)
		for _, e := range evs {
			if _, err := seq.ApplyEvent(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}
		conc, _, _ := setup(t)
		var wg sync.WaitGroup
		errs := make(chan error, len(evs))
		for _, e := range evs {
			wg.Go(func() {
				if _, err := conc.ApplyEvent(t.Context(), e); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if a, b := dump(t, seq), dump(t, conc); !bytes.Equal(a, b) {
			t.Fatalf("seed %d: concurrent events gave another ledger:\n%s\nvs one at a time:\n%s", seed, b, a)
		}
	}
}

// gateStore holds Update number gate (1 when zero) until released, and
// counts Updates.
type gateStore struct {
	Store
	gate    int32
	updates atomic.Int32
	entered chan struct{}
	release chan struct{}
	failIf  func(keys []string) bool
}

func (g *gateStore) Update(ctx context.Context, keys []string, f func(context.Context, Tx) error) error {
	if g.updates.Add(1) == max(g.gate, 1) {
		close(g.entered)
		<-g.release
	}
	if g.failIf != nil && g.failIf(keys) {
		return errors.New("injected failure")
	}
	return g.Store.Update(ctx, keys, f)
}

// While a transaction runs, the events that arrive queue and then share
// one transaction; a batch that fails is retried event by event, so only
// the bad event fails.
func TestGroupCommitSharesTransactions(t *testing.T) {
	mem, err := NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	g := &gateStore{Store: mem, entered: make(chan struct{}), release: make(chan struct{})}
	g.failIf = func(keys []string) bool {
		for _, k := range keys {
			if k == "c:bad" {
				return true
			}
		}
		return false
	}
	l, err := New(testAcct, g)
	if err != nil {
		t.Fatal(err)
	}
	ev := func(id string) Event {
		return Event{CallID: id, Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound,
			Number: "+50688887777", Detect: time.Now()}
	}
	first := make(chan error, 1)
	go func() { _, err := l.ApplyEvent(t.Context(), ev("first")); first <- err }()
	<-g.entered // the first transaction is running

	const n = 30
	var wg sync.WaitGroup
	var failed atomic.Int32
	ids := []string{"bad"}
	for i := range n - 1 {
		ids = append(ids, fmt.Sprintf("e%02d", i))
	}
	for _, id := range ids {
		wg.Go(func() {
			if _, err := l.ApplyEvent(t.Context(), ev(id)); err != nil {
				if id != "bad" {
					t.Errorf("%s: %v", id, err)
				}
				failed.Add(1)
			}
		})
	}
	// Wait until all n are queued behind the running transaction.
	for {
		l.group.mu.Lock()
		q := len(l.group.queue)
		l.group.mu.Unlock()
		if q == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(g.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if failed.Load() != 1 {
		t.Fatalf("%d events failed, want only the bad one", failed.Load())
	}
	// 1 (first) + 1 (the batch of 30, failed) + 30 (one at a time).
	if got := g.updates.Load(); got != 2+n {
		t.Fatalf("%d transactions, want %d", got, 2+n)
	}
	for _, id := range ids[1:] {
		if _, err := l.Get(t.Context(), id); err != nil {
			t.Fatalf("%s lost: %v", id, err)
		}
	}
}

// A caller that gives up while its event's batch commits gets ctx's
// error, and the committed change still reaches the OnChange hook (a
// re-delivery would change nothing, so its pop would be lost).
func TestGroupCommitHookRunsForAGoneCaller(t *testing.T) {
	mem, err := NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	g := &gateStore{Store: mem, gate: 2, entered: make(chan struct{}), release: make(chan struct{})}
	var hooked sync.Map
	l, err := New(testAcct, g, WithOnChange(func(_ context.Context, _, after Call) error {
		hooked.Store(after.ID, true)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{CallID: "gone", Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"}, Direction: callmyway.DirectionInbound,
		Number: "+50688887777", Detect: time.Now()}
	if _, err := l.ApplyEvent(t.Context(), Event{CallID: "first", Action: ActionStart, Endpoint: callmyway.Endpoint{ID: "5002"},
		Direction: callmyway.DirectionInbound, Number: "+50622223333", Detect: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() { _, err := l.ApplyEvent(ctx, ev); res <- err }()
	<-g.entered // its transaction runs
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("the gone caller got %v", err)
	}
	close(g.release)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := hooked.Load("gone"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the committed change never reached the hook")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := l.Get(t.Context(), "gone"); err != nil {
		t.Fatal(err)
	}
}
