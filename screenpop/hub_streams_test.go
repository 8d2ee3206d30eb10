package screenpop

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sseStream is one browser's SSE connection in a test.
type sseStream struct {
	resp *http.Response
	rd   *bufio.Reader
}

// sseEvent is one event read from a stream.
type sseEvent struct {
	ID, Event, Data string
}

// openStream opens agent's stream on srv (with lastID as Last-Event-ID
// when not empty) and waits for the hub's hello, so the subscription
// exists when it returns.
func openStream(t *testing.T, ctx context.Context, srv *httptest.Server, agent, lastID string) *sseStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"?agent="+agent, nil)
	require.NoError(t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	require.Equal(t, http.StatusOK, resp.StatusCode)
	s := &sseStream{resp: resp, rd: bufio.NewReader(resp.Body)}
	for {
		line, err := s.rd.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(line, ": connected") {
			return s
		}
	}
}

// next reads the stream's next event (comments and retry lines skipped);
// io.EOF once the server ended the stream.
func (s *sseStream) next() (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.Event != "" {
				return ev, nil
			}
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = line[6:]
		}
	}
}

// pop reads the next event and returns the call id of the pop it carries.
func (s *sseStream) pop(t *testing.T) string {
	t.Helper()
	ev, err := s.next()
	require.NoError(t, err)
	require.Equal(t, "pop", ev.Event)
	var m Message
	require.NoError(t, json.Unmarshal([]byte(ev.Data), &m))
	return m.Call.CallID
}

// superseded reads the end of a stream the hub closed for a newer one.
func (s *sseStream) superseded(t *testing.T) {
	t.Helper()
	ev, err := s.next()
	require.NoError(t, err)
	assert.Equal(t, "superseded", ev.Event)
	_, err = s.next()
	assert.ErrorIs(t, err, io.EOF)
}

func popFor(agent string, id uint64, callID string) Message {
	m := Message{ID: id, Type: TypePop, Agent: Agent{ID: agent}}
	m.Call.CallID = callID
	return m
}

// TestHubCapsStreamsPerAgent: an agent opening more streams than
// WithMaxStreamsPerAgent keeps at most the cap open: each new one ends
// the oldest, which gets a "superseded" event; the newest receive the
// pops, and an ended browser that reconnects with its Last-Event-ID
// replays what it missed, so no pop is lost. Without the cap every stream
// stays open.
func TestHubCapsStreamsPerAgent(t *testing.T) {
	const limit = 3
	broker := NewMemoryBroker()
	defer broker.Close()
	hub, err := NewHub(broker, WithMaxStreamsPerAgent(limit))
	require.NoError(t, err)
	defer hub.Close()
	srv := httptest.NewServer(hub.Handler(func(r *http.Request) (string, error) { return r.URL.Query().Get("agent"), nil }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var streams []*sseStream
	for range limit {
		streams = append(streams, openStream(t, ctx, srv, "ana", ""))
	}
	hub.Deliver(popFor("ana", 1, "c1"))
	for _, s := range streams {
		assert.Equal(t, "c1", s.pop(t))
	}
	beto := openStream(t, ctx, srv, "beto", "") // another agent's streams are not touched

	for i := range 2 { // two more tabs (or two reloads)
		streams = append(streams, openStream(t, ctx, srv, "ana", ""))
		assert.Equal(t, limit, hub.Subscribers("ana"), "never more than the cap")
		streams[i].superseded(t) // the oldest ended
	}
	assert.Equal(t, 1, hub.Subscribers("beto"))

	hub.Deliver(popFor("ana", 2, "c2"))
	for _, s := range streams[2:] { // the newest streams live on
		assert.Equal(t, "c2", s.pop(t))
	}

	// The first tab was still open: its browser reconnects with the last id
	// it saw, ends the then-oldest stream, and replays the pop it missed.
	again := openStream(t, ctx, srv, "ana", "1")
	assert.Equal(t, "c2", again.pop(t))
	streams[2].superseded(t)
	assert.Equal(t, limit, hub.Subscribers("ana"))

	hub.Deliver(popFor("beto", 3, "c3"))
	assert.Equal(t, "c3", beto.pop(t))
}

// TestHubCapsStreamsInAll: at WithMaxStreams, an agent's first stream is
// refused with ErrTooManyStreams (the SSE handler answers with a stream
// asking the browser to retry later) while an agent who has one may still
// reload, replacing its oldest; a freed place is taken again.
func TestHubCapsStreamsInAll(t *testing.T) {
	broker := NewMemoryBroker()
	defer broker.Close()
	hub, err := NewHub(broker, WithMaxStreams(2))
	require.NoError(t, err)
	defer hub.Close()

	a, _, err := hub.Subscribe("ana", 0)
	require.NoError(t, err)
	b, _, err := hub.Subscribe("beto", 0)
	require.NoError(t, err)
	_, _, err = hub.Subscribe("carla", 0)
	require.ErrorIs(t, err, ErrTooManyStreams)

	srv := httptest.NewServer(hub.Handler(func(r *http.Request) (string, error) { return r.URL.Query().Get("agent"), nil }))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "?agent=carla")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "an EventSource retries only after a 200")
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "retry: 10000\n")
	assert.Contains(t, string(body), "event: busy\n")

	a2, _, err := hub.Subscribe("ana", 0) // ana reloads: her old stream ends
	require.NoError(t, err)
	_, open := <-a.C
	assert.False(t, open)
	assert.True(t, a.Superseded())
	assert.False(t, a.Overflowed())
	assert.Equal(t, 1, hub.Subscribers("ana"))

	hub.Cancel(b)
	c, _, err := hub.Subscribe("carla", 0)
	require.NoError(t, err)
	hub.Deliver(popFor("carla", 1, "c1"))
	assert.Equal(t, "c1", (<-c.C).Call.CallID)
	hub.Cancel(a2)
	hub.Cancel(c)
	hub.mu.Lock()
	assert.Zero(t, hub.streams, "every end of a stream is counted")
	hub.mu.Unlock()
}

func TestStreamCapOptionsValidate(t *testing.T) {
	for _, o := range []Option{WithMaxStreamsPerAgent(0), WithMaxStreamsPerAgent(1025), WithMaxStreams(0),
		WithMaxStreams(1_000_001), WithQueueSize(0), WithLogger(nil)} {
		_, err := NewHub(NewMemoryBroker(), o)
		assert.ErrorIs(t, err, ErrInvalidOption)
	}
	_, err := NewTracker(acct, NewMemoryDirectory(), NewMemoryContacts(acct), NewMemoryBroker(), WithMaxStreamsPerAgent(4))
	assert.ErrorContains(t, err, "WithMaxStreamsPerAgent configures a Hub, not a Tracker")
	hub, err := NewHub(NewMemoryBroker(), WithMaxStreamsPerAgent(1), WithMaxStreams(1_000_000))
	require.NoError(t, err)
	hub.Close()
}
