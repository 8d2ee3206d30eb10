package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// boardLedger gives the app a ledger of its own on a fixed clock (two
// days ago at 15:00, the account's zone: inside the demo mappings'
// validity), and the board the same clock. It returns the clock's now.
func boardLedger(t *testing.T, a *testApp) (*calls.Ledger, time.Time) {
	t.Helper()
	today := time.Now().In(a.cfg.Loc)
	now := time.Date(today.Year(), today.Month(), today.Day()-2, 15, 0, 0, 0, a.cfg.Loc)
	clock := func() time.Time { return now }
	store, err := calls.NewMemoryStore(calls.WithStoreClock(clock))
	require.NoError(t, err)
	l, err := calls.New(a.App.client.Account(), store, calls.WithClock(clock), calls.WithPhoneBook(a.db))
	require.NoError(t, err)
	a.ledger, a.now = l, clock
	return l, now
}

// ledgerCall feeds a call's webhook events (when webhook) and its CDR leg
// (when cdr) to the ledger.
type ledgerCall struct {
	id, ep, user, number      string
	dir                       callmyway.Direction
	detect, connect, end      time.Time
	talk                      time.Duration
	cost, reason              string
	webhook, cdr, endWebhook  bool
	result, caseID, chargeAmt string
}

func (lc ledgerCall) apply(t *testing.T, l *calls.Ledger) {
	t.Helper()
	ctx := context.Background()
	if lc.webhook {
		ev := calls.Event{CallID: lc.id, Action: calls.ActionStart, Endpoint: callmyway.Endpoint{ID: lc.ep}, Direction: lc.dir, Number: lc.number,
			Detect: lc.detect, Connect: lc.connect}
		_, err := l.ApplyEvent(ctx, ev)
		require.NoError(t, err)
		if lc.endWebhook {
			ev.Action, ev.Disconnect, ev.Duration = calls.ActionEnd, lc.end, lc.talk
			_, err = l.ApplyEvent(ctx, ev)
			require.NoError(t, err)
		}
	}
	if lc.cdr {
		require.NoError(t, l.ApplyLegs(ctx, []calls.Leg{{CallID: lc.id, RefCallID: "0", Agent: callmyway.Endpoint{User: lc.user}, Number: lc.number,
			Direction: lc.dir, Detect: lc.detect, Connect: lc.connect, Disconnect: lc.end, Duration: lc.talk,
			Cost: decimal.RequireFromString(lc.cost), EndReason: lc.reason}}))
	}
	if lc.result != "" {
		d := calls.Disposition{By: "u-ana", Result: lc.result, Case: lc.caseID}
		if lc.chargeAmt != "" {
			d.Charges = []calls.Charge{{Key: "case:" + lc.id, Amount: decimal.RequireFromString(lc.chargeAmt), Currency: currency}}
		}
		_, err := l.Dispose(ctx, lc.id, d)
		require.NoError(t, err)
	}
}

// getBoard reads /api/board as c.
func getBoard(t *testing.T, c *testApp) Board {
	t.Helper()
	code, body := c.get(t, "/api/board?lang=es")
	require.Equal(t, http.StatusOK, code, body)
	var b Board
	require.NoError(t, json.Unmarshal([]byte(body), &b), body)
	return b
}

func boardAgent(t *testing.T, b Board, name string) BoardAgent {
	t.Helper()
	for _, ag := range b.Agents {
		if ag.Name == name {
			return ag
		}
	}
	t.Fatalf("no agent %s on the board", name)
	return BoardAgent{}
}

