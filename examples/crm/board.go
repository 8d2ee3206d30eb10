package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/screenpop"
)

// The supervisor board (GET /board, and GET /api/board that the page
// polls): each agent's state now, the live calls, and today's figures
// and charts. Everything is read from the ledger when asked; nothing
// mirrors it.
//
// An agent's state:
//   - talking: a live call of one of the agent's current phones is
//     connected (since its connect time);
//   - ringing: a live call rings one of them (since it was detected);
//   - dialing: a click to dial CallMyWay accepted, not yet reported by a
//     webhook (since the dial);
//   - wrap-up: no live call, and the agent's latest call that the agent
//     saw live (a webhook or a dial reported it) ended less than
//     boardWrapUp ago without a disposition (since it ended); after
//     boardWrapUp the agent counts as available again, and the call stays
//     on the console's list of calls to dispose;
//   - available: none of these (since the agent's latest call ended or
//     was disposed today, whichever is later);
//   - no phone: the agent has no current endpoint mapping.
//
// Today is the account's day (Config.Loc). Its figures count the calls
// that started today: an answered rate over the calls that are over
// (answered, not connected, never arrived), the average handle time (the
// billed talk time of the answered calls), the cost of the calls whose
// CDR is in (the reconciled cost; calls still waiting for theirs are
// counted apart), and the charges posted today: the charges of the
// dispositions recorded today, on calls of the last boardChargeDays days.

const (
	// boardWrapUp is how long after a call ended without a disposition
	// its agent shows as in wrap-up.
	boardWrapUp = 5 * time.Minute
	// boardChargeDays bounds how old a call may be for a charge posted
	// on it today to count in today's charges.
	boardChargeDays = 7
	// boardRefresh is how often the board page asks for /api/board.
	boardRefresh = 3 * time.Second
)

// The board's agent states.
const (
	boardAvailable = "available"
	boardNoPhone   = "no_phone"
	boardDialing   = "dialing"
	boardRinging   = "ringing"
	boardTalking   = "talking"
	boardWrapUpNow = "wrapup"
)

// Board is what GET /api/board answers, and what the board page shows:
// the agents' states, the live calls, today's figures and the charts'
// data, labels in the reader's language. Money is in Currency, with two
// decimals. NowMS is the server's clock (Unix ms), the timers' reference.
type Board struct {
	Day       string       `json:"day"`     // today, in the account's zone
	Updated   string       `json:"updated"` // the server's time of the board, the account's wall clock
	NowMS     int64        `json:"now_ms"`
	RefreshMS int64        `json:"refresh_ms"`
	Currency  string       `json:"currency"`
	Agents    []BoardAgent `json:"agents"`
	Live      []BoardCall  `json:"live"`
	Figures   BoardFigures `json:"figures"`
	// Hours counts today's calls by the hour they started (0 to 23, the
	// account's wall clock).
	Hours []int `json:"hours"`
	// Outcomes counts today's calls by outcome (answered, not_connected,
	// never_arrived, in_progress); Results by the result code of their
	// latest disposition (none: not disposed).
	Outcomes []BoardCount `json:"outcomes"`
	Results  []BoardCount `json:"results"`
}

// BoardAgent is one agent on the board: the state, since when, the call
// that makes it (none when available), and today's calls and cost.
type BoardAgent struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	State      string     `json:"state"`
	StateLabel string     `json:"label"`              // the state, translated
	SinceMS    int64      `json:"since_ms,omitempty"` // 0: not known
	Elapsed    string     `json:"elapsed"`            // since then, m:ss
	Call       *BoardCall `json:"call,omitempty"`
	Calls      int        `json:"calls"`
	Answered   int        `json:"answered"`
	Cost       string     `json:"cost"`
	Today      string     `json:"today"` // "12 calls today · CRC 3.50"
}

// BoardCall is a live call (or the call of an agent in wrap-up).
type BoardCall struct {
	ID         string `json:"id"`
	Direction  string `json:"direction"` // its label
	Number     string `json:"number"`    // national format; the "withheld" label when withheld
	Contact    string `json:"contact,omitempty"`
	Customer   string `json:"customer,omitempty"`
	Agent      string `json:"agent"` // the owner, else every agent it rings
	State      string `json:"state"`
	StateLabel string `json:"label"` // the state, translated
	SinceMS    int64  `json:"since_ms"`
	Elapsed    string `json:"elapsed"`
}

