package pgbroker_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/callmyway-go/sdk/internal/pgtest"
	"github.com/callmyway-go/sdk/screenpop"
	"github.com/callmyway-go/sdk/screenpop/pgbroker"
	"github.com/callmyway-go/sdk/webhook"
	"github.com/callmyway-go/sdk/webhook/pgdedupe"
)

// acct is the test account.
var acct = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// collector gathers what a subscription delivers.
type collector struct {
	mu   sync.Mutex
	msgs []screenpop.Message
}

func (c *collector) deliver(m screenpop.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	c.mu.Unlock()
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func newBroker(t *testing.T, dsn, app string) *pgbroker.Broker {
	b, err := pgbroker.New(context.Background(), pgtest.Pool(t, dsn, app))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestOrderedExactlyOnceAcrossInstances(t *testing.T) {
	dsn := pgtest.Schema(t)
	brokers := []*pgbroker.Broker{newBroker(t, dsn, "b0"), newBroker(t, dsn, "b1"), newBroker(t, dsn, "b2")}
	var cols []*collector
	for _, b := range brokers {
		c := &collector{}
		stop, err := b.Subscribe(c.deliver)
		require.NoError(t, err)
		defer stop()
		cols = append(cols, c)
	}
	var wg sync.WaitGroup
	for i, b := range brokers {
		wg.Go(func() {
			for j := 0; j < 10; j++ {
				_, err := b.Publish(context.Background(), screenpop.Message{Type: screenpop.TypePop, Agent: screenpop.Agent{ID: fmt.Sprint(i)},
					Call: screenpop.CallInfo{CallID: fmt.Sprintf("%d-%d", i, j)}})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	big := strings.Repeat("x", 20_000) // beyond NOTIFY's 8000-byte payload
	_, err := brokers[0].Publish(context.Background(), screenpop.Message{Type: screenpop.TypePop, Agent: screenpop.Agent{ID: "big"},
		Match: screenpop.Match{Contacts: []screenpop.Contact{{ID: "c", Name: big}}}})
	require.NoError(t, err)
	for _, c := range cols {
		require.Eventually(t, func() bool { return c.len() == 31 }, 10*time.Second, 10*time.Millisecond)
		c.mu.Lock()
		assert.True(t, sort.SliceIsSorted(c.msgs, func(i, j int) bool { return c.msgs[i].ID < c.msgs[j].ID }), "in id order")
		assert.Equal(t, big, c.msgs[30].Match.Contacts[0].Name)
		seen := map[uint64]bool{}
		for _, m := range c.msgs {
			assert.False(t, seen[m.ID], "delivered once")
			seen[m.ID] = true
		}
		c.mu.Unlock()
	}
}

func TestCatchUpAfterDroppedConnection(t *testing.T) {
	dsn := pgtest.Schema(t)
	pub := newBroker(t, dsn, "pub")
	sub := newBroker(t, dsn, "sub")
	c := &collector{}
	stop, err := sub.Subscribe(c.deliver)
	require.NoError(t, err)
	defer stop()
	_, err = pub.Publish(context.Background(), screenpop.Message{Type: screenpop.TypePop, Agent: screenpop.Agent{ID: "a"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.len() == 1 }, 5*time.Second, 10*time.Millisecond)

	// Kill the subscriber's LISTEN connection, then publish while it is down.
	require.Eventually(t, func() bool { return pgtest.Terminate(t, dsn, "sub", "") > 0 }, 5*time.Second, 20*time.Millisecond)
	for i := 0; i < 5; i++ {
		_, err = pub.Publish(context.Background(), screenpop.Message{Type: screenpop.TypePop, Agent: screenpop.Agent{ID: "a"}})
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return c.len() == 6 }, 10*time.Second, 20*time.Millisecond, "no pop lost")
}

// instance is one CRM replica: its own pool, broker, hub, tracker and
// webhook handler with the shared PostgreSQL dedupe.
type instance struct {
	hub     *screenpop.Hub
	handler http.Handler
}

func newInstance(t *testing.T, dsn string, i int, dir screenpop.Directory, contacts screenpop.Contacts, store calls.Store) *instance {
	pool := pgtest.Pool(t, dsn, fmt.Sprintf("crm%d", i))
	b, err := pgbroker.New(context.Background(), pool)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	hub, err := screenpop.NewHub(b, screenpop.WithQueueSize(1024))
	require.NoError(t, err)
	t.Cleanup(hub.Close)
	tr, err := screenpop.NewTracker(acct, dir, contacts, b)
	require.NoError(t, err)
	// The replicas share one ledger store (in production: calls/pgstore).
	ledger, err := calls.New(acct, store, calls.WithOnChange(tr.OnChange))
	require.NoError(t, err)
	dd, err := pgdedupe.New(context.Background(), pool, pgdedupe.WithWindow(10*time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { _ = dd.Close() })
	h, err := webhook.NewHandler(acct, ledger, webhook.WithDeduper(dd), webhook.WithLogger(slogDiscard()))
	require.NoError(t, err)
	return &instance{hub: hub, handler: h}
}

// TestPopsAcrossThreeInstances: webhooks spread round-robin over three
// instances, each agent's stream on another instance: every pop reaches
// the right agent exactly once.
func TestPopsAcrossThreeInstances(t *testing.T) {
	dsn := pgtest.Schema(t)
	dir := screenpop.NewMemoryDirectory()
	for i := 0; i < 3; i++ {
		ep := callmyway.Endpoint{ID: fmt.Sprint(5001 + i), User: fmt.Sprint(8000001 + i)}
		require.NoError(t, dir.Assign(screenpop.Agent{ID: fmt.Sprintf("agent%d", i), Endpoint: ep}, time.Time{}))
	}
	contacts := screenpop.NewMemoryContacts(acct)
	contacts.Add(screenpop.Contact{ID: "c1", Name: "Carla", Numbers: []string{"88881111"}})
	store, err := calls.NewMemoryStore()
	require.NoError(t, err)
	var inst []*instance
	for i := 0; i < 3; i++ {
		inst = append(inst, newInstance(t, dsn, i, dir, contacts, store))
	}
	// Each agent's browser holds an SSE stream to another instance.
	streams := map[string]<-chan screenpop.Message{}
	for i := 0; i < 3; i++ {
		agent := fmt.Sprintf("agent%d", i)
		in := inst[(i+1)%3]
		srv := httptest.NewServer(in.hub.Handler(func(r *http.Request) (string, error) { return r.URL.Query().Get("agent"), nil }))
		t.Cleanup(srv.Close)
		streams[agent] = sseStream(t, srv.URL+"?agent="+agent)
		require.Eventually(t, func() bool { return in.hub.Subscribers(agent) == 1 }, 5*time.Second, 10*time.Millisecond)
	}
	const ncalls = 30
	n := 0
	post := func(body string) {
		w := httptest.NewRecorder()
		inst[n%3].handler.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(body)))
		n++
		require.Equal(t, 200, w.Code, w.Body.String())
	}
	now := time.Now().UTC().Format("2006-01-02 15:04:05")
	for c := 0; c < ncalls; c++ {
		ep := 5001 + c%3
		for _, action := range []string{"callStart", "callEnd"} {
			body := fmt.Sprintf(`{"action":%q,"data":{"callid":"call-%d","endpoint_id":"%d","ani":"50688881111","type":"in","detect_time":%q,"duration":5}}`, action, c, ep, now)
			post(body)
			post(body) // a duplicate, landing on the next instance
		}
	}
	for i := 0; i < 3; i++ {
		agent := fmt.Sprintf("agent%d", i)
		pops, ends := map[string]int{}, map[string]int{}
		deadline := time.After(10 * time.Second)
	loop:
		for len(pops) < ncalls/3 || len(ends) < ncalls/3 {
			select {
			case m := <-streams[agent]:
				require.Equal(t, agent, m.Agent.ID, "routed to the right agent")
				switch m.Type {
				case screenpop.TypePop:
					pops[m.Call.CallID]++
				case screenpop.TypeEnd:
					ends[m.Call.CallID]++
				}
			case <-deadline:
				break loop
			}
		}
		assert.Len(t, pops, ncalls/3, agent)
		for id, k := range pops {
			assert.Equal(t, 1, k, "pop %s delivered once", id)
			assert.Equal(t, 1, ends[id], "end %s delivered once", id)
		}
	}
}

// sseStream reads an SSE endpoint and decodes its messages until t ends.
func sseStream(t *testing.T, url string) <-chan screenpop.Message {
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan screenpop.Message, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m screenpop.Message
				if json.Unmarshal([]byte(data), &m) == nil && m.Call.CallID != "" {
					out <- m
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return out
}

// BenchmarkBrokerPostgres: latency of a pop through PostgreSQL, from
// Publish to delivery on another instance's subscription.
func BenchmarkBrokerPostgres(b *testing.B) {
	dsn := pgtest.Schema(b)
	pub, err := pgbroker.New(context.Background(), pgtest.Pool(b, dsn, "bench-pub"))
	require.NoError(b, err)
	b.Cleanup(func() { _ = pub.Close() })
	sub, err := pgbroker.New(context.Background(), pgtest.Pool(b, dsn, "bench-sub"))
	require.NoError(b, err)
	b.Cleanup(func() { _ = sub.Close() })
	benchBroker(b, pub, sub)
}

// BenchmarkBrokerPostgresBaseline is the same through the in-memory broker.
func BenchmarkBrokerPostgresBaseline(b *testing.B) {
	m := screenpop.NewMemoryBroker()
	benchBroker(b, m, m)
}

func benchBroker(b *testing.B, pub, sub screenpop.Broker) {
	got := make(chan time.Time, 1)
	stop, err := sub.Subscribe(func(screenpop.Message) { got <- time.Now() })
	require.NoError(b, err)
	defer stop()
	msg := screenpop.Message{Type: screenpop.TypePop, Agent: screenpop.Agent{ID: "a", Endpoint: callmyway.Endpoint{ID: "5001", User: "8000001"}},
		Call:  screenpop.CallInfo{CallID: "1", Direction: callmyway.DirectionInbound, Number: "50688881111"},
		Match: screenpop.Match{Kind: screenpop.MatchKnown, Contacts: []screenpop.Contact{{ID: "c1", Name: "Carla"}}}}
	var lat []time.Duration
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := pub.Publish(ctx, msg); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

func TestOptionsValidate(t *testing.T) {
	ctx := context.Background()
	for _, o := range []pgbroker.Option{pgbroker.WithLogger(nil), pgbroker.WithRetention(0), pgbroker.WithRetention(-time.Hour)} {
		_, err := pgbroker.New(ctx, nil, o)
		assert.Error(t, err)
	}
	_, err := pgbroker.New(ctx, nil)
	assert.ErrorContains(t, err, "nil pool")
}

func TestZeroValue(t *testing.T) {
	var b pgbroker.Broker
	_, err := b.Publish(context.Background(), screenpop.Message{})
	assert.ErrorIs(t, err, pgbroker.ErrNotInitialized)
	_, err = b.Subscribe(func(screenpop.Message) {})
	assert.ErrorIs(t, err, pgbroker.ErrNotInitialized)
	assert.ErrorIs(t, b.Close(), pgbroker.ErrNotInitialized)
}

// TestPrunesOnATimer: a Broker that publishes nothing still deletes the
// rows older than the retention, on its own timer (before, only every
// 500th Publish pruned, so a quiet instance kept up to 499 stale rows);
// rows within the retention stay. Close stops the goroutine (goleak
// checks it is gone) and is idempotent.
func TestPrunesOnATimer(t *testing.T) {
	dsn := pgtest.Schema(t)
	pool := pgtest.Pool(t, dsn, "test")
	b, err := pgbroker.New(context.Background(), pgtest.Pool(t, dsn, "quiet"), pgbroker.WithRetention(time.Hour),
		pgbroker.WithPruneEvery(10*time.Millisecond))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = pool.Exec(ctx, `INSERT INTO cmw_pop_messages (created_at, body)
		SELECT now() - interval '2 hours', '{}' FROM generate_series(1, 300)`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO cmw_pop_messages (created_at, body)
		SELECT now() - interval '50 minutes', '{}' FROM generate_series(1, 20)`)
	require.NoError(t, err)
	count := func(where string) int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM cmw_pop_messages WHERE `+where).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return count("created_at < now() - interval '1 hour'") == 0 },
		10*time.Second, 10*time.Millisecond, "stale rows are pruned without any Publish")
	assert.Equal(t, 20, count("true"), "rows within the retention stay")
	require.NoError(t, b.Close())
	require.NoError(t, b.Close())
}

// TestPruneWalksTheKey: the prune finds the retention's first row through
// the primary key and deletes by id, without reading the table: on
// 50,000 rows (analysed) its plan has no sequential scan of the messages.
// The former statement, by created_at (no index), scanned the whole table
// at every prune.
func TestPruneWalksTheKey(t *testing.T) {
	dsn := pgtest.Schema(t)
	pool := pgtest.Pool(t, dsn, "test")
	b, err := pgbroker.New(context.Background(), pool, pgbroker.WithRetention(time.Hour))
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	_, err = pool.Exec(ctx, `INSERT INTO cmw_pop_messages (created_at, body)
		SELECT now() - interval '2 hours' + g * interval '100 milliseconds', '{}' FROM generate_series(1, 50000) g`)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `ANALYZE cmw_pop_messages`)
	require.NoError(t, err)
	rows, err := pool.Query(ctx, "EXPLAIN "+pgbroker.PruneSQL, "3600000 milliseconds")
	require.NoError(t, err)
	var plan []string
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan = append(plan, line)
	}
	require.NoError(t, rows.Err())
	p := strings.Join(plan, "\n")
	assert.NotContains(t, p, "Seq Scan", p)
	assert.Contains(t, p, "cmw_pop_messages_pkey", p)

	var before, stale int
	require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE created_at < now() - interval '1 hour') FROM cmw_pop_messages`).Scan(&before, &stale))
	tag, err := pool.Exec(ctx, pgbroker.PruneSQL, "3600000 milliseconds")
	require.NoError(t, err)
	assert.InDelta(t, stale, tag.RowsAffected(), 1, "the rows past the retention, by id")
	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM cmw_pop_messages WHERE created_at < now() - interval '1 hour' - interval '1 second'`).Scan(&left))
	assert.Zero(t, left)
	_, err = pool.Exec(ctx, pgbroker.PruneSQL, "1 milliseconds")
	require.NoError(t, err)
	require.NoError(t, pool.QueryRow(ctx, `SELECT COUNT(*) FROM cmw_pop_messages`).Scan(&left))
	assert.Zero(t, left, "no row within the retention: every row goes")
}
