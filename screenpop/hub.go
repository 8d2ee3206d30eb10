package screenpop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Hub keeps each agent's recent messages and live subscriptions, and
// serves them to browsers over Server-Sent Events. A slow or stuck browser
// never blocks the others: each subscription has a bounded queue, and one
// that overflows is closed so the browser reconnects and replays what it
// missed from the agent's buffer.
//
// Memory is bounded: an agent's state (its buffer of at most
// WithReplayBuffer messages and as many ids of evicted ones, and its
// subscriptions, each with a queue of WithQueueSize messages) is kept only
// while the agent has a subscription or a message delivered within the
// last hour (ReplayAge). An agent id that was only subscribed, as any
// made-up id reaching the SSE route, is forgotten when its last
// subscription ends; an agent without subscribers is forgotten, buffer and
// all, an hour after its last message (checked at most once a minute), and
// a browser coming back later replays nothing. So the Hub holds the
// agents with open streams plus those that received a pop in the last
// hour.
//
// Streams are bounded too: at most WithMaxStreamsPerAgent (16) per agent,
// a new one ending the agent's oldest so that a reload always works, and
// at most WithMaxStreams (10,000) in all, beyond which an agent's first
// stream waits (ErrTooManyStreams; Handler tells the browser to retry).
//
// Create it with NewHub; the zero Hub is not usable (Subscribe returns
// ErrNoHub, Deliver and Cancel do nothing). A Hub is safe for concurrent
// use.
type Hub struct {
	bufSize   int
	queueSize int
	heartbeat time.Duration
	logger    *slog.Logger
	now       func() time.Time

	maxPerAgent int // WithMaxStreamsPerAgent
	maxStreams  int // WithMaxStreams

	mu      sync.Mutex
	agents  map[string]*agentState
	streams int       // open subscriptions, all agents
	seq     uint64    // numbers subscriptions in the order they were made
	swept   time.Time // the last sweep of forgotten agents
	stop    func()
	closed  bool
	done    chan struct{}
}

// ReplayAge is how long a Hub keeps the messages of an agent without
// subscribers for a browser that reconnects.
const ReplayAge = time.Hour

// sweepEvery is how often at most a Hub looks for agents to forget.
const sweepEvery = time.Minute

type agentState struct {
	buf     []Message // last bufSize messages, ascending ID
	evicted []uint64  // ids of the last messages pushed out of buf, ascending
	subs    map[*Subscription]struct{}
	last    time.Time // when the newest message of buf was delivered
}

// idle reports whether a's state can be forgotten at now: no subscriber,
// and nothing to replay within ReplayAge.
func (a *agentState) idle(now time.Time) bool {
	return len(a.subs) == 0 && (len(a.buf) == 0 || now.Sub(a.last) > ReplayAge)
}

// forget drops agent id's state if it is idle. h.mu held.
func (h *Hub) forget(id string, a *agentState) {
	if a.idle(h.now()) {
		delete(h.agents, id)
	}
}

// sweep forgets every idle agent, at most once per sweepEvery. h.mu held.
func (h *Hub) sweep() {
	now := h.now()
	if now.Sub(h.swept) < sweepEvery {
		return
	}
	h.swept = now
	for id, a := range h.agents {
		if a.idle(now) {
			delete(h.agents, id)
		}
	}
}

// Subscription is one browser's stream of an agent's messages.
//
// Subscriptions come from Hub.Subscribe; the zero Subscription is not
// usable. C is read by one goroutine; Overflowed is safe for concurrent
// use.
type Subscription struct {
	Agent string
	// C receives the agent's messages. It is closed when the subscription
	// overflows (Overflowed reports true) or is cancelled.
	C          chan Message
	overflowed bool
	superseded bool
	seq        uint64 // order of creation in the hub: the lowest is the oldest
	hub        *Hub
}

// ErrNoHub is returned by the methods of a zero or nil Hub.
var ErrNoHub = errors.New("screenpop: Hub not initialised: create it with NewHub")

// ErrTooManyStreams is returned by Hub.Subscribe when the Hub holds
// WithMaxStreams subscriptions and the agent has none to replace: try
// again later.
var ErrTooManyStreams = errors.New("screenpop: too many open streams")

// Overflowed reports whether C was closed because the reader fell behind.
func (s *Subscription) Overflowed() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.overflowed
}

// Superseded reports whether C was closed because the agent opened a newer
// subscription beyond WithMaxStreamsPerAgent (or at WithMaxStreams).
func (s *Subscription) Superseded() bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.superseded
}

