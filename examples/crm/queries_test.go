package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/casefile"
)

// countingConnector opens connections of a database/sql driver that
// count the statements prepared on them. The wrapped connection exposes
// only driver.Conn, so database/sql prepares every query and exec: the
// count is the number of statements sent.
type countingConnector struct {
	drv  driver.Driver
	name string
	n    *atomic.Int64
}

func (c countingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.name)
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: conn, n: c.n}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.drv }

type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c countingConn) Prepare(query string) (driver.Stmt, error) {
	c.n.Add(1)
	return c.Conn.Prepare(query)
}

// countQueries points the CRM's store (a.db) at its SQLite file through
// a connection that counts statements, and returns the counter. Call it
// before the app is used.
func countQueries(t *testing.T, a *testApp) *atomic.Int64 {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	n := &atomic.Int64{}
	db := sql.OpenDB(countingConnector{drv: a.cdrs.DB().Driver(), name: "file:" + a.cfg.DB + "?" + q.Encode(), n: n})
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	a.db.DB = db
	return n
}

// countingStore is a calls.Store that counts its scans and the records
// they yield.
type countingStore struct {
	calls.Store
	scans, rows atomic.Int64
}

func (s *countingStore) Scan(ctx context.Context, f calls.Filter) iter.Seq2[calls.Record, error] {
	s.scans.Add(1)
	return func(yield func(calls.Record, error) bool) {
		for r, err := range s.Store.Scan(ctx, f) {
			s.rows.Add(1)
			if !yield(r, err) {
				return
			}
		}
	}
}

// countLedger points the app at a ledger in memory (kept a year) whose
// store counts what it reads, with the policy and callbacks over it.
func countLedger(t *testing.T, a *testApp) *countingStore {
	t.Helper()
	mem, err := calls.NewMemoryStore(calls.WithRetention(365 * 24 * time.Hour))
	require.NoError(t, err)
	store := &countingStore{Store: mem}
	l, err := calls.New(a.App.client.Account(), store, calls.WithPhoneBook(a.db))
	require.NoError(t, err)
	a.ledger = l
	require.NoError(t, a.wirePolicy())
	return store
}

// othersCalls applies n calls of the last 3 days from numbers no customer
// has, one in three missed (an open callback each).
func othersCalls(t *testing.T, a *testApp, from, n int) {
	t.Helper()
	now := time.Now()
	for i := from; i < from+n; i++ {
		at := now.Add(-time.Duration(i) * 13 * time.Minute)
		lc := ledgerCall{id: "x" + itoa(i), ep: "5002", number: "+5067100" + fmt.Sprintf("%04d", i), dir: callmyway.DirectionInbound,
			detect: at, end: at.Add(time.Minute), webhook: true, endWebhook: true}
		if i%3 != 0 {
			lc.connect, lc.talk = at.Add(5*time.Second), 55*time.Second
		}
		lc.apply(t, a.ledger)
	}
}

// The case file reads the customer's calls (by case, contact and number)
// and callbacks through the ledger's indexes: the records it reads do not
// grow with other customers' calls.
func TestCaseFileReadsTheCustomersCallsOnly(t *testing.T) {
	a := newTestApp(t)
	store := countLedger(t, a)
	cu, marta := solis(t, a)
	caseCall(t, a, "cf-1", "+50688881111", 30*time.Hour, marta.ID, "PAGO", "Paga el viernes", "1500.25")
	caseCall(t, a, "cf-2", "+50688881111", 2*time.Hour, "", "", "", "") // linked by number
	ana := a.as(t, "ana")
	page := func() int64 {
		t.Helper()
		store.rows.Store(0)
		code, body := ana.get(t, "/customers/"+cu.ID)
		require.Equal(t, http.StatusOK, code, body)
		assert.Contains(t, body, `data-callid="cf-1"`)
		assert.Contains(t, body, `data-callid="cf-2"`)
		assert.Contains(t, body, `data-currency="CRC">CRC 1500.25</strong>`)
		return store.rows.Load()
	}
	othersCalls(t, a, 0, 100)
	few := page()
	othersCalls(t, a, 100, 200)
	many := page()
	t.Logf("records read per case file: %d with 100 other calls, %d with 300", few, many)
	assert.Equal(t, few, many, "other customers' calls are not read")
	assert.LessOrEqual(t, many, int64(20))
}

