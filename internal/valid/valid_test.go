package valid

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

func TestRules(t *testing.T) {
	ok := []error{
		ID("1700000000.1234", true), ID("", false), ID(strings.Repeat("a", MaxIDLen), true),
		CallID("a b", true), CallID("dialx", true),
		EndpointName(""), EndpointName("5001é"),
		Text(strings.Repeat("x", MaxText), MaxText), Text("☎", MaxText),
		Number("", false), Number("+50688887777", true),
		Year(time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)),
		Duration(0), Duration(MaxDuration),
		Amount(decimal.RequireFromString("999999999999.000000000001")), Amount(decimal.RequireFromString("0.10000000000000000")),
	}
	for i, err := range ok {
		assert.NoError(t, err, i)
	}
	bad := []error{
		ID("", true), ID(strings.Repeat("a", MaxIDLen+1), true), ID("a\xffb", true), ID("a\x00b", true), ID("a\u0085b", true),
		CallID("dial:1", true), CallID("refusal:1", true),
		EndpointName("50 01"), EndpointName("50\u00a001"), EndpointName("50\x1b01"),
		Text(strings.Repeat("x", MaxText+1), MaxText), Text("a\x00", MaxText), Text("\xff", MaxText),
		Number("", true), Number("50688887777", false), Number("+0123", false), Number("+1234567890123456", false),
		Year(time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("UTC-6", -6*3600))),
		Duration(-1), Duration(MaxDuration + 1),
		Amount(MaxAmount), Amount(decimal.RequireFromString("0.0000000000001")),
	}
	for i, err := range bad {
		assert.Error(t, err, i)
	}
}