// NewHub returns a Hub fed by broker, configured by the Hub options
// (WithReplayBuffer, WithQueueSize, WithHeartbeat, WithMaxStreamsPerAgent,
// WithMaxStreams, WithLogger).
func NewHub(broker Broker, opts ...Option) (*Hub, error) {
	if broker == nil {
		return nil, errors.New("screenpop: NewHub: nil broker")
	}
	o, err := newOptions("Hub", opts)
	if err != nil {
		return nil, err
	}
	h := &Hub{bufSize: o.bufSize, queueSize: o.queueSize, heartbeat: o.heartbeat, logger: o.logger, now: time.Now,
		maxPerAgent: o.maxPerAgent, maxStreams: o.maxStreams,
		agents: map[string]*agentState{}, done: make(chan struct{})}
	stop, err := broker.Subscribe(h.Deliver)
	if err != nil {
		return nil, err
	}
	h.stop = stop
	return h, nil
}

// Close unsubscribes from the broker and ends every stream.
func (h *Hub) Close() {
	if h == nil || h.agents == nil {
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.done)
	for _, a := range h.agents {
		for s := range a.subs {
			close(s.C)
		}
		a.subs = nil
	}
	h.streams = 0
	h.mu.Unlock()
	h.stop()
}

func (h *Hub) agent(id string) *agentState {
	a := h.agents[id]
	if a == nil {
		a = &agentState{subs: map[*Subscription]struct{}{}}
		h.agents[id] = a
	}
	return a
}

// Deliver stores m in its agent's buffer and queues it to the agent's
// subscriptions. It never blocks.
func (h *Hub) Deliver(m Message) {
	if h == nil || h.agents == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || m.Agent.ID == "" {
		return
	}
	h.sweep()
	a := h.agent(m.Agent.ID)
	if n := len(a.buf); n > 0 && a.buf[n-1].ID >= m.ID {
		return // a repeat (or out of order from a broker): already delivered
	}
	a.buf = append(a.buf, m)
	a.last = h.now()
	if over := len(a.buf) - h.bufSize; over > 0 {
		for _, old := range a.buf[:over] {
			a.evicted = append(a.evicted, old.ID)
		}
		if len(a.evicted) > h.bufSize {
			a.evicted = append(a.evicted[:0:0], a.evicted[len(a.evicted)-h.bufSize:]...)
		}
		a.buf = append(a.buf[:0:0], a.buf[over:]...)
	}
	for s := range a.subs {
		select {
		case s.C <- m:
		default:
			s.overflowed = true
			close(s.C)
			delete(a.subs, s)
			h.streams--
			h.logger.Warn("screenpop: slow subscriber dropped; it will reconnect and replay", "agent", m.Agent.ID)
		}
	}
}

// Subscribe returns a subscription to agent's messages, after first
// queueing the buffered ones with an ID above lastID (0: none; replay
// only happens on reconnect). missed counts the agent's messages after
// lastID that are no longer buffered (a lower bound after very long
// absences; 0 once the agent's state was forgotten, see Hub).
//
// When agent already holds WithMaxStreamsPerAgent subscriptions, or the
// Hub holds WithMaxStreams and agent at least one, the agent's oldest
// subscription ends (its C is closed, Superseded reports true) to make
// room: the newest stream is the one a user is looking at. When the Hub is
// full and agent has none, Subscribe returns ErrTooManyStreams.
func (h *Hub) Subscribe(agent string, lastID uint64) (s *Subscription, missed uint64, err error) {
	if h == nil || h.agents == nil {
		return nil, 0, ErrNoHub
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, 0, ErrClosed
	}
	h.sweep()
	if h.streams >= h.maxStreams {
		if a := h.agents[agent]; a == nil || len(a.subs) == 0 {
			return nil, 0, ErrTooManyStreams
		}
	}
	a := h.agent(agent)
	for len(a.subs) > 0 && (len(a.subs) >= h.maxPerAgent || h.streams >= h.maxStreams) {
		h.supersede(agent, a)
	}
	h.seq++
	s = &Subscription{Agent: agent, hub: h, seq: h.seq}
	var replay []Message
	if lastID > 0 {
		for _, m := range a.buf {
			if m.ID > lastID {
				replay = append(replay, m)
			}
		}
		for _, id := range a.evicted {
			if id > lastID {
				missed++
			}
		}
	}
	s.C = make(chan Message, max(h.queueSize, len(replay)))
	for _, m := range replay {
		s.C <- m
	}
	a.subs[s] = struct{}{}
	h.streams++
	return s, missed, nil
}

