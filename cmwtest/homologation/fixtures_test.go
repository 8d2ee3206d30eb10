package homologation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
	"github.com/callmyway-go/sdk/number"
)

// defect is one deliberate mistake a stand-in CRM can make.
type defect string

// Each defect and the scenarios it must fail (see TestBrokenCRMsFailTheirScenario).
const (
	correct             defect = ""
	noDedupe            defect = "no-dedupe"             // counts every delivery
	dedupeForgets       defect = "dedupe-forgets"        // de-duplicates for 10 minutes only
	lastEventWins       defect = "last-event-wins"       // a state machine driven by the last event
	ignoresZone         defect = "ignores-zone"          // reads provider times as UTC
	dropsFuture         defect = "drops-future"          // drops events more than 30 s ahead of its clock
	noBackfill          defect = "no-backfill"           // ignores CDRs of calls no webhook announced
	firstCDRWins        defect = "first-cdr-wins"        // never updates a CDR it stored
	phantomLegs         defect = "phantom-legs"          // one call per webhook callid, legs never grouped
	anonymousIsNumber   defect = "anonymous-is-number"   // keeps "anonymous" as the caller's number
	guessesContact      defect = "guesses-contact"       // links a shared number to its first contact
	acceptedIsConnected defect = "accepted-is-connected" // records an accepted dial as an answered call
	retriesAtOnce       defect = "retries-at-once"       // no query limiter, retries a failed query at once
	ownerIsCurrent      defect = "owner-is-current"      // credits calls to whoever has the phone now
)

// naiveCRM is a small CRM written without the SDK's ledger: a webhook
// handler and a ledger stand-in that serves the same JSON as
// calls.Ledger.Handler, with at most one defect.
type naiveCRM struct {
	defect defect
	acct   callmyway.Account
	fake   *cmwtest.Server
	clock  *cmwtest.JumpClock // the provider's notion of time, for dedupeForgets
	client *callmyway.Client
	srv    *httptest.Server
	shared map[string][]string // E.164 -> contact ids
	phones map[string]callmyway.Endpoint
	mu     sync.Mutex
	calls  map[string]*calls.Call
	legOf  map[string]string // leg callid -> call id
	seen   map[string]time.Time
	owners map[string][]owner // endpoint id -> dated owners
}

type owner struct {
	from time.Time
	name string
}

type noLimit struct{}

func (noLimit) Wait(context.Context) error { return nil }

func newNaiveCRM(r *homologation.Runner, d defect) (*naiveCRM, error) {
	c := &naiveCRM{defect: d, acct: r.Account(), fake: r.Fake(), clock: r.Clock(), calls: map[string]*calls.Call{},
		legOf: map[string]string{}, seen: map[string]time.Time{}, owners: map[string][]owner{}, phones: map[string]callmyway.Endpoint{},
		shared: map[string][]string{"+50622223333": {"diego", "elena"}}}
	for _, e := range r.Fake().Endpoints() {
		c.phones["id:"+e.ID], c.phones["user:"+e.User] = e.Endpoint, e.Endpoint
		c.owners[e.ID] = []owner{{name: e.Name}}
	}
	opts := []callmyway.Option{callmyway.WithBaseURL(r.URL())}
	if d == retriesAtOnce {
		opts = append(opts, callmyway.WithQueryLimiter(noLimit{}))
	}
	var err error
	if c.client, err = callmyway.New(c.acct, r.Password(), opts...); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook", c.hook)
	mux.HandleFunc("GET /ledger/", c.ledger)
	c.srv = httptest.NewServer(mux)
	return c, nil
}

func (c *naiveCRM) Close() { c.srv.Close() }

func (c *naiveCRM) target() homologation.Target {
	return homologation.Target{
		Name: "naive CRM " + string(c.defect), WebhookURL: c.srv.URL + "/hook", LedgerURL: c.srv.URL + "/ledger/",
		Sync: c.sync, Dial: c.dial, Reassign: c.reassign, Owner: c.owner,
	}
}

func (c *naiveCRM) zone() *time.Location {
	if c.defect == ignoresZone {
		return time.UTC
	}
	return c.acct.Location
}

