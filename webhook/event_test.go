package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
)

const validStart = `{"action":"callStart","data":{"callid":"900000001","account_id":"3001","endpoint_id":"5001","ani":"50688887777","dnis":"8000001","detect_time":"2017-06-01 13:45:09","connect_time":"","disconnect_time":"","duration":0,"type":"in","cost":0}}`

// seedBodies are bodies real senders (and every cmwtest mode) send.
func seedBodies() []string {
	data := map[string]any{"callid": "900000002", "account_id": "3001", "endpoint_id": "5002", "ani": "anonymous",
		"dnis": "8000002", "detect_time": "2017-06-01 13:45:09", "connect_time": "2017-06-01 13:45:15",
		"disconnect_time": "2017-06-01 13:46:15", "duration": 60, "type": "out", "cost": 0.045}
	bodies := []string{
		validStart,
		strings.ReplaceAll(validStart, `"duration":0`, `"duration":"0"`),
		strings.ReplaceAll(validStart, `"cost":0`, `"cost":"0.0450"`),
		strings.ReplaceAll(validStart, `"connect_time":""`, `"connect_time":"1970-01-01 00:00:00"`),
		strings.ReplaceAll(validStart, `"type":"in"`, `"type":"internal"`),
		strings.ReplaceAll(validStart, `"callid":"900000001"`, `"callid":900000001`),
		`{'action': 'callEnd', 'data': {'callid': '1', 'account_id': '3001', 'endpoint_id': '5001', 'ani': '88887777', 'dnis': '8000001', 'detect_time': '2017-06-01 13:45:09', 'connect_time': '2017-06-01 13:45:15', 'disconnect_time': '2017-06-01 13:46:15', 'duration': '60', 'type': 'in', 'cost': '0.045'}}`,
		`{"action":"callStart","data":{"callid":"x"}}`,
		`{"action":"callEnd","data":{"callid":"y","type":"outgoing","duration":"12.0"}}`,
		`{"action":"callEnd"}`,
		`{"action":"hangup","data":{"callid":"1"}}`,
		`{"data":{"callid":"1"}}`,
		`{"action":"callStart","data":{"callid":""}}`,
		`[1,2,3]`,
		``,
		`{"action":"callStart","data":{"callid":"1","detect_time":"yesterday"}}`,
		`{'action':'callStart','data':{'callid':'it\'s'}}`,
	}
	for _, m := range []cmwtest.WebhookMode{{}, {StringNumbers: true}, {SingleQuoted: true}, {StringNumbers: true, SingleQuoted: true}} {
		bodies = append(bodies, string(cmwtest.EncodeWebhook("callEnd", data, m)))
	}
	return bodies
}

func TestParseValid(t *testing.T) {
	cr, _ := time.LoadLocation("America/Costa_Rica")
	ev, err := Parse(callmyway.Account{Username: "8000001", Location: cr, Region: "CR"}, []byte(validStart))
	require.NoError(t, err)
	assert.Equal(t, CallStart, ev.Action)
	assert.Equal(t, "900000001", ev.Call.ID)
	assert.Equal(t, "5001", ev.Call.Endpoint.ID)
	assert.Equal(t, callmyway.DirectionInbound, ev.Call.Direction)
	assert.Equal(t, time.Date(2017, 6, 1, 13, 45, 9, 0, cr), ev.Call.DetectTime.Time())
	assert.True(t, ev.Call.ConnectTime.IsZero())
	assert.Equal(t, "900000001|callStart", ev.Key())
}

