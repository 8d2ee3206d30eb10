package callmyway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNumber(t *testing.T) {
	cases := []struct{ raw, region, e164 string }{
		{"8888-7777", "CR", "+50688887777"},
		{"+506 8888 7777", "MX", "+50688887777"},
		{"0050688887777", "MX", "+50688887777"},
		{"(55) 1234 5678", "MX", "+525512345678"},
		{"2222-3333", "cr", "+50622223333"},
	}
	for _, tc := range cases {
		n, err := ParseNumber(tc.raw, tc.region)
		require.NoError(t, err, tc.raw)
		assert.Equal(t, tc.e164, n.E164, tc.raw)
		assert.Equal(t, tc.raw, n.Raw)
		assert.False(t, n.Withheld)
		assert.Equal(t, tc.e164[1:], n.Digits())
	}
}

func TestParseNumberWithheld(t *testing.T) {
	for _, raw := range []string{"", " ", "anonymous", "Anonymous", "PRIVATE", "unknown", "restricted", "0", "privado"} {
		n, err := ParseNumber(raw, "CR")
		require.NoError(t, err, raw)
		assert.True(t, n.Withheld, raw)
		assert.Empty(t, n.E164)
		assert.Empty(t, n.Digits())
	}
}

func TestParseNumberInvalid(t *testing.T) {
	for _, raw := range []string{"12", "abc", "8888-777", "+999 1234", "88887777", string(make([]byte, 100))} {
		region := "CR"
		if raw == "88887777" {
			region = "" // no region and no country code
		}
		_, err := ParseNumber(raw, region)
		var ne *NumberError
		require.ErrorAs(t, err, &ne, raw)
		assert.Equal(t, raw, ne.Input)
		assert.ErrorIs(t, err, ErrInvalidNumber)
	}
}

func TestSameNumber(t *testing.T) {
	assert.True(t, SameNumber("8888-7777", "+50688887777", "CR"))
	assert.True(t, SameNumber("506 8888 7777", "88887777", "CR"))
	assert.False(t, SameNumber("88887777", "88887778", "CR"))
	assert.False(t, SameNumber("anonymous", "anonymous", "CR"))
	assert.True(t, SameNumber("101", "1-0-1", "CR"), "short codes compare by digits")
}

func TestClassifyMessage(t *testing.T) {
	assert.Equal(t, ErrIPNotAllowed, ClassifyMessage("Error: IP no autorizada"))
	assert.Equal(t, ErrUnauthorized, ClassifyMessage("Invalid user or password"))
	assert.Equal(t, ErrRateLimited, ClassifyMessage("Too Many Requests"))
	assert.Nil(t, ClassifyMessage("all good"))
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