// misread is how the CRM sees an instant it is handed: a CRM that
// ignores the zone takes the account's wall clock for UTC everywhere.
func (c *naiveCRM) misread(t time.Time) time.Time {
	if c.defect != ignoresZone {
		return t
	}
	w := t.In(c.acct.Location)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

func (c *naiveCRM) phone(kind, name string) callmyway.Endpoint {
	if e, ok := c.phones[kind+":"+name]; ok {
		return e
	}
	if kind == "id" {
		return callmyway.Endpoint{ID: name}
	}
	return callmyway.Endpoint{User: name}
}

func (c *naiveCRM) number(raw string) string {
	n, err := number.Parse(raw, c.acct.Region)
	if err != nil {
		return ""
	}
	if n.Withheld && c.defect == anonymousIsNumber {
		return raw
	}
	return n.E164
}

func (c *naiveCRM) hook(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		Action string `json:"action"`
		Data   struct {
			CallID         string      `json:"callid"`
			EndpointID     string      `json:"endpoint_id"`
			ANI            string      `json:"ani"`
			DNIS           string      `json:"dnis"`
			DetectTime     string      `json:"detect_time"`
			ConnectTime    string      `json:"connect_time"`
			DisconnectTime string      `json:"disconnect_time"`
			Duration       json.Number `json:"duration"`
			Type           string      `json:"type"`
			Cost           json.Number `json:"cost"`
		} `json:"data"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d := ev.Data
	parse := func(s string) time.Time {
		t, _ := callmyway.ParseTime(s, c.zone())
		return t.Time()
	}
	detect := parse(d.DetectTime)
	ack := func() { w.Header().Set("Content-Type", "application/json"); io.WriteString(w, `{"ack":"ok"}`) }
	if c.defect == dropsFuture && detect.After(time.Now().Add(30*time.Second)) {
		ack() // "a bad timestamp": dropped
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := d.CallID + "|" + ev.Action
	now := c.clock.Now()
	if at, dup := c.seen[key]; dup && c.defect != noDedupe && (c.defect != dedupeForgets || now.Sub(at) < 10*time.Minute) {
		ack()
		return
	}
	c.seen[key] = now
	id := d.CallID
	if g, ok := c.legOf[id]; ok {
		id = g
	}
	call := c.calls[id]
	if call == nil {
		call = &calls.Call{ID: id, Start: detect, Detect: detect}
		c.calls[id] = call
	}
	ep := c.phone("id", d.EndpointID)
	call.Agent = ep
	if !contains(call.Rung, ep) {
		call.Rung = append(call.Rung, ep)
	}
	call.WebhookSeen = true
	if d.Type == "in" {
		call.Direction, call.Number = callmyway.DirectionInbound, c.number(d.ANI)
	} else {
		call.Direction, call.Number = callmyway.DirectionOutbound, c.number(d.DNIS)
	}
	if ids := c.shared[call.Number]; len(ids) > 0 && c.defect == guessesContact {
		call.Contact = ids[0]
	}
	action := calls.ActionStart
	if ev.Action == "callEnd" {
		action = calls.ActionEnd
		if t := parse(d.ConnectTime); !t.IsZero() {
			call.Connect = t
		}
		call.Disconnect = parse(d.DisconnectTime)
		secs, _ := d.Duration.Int64()
		call.Duration += time.Duration(secs) * time.Second
		if !call.CDRSeen {
			call.Cost, _ = decimal.NewFromString(d.Cost.String())
		}
	}
	call.Events = append(call.Events, calls.Event{CallID: d.CallID, Action: action, Endpoint: ep})
	switch {
	case c.defect == lastEventWins && action == calls.ActionStart:
		call.State, call.Live = calls.StateRinging, true
	case action == calls.ActionEnd || call.State == calls.StateEnded || call.State == calls.StateFinal:
		call.State, call.Live = calls.StateEnded, false
	default:
		call.State, call.Live = calls.StateRinging, true
	}
	if call.CDRSeen && !call.Live {
		call.State = calls.StateFinal
	}
	ack()
}

func contains(list []callmyway.Endpoint, e callmyway.Endpoint) bool {
	for _, x := range list {
		if x.Same(e) {
			return true
		}
	}
	return false
}

// sync reads the last day of CDRs and merges them.
func (c *naiveCRM) sync(ctx context.Context) error {
	recs, err := cdr.Recent(ctx, c.client)
	for i := 0; err != nil && c.defect == retriesAtOnce && i < 5; i++ {
		recs, err = cdr.Recent(ctx, c.client)
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sort.Slice(recs, func(i, j int) bool { return recs[i].RefCallID != "0" && recs[j].RefCallID == "0" }) // legs first
	for _, r := range recs {
		id := r.CallID
		group := r.OriginalCallID
		if group == "" {
			group = id
		}
		if c.defect != phantomLegs && r.IsLeg() {
			// A leg joins its group: the webhook call of that leg moves there.
			if leg := c.calls[id]; leg != nil && c.calls[group] == nil {
				leg.ID = group
				c.calls[group] = leg
				delete(c.calls, id)
			} else if leg != nil {
				g := c.calls[group]
				g.Events = append(g.Events, leg.Events...)
				g.WebhookSeen = true
				for _, e := range leg.Rung {
					if !contains(g.Rung, e) {
						g.Rung = append(g.Rung, e)
					}
				}
				delete(c.calls, id)
			}
			c.legOf[id] = group
			id = group
		}
		call := c.calls[id]
		if call == nil {
			if c.defect == noBackfill {
				continue
			}
			t := r.DetectTime.In(c.zone()).Time()
			call = &calls.Call{ID: id, Start: t, Detect: t, Number: c.number(r.CustomerNumber()), Direction: r.Direction}
			c.calls[id] = call
		}
		ep := r.Agent()
		if ep.User != "" {
			ep = c.phone("user", ep.User)
		}
		if !ep.IsZero() && !contains(call.Rung, ep) {
			call.Rung = append(call.Rung, ep)
		}
		if r.EndReason == "OK" && !ep.IsZero() {
			call.Agent = ep
		}
		if call.CDRSeen && c.defect == firstCDRWins {
			continue
		}
		if r.IsLeg() && c.defect != phantomLegs {
			continue // the money is on the parent record
		}
		call.CDRSeen = true
		call.Cost, call.Duration, call.EndReason = r.Cost, r.Duration, r.EndReason
		if r.Connected() {
			call.Connect = r.ConnectTime.In(c.zone()).Time()
			call.Outcome = calls.OutcomeAnswered
		} else {
			call.Outcome = calls.OutcomeNotConnected
		}
		call.Disconnect = r.DisconnectTime.In(c.zone()).Time()
		call.State, call.Live = calls.StateFinal, false
	}
	return nil
}

func (c *naiveCRM) dial(ctx context.Context, agent callmyway.Endpoint, to string) error {
	q := fmt.Sprintf("%s%s?username=%s&password=%s&first_num=%s&second_num=%s", c.fake.URL, callmyway.PathClickToDial,
		c.acct.Username, c.fake.Password(), agent.User, strings.ReplaceAll(to, "-", ""))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "OK" {
		return fmt.Errorf("dial refused: %s", b)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	call := &calls.Call{ID: "dial:" + fmt.Sprint(now.UnixNano()), Start: now, RequestedAt: now, Agent: agent, Direction: callmyway.DirectionOutbound,
		Number: c.number(to), State: calls.StateRequested, Live: true}
	if c.defect == acceptedIsConnected {
		call.State, call.Outcome, call.Connect = calls.StateConnected, calls.OutcomeAnswered, now
	}
	c.calls[call.ID] = call
	return nil
}

func (c *naiveCRM) reassign(_ context.Context, ep callmyway.Endpoint, at time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.phone("id", ep.ID)
	c.owners[e.ID] = append(c.owners[e.ID], owner{from: c.misread(at), name: "new agent of " + e.ID})
	return nil
}

func (c *naiveCRM) owner(_ context.Context, callid string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := callid
	if g, ok := c.legOf[id]; ok {
		id = g
	}
	call := c.calls[id]
	if call == nil {
		return "", fmt.Errorf("no call %s", callid)
	}
	name := ""
	for _, o := range c.owners[call.Agent.ID] {
		if c.defect == ownerIsCurrent || !call.Start.Before(o.from) {
			name = o.name
		}
	}
	return name, nil
}

// ledger serves GET /ledger/{id} and GET /ledger/?from&to as
// calls.Ledger.Handler does.
func (c *naiveCRM) ledger(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	id := strings.TrimPrefix(r.URL.Path, "/ledger/")
	if id != "" {
		if g, ok := c.legOf[id]; ok {
			id = g
		}
		call := c.calls[id]
		if call == nil {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":"no call"}`)
			return
		}
		json.NewEncoder(w).Encode(call)
		return
	}
	from, _ := time.Parse(time.RFC3339, r.URL.Query().Get("from"))
	to, _ := time.Parse(time.RFC3339, r.URL.Query().Get("to"))
	out := []calls.Call{}
	for _, call := range c.calls {
		if !call.Start.Before(from) && call.Start.Before(to) {
			out = append(out, *call)
		}
	}
	json.NewEncoder(w).Encode(out)
}
