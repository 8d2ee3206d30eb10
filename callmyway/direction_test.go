package callmyway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassifyMessage(t *testing.T) {
	assert.Equal(t, ErrIPNotAllowed, classifyMessage("Error: IP no autorizada"))
	assert.Equal(t, ErrUnauthorized, classifyMessage("Invalid user or password"))
	assert.Equal(t, ErrRateLimited, classifyMessage("Too Many Requests"))
	assert.Nil(t, classifyMessage("all good"))
}

func TestParseDirection(t *testing.T) {
	for in, want := range map[string]Direction{"in": DirectionInbound, "incoming": DirectionInbound, "OUT": DirectionOutbound,
		"outgoing": DirectionOutbound, "internal": DirectionInternal, "": DirectionUnknown} {
		d, err := ParseDirection(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, d, in)
	}
	_, err := ParseDirection("sideways")
	assert.ErrorContains(t, err, `"sideways"`)
	assert.Equal(t, "unknown", DirectionUnknown.String())
}