// BoardFigures are today's figures.
type BoardFigures struct {
	Calls        int    `json:"calls"`
	Finished     int    `json:"finished"` // answered + not connected + never arrived
	Answered     int    `json:"answered"`
	AnsweredRate string `json:"answered_rate"` // percent of Finished, one decimal; "" when none finished
	AHTSeconds   int64  `json:"aht_seconds"`   // mean talk time of the answered calls, rounded
	AHT          string `json:"aht"`           // m:ss
	Cost         string `json:"cost"`          // reconciled CDR cost of today's calls
	AwaitingCDR  int    `json:"awaiting_cdr"`  // ended calls of today whose CDR is not in: not in Cost
	Charges      string `json:"charges"`       // charges posted today
	Live         int    `json:"live"`
}

// BoardCount is one bar or slice of a chart.
type BoardCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	N     int    `json:"n"`
}

// mapping is one endpoint mapping row with its agent: owners finds who
// had a phone at a time.
type mapping struct {
	agent AgentRow
	ep    Endpoint
}

type owners []mapping

func newOwners(agents []AgentRow) owners {
	var o owners
	for _, ag := range agents {
		for _, e := range append(slices.Clone(ag.Endpoints), ag.History...) {
			o = append(o, mapping{agent: ag, ep: e})
		}
	}
	return o
}

// at returns the agent whose mapping named the phone at t.
func (o owners) at(p callmyway.Endpoint, t time.Time) (AgentRow, bool) {
	for _, m := range o {
		same := (p.ID != "" && p.ID == m.ep.EndpointID) || (p.User != "" && p.User == m.ep.Username)
		if same && !t.Before(m.ep.ValidFrom.Truncate(time.Second)) && (m.ep.ValidTo.IsZero() || t.Before(m.ep.ValidTo)) {
			return m.agent, true
		}
	}
	return AgentRow{}, false
}

// clock is the board's clock.
func (a *App) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// national writes an E.164 number as the account's country does.
func (a *App) national(e164 string) string {
	n, err := number.Parse(e164, a.cfg.Region)
	if err != nil {
		return e164
	}
	return n.National(a.cfg.Region)
}

