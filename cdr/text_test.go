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
// replaced by U+FFFD on every store, and escaped reversibly in its ids
// (read back raw), so the record is stored, and read back identically,
// everywhere.
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
		"callid": "c1\x00", "ani": "5068888\uFFFD7777", "route": "CR M\uFFFDvil", "name": "Agente \uFFFD Uno\uFFFD",
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
// valid UTF-8 without NUL (what PostgreSQL's TEXT accepts), its ids are
// EscapeID's and UnescapeIDs gives them back, and a second pass on the
// record read back changes nothing.
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
		if r.CallID != cdr.EscapeID(s) {
			t.Fatalf("CallID %q stored as %q, want EscapeID's %q", s, r.CallID, cdr.EscapeID(s))
		}
		back, err := r.UnescapeIDs()
		if err != nil || back.CallID != s {
			t.Fatalf("UnescapeIDs of %q: %q, %v", r.CallID, back.CallID, err)
		}
		// The text (not the ids, escaped once) is repaired for good.
		if again := back.SanitizeText(); !reflect.DeepEqual(again, r) {
			t.Fatalf("not idempotent on %q", s)
		}
	})
}

// TestOddCallIDsStayDistinctOnEveryStore: callids that differ only in
// bytes no store keeps as they are (invalid UTF-8, NUL, a control
// character) used to be repaired into one (U+FFFD): two CDRs became one
// record. They are now kept byte for byte, escaped, on every store, and
// UnescapeID gives back what the provider sent (issue 16 #7).
func TestOddCallIDsStayDistinctOnEveryStore(t *testing.T) {
	raws := []string{"a\xffb", "a\xfeb", "a\uFFFDb", "a\x00b", "a\x01b", "a\\xffb", "esc:a", `esc:a\xffb`, " a\xffb "}
	var page bytes.Buffer
	page.WriteString(`[`)
	for i, raw := range raws {
		if i > 0 {
			page.WriteString(`,`)
		}
		// The provider's JSON: raw bytes as they are, NUL and control
		// characters as JSON escapes.
		id := strings.NewReplacer("\\", `\\`, "\x00", `\u0000`, "\x01", `\u0001`).Replace(raw)
		page.WriteString(`{"callid":"` + id + `","original_callid":"` + id + `","ref_callid":"0","detect_time":"2026-11-20 10:00:00","type":"incoming"}`)
	}
	page.WriteString(`]`)
	recs, err := cdr.DecodePage(page.Bytes(), time.UTC)
	require.NoError(t, err)
	require.Len(t, recs, len(raws))
	want := map[string]string{} // stored id -> raw
	for i, r := range recs {
		raw := strings.TrimSpace(raws[i])
		assert.Equal(t, raw, r.CallID, "DecodePage keeps the id raw")
		assert.Equal(t, r.CallID, r.OriginalCallID)
		stored := r.SanitizeText().CallID
		assert.Equal(t, cdr.EscapeID(raw), stored)
		assert.True(t, utf8.ValidString(stored) && !strings.ContainsFunc(stored, func(c rune) bool { return c < 0x20 || c == 0x7f }), "%q", stored)
		got, ok := cdr.UnescapeID(stored)
		assert.True(t, ok)
		assert.Equal(t, raw, got, "UnescapeID(%q)", stored)
		want[stored] = raw
	}
	assert.Len(t, want, len(raws)-1, "distinct ids stay distinct (the trimmed one is the same as the first)")
	assert.Equal(t, `esc:a\xffb`, cdr.EscapeID(recs[0].CallID))
	assert.Equal(t, `esc:a\x00b`, cdr.EscapeID(recs[3].CallID))
	assert.Equal(t, `esc:esc:a`, cdr.EscapeID(recs[6].CallID))
	assert.Equal(t, "a\uFFFDb", cdr.EscapeID(recs[2].CallID), "valid text is kept as sent")

	// A record survives a JSON round trip, its ids escaped in the JSON.
	for _, r := range recs {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"callid":"`+strings.ReplaceAll(cdr.EscapeID(r.CallID), `\`, `\\`)+`"`)
		var back cdr.Record
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, r.CallID, back.CallID)
		assert.Equal(t, r.OriginalCallID, back.OriginalCallID)
	}
	var back cdr.Record
	assert.Error(t, json.Unmarshal([]byte(`{"callid":"esc:\\q"}`), &back), "not an escape MarshalJSON writes")

	detect := callmyway.NewTime(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	storetest.ForEach(t, func(t *testing.T, open storetest.Opener) {
		s := open(t)
		require.NoError(t, s.Commit(context.Background(), "8000001", recs, cdr.Checkpoint{Through: detect.Time()}))
		require.NoError(t, s.Commit(context.Background(), "8000001", recs, cdr.Checkpoint{Through: detect.Time()}), "the same page again")
		got := map[string]string{}
		for _, r := range storetest.Records(t, s) {
			got[cdr.EscapeID(r.CallID)] = r.CallID // read back raw
		}
		assert.Equal(t, want, got)
	})
}
