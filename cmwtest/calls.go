package cmwtest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
)

// Outcome is how a simulated call ends.
//
// The zero Outcome is Answered. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Outcome int

// Outcomes a Script can ask for.
const (
	Answered        Outcome = iota // both sides answer; hang-up after Talk
	AgentNoAnswer                  // the first party never answers (NO_ANSWER)
	ContactBusy                    // the second party is busy (TEMPORARILY_UNAVAILABLE)
	ContactNoAnswer                // the second party never answers (NO_ANSWER)
	ContactDeclined                // the second party rejects the call (DECLINE)
	// DialLost is a click to dial CallMyWay accepts ("OK") and never
	// places: no webhook, no CDR, the agent is not held busy. Accepted is
	// not connected.
	DialLost
)

// Script says how the next simulated call goes. Zero durations take the
// defaults: Ring 3s per leg, Talk 30s.
//
// The zero Script is an answered call with the default durations. It is a
// plain value: safe to copy, and to read from several goroutines
// concurrently.
type Script struct {
	Outcome Outcome
	Ring    time.Duration
	Talk    time.Duration
}

func (sc Script) withDefaults() Script {
	if sc.Ring <= 0 {
		sc.Ring = 3 * time.Second
	}
	if sc.Talk <= 0 {
		sc.Talk = 30 * time.Second
	}
	return sc
}

// DialRequest is an accepted click to dial, as the fake saw it.
//
// The zero DialRequest is no request. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type DialRequest struct {
	Path         string
	Username     string // the billed endpoint (its caller ID)
	First        string
	Second       string
	ContactFirst bool
	CallID       string
}

// ScriptNext queues scripts for the next calls (dials and inbound calls),
// in order. Calls without a queued script use SetScript's function or the
// default (answered, 30 s).
func (s *Server) ScriptNext(scripts ...Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts = append(s.scripts, scripts...)
}

// SetScript sets a function choosing the script of each dial.
func (s *Server) SetScript(f func(DialRequest) Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextScript = f
}

func (s *Server) takeScript(d DialRequest) Script {
	if len(s.scripts) > 0 {
		sc := s.scripts[0]
		s.scripts = s.scripts[1:]
		return sc.withDefaults()
	}
	if s.nextScript != nil {
		return s.nextScript(d).withDefaults()
	}
	return Script{}.withDefaults()
}

// call is a simulated call in progress.
type call struct {
	rec      CDR
	dir      string // webhook type: in, out, internal
	endpoint string // endpoint_id in webhooks
	busyUser string // the agent username held busy
}

func (s *Server) serveDial(w http.ResponseWriter, r *http.Request, q map[string]string) {
	billed, ok := s.checkCredentials(q)
	if !ok {
		writeError(w, r, "Invalid username or password")
		return
	}
	first, second := digits(q["first_num"]), digits(q["second_num"])
	if first == "" || second == "" {
		writeError(w, r, "missing or invalid first_num/second_num")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	agent, contact := s.endpoint(first), second
	contactFirst := false
	if agent == nil {
		if s.endpoint(second) == nil {
			writeError(w, r, "first_num must be an endpoint of the account")
			return
		}
		if !s.allowedFirst[first] {
			writeError(w, r, "first_num "+first+" is not in the allowed list")
			return
		}
		agent, contact, contactFirst = s.endpoint(second), first, true
	}
	if id, busy := s.busy[agent.User]; busy {
		writeError(w, r, "user "+agent.User+" already has an active call in progress ("+id+")")
		return
	}
	id := s.nextID()
	req := DialRequest{Path: r.URL.Path, Username: billed.User, First: first, Second: second, ContactFirst: contactFirst, CallID: id}
	sc := s.takeScript(req)
	if sc.Outcome == DialLost {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "OK")
		return
	}
	ani := billed.User
	if billed.Private {
		ani = "anonymous"
	}
	c := &call{dir: "out", endpoint: agent.ID, busyUser: agent.User, rec: CDR{
		CallID: id, OriginalCallID: id, RefCallID: "0",
		ANI: ani, DNIS: contact, ANIUser: agent.User, NameEndpointANI: agent.Name,
		Type: "outgoing", DetectTime: s.clock.Now(),
	}}
	s.startCall(c)
	now := s.clock.Now()
	switch sc.Outcome {
	case AgentNoAnswer:
		s.schedule(2*sc.Ring, func() { s.endCall(id, now, time.Time{}, "NO_ANSWER", 2*sc.Ring) })
	case ContactBusy:
		s.schedule(sc.Ring+time.Second, func() { s.endCall(id, now, time.Time{}, "TEMPORARILY_UNAVAILABLE", time.Second) })
	case ContactNoAnswer:
		s.schedule(3*sc.Ring, func() { s.endCall(id, now, time.Time{}, "NO_ANSWER", 2*sc.Ring) })
	case ContactDeclined:
		s.schedule(2*sc.Ring, func() { s.endCall(id, now, time.Time{}, "DECLINE", sc.Ring) })
	default:
		s.schedule(2*sc.Ring, func() { s.connectCall(id) })
		s.schedule(2*sc.Ring+sc.Talk, func() { s.endCall(id, now, now.Add(2*sc.Ring), "OK", sc.Ring) })
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, "OK")
}