// clockString writes a duration as m:ss, or h:mm:ss from an hour on.
func clockString(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// statePriority orders the states a live call gives its agent.
func statePriority(s calls.State) int {
	switch s {
	case calls.StateConnected:
		return 3
	case calls.StateRinging:
		return 2
	case calls.StateRequested:
		return 1
	}
	return 0
}

// liveState is the board state of a live call and since when.
func liveState(c calls.Call) (string, time.Time) {
	switch c.State {
	case calls.StateConnected:
		return boardTalking, c.Connect
	case calls.StateRinging:
		return boardRinging, cmp.Or(c.Detect, c.Start)
	}
	return boardDialing, cmp.Or(c.RequestedAt, c.Start)
}

// Board reads the board from the ledger, labels in language l.
func (a *App) Board(ctx context.Context, l string) (Board, error) {
	now := a.clock().In(a.cfg.Loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc)
	tomorrow := day.AddDate(0, 0, 1)
	b := Board{Day: day.Format("2006-01-02"), Updated: now.Format("15:04:05"), NowMS: now.UnixMilli(), RefreshMS: boardRefresh.Milliseconds(), Currency: currency,
		Agents: []BoardAgent{}, Live: []BoardCall{}, Hours: make([]int, 24)}
	agents, err := a.db.Agents(ctx)
	if err != nil {
		return b, err
	}
	codes, err := a.db.ResultCodes(ctx)
	if err != nil {
		return b, err
	}
	own := newOwners(agents)
	owner := func(c calls.Call) (AgentRow, bool) { return own.at(c.Agent, c.Start) }

	type perAgent struct {
		calls, answered int
		cost            decimal.Decimal
		wrap            *calls.Call // the latest ended call without a disposition, of the wrap-up window
		lastDone        time.Time   // the latest end or disposition today
	}
	per := map[string]*perAgent{}
	for _, ag := range agents {
		per[ag.ID] = &perAgent{}
	}
	var live []calls.Call
	var talk time.Duration
	cost, charges := decimal.Zero, decimal.Zero
	outcomes := map[calls.Outcome]int{}
	results := map[string]int{}
	f := &b.Figures
	// One read: the calls of the last boardChargeDays days (charges
	// posted today on older calls), of which today's feed the figures.
	for c, err := range a.ledger.Calls(ctx, calls.Query{From: day.AddDate(0, 0, -boardChargeDays), To: tomorrow}) {
		if err != nil {
			return b, err
		}
		for _, ch := range c.Charges {
			for _, d := range c.Disps {
				if d.ID == ch.DispositionID && !d.At.Before(day) && d.At.Before(tomorrow) && ch.Currency == currency {
					charges = charges.Add(ch.Amount)
				}
			}
		}
		if c.Live {
			live = append(live, c)
		}
		ag, known := owner(c)
		pa := per[ag.ID]
		if known && (c.State == calls.StateEnded || c.State == calls.StateFinal) {
			end := cmp.Or(c.Disconnect, c.Start.Add(c.Duration))
			if len(c.Disps) == 0 && (c.WebhookSeen || c.DialRef != "") && !end.After(now) && now.Sub(end) < boardWrapUp &&
				(pa.wrap == nil || end.After(pa.wrap.Disconnect)) {
				cc := c
				cc.Disconnect = end
				pa.wrap = &cc
			}
			done := end
			for _, d := range c.Disps {
				done = later(done, d.At)
			}
			if !done.Before(day) && !done.After(now) {
				pa.lastDone = later(pa.lastDone, done)
			}
		}
		if c.Start.Before(day) {
			continue
		}
		f.Calls++
		b.Hours[c.Start.In(a.cfg.Loc).Hour()]++
		outcomes[c.Outcome]++
		switch c.Outcome {
		case calls.OutcomeAnswered:
			f.Answered++
			talk += c.Duration
		}
		if c.CDRSeen {
			cost = cost.Add(c.Cost)
		} else if c.State == calls.StateEnded {
			f.AwaitingCDR++
		}
		if n := len(c.Disps); n > 0 {
			results[c.Disps[n-1].Result]++
		} else if c.Outcome != calls.OutcomePending {
			results[""]++
		}
		if known {
			pa.calls++
			if c.Outcome == calls.OutcomeAnswered {
				pa.answered++
			}
			if c.CDRSeen {
				pa.cost = pa.cost.Add(c.Cost)
			}
		}
	}
	f.Finished = f.Answered + outcomes[calls.OutcomeNotConnected] + outcomes[calls.OutcomeNeverArrived]
	if f.Finished > 0 {
		f.AnsweredRate = decimal.NewFromInt(int64(f.Answered*100)).DivRound(decimal.NewFromInt(int64(f.Finished)), 1).StringFixed(1)
	}
	if f.Answered > 0 {
		f.AHTSeconds = decimal.NewFromInt(int64(talk/time.Millisecond)).DivRound(decimal.NewFromInt(int64(f.Answered)*1000), 0).IntPart()
	}
	f.AHT = clockString(time.Duration(f.AHTSeconds) * time.Second)
	f.Cost, f.Charges, f.Live = cost.StringFixed(2), charges.StringFixed(2), len(live)
	for _, o := range []calls.Outcome{calls.OutcomeAnswered, calls.OutcomeNotConnected, calls.OutcomeNeverArrived, calls.OutcomePending} {
		key := string(o)
		if o == calls.OutcomePending {
			key = "in_progress"
		}
		b.Outcomes = append(b.Outcomes, BoardCount{Key: key, Label: translate(l, "board_outcome_"+key), N: outcomes[o]})
	}
	for _, rc := range codes {
		label := rc.ES
		if l == "en" {
			label = rc.EN
		}
		b.Results = append(b.Results, BoardCount{Key: rc.Code, Label: label, N: results[rc.Code]})
		delete(results, rc.Code)
	}
	b.Results = append(b.Results, BoardCount{Key: "", Label: translate(l, "board_no_result"), N: results[""]})
	delete(results, "")
	for _, code := range slices.Sorted(maps.Keys(results)) { // codes since removed from the table
		b.Results = append(b.Results, BoardCount{Key: code, Label: code, N: results[code]})
	}

	// The agents' live calls, by their current phones, from the one read
	// above: a live call occupies the phones calls.Call.Busy names (what
	// Ledger.Live matches), so a ring group's call another phone answered
	// is not live on the others. Live calls are younger than the ledger's
	// max live age (4 h), well inside the read's boardChargeDays.
	agentCall := map[string]calls.Call{}
	for _, c := range live {
		for _, ag := range agents {
			if !occupies(c, ag.Endpoints) {
				continue
			}
			if cur, ok := agentCall[ag.ID]; !ok || statePriority(c.State) > statePriority(cur.State) {
				agentCall[ag.ID] = c
			}
		}
	}

	// Contacts, in two batched queries.
	var shown []calls.Call
	shown = append(shown, live...)
	for _, c := range agentCall {
		shown = append(shown, c)
	}
	for _, pa := range per {
		if pa.wrap != nil {
			shown = append(shown, *pa.wrap)
		}
	}
	contactOf, err := a.contactsOf(ctx, shown)
	if err != nil {
		return b, err
	}
	since := func(t time.Time) (int64, string) {
		if t.IsZero() {
			return 0, ""
		}
		return t.UnixMilli(), clockString(now.Sub(t))
	}
	card := func(c calls.Call, state string, at time.Time) *BoardCall {
		bc := &BoardCall{ID: c.ID, Direction: translate(l, "dir_"+c.Direction.String()), Number: translate(l, "withheld_number"),
			State: state, StateLabel: translate(l, "board_state_"+state)}
		if c.Number != "" {
			bc.Number = a.national(c.Number)
		}
		if ct, ok := contactOf[c.ID]; ok {
			bc.Contact, bc.Customer = ct.Name, ct.CustomerName
		}
		if ag, ok := owner(c); ok {
			bc.Agent = ag.Name
		} else {
			var names []string
			for _, p := range c.Rung {
				if ag, ok := own.at(p, c.Start); ok && !slices.Contains(names, ag.Name) {
					names = append(names, ag.Name)
				}
			}
			bc.Agent = strings.Join(names, ", ")
		}
		bc.SinceMS, bc.Elapsed = since(at)
		return bc
	}
	for _, c := range live {
		state, at := liveState(c)
		b.Live = append(b.Live, *card(c, state, at))
	}
	slices.SortStableFunc(b.Live, func(x, y BoardCall) int { return cmp.Compare(x.SinceMS, y.SinceMS) })
	for _, ag := range agents {
		pa := per[ag.ID]
		ba := BoardAgent{ID: ag.ID, Name: ag.Name, Calls: pa.calls, Answered: pa.answered, Cost: pa.cost.StringFixed(2)}
		ba.Today = fmt.Sprintf(translate(l, "board_agent_today"), pa.calls, currency, ba.Cost)
		var at time.Time
		if c, ok := agentCall[ag.ID]; ok {
			ba.State, at = liveState(c)
			ba.Call = card(c, ba.State, at)
		} else if pa.wrap != nil {
			ba.State, at = boardWrapUpNow, pa.wrap.Disconnect
			ba.Call = card(*pa.wrap, ba.State, at)
		} else if len(ag.Endpoints) == 0 {
			ba.State = boardNoPhone
		} else {
			ba.State, at = boardAvailable, pa.lastDone
		}
		ba.StateLabel = translate(l, "board_state_"+ba.State)
		ba.SinceMS, ba.Elapsed = since(at)
		b.Agents = append(b.Agents, ba)
	}
	return b, nil
}

// occupies reports whether the live call c occupies one of the phones
// eps: one of its busy phones has the endpoint id or the username of one
// of them (as the ledger's busy index matches them).
func occupies(c calls.Call, eps []Endpoint) bool {
	for _, p := range c.Busy() {
		for _, e := range eps {
			if (p.ID != "" && p.ID == e.EndpointID) || (p.User != "" && p.User == e.Username) {
				return true
			}
		}
	}
	return false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// contactsOf finds the contact of each call: the call's own, else the
// one contact its number belongs to (two batched queries).
func (a *App) contactsOf(ctx context.Context, cs []calls.Call) (map[string]screenpop.Contact, error) {
	var ids, numbers []string
	for _, c := range cs {
		if c.Contact != "" {
			ids = append(ids, c.Contact)
		} else if c.Number != "" {
			numbers = append(numbers, c.Number)
		}
	}
	byID, err := a.db.ContactsByID(ctx, uniq(ids))
	if err != nil {
		return nil, err
	}
	byNumber, err := a.db.ContactsByNumber(ctx, uniq(numbers))
	if err != nil {
		return nil, err
	}
	out := map[string]screenpop.Contact{}
	for _, c := range cs {
		if ct, ok := byID[c.Contact]; ok {
			out[c.ID] = ct
		} else if found := byNumber[c.Number]; c.Contact == "" && len(found) == 1 {
			out[c.ID] = found[0]
		}
	}
	return out, nil
}

func (a *App) handleBoard() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := a.sharedBoard(r.Context(), lang(r))
		if a.fail(w, err) {
			return
		}
		cbs, err := a.overdueCallbacks(r.Context())
		if a.fail(w, err) {
			return
		}
		costs, err := a.boardCosts(r.Context())
		if a.fail(w, err) {
			return
		}
		v := &boardView{Board: b, Callbacks: cbs, CallbacksTotal: len(cbs), Costs: costs}
		if len(v.Callbacks) > boardCallbacks {
			v.Callbacks = v.Callbacks[:boardCallbacks]
		}
		a.render(w, r, http.StatusOK, "board", v)
	})
}

func (a *App) handleBoardAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := a.sharedBoard(r.Context(), lang(r))
		if a.fail(w, err) {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, b)
	})
}
