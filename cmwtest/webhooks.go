package cmwtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// WebhookMode makes the fake send webhooks the way real senders do, so a
// receiver can be tested against each of them.
//
// The zero WebhookMode sends every event once, in order, as JSON with
// numbers. It is a plain value: safe to copy, and to read from several
// goroutines concurrently.
type WebhookMode struct {
	Duplicates     int  // extra deliveries of every event
	EndBeforeStart bool // hold each callStart back and send it after its callEnd
	StringNumbers  bool // duration and cost as JSON strings (the seed's form)
	SingleQuoted   bool // the seed's single-quoted pseudo-JSON
	Retries        int  // redeliveries after a non-2xx answer or an error, 1 s apart
	// RedeliverAfter delivers every event once more this long after its
	// first delivery, on the fake's clock (0: never).
	RedeliverAfter time.Duration
}

// Delivery is one webhook POST and the receiver's answer.
//
// The zero Delivery is no delivery. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type Delivery struct {
	URL     string
	Action  string
	CallID  string
	Body    []byte
	Status  int    // 0 when the request failed
	Answer  string // the receiver's body
	Err     string // transport error, if any
	Attempt int    // 1 for the first try
	At      time.Time
	// Redelivery marks the copy WebhookMode.RedeliverAfter sent later.
	Redelivery bool
	// Lost marks an event a webhook outage swallowed: it never reached
	// the receiver (Status 0).
	Lost bool
}

// Acked reports whether the receiver answered 2xx with {"ack":"ok"}.
func (d Delivery) Acked() bool {
	if d.Status < 200 || d.Status > 299 {
		return false
	}
	var a struct {
		Ack string `json:"ack"`
	}
	return json.Unmarshal([]byte(d.Answer), &a) == nil && a.Ack == "ok"
}

type hookEvent struct {
	action     string
	callid     string
	data       hookData
	redelivery bool
}

type hookData struct {
	CallID         string `json:"callid"`
	AccountID      string `json:"account_id"`
	EndpointID     string `json:"endpoint_id"`
	ANI            string `json:"ani"`
	DNIS           string `json:"dnis"`
	DetectTime     string `json:"detect_time"`
	ConnectTime    string `json:"connect_time"`
	DisconnectTime string `json:"disconnect_time"`
	Duration       any    `json:"duration"`
	Type           string `json:"type"`
	Cost           any    `json:"cost"`
}

// event builds the webhook payload for c (see docs/provider.md, Call
// events). s.mu held.
func (s *Server) event(action string, c *call) hookEvent {
	f := func(t time.Time) string {
		if t.IsZero() {
			if action == "callEnd" {
				return "1970-01-01 00:00:00"
			}
			return ""
		}
		return t.In(s.acct.Location).Format(callmyway.TimeLayout)
	}
	cost := c.rec.Cost
	if cost == "" {
		cost = "0.0000"
	}
	return hookEvent{action: action, callid: c.rec.CallID, data: hookData{
		CallID: c.rec.CallID, AccountID: s.accountID, EndpointID: c.endpoint,
		ANI: c.rec.ANI, DNIS: c.rec.DNIS,
		DetectTime: f(c.rec.DetectTime), ConnectTime: f(c.rec.ConnectTime), DisconnectTime: f(c.rec.DisconnectTime),
		Duration: c.rec.Duration, Type: c.dir, Cost: json.Number(cost),
	}}
}

// EncodeWebhook returns the body the fake would send for an event in mode
// m: useful to seed receiver tests and fuzzers.
func EncodeWebhook(action string, data map[string]any, m WebhookMode) []byte {
	b, _ := json.Marshal(map[string]any{"action": action, "data": data})
	if m.SingleQuoted {
		b = bytes.ReplaceAll(b, []byte(`"`), []byte(`'`))
	}
	return b
}

func (e hookEvent) body(m WebhookMode) []byte {
	d := e.data
	if m.StringNumbers {
		d.Duration = jsonString(d.Duration)
		d.Cost = jsonString(d.Cost)
	}
	b, _ := json.Marshal(struct {
		Action string   `json:"action"`
		Data   hookData `json:"data"`
	}{e.action, d})
	if m.SingleQuoted {
		b = bytes.ReplaceAll(b, []byte(`"`), []byte(`'`))
	}
	return b
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// hookQueue delivers webhooks in order from one goroutine.
type hookQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	urls    []string
	client  *http.Client
	mode    WebhookMode
	queue   []hookEvent
	held    map[string][]hookEvent // callStart held back (EndBeforeStart)
	busy    bool
	closed  bool
	done    chan struct{}
	cancel  context.CancelFunc
	ctx     context.Context
	log     []Delivery
	srv     *Server
	started bool
	outages [][2]time.Time // [from, to) on the fake's clock: events lost
	limit   int            // the most events queued (WithWebhookQueueLimit)
	dropped int            // events dropped because the queue was full
}

func newHookQueue() *hookQueue {
	q := &hookQueue{held: map[string][]hookEvent{}, done: make(chan struct{}), limit: DefaultWebhookQueueLimit}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *hookQueue) start(s *Server) {
	q.srv = s
	if q.client == nil {
		q.client = &http.Client{Timeout: 10 * time.Second}
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.started = true
	go q.run()
}

func (q *hookQueue) enqueue(e hookEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.mode.EndBeforeStart {
		if e.action == "callStart" {
			q.held[e.callid] = append(q.held[e.callid], e)
			return
		}
		q.queue = append(q.queue, e)
		q.queue = append(q.queue, q.held[e.callid]...)
		delete(q.held, e.callid)
	} else {
		q.queue = append(q.queue, e)
	}
	q.trim()
	q.cond.Broadcast()
}

// enqueueNow queues e as is (no holding back): a redelivery.
func (q *hookQueue) enqueueNow(e hookEvent) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.queue = append(q.queue, e)
	q.trim()
	q.cond.Broadcast()
}

