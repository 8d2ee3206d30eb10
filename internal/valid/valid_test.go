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

func TestEscapeID(t *testing.T) {
	for raw, want := range map[string]string{
		"1700000000.1234": "1700000000.1234",
		"a b é☎":          "a b é☎",
		"":                "",
		"c1\x00":          `esc:c1\x00`,
		"a\xffb":          `esc:a\xffb`,
		"a\u0085b":        `esc:a\u0085b`,
		"esc:1":           `esc:esc:1`,
		`a"\`:             `a"\`,
		"\"\\\x00":        `esc:\"\\\x00`,
	} {
		got := EscapeID(raw)
		assert.Equal(t, want, got, "%q", raw)
		back, ok := UnescapeID(got)
		assert.True(t, ok)
		assert.Equal(t, raw, back)
		if got != raw {
			assert.NotEqual(t, got, EscapeID(got), "an escaped id passed again is escaped again: %q", got)
		}
	}
	for _, bad := range []string{`esc:\`, `esc:"`, `esc:\q`, `esc:a\x0`} {
		_, ok := UnescapeID(bad)
		assert.False(t, ok, bad)
		assert.Error(t, CallID(bad, true), bad)
	}
	// Only the exact escape of an id that needs one is a callid.
	assert.NoError(t, CallID(`esc:a\xffb`, true))
	assert.NoError(t, CallID(`esc:esc:1`, true))
	assert.Error(t, CallID(`esc:abc`, true), "abc needs no escape")
	assert.Error(t, CallID(`esc:a\u00e9`, true), "not the form EscapeID writes")
}

// TestWireCallID: a sender's callid is accepted when the ledger can keep
// its escaped form (issue: the handler's 400 is what the ledger refuses).
func TestWireCallID(t *testing.T) {
	for _, ok := range []string{"1700000000.1234", "esc:1", `esc:a\xffb`, "a b é☎", strings.Repeat("x", MaxIDLen), "esc:" + strings.Repeat("x", MaxIDLen-8)} {
		assert.NoError(t, WireCallID(ok, true), "%q", ok)
		assert.NoError(t, CallID(EscapeID(ok), true), "%q", ok)
	}
	for _, bad := range []string{"", "a\x00", "a\xffb", "a\u0085b", "dial:1", "refusal:1", strings.Repeat("x", MaxIDLen+1), "esc:" + strings.Repeat("x", MaxIDLen-7)} {
		assert.Error(t, WireCallID(bad, true), "%q", bad)
	}
	assert.NoError(t, WireCallID("", false))
}

// FuzzEscapeID: EscapeID is injective and reversible, its result is text
// every store keeps (valid UTF-8 without control characters) and a callid
// the ledger accepts; and a callid WireCallID accepts has an escaped form
// CallID accepts.
func FuzzEscapeID(f *testing.F) {
	for _, s := range []string{"", "1", "a\xffb", "a\xfeb", "a\uFFFDb", "c1\x00", "esc:1", `esc:a\xffb`, `\`, `"`} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea, eb := EscapeID(a), EscapeID(b)
		if a != b && ea == eb {
			t.Fatalf("%q and %q both escape to %q", a, b, ea)
		}
		if back, ok := UnescapeID(ea); !ok || back != a {
			t.Fatalf("UnescapeID(%q) = %q, %v; want %q", ea, back, ok, a)
		}
		if NeedsEscape(ea) {
			t.Fatalf("EscapeID(%q) = %q needs an escape", a, ea)
		}
		if a != "" && len(ea) <= MaxIDLen && !strings.HasPrefix(a, DialPrefix) && !strings.HasPrefix(a, RefusalPrefix) {
			if err := CallID(ea, true); err != nil {
				t.Fatalf("CallID(EscapeID(%q)): %v", a, err)
			}
		}
		if WireCallID(a, true) == nil {
			if err := CallID(ea, true); err != nil {
				t.Fatalf("WireCallID accepts %q but CallID(%q): %v", a, ea, err)
			}
		}
	})
}