func TestParseEveryShape(t *testing.T) {
	for _, m := range []cmwtest.WebhookMode{{}, {StringNumbers: true}, {SingleQuoted: true}, {StringNumbers: true, SingleQuoted: true}} {
		body := cmwtest.EncodeWebhook("callEnd", map[string]any{"callid": "7", "endpoint_id": "5001", "ani": "88887777",
			"dnis": "8000001", "detect_time": "2017-06-01 13:45:09", "connect_time": "2017-06-01 13:45:15",
			"disconnect_time": "2017-06-01 13:46:15", "duration": 60, "type": "in", "cost": "0.0450"}, m)
		ev, err := Parse(utc, body)
		require.NoError(t, err, string(body))
		assert.Equal(t, CallEnd, ev.Action)
		assert.Equal(t, time.Minute, ev.Call.Duration)
		assert.Equal(t, "0.045", ev.Call.Cost.String())
		assert.Equal(t, "2017-06-01 13:46:15", ev.Call.DisconnectTime.String())
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	cases := map[string]string{
		``: "body", `{`: "body", `{"action":"callEnd"}`: "data", `{"data":{"callid":"1"}}`: "action",
		`{"action":"callStart","data":{}}`:                                   "data.callid",
		`{"action":"callStart","data":{"callid":"1","duration":"abc"}}`:      "data.duration",
		`{"action":"callStart","data":{"callid":"1","duration":-5}}`:         "data.duration",
		`{"action":"callStart","data":{"callid":"1","cost":"free"}}`:         "data.cost",
		`{"action":"callStart","data":{"callid":"1","type":"sideways"}}`:     "data.type",
		`{"action":"callStart","data":{"callid":"1","connect_time":"nope"}}`: "data.connect_time",
		`{"action":"callStart","data":{"callid":{"a":1}}}`:                   "data.callid",
	}
	for body, field := range cases {
		_, err := Parse(utc, []byte(body))
		var pe *ParseError
		require.ErrorAs(t, err, &pe, body)
		assert.Equal(t, field, pe.Field, body)
		assert.ErrorIs(t, err, ErrInvalidEvent)
	}
	_, err := Parse(utc, []byte(`{"action":"ring","data":{"callid":"1"}}`))
	assert.ErrorIs(t, err, ErrUnknownAction)
}

func FuzzParse(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse(utc, body)
		if err != nil {
			var pe *ParseError
			if !assert.ErrorAs(t, err, &pe) || pe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if ev.Call.ID == "" || (ev.Action != CallStart && ev.Action != CallEnd) || ev.Call.Duration < 0 {
			t.Fatalf("accepted an invalid event: %+v", ev)
		}
	})
}

func TestParseBOMAndAccount(t *testing.T) {
	ev, err := Parse(utc, append([]byte("\xef\xbb\xbf"), validStart...))
	require.NoError(t, err)
	assert.Equal(t, CallStart, ev.Action)
	_, err = Parse(callmyway.Account{}, []byte(validStart))
	assert.ErrorIs(t, err, callmyway.ErrInvalidAccount)
}

func TestZeroMemoryDeduperIsUsable(t *testing.T) {
	var d MemoryDeduper
	done, err := d.Acquire(t.Context(), "k")
	require.NoError(t, err)
	assert.False(t, done)
	require.NoError(t, d.Release(t.Context(), "k", true))
	done, err = d.Acquire(t.Context(), "k")
	require.NoError(t, err)
	assert.True(t, done)
	assert.Equal(t, 1, d.Len())
	var z MemoryDeduper
	assert.NoError(t, z.Release(t.Context(), "never", false))
}

// Regressions from the hostile barrage: different invalid-UTF-8 callids
// must not collapse into one key, a NUL byte gets the same 400 whatever
// the store, and out-of-range numbers are refused, not stored negative.
func TestHostileFieldsAreRefused(t *testing.T) {
	for name, body := range map[string]string{
		"invalid utf-8 callid": "{\"action\":\"callStart\",\"data\":{\"callid\":\"a\xff\"}}",
		"other invalid callid": "{\"action\":\"callStart\",\"data\":{\"callid\":\"a\xfe\"}}",
		"nul in callid":        `{"action":"callStart","data":{"callid":"a\u0000b"}}`,
		"newline in callid":    `{"action":"callStart","data":{"callid":"a\nb"}}`,
		"nul in ani":           `{"action":"callStart","data":{"callid":"1","ani":"8888\u00007777"}}`,
		"duration 1e10":        `{"action":"callEnd","data":{"callid":"1","duration":1e10}}`,
		"duration int64 max":   `{"action":"callEnd","data":{"callid":"1","duration":"9223372036854775807"}}`,
		"duration 8 days":      `{"action":"callEnd","data":{"callid":"1","duration":691200}}`,
		"cost huge":            `{"action":"callEnd","data":{"callid":"1","cost":"1e12"}}`,
	} {
		_, err := Parse(utc, []byte(body))
		var pe *ParseError
		if assert.ErrorAs(t, err, &pe, name) {
			assert.True(t, strings.HasPrefix(pe.Field, "data."), name)
		}
	}
	ev, err := Parse(utc, []byte(`{"action":"callEnd","data":{"callid":"1","duration":604800}}`))
	require.NoError(t, err, "7 days is the limit")
	assert.Equal(t, 7*24*time.Hour, ev.Call.Duration)
}