// The callbacks' rows find their customers in a fixed number of
// batched queries: twice the callbacks, not one query more.
func TestCallbackRowsAreBatched(t *testing.T) {
	a := newCollectApp(t, func(c *Config) { c.CallbackSLA = time.Hour })
	queries := countQueries(t, a)
	ctx := context.Background()
	solis, mora := mustCustomer(t, a, "Comercial Solís"), mustCustomer(t, a, "Familia Mora")
	base := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	miss := func(id, number string, at time.Time) {
		t.Helper()
		ledgerCall{id: id, ep: "5002", number: number, dir: callmyway.DirectionInbound, detect: at, end: at.Add(20 * time.Second),
			webhook: true, endWebhook: true}.apply(t, a.ledger)
	}
	rows := func() []CallbackRow {
		t.Helper()
		open, err := a.callbacks.Open(ctx, casefile.CallbackQuery{})
		require.NoError(t, err)
		queries.Store(0)
		rows, err := a.toCallbackRows(ctx, open)
		require.NoError(t, err)
		return rows
	}
	// Known numbers (Solís's; the Moras' phone, two contacts of one
	// customer) and an unknown one.
	miss("m1", solis.Contacts[0].Phones[0].E164, base)
	miss("m2", mora.Contacts[0].Phones[0].E164, base.Add(time.Minute))
	miss("m3", "+50670001000", base.Add(2*time.Minute))
	few := rows()
	fewQueries := queries.Load()
	require.Len(t, few, 3)
	byNumber := map[string]CallbackRow{}
	for _, r := range few {
		byNumber[r.Number] = r
	}
	assert.Equal(t, [2]string{solis.ID, "Comercial Solís"}, [2]string{byNumber["8888 1111"].CustomerID, byNumber["8888 1111"].CustomerName})
	assert.Equal(t, [2]string{mora.ID, "Familia Mora"}, [2]string{byNumber["2222 3333"].CustomerID, byNumber["2222 3333"].CustomerName})
	assert.Empty(t, byNumber["7000 1000"].CustomerID, "an unknown number is nobody's")

	for i := range 12 {
		miss("u"+itoa(i), "+5067000"+itoa(2000+i), base.Add(time.Duration(10+i)*time.Minute))
	}
	many := rows()
	require.Len(t, many, 15)
	assert.Equal(t, fewQueries, queries.Load(), "the same queries for 15 callbacks as for 3")
	assert.LessOrEqual(t, fewQueries, int64(6), "users, contacts by number, customers' names")
}

// The board reads the ledger once, however many agents and phones: the
// agents' live calls come from that read, not from one Live per phone.
func TestBoardReadsTheLedgerOnce(t *testing.T) {
	a := newTestApp(t)
	today := time.Now().In(a.cfg.Loc)
	now := time.Date(today.Year(), today.Month(), today.Day()-2, 15, 0, 0, 0, a.cfg.Loc)
	clock := func() time.Time { return now }
	mem, err := calls.NewMemoryStore(calls.WithStoreClock(clock))
	require.NoError(t, err)
	store := &countingStore{Store: mem}
	l, err := calls.New(a.App.client.Account(), store, calls.WithClock(clock), calls.WithPhoneBook(a.db))
	require.NoError(t, err)
	a.ledger, a.now = l, clock
	in := callmyway.DirectionInbound
	for _, lc := range []ledgerCall{
		// Ana talks on her second phone (5009); Beto's phone rings.
		{id: "A", ep: "5009", number: "+50670000000", dir: in, detect: now.Add(-2 * time.Minute), connect: now.Add(-time.Minute), webhook: true},
		{id: "B", ep: "5002", number: "+50622223333", dir: in, detect: now.Add(-10 * time.Second), webhook: true},
	} {
		lc.apply(t, l)
	}
	store.scans.Store(0)
	b, err := a.Board(context.Background(), "es")
	require.NoError(t, err)
	assert.Equal(t, int64(1), store.scans.Load(), "one ledger read for 3 agents and 4 phones")
	anaB, betoB, carlaB := boardAgent(t, b, "Ana Rojas"), boardAgent(t, b, "Beto Vargas"), boardAgent(t, b, "Carla Jiménez")
	assert.Equal(t, []string{"talking", "ringing", "available"}, []string{anaB.State, betoB.State, carlaB.State})
	require.NotNil(t, anaB.Call)
	assert.Equal(t, "A", anaB.Call.ID, "a call on the agent's second phone is the agent's")
}