// The board's figures, from a ledger of known calls: exact counts,
// answered rate, average handle time, cost sums of reconciled CDRs only,
// charges posted today (also on yesterday's call), calls per hour in the
// account's zone, and each agent's state (talking, ringing, wrap-up,
// then available once the wrap-up window passed).
func TestBoardFigures(t *testing.T) {
	a := newTestApp(t)
	l, now := boardLedger(t, a)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	cs, err := a.db.Customers(context.Background())
	require.NoError(t, err)
	solis := cs[0].ID
	in, out := callmyway.DirectionInbound, callmyway.DirectionOutbound
	ana, beto, carla := "5001", "5002", "5003"
	for _, lc := range []ledgerCall{
		// Ana: answered inbound with webhook and CDR, disposed with a charge.
		{id: "A1", ep: ana, user: "8000001", number: "+50688881111", dir: in, detect: at(9, 10), connect: at(9, 10).Add(10 * time.Second),
			end: at(9, 12).Add(10 * time.Second), talk: 120 * time.Second, cost: "1.50", reason: "OK", webhook: true, endWebhook: true, cdr: true,
			result: "PAGO", caseID: solis, chargeAmt: "1000.00"},
		// Ana: answered outbound known from its CDR only.
		{id: "A2", user: "8000001", number: "+50622223333", dir: out, detect: at(9, 40), connect: at(9, 40).Add(5 * time.Second),
			end: at(9, 41).Add(5 * time.Second), talk: 60 * time.Second, cost: "0.75", reason: "OK", cdr: true, result: "CONTACTO"},
		// Ana: talking now, for four minutes.
		{id: "A3", ep: ana, number: "+50670000000", dir: in, detect: now.Add(-5 * time.Minute), connect: now.Add(-4 * time.Minute), webhook: true},
		// Ana, yesterday: not today's call, but its charge was posted today.
		{id: "A0", user: "8000001", number: "+50688881111", dir: out, detect: day.Add(-8 * time.Hour), connect: day.Add(-8 * time.Hour).Add(time.Second),
			end: day.Add(-8 * time.Hour).Add(time.Minute), talk: 59 * time.Second, cost: "5.00", reason: "OK", cdr: true,
			result: "PAGO", caseID: solis, chargeAmt: "250.00"},
		// Beto: answered, webhook only (its CDR has not come: no cost yet).
		{id: "B1", ep: beto, number: "+50688881111", dir: in, detect: at(10, 5), connect: at(10, 5).Add(5 * time.Second),
			end: at(10, 6).Add(35 * time.Second), talk: 90 * time.Second, webhook: true, endWebhook: true},
		// Beto: not answered.
		{id: "B2", user: "8000002", number: "+50688881111", dir: in, detect: at(10, 30), end: at(10, 30).Add(20 * time.Second),
			cost: "0", reason: "NO_ANSWER", cdr: true},
		// Beto: ringing now, for twenty seconds.
		{id: "B3", ep: beto, number: "+50622223333", dir: in, detect: now.Add(-20 * time.Second), webhook: true},
		// Carla: answered, ended a minute ago, not disposed: wrap-up.
		{id: "C2", ep: carla, number: "+50670000000", dir: in, detect: now.Add(-3 * time.Minute), connect: now.Add(-170 * time.Second),
			end: now.Add(-time.Minute), talk: 110 * time.Second, webhook: true, endWebhook: true},
	} {
		lc.apply(t, l)
	}
	// Carla: a dial at 11:00 nothing reported: never arrived.
	_, err = l.RecordDial(context.Background(), calls.Dial{Ref: "C1", Agent: callmyway.Endpoint{ID: carla, User: "8000003"}, Number: "+50688881111", At: at(11, 0)})
	require.NoError(t, err)

	super := a.as(t, "super")
	b := getBoard(t, super)
	assert.Equal(t, day.Format("2006-01-02"), b.Day)
	assert.Equal(t, "CRC", b.Currency)
	assert.Equal(t, BoardFigures{Calls: 8, Finished: 6, Answered: 4, AnsweredRate: "66.7", AHTSeconds: 95, AHT: "1:35",
		Cost: "2.25", AwaitingCDR: 2, Charges: "1250.00", Live: 2}, b.Figures)
	hours := make([]int, 24)
	hours[9], hours[10], hours[11], hours[14] = 2, 2, 1, 3
	assert.Equal(t, hours, b.Hours, "by the hour they started, the account's wall clock")
	assert.Equal(t, []BoardCount{{"answered", "Contestada", 4}, {"not_connected", "No conectada", 1}, {"never_arrived", "Nunca llegó", 1},
		{"in_progress", "En curso", 2}}, b.Outcomes)
	assert.Equal(t, []BoardCount{{"PAGO", "Promesa de pago", 1}, {"CONTACTO", "Contactado", 1}, {"NOCONTESTA", "No contesta", 0},
		{"EQUIVOCADO", "Número equivocado", 0}, {"RELLAMAR", "Volver a llamar", 0}, {"", "Sin gestión", 4}}, b.Results)

	anaB, betoB, carlaB := boardAgent(t, b, "Ana Rojas"), boardAgent(t, b, "Beto Vargas"), boardAgent(t, b, "Carla Jiménez")
	assert.Equal(t, [4]string{"talking", "en conversación", "4:00", "3 · 2 · 2.25"},
		[4]string{anaB.State, anaB.StateLabel, anaB.Elapsed, join(anaB.Calls, anaB.Answered, anaB.Cost)})
	require.NotNil(t, anaB.Call)
	assert.Equal(t, "A3", anaB.Call.ID)
	assert.Equal(t, "7000 0000", anaB.Call.Number, "national format")
	assert.Equal(t, "3 llamadas hoy · CRC 2.25", anaB.Today)
	assert.Equal(t, [4]string{"ringing", "sonando", "0:20", "3 · 1 · 0.00"},
		[4]string{betoB.State, betoB.StateLabel, betoB.Elapsed, join(betoB.Calls, betoB.Answered, betoB.Cost)})
	require.NotNil(t, betoB.Call)
	assert.Equal(t, "2222 3333", betoB.Call.Number)
	assert.Empty(t, betoB.Call.Contact, "a number two contacts share names nobody")
	assert.Equal(t, [4]string{"wrapup", "cierre (falta la gestión)", "1:00", "2 · 1 · 0.00"},
		[4]string{carlaB.State, carlaB.StateLabel, carlaB.Elapsed, join(carlaB.Calls, carlaB.Answered, carlaB.Cost)})
	require.NotNil(t, carlaB.Call)
	assert.Equal(t, "C2", carlaB.Call.ID)
	assert.Equal(t, now.Add(-time.Minute).UnixMilli(), carlaB.SinceMS)

	require.Len(t, b.Live, 2)
	assert.Equal(t, []string{"A3", "B3"}, []string{b.Live[0].ID, b.Live[1].ID}, "the longest first")
	assert.Equal(t, "Ana Rojas", b.Live[0].Agent)
	assert.Equal(t, "Entrante", b.Live[0].Direction)

	// Five minutes after her call ended Carla is available again, since then.
	later := now.Add(4 * time.Minute)
	a.now = func() time.Time { return later }
	carlaB = boardAgent(t, getBoard(t, super), "Carla Jiménez")
	assert.Equal(t, "available", carlaB.State)
	assert.Nil(t, carlaB.Call)
	assert.Equal(t, now.Add(-time.Minute).UnixMilli(), carlaB.SinceMS)
	assert.Equal(t, "5:00", carlaB.Elapsed)

	// The page shows the same board.
	code, body := super.get(t, "/board?lang=en")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `id="kpi-rate">66.7 %</span>`)
	assert.Contains(t, body, `id="kpi-charges">1250.00</span>`)
	assert.Contains(t, body, `data-state="available"`)
	assert.Contains(t, body, `<script src="/static/vendor/chart.umd.min.js"></script>`)
	code, _ = super.get(t, "/static/vendor/chart.umd.min.js")
	assert.Equal(t, http.StatusOK, code, "Chart.js is served from the binary")
}

func join(calls, answered int, cost string) string {
	return strings.Join([]string{itoa(calls), itoa(answered), cost}, " · ")
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }

// The board is for supervisors and admins: an agent gets 403 on the page
// and on its API, and nobody signed out gets it.
func TestBoardRoles(t *testing.T) {
	a := newTestApp(t)
	ana := a.as(t, "ana")
	code, body := ana.get(t, "/board")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "Su rol no permite")
	code, body = ana.get(t, "/api/board")
	assert.Equal(t, http.StatusForbidden, code)
	assert.JSONEq(t, `{"error":"Su rol no permite esta acción."}`, body)
	code, _ = a.get(t, "/api/board")
	assert.Equal(t, http.StatusUnauthorized, code)
	for _, u := range []string{"super", "admin"} {
		c := a.as(t, u)
		code, body = c.get(t, "/board")
		assert.Equal(t, http.StatusOK, code, u)
		assert.Contains(t, body, `id="nav-board"`, u)
		code, _ = c.get(t, "/api/board")
		assert.Equal(t, http.StatusOK, code, u)
	}
	_, body = ana.get(t, "/")
	assert.NotContains(t, body, `id="nav-board"`, "no link for agents")
}
