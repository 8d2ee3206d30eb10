package adapt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEvent(t *testing.T) {
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ev, err := webhook.Parse([]byte(`{"action":"callStart","data":{"callid":"c1","account_id":"1","endpoint_id":"5001","ani":"8000001",
		"dnis":"88887777","detect_time":"2026-03-02 15:00:00","connect_time":"","disconnect_time":"","duration":"0","type":"out","cost":"0"}}`))
	require.NoError(t, err)
	e, err := Event(ev, acct, callmyway.Endpoint{ID: "5001", User: "8000001"})
	require.NoError(t, err)
	assert.Equal(t, calls.ActionStart, e.Action)
	assert.Equal(t, "+50688887777", e.Number)
	assert.Equal(t, callmyway.Endpoint{ID: "5001", User: "8000001"}, e.Endpoint)
	assert.Equal(t, time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC), e.Detect)
}