// startCall registers c, holds its agent busy and sends callStart. s.mu held.
func (s *Server) startCall(c *call) {
	s.calls[c.rec.CallID] = c
	if c.busyUser != "" {
		s.busy[c.busyUser] = c.rec.CallID
	}
	s.hooks.enqueue(s.event("callStart", c))
}

func (s *Server) connectCall(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calls[id]; c != nil {
		c.rec.ConnectTime = s.clock.Now()
	}
}

// endCall finishes call id: its CDR is written, callEnd sent, agent freed.
func (s *Server) endCall(id string, detect, connect time.Time, reason string, ring time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls[id]
	if c == nil {
		return
	}
	delete(s.calls, id)
	if c.busyUser != "" && s.busy[c.busyUser] == id {
		delete(s.busy, c.busyUser)
	}
	now := s.clock.Now()
	c.rec.DisconnectTime = now
	c.rec.ConnectTime = connect
	c.rec.EndReason = reason
	c.rec.RingTime = int(ring / time.Second)
	if !connect.IsZero() {
		c.rec.Duration = int(now.Sub(connect) / time.Second)
	}
	c.rec.Rate, c.rec.RoutePattern, c.rec.RouteName = routeFor(c.rec)
	c.rec.Cost = costOf(c.rec.Rate, c.rec.Duration)
	c.rec.AccessFee = "0.0000"
	s.cdrs.add(c.rec)
	s.hooks.enqueue(s.event("callEnd", c))
}

func routeFor(r CDR) (rate, pattern, name string) {
	switch {
	case r.Type == "internal":
		return "0.0000", "internal", "Interno"
	case r.Type == "incoming":
		return "0.0000", "DID", "Entrante"
	case len(r.DNIS) >= 4 && r.DNIS[:3] == "506" && (r.DNIS[3] == '2' || r.DNIS[3] == '4'):
		return "0.0250", "5062", "CR Fijo"
	case len(r.DNIS) >= 3 && r.DNIS[:3] == "506":
		return "0.0450", "5068", "CR Movil"
	case len(r.DNIS) >= 2 && r.DNIS[:2] == "52":
		return "0.0300", "52", "Mexico"
	}
	return "0.0900", "*", "Internacional"
}

// costOf is rate per minute times started minutes.
func costOf(rate string, seconds int) string {
	r, err := decimal.NewFromString(rate)
	if err != nil || seconds <= 0 {
		return "0.0000"
	}
	mins := int64((seconds + 59) / 60)
	return r.Mul(decimal.NewFromInt(mins)).StringFixed(4)
}

// CallOption tunes an injected call.
//
// A nil CallOption must not be passed. Options are plain functions, safe to
// reuse and to share between goroutines concurrently.
type CallOption func(*callOpts)

type callOpts struct {
	script    Script
	scripted  bool
	ringGroup []callmyway.Endpoint
}

// WithScript sets how the injected call goes (Answered, or AgentNoAnswer
// for an unanswered inbound call).
func WithScript(sc Script) CallOption {
	return func(o *callOpts) { o.script, o.scripted = sc, true }
}

// RingGroup rings these endpoints too: the call leaves a parent record and
// one record per leg, all sharing original_callid; the first endpoint
// answers and the other legs are CANCELLED.
func RingGroup(eps ...callmyway.Endpoint) CallOption {
	return func(o *callOpts) { o.ringGroup = append(o.ringGroup, eps...) }
}

