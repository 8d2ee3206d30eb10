package cdr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/internal/storetest"
)

// TestBadTextIsStoredTheSameOnEveryStore: NUL bytes and invalid UTF-8 in a
// record's text (PostgreSQL's TEXT refuses both, SQLite keeps them) are
// replaced by U+FFFD on every store, so the record is stored, and read
// back identically, everywhere.
func TestBadTextIsStoredTheSameOnEveryStore(t *testing.T) {
	detect := callmyway.NewTime(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	bad := cdr.Record{
		CallID: "c1\x00", OriginalCallID: "c1\x00", RefCallID: "0",
		ANI: "5068888\x007777", DNIS: "8000001", DNISUser: "8000001",
		DetectTime: detect, DisconnectTime: callmyway.NewTime(detect.Time().Add(time.Minute)),
		RouteName:        "CR M\xf3vil",             // Latin-1, not UTF-8
		NameEndpointDNIS: "Agente \xff\xfe Uno\x00", // a run of invalid bytes, then NUL
		EndReason:        "OK", Direction: callmyway.DirectionInbound, Type: "incoming",
		Extra: map[string]json.RawMessage{
			"note":      json.RawMessage("\"caf\xe9\""),
			"k\x00ey":   json.RawMessage(`1`),
			"untouched": json.RawMessage(`"Jiménez \u0000"`), // an escaped NUL is valid text: kept as sent
		},
	}
	want := map[string]string{
		"callid": "c1\uFFFD", "ani": "5068888\uFFFD7777", "route": "CR M\uFFFDvil", "name": "Agente \uFFFD Uno\uFFFD",
	}
	storetest.ForEach(t, func(t *testing.T, open storetest.Opener) {
		s := open(t)
		require.NoError(t, s.Commit(context.Background(), "8000001", []cdr.Record{bad}, cdr.Checkpoint{Through: detect.Time()}))
		recs := storetest.Records(t, s)
		require.Len(t, recs, 1)
		got := recs[0]
		assert.Equal(t, want["callid"], got.CallID)
		assert.Equal(t, want["callid"], got.OriginalCallID)
		assert.Equal(t, want["ani"], got.ANI)
		assert.Equal(t, want["route"], got.RouteName)
		assert.Equal(t, want["name"], got.NameEndpointDNIS)
		assert.Equal(t, "8000001", got.DNIS)
		assert.Equal(t, callmyway.DirectionInbound, got.Direction)
		assert.Equal(t, map[string]json.RawMessage{
			"note": json.RawMessage("\"caf\uFFFD\""), "k\uFFFDey": json.RawMessage(`1`),
			"untouched": json.RawMessage(`"Jiménez \u0000"`),
		}, got.Extra)
	})
	// The caller's record is not modified.
	assert.Equal(t, "c1\x00", bad.CallID)
	assert.Contains(t, bad.Extra, "k\x00ey")
}

func TestSanitizeTextKeepsValidText(t *testing.T) {
	r := cdr.Record{CallID: "c1", ANI: "50688887777", RouteName: "CR Móvil ☎", Extra: map[string]json.RawMessage{"a": json.RawMessage(`"ñ"`)}}
	assert.Equal(t, r, r.SanitizeText())
}

// FuzzSanitizeText: whatever the input, the text SanitizeText returns is
// valid UTF-8 without NUL (what PostgreSQL's TEXT accepts), and a second
// pass changes nothing.
func FuzzSanitizeText(f *testing.F) {
	for _, s := range []string{"", "8000001", "a\x00b", "CR M\xf3vil", "\xff\xfe\x00", "Jiménez ☎"} {
		f.Add(s, []byte(`"`+s+`"`))
	}
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		r := cdr.Record{CallID: s, RouteName: s, Extra: map[string]json.RawMessage{s: raw}}.SanitizeText()
		for _, v := range []string{r.CallID, r.RouteName} {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				t.Fatalf("%q left %q", s, v)
			}
		}
		for k, v := range r.Extra {
			if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 || !utf8.Valid(v) || bytes.IndexByte(v, 0) >= 0 {
				t.Fatalf("extra %q: %q left %q: %q", s, raw, k, v)
			}
		}
		if again := r.SanitizeText(); !reflect.DeepEqual(again, r) {
			t.Fatalf("not idempotent on %q", s)
		}
	})
}
