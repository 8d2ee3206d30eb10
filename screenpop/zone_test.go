package screenpop

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/webhook"
)

// TestReassignedEndpointInAccountZone is the trap the Account closes: an
// account on Costa Rica time (UTC-6), endpoint 5001 handed from Ana to
// Carolina an hour ago. The handler reads the event's times in the
// account's zone because it has no zone of its own, so the pop reaches
// Carolina. (Read as UTC, the event would look six hours old and go to
// Ana.)
func TestReassignedEndpointInAccountZone(t *testing.T) {
	cr, err := time.LoadLocation("America/Costa_Rica")
	require.NoError(t, err)
	acct := callmyway.Account{Username: "8000001", Location: cr, Region: "CR"}

	dir := NewMemoryDirectory()
	phone := callmyway.Endpoint{ID: "5001", User: "8000001"}
	now := time.Now()
	require.NoError(t, dir.Assign(Agent{ID: "ana", Name: "Ana", Endpoint: phone}, now.Add(-48*time.Hour)))
	require.NoError(t, dir.Assign(Agent{ID: "carolina", Name: "Carolina", Endpoint: phone}, now.Add(-time.Hour)))
	broker := NewMemoryBroker()
	hub, err := NewHub(broker)
	require.NoError(t, err)
	defer hub.Close()
	tracker, err := NewTracker(acct, dir, NewMemoryContacts(acct), broker)
	require.NoError(t, err)
	store, err := calls.NewMemoryStore()
	require.NoError(t, err)

	fake := cmwtest.NewServer(cmwtest.WithAccount(acct, "12345678901"))
	defer fake.Close()
	client, err := fake.NewClient()
	require.NoError(t, err)
	// The handler takes the Client's Account: there is no other zone to give it.
	ledger, err := calls.New(client.Account(), store, calls.WithOnChange(tracker.OnChange))
	require.NoError(t, err)
	h, err := webhook.NewHandler(client.Account(), ledger, webhook.WithToken("0123456789abcdef0123"))
	require.NoError(t, err)
	crm := httptest.NewServer(h)
	defer crm.Close()
	fake.SetWebhooks(crm.URL + "/hook/0123456789abcdef0123")

	ana, _, _ := hub.Subscribe("ana", 0)
	carolina, _, _ := hub.Subscribe("carolina", 0)
	fake.ScriptNext(cmwtest.Script{Ring: 10 * time.Millisecond, Talk: 20 * time.Millisecond})
	_, err = fake.Inbound("2222-3333", callmyway.Endpoint{ID: "5001"})
	require.NoError(t, err)
	m := next(t, carolina)
	assert.Equal(t, TypePop, m.Type)
	assert.Equal(t, "Carolina", m.Agent.Name)
	assert.Equal(t, phone, m.Call.Endpoint)
	none(t, ana)
}
