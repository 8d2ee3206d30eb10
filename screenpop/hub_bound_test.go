package screenpop

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hubAgents returns how many agent states h holds.
func hubAgents(h *Hub) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.agents)
}

// TestHubForgetsMadeUpAgents: 10,000 made-up agent ids subscribed and
// cancelled leave no state behind, and neither do ids that only reached
// the SSE route; an agent with messages keeps them for replay while
// within ReplayAge, and is forgotten after.
func TestHubForgetsMadeUpAgents(t *testing.T) {
	broker := NewMemoryBroker()
	defer broker.Close()
	hub, err := NewHub(broker)
	require.NoError(t, err)
	defer hub.Close()
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	hub.mu.Lock()
	hub.now = func() time.Time { return now }
	hub.mu.Unlock()

	for i := range 10_000 {
		s, _, err := hub.Subscribe(fmt.Sprintf("made-up-%d", i), 0)
		require.NoError(t, err)
		hub.Cancel(s)
	}
	assert.Zero(t, hubAgents(hub), "no state for ids that were only subscribed")

	srv := httptest.NewServer(hub.Handler(func(r *http.Request) (string, error) { return r.URL.Query().Get("agent"), nil }))
	defer srv.Close()
	for i := range 20 {
		resp, err := http.Get(srv.URL + "?agent=sse-" + fmt.Sprint(i))
		require.NoError(t, err)
		buf := make([]byte, 16)
		_, err = io.ReadAtLeast(resp.Body, buf, 1) // the stream is open
		require.NoError(t, err)
		resp.Body.Close()
	}
	require.Eventually(t, func() bool { return hubAgents(hub) == 0 }, 5*time.Second, 5*time.Millisecond,
		"closed SSE streams leave no state")

	// An agent with a buffered pop keeps it while nobody listens...
	hub.Deliver(Message{ID: 1, Type: "pop", Agent: Agent{ID: "ana"}})
	s, _, err := hub.Subscribe("ana", 0)
	require.NoError(t, err)
	hub.Cancel(s)
	now = now.Add(ReplayAge - time.Minute)
	s, _, err = hub.Subscribe("ana", 0)
	require.NoError(t, err)
	hub.Cancel(s)
	assert.Equal(t, 1, hubAgents(hub), "the pop is kept for a reconnecting browser")
	re, _, err := hub.Subscribe("ana", 0)
	require.NoError(t, err)
	now = now.Add(2 * time.Minute) // ...until it is older than ReplayAge
	hub.Cancel(re)
	assert.Zero(t, hubAgents(hub))

	// An agent whose subscriber left is swept once its pop is stale.
	hub.Deliver(Message{ID: 2, Type: "pop", Agent: Agent{ID: "beto"}})
	assert.Equal(t, 1, hubAgents(hub))
	now = now.Add(ReplayAge + sweepEvery)
	hub.Deliver(Message{ID: 3, Type: "pop", Agent: Agent{ID: "carla"}})
	assert.Equal(t, 1, hubAgents(hub), "beto forgotten, carla kept")
}