// trim drops the oldest queued events beyond the limit, logging each as
// a lost Delivery to every URL. q.mu is held.
func (q *hookQueue) trim() {
	n := len(q.queue) - q.limit
	if q.limit <= 0 || n <= 0 {
		return
	}
	now := time.Now()
	if q.srv != nil {
		now = q.srv.clock.Now()
	}
	for _, e := range q.queue[:n] {
		for _, u := range q.urls {
			q.log = appendBounded(q.log, Delivery{URL: u, Action: e.action, CallID: e.callid, Body: e.body(q.mode), Attempt: 1,
				At: now, Redelivery: e.redelivery, Lost: true, Err: "cmwtest: webhook queue full: the oldest event was dropped"})
		}
	}
	clear(q.queue[:n])
	q.queue = q.queue[n:]
	q.dropped += n
}

// DefaultWebhookQueueLimit is how many webhook events the fake queues
// for delivery before it drops the oldest (WithWebhookQueueLimit).
const DefaultWebhookQueueLimit = 10_000

// WithWebhookQueueLimit sets how many webhook events wait for delivery
// at most (default DefaultWebhookQueueLimit; at least 1). The fake
// delivers them one at a time, in order; while the receiver is down or
// slow (each attempt may wait for the client's timeout) the queue grows,
// and beyond n the oldest event is dropped, as a provider that never
// retries would lose it: it shows in Deliveries as Lost and is counted
// by DroppedWebhooks. CallStarts held back for EndBeforeStart are not
// counted: each waits for its own call's callEnd.
func WithWebhookQueueLimit(n int) Option {
	return func(s *Server) error {
		if n < 1 {
			return fmt.Errorf("cmwtest: WithWebhookQueueLimit: %d is less than 1", n)
		}
		s.hooks.limit = n
		return nil
	}
}

// DroppedWebhooks returns how many webhook events were dropped because
// the delivery queue was full (WithWebhookQueueLimit).
func (s *Server) DroppedWebhooks() int {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.dropped
}

// lost reports whether an outage swallows e now, logging it as a lost
// Delivery to every URL.
func (q *hookQueue) lost(e hookEvent, body []byte) bool {
	now := q.srv.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, o := range q.outages {
		if !now.Before(o[0]) && now.Before(o[1]) {
			for _, u := range q.urls {
				q.log = appendBounded(q.log, Delivery{URL: u, Action: e.action, CallID: e.callid, Body: body, Attempt: 1,
					At: now, Redelivery: e.redelivery, Lost: true, Err: "cmwtest: webhook outage: the event was lost"})
			}
			return true
		}
	}
	return false
}

func (q *hookQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		for len(q.queue) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			q.mu.Unlock()
			return
		}
		e := q.queue[0]
		q.queue = q.queue[1:]
		q.busy = true
		urls, mode, client := append([]string(nil), q.urls...), q.mode, q.client
		q.mu.Unlock()

		body := e.body(mode)
		if q.lost(e, body) {
			q.mu.Lock()
			q.busy = false
			q.cond.Broadcast()
			q.mu.Unlock()
			continue
		}
		if mode.RedeliverAfter > 0 && !e.redelivery {
			again := e
			again.redelivery = true
			q.srv.mu.Lock()
			q.srv.schedule(mode.RedeliverAfter, func() { q.enqueueNow(again) })
			q.srv.mu.Unlock()
		}
		for _, u := range urls {
			for copyN := 0; copyN <= mode.Duplicates; copyN++ {
				for attempt := 1; attempt <= 1+mode.Retries; attempt++ {
					d := q.post(client, u, e, body, attempt)
					if d.Status >= 200 && d.Status <= 299 || q.ctx.Err() != nil {
						break
					}
					q.srv.sleep(q.ctx, time.Second)
				}
			}
		}
		q.mu.Lock()
		q.busy = false
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

func (q *hookQueue) post(client *http.Client, u string, e hookEvent, body []byte, attempt int) Delivery {
	d := Delivery{URL: u, Action: e.action, CallID: e.callid, Body: body, Attempt: attempt, At: q.srv.clock.Now(), Redelivery: e.redelivery}
	req, err := http.NewRequestWithContext(q.ctx, http.MethodPost, u, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		var resp *http.Response
		resp, err = client.Do(req)
		if err == nil {
			ans, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.Status, d.Answer = resp.StatusCode, string(ans)
		}
	}
	if err != nil {
		d.Err = err.Error()
	}
	q.mu.Lock()
	q.log = appendBounded(q.log, d)
	q.mu.Unlock()
	return d
}

func (q *hookQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
	if q.started {
		q.cancel()
		<-q.done
	}
}

// SetWebhooks replaces the webhook URLs.
func (s *Server) SetWebhooks(urls ...string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.urls = append([]string(nil), urls...)
}

// SetWebhookMode changes how the next webhooks are sent.
func (s *Server) SetWebhookMode(m WebhookMode) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.mode = m
}

// Deliveries returns every webhook POST made so far.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]Delivery(nil), s.hooks.log...)
}

// Flush waits until every queued webhook has been delivered (held-back
// callStarts excepted) or ctx is done.
func (s *Server) Flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		s.hooks.mu.Lock()
		s.hooks.cond.Broadcast()
		s.hooks.mu.Unlock()
	})
	defer stop()
	q := s.hooks
	q.mu.Lock()
	defer q.mu.Unlock()
	for (len(q.queue) > 0 || q.busy) && !q.closed {
		if err := ctx.Err(); err != nil {
			return err
		}
		q.cond.Wait()
	}
	return ctx.Err()
}