// Open consoles share one computation of the callbacks per
// callbacksTTL: ten consoles asking at once read the ledger once, not
// twice each, and see the same callbacks.
func TestConsolesShareTheCallbacks(t *testing.T) {
	a := newTestApp(t)
	store := countLedger(t, a)
	othersCalls(t, a, 0, 30) // 10 missed: 10 callbacks in the queue
	ana := a.as(t, "ana")
	store.scans.Store(0)
	var wg sync.WaitGroup
	bodies := make([]string, 10)
	for i := range bodies {
		wg.Go(func() {
			res, err := ana.client.Get(ana.srv.URL + "/api/callbacks")
			if !assert.NoError(t, err) {
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			assert.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.StatusCode)
			bodies[i] = string(b)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), store.scans.Load(), "one ledger read for ten consoles")
	var got struct{ Callbacks []CallbackRow }
	require.NoError(t, json.Unmarshal([]byte(bodies[0]), &got))
	assert.Len(t, got.Callbacks, 10)
	for _, b := range bodies[1:] {
		assert.JSONEq(t, bodies[0], b)
	}
}

// Open boards share one computation per boardTTL: eight boards asking
// at once read the ledger once between them.
func TestBoardsShareOneRead(t *testing.T) {
	a := newTestApp(t)
	store := countLedger(t, a)
	othersCalls(t, a, 0, 20)
	super := a.as(t, "super")
	store.scans.Store(0)
	var wg sync.WaitGroup
	bodies := make([]Board, 8)
	for i := range bodies {
		wg.Go(func() {
			res, err := super.client.Get(super.srv.URL + "/api/board")
			if !assert.NoError(t, err) {
				return
			}
			defer res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.NoError(t, json.NewDecoder(res.Body).Decode(&bodies[i]))
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), store.scans.Load(), "one ledger read for eight boards")
	for _, b := range bodies[1:] {
		assert.Equal(t, bodies[0], b, "the same board")
	}
}

// The contact card lists the newest cardCharges charges and cardCalls
// calls, with the balance of every charge to the cent, and reads the
// customer's calls only: the records it reads do not grow with other
// customers' calls (it used to scan 3 months of every call).
func TestContactCardIsBounded(t *testing.T) {
	a := newTestApp(t)
	store := countLedger(t, a)
	_, marta := solis(t, a)
	want := decimal.Zero
	for i := range 15 {
		amt := decimal.New(int64(100*i), 0).Add(decimal.RequireFromString("0.05"))
		want = want.Add(amt)
		caseCall(t, a, fmt.Sprintf("cc-%02d", i), "+50688881111", time.Duration(i+1)*time.Hour, marta.ID, "PAGO", fmt.Sprintf("n%02d", i), amt.String())
	}
	ana := a.as(t, "ana")
	card := func() (map[string]any, int64) {
		t.Helper()
		store.rows.Store(0)
		code, body := ana.get(t, "/api/contact?id="+marta.ID)
		require.Equal(t, http.StatusOK, code, body)
		var c map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		return c, store.rows.Load()
	}
	othersCalls(t, a, 0, 100)
	c, few := card()
	othersCalls(t, a, 100, 200)
	c2, many := card()
	t.Logf("records read per card: %d with 100 other calls, %d with 300", few, many)
	assert.Equal(t, few, many, "other customers' calls are not read")
	assert.Equal(t, c, c2)
	assert.Equal(t, want.StringFixed(2), c["balance"], "every charge, to the cent")
	entries := c["case_file"].([]any)
	require.Len(t, entries, cardCharges)
	// Charges by the time they were posted: cc-14's last.
	assert.Equal(t, "CRC 1400.05", entries[0].(map[string]any)["Amount"], "the newest charge first")
	assert.Equal(t, "CRC 500.05", entries[cardCharges-1].(map[string]any)["Amount"])
	cs := c["calls"].([]any)
	require.Len(t, cs, cardCalls)
	assert.Equal(t, "n00", cs[0].(map[string]any)["Notes"], "the newest call first")

	entries2, total, err := a.CaseFile(context.Background(), marta.CustomerID)
	require.NoError(t, err)
	assert.Len(t, entries2, cardCharges)
	assert.Equal(t, want.StringFixed(2), total.StringFixed(2))
}