// supersede ends agent's oldest subscription. h.mu held; a has one.
func (h *Hub) supersede(agent string, a *agentState) {
	var oldest *Subscription
	for s := range a.subs {
		if oldest == nil || s.seq < oldest.seq {
			oldest = s
		}
	}
	oldest.superseded = true
	close(oldest.C)
	delete(a.subs, oldest)
	h.streams--
	h.logger.Debug("screenpop: oldest stream of the agent ended for a newer one; it reconnects and replays", "agent", agent)
}

// Cancel ends a subscription.
func (h *Hub) Cancel(s *Subscription) {
	if h == nil || h.agents == nil || s == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if a := h.agents[s.Agent]; a != nil {
		if _, ok := a.subs[s]; ok {
			delete(a.subs, s)
			close(s.C)
			h.streams--
			h.forget(s.Agent, a)
		}
	}
}

// Subscribers returns how many live subscriptions agent has.
func (h *Hub) Subscribers(agent string) int {
	if h == nil || h.agents == nil {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if a := h.agents[agent]; a != nil {
		return len(a.subs)
	}
	return 0
}

// IdentifyFunc tells the SSE handler which agent a request belongs to
// (from the CRM's session). An error answers 401.
//
// A nil IdentifyFunc must not be given to Handler. It is called
// concurrently, once per SSE request.
type IdentifyFunc func(r *http.Request) (agentID string, err error)

// Handler returns the SSE endpoint: each request is one browser of the
// agent identify names. It replays from Last-Event-ID (header, or the
// lastEventId query parameter), sends heartbeats, and ends when the
// browser goes away, the Hub closes, or the stream overflows or is
// superseded by a newer stream of the agent beyond WithMaxStreamsPerAgent
// (it then sends an event "superseded"; the browser reconnects and
// replays). When the Hub is full (ErrTooManyStreams) it answers 200 with
// a stream that only asks the browser to retry in 10 s and ends: an
// EventSource gives up for good on an error status, and a console must
// get its pops once a place frees up.
func (h *Hub) Handler(identify IdentifyFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agent, err := identify(r)
		if err != nil || agent == "" {
			http.Error(w, "unknown agent", http.StatusUnauthorized)
			return
		}
		var last uint64
		if v := r.Header.Get("Last-Event-ID"); v != "" {
			last, _ = strconv.ParseUint(v, 10, 64)
		} else if v := r.URL.Query().Get("lastEventId"); v != "" {
			last, _ = strconv.ParseUint(v, 10, 64)
		}
		rc := http.NewResponseController(w)
		sub, missed, err := h.Subscribe(agent, last)
		if errors.Is(err, ErrTooManyStreams) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "retry: 10000\nevent: busy\ndata: {\"busy\":\"too many open streams; retrying\"}\n\n")
			return
		}
		if err != nil {
			http.Error(w, "closed", http.StatusServiceUnavailable)
			return
		}
		defer h.Cancel(sub)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		write := func(b []byte) bool {
			rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.Write(b); err != nil {
				return false
			}
			return rc.Flush() == nil
		}
		hello := fmt.Sprintf("retry: 2000\n: connected agent=%s\n\n", agent)
		if missed > 0 {
			hello += fmt.Sprintf("event: missed\ndata: {\"missed\":%d}\n\n", missed)
		}
		if !write([]byte(hello)) {
			return
		}
		tick := time.NewTicker(h.heartbeat)
		defer tick.Stop()
		var frame []byte
		for {
			select {
			case m, ok := <-sub.C:
				if !ok { // overflowed, superseded or hub closed: the browser reconnects
					if sub.Superseded() {
						write([]byte("event: superseded\ndata: {}\n\n"))
					}
					return
				}
				frame = AppendFrame(frame[:0], m)
				if !write(frame) {
					return
				}
			case <-tick.C:
				if !write([]byte(": ping\n\n")) {
					return
				}
			case <-r.Context().Done():
				return
			case <-h.done:
				return
			}
		}
	})
}

// AppendFrame appends m as one SSE event (id, event, data lines).
func AppendFrame(b []byte, m Message) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, m.ID, 10)
	b = append(b, "\nevent: "...)
	b = append(b, m.Type...)
	b = append(b, "\ndata: "...)
	data, _ := json.Marshal(m) // no newlines: JSON escapes them
	b = append(b, data...)
	return append(b, "\n\n"...)
}
