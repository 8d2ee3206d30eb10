package number

import (
	"sort"

	"github.com/nyaruka/phonenumbers"

	"github.com/callmyway-go/sdk/callmyway"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	cases := []struct{ raw, region, e164 string }{
		{"8888-7777", "CR", "+50688887777"},
		{"+506 8888 7777", "MX", "+50688887777"},
		{"0050688887777", "MX", "+50688887777"},
		{"(55) 1234 5678", "MX", "+525512345678"},
		{"2222-3333", "cr", "+50622223333"},
	}
	for _, tc := range cases {
		n, err := Parse(tc.raw, tc.region)
		require.NoError(t, err, tc.raw)
		assert.Equal(t, tc.e164, n.E164, tc.raw)
		assert.Equal(t, tc.raw, n.Raw)
		assert.False(t, n.Withheld)
		assert.Equal(t, tc.e164[1:], n.Digits())
	}
}

func TestParseNumberWithheld(t *testing.T) {
	for _, raw := range []string{"", " ", "anonymous", "Anonymous", "PRIVATE", "unknown", "restricted", "0", "privado"} {
		n, err := Parse(raw, "CR")
		require.NoError(t, err, raw)
		assert.True(t, n.Withheld, raw)
		assert.Empty(t, n.E164)
		assert.Empty(t, n.Digits())
	}
}

func TestParseNumberInvalid(t *testing.T) {
	for _, raw := range []string{"12", "abc", "8888-ABCD", "1-800-FLOWERS", "8888-777", "+999 1234", "88887777", string(make([]byte, 100))} {
		region := "CR"
		if raw == "88887777" {
			region = "" // no region and no country code
		}
		_, err := Parse(raw, region)
		var ne *callmyway.NumberError
		require.ErrorAs(t, err, &ne, raw)
		assert.Equal(t, raw, ne.Input)
		assert.ErrorIs(t, err, callmyway.ErrInvalidNumber)
	}
}

func TestSame(t *testing.T) {
	assert.True(t, Same("8888-7777", "+50688887777", "CR"))
	assert.True(t, Same("506 8888 7777", "88887777", "CR"))
	assert.False(t, Same("88887777", "88887778", "CR"))
	assert.False(t, Same("anonymous", "anonymous", "CR"))
	assert.True(t, Same("101", "1-0-1", "CR"), "short codes compare by digits")
}

func TestParseRegion(t *testing.T) {
	_, err := Parse("8888-7777", "XX")
	assert.ErrorIs(t, err, callmyway.ErrInvalidNumber)
	assert.ErrorContains(t, err, "unsupported region")
}

// TestRegionsMatchLibphonenumber keeps callmyway.IsRegion, which must not
// link libphonenumber, in step with the library.
func TestRegionsMatchLibphonenumber(t *testing.T) {
	var want []string
	for r := range phonenumbers.GetSupportedRegions() {
		want = append(want, r)
		assert.True(t, callmyway.IsRegion(r), r)
	}
	sort.Strings(want)
	assert.Len(t, want, 245, "libphonenumber's region list changed: update callmyway/account.go")
	for _, bad := range []string{"", "X", "XX", "cr", "CRR", "ZZ", "C1"} {
		assert.False(t, callmyway.IsRegion(bad), bad)
	}
}

func TestNational(t *testing.T) {
	n, err := Parse("+50688887777", "CR")
	require.NoError(t, err)
	assert.Equal(t, "8888 7777", n.National("CR"))
	assert.Equal(t, "+506 8888 7777", n.National("MX"))
	w, _ := Parse("anonymous", "CR")
	assert.Equal(t, "anonymous", w.National("CR"))
}