// Inbound injects an inbound call from the number from (use "" or
// "anonymous" for a withheld caller ID) to the endpoint to, named by its
// id, its username or both (the same callmyway.Endpoint a
// click2dial.Request names its agent with). It returns the callid of the
// call (the parent record's for a ring group).
func (s *Server) Inbound(from string, to callmyway.Endpoint, opts ...CallOption) (string, error) {
	o := s.callOptions(opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	targets := append([]callmyway.Endpoint{to}, o.ringGroup...)
	eps := make([]*Endpoint, 0, len(targets))
	for _, t := range targets {
		ep := s.endpointOf(t)
		if ep == nil {
			return "", fmt.Errorf("cmwtest: Inbound: the account has no endpoint %s", t)
		}
		eps = append(eps, ep)
	}
	ani := digits(from)
	if ani == "" {
		ani = "anonymous"
	}
	sc := o.script.withDefaults()
	now := s.clock.Now()
	parent := s.nextID()
	if len(eps) == 1 {
		s.inboundLeg(parent, parent, "0", ani, eps[0], sc, true)
		return parent, nil
	}
	// The parent record of a ring group is written when the call ends.
	answered := sc.Outcome == Answered
	for i, ep := range eps {
		s.inboundLeg(s.nextID(), parent, parent, ani, ep, sc, i == 0)
	}
	s.schedule(sc.Ring+sc.Talk, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := CDR{CallID: parent, OriginalCallID: parent, RefCallID: "0", ANI: ani, DNIS: eps[0].User,
			DNISUser: eps[0].User, NameEndpointDNIS: eps[0].Name, Type: "incoming", DetectTime: now,
			DisconnectTime: s.clock.Now(), EndReason: "NO_ANSWER", RingTime: int(sc.Ring / time.Second)}
		if answered {
			rec.ConnectTime = now.Add(sc.Ring)
			rec.Duration = int(sc.Talk / time.Second)
			rec.EndReason = "OK"
		}
		rec.Rate, rec.RoutePattern, rec.RouteName = routeFor(rec)
		rec.Cost, rec.AccessFee = costOf(rec.Rate, rec.Duration), "0.0000"
		s.cdrs.add(rec)
	})
	return parent, nil
}

// inboundLeg starts one ringing leg. s.mu held.
func (s *Server) inboundLeg(id, original, ref, ani string, ep *Endpoint, sc Script, answers bool) {
	now := s.clock.Now()
	c := &call{dir: "in", endpoint: ep.ID, busyUser: ep.User, rec: CDR{
		CallID: id, OriginalCallID: original, RefCallID: ref, ANI: ani, DNIS: ep.User,
		DNISUser: ep.User, NameEndpointDNIS: ep.Name, Type: "incoming", DetectTime: now,
	}}
	s.startCall(c)
	switch {
	case !answers:
		s.schedule(sc.Ring, func() { s.endCall(id, now, time.Time{}, "CANCELLED", sc.Ring) })
	case sc.Outcome != Answered:
		s.schedule(sc.Ring+sc.Talk, func() { s.endCall(id, now, time.Time{}, "NO_ANSWER", sc.Ring+sc.Talk) })
	default:
		s.schedule(sc.Ring, func() { s.connectCall(id) })
		s.schedule(sc.Ring+sc.Talk, func() { s.endCall(id, now, now.Add(sc.Ring), "OK", sc.Ring) })
	}
}

// Internal injects a call between two endpoints of the account, each
// named by id, username or both.
func (s *Server) Internal(fromEndpoint, toEndpoint callmyway.Endpoint, opts ...CallOption) (string, error) {
	o := s.callOptions(opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	from, to := s.endpointOf(fromEndpoint), s.endpointOf(toEndpoint)
	if from == nil || to == nil {
		return "", fmt.Errorf("cmwtest: Internal: the account has no endpoint %s or %s", fromEndpoint, toEndpoint)
	}
	sc := o.script.withDefaults()
	id := s.nextID()
	now := s.clock.Now()
	c := &call{dir: "internal", endpoint: from.ID, busyUser: from.User, rec: CDR{
		CallID: id, OriginalCallID: id, RefCallID: "0", ANI: from.User, DNIS: to.User,
		ANIUser: from.User, DNISUser: to.User, NameEndpointANI: from.Name, NameEndpointDNIS: to.Name,
		Type: "internal", DetectTime: now,
	}}
	s.startCall(c)
	if sc.Outcome != Answered {
		s.schedule(sc.Ring, func() { s.endCall(id, now, time.Time{}, "NO_ANSWER", sc.Ring) })
	} else {
		s.schedule(sc.Ring, func() { s.connectCall(id) })
		s.schedule(sc.Ring+sc.Talk, func() { s.endCall(id, now, now.Add(sc.Ring), "OK", sc.Ring) })
	}
	return id, nil
}

func (s *Server) callOptions(opts []CallOption) callOpts {
	var o callOpts
	for _, f := range opts {
		f(&o)
	}
	if !o.scripted {
		s.mu.Lock()
		if len(s.scripts) > 0 {
			o.script = s.scripts[0]
			s.scripts = s.scripts[1:]
		}
		s.mu.Unlock()
	}
	return o
}

// ActiveCalls returns the callids of calls in progress.
func (s *Server) ActiveCalls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.calls))
	for id := range s.calls {
		ids = append(ids, id)
	}
	return ids
}

// Busy reports whether the endpoint (by id, username or both) has a call
// active or in progress.
func (s *Server) Busy(ep callmyway.Endpoint) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.endpointOf(ep)
	if e == nil {
		return false
	}
	_, ok := s.busy[e.User]
	return ok
}
