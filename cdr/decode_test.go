package cdr

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
)

const rec1 = `{"callid":"101","original_callid":"101","ref_callid":"0","ani":"50688887777","dnis":"8000001","ani_user":"","dnis_user":"8000001","detect_time":"2017-06-01 10:00:00","connect_time":"2017-06-01 10:00:05","disconnect_time":"2017-06-01 10:01:05","duration":60,"ring_time":5,"cost":"0.0450","access_fee":"0.0000","rate":"0.0450","route_pattern":"5068","route_name":"CR Movil","end_reason":"OK","name_endpoint_ani":"","name_endpoint_dnis":"Agente Uno","type":"incoming","x_trunk":"T1","billing_group":3}`

func TestDecodeShapes(t *testing.T) {
	cr, _ := time.LoadLocation("America/Costa_Rica")
	cases := map[string]int{
		"[" + rec1 + "]":              1,
		`{"cdrs":[` + rec1 + `]}`:     1,
		`{"data":[` + rec1 + `]}`:     1,
		`{"cdrs":null}`:               0,
		"":                            0,
		"  \n":                        0,
		"null":                        0,
		"[]":                          0,
		"[" + rec1 + "," + rec1 + "]": 2,
	}
	for body, n := range cases {
		recs, err := DecodePage([]byte(body), cr)
		require.NoError(t, err, body)
		assert.Len(t, recs, n, body)
		if n > 0 {
			r := recs[0]
			assert.Equal(t, "101", r.CallID)
			assert.Equal(t, time.Date(2017, 6, 1, 10, 0, 0, 0, cr), r.DetectTime.Time())
			assert.Equal(t, time.Minute, r.Duration)
			assert.Equal(t, 5*time.Second, r.RingTime)
			assert.Equal(t, "0.045", r.Cost.String())
			assert.Equal(t, callmyway.DirectionInbound, r.Direction)
			assert.True(t, r.Connected())
			assert.False(t, r.Live())
			assert.JSONEq(t, `"T1"`, string(r.Extra["x_trunk"]))
			assert.JSONEq(t, `3`, string(r.Extra["billing_group"]))
		}
	}
}

func TestDecodeTolerance(t *testing.T) {
	body := `[{"callid":202,"duration":"0","ring_time":"-3","cost":0.01,"connect_time":"","disconnect_time":"1970-01-01 00:00:00","detect_time":"2017-06-01 10:00:00","type":"out"},
	          {"callid":"203","connect_time":"0000-00-00 00:00:00","type":"outgoing","cost":null,"rate":""}]`
	recs, err := DecodePage([]byte(body), time.UTC)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, "202", recs[0].CallID)
	assert.Equal(t, -3*time.Second, recs[0].RingTime, "negative ring time tolerated")
	assert.False(t, recs[0].Connected())
	assert.True(t, recs[0].Live())
	assert.Equal(t, callmyway.DirectionOutbound, recs[1].Direction)
	assert.False(t, recs[1].Connected())
}

func TestDecodeErrors(t *testing.T) {
	for body, kind := range map[string]error{
		`{"error":"Invalid username or password"}`:       callmyway.ErrUnauthorized,
		`{"error":"IP not allowed"}`:                     callmyway.ErrIPNotAllowed,
		`[{"callid":"1","detect_time":"2017-06-01 10:00`: callmyway.ErrMalformedResponse,
		`<html>502</html>`:                               callmyway.ErrMalformedResponse,
		`{"foo":1}`:                                      callmyway.ErrMalformedResponse,
		`{"cdrs":5}`:                                     callmyway.ErrMalformedResponse,
		`"hello"`:                                        callmyway.ErrMalformedResponse,
		`[1]`:                                            callmyway.ErrMalformedResponse,
		`[{"callid":"1","detect_time":"June 1"}]`:        callmyway.ErrMalformedResponse,
		`[{"callid":"1","duration":"long"}]`:             callmyway.ErrMalformedResponse,
		`[{"callid":"1","cost":"free"}]`:                 callmyway.ErrMalformedResponse,
		`[{"callid":"1","type":"sideways"}]`:             callmyway.ErrMalformedResponse,
		`[{"ani":"1"}]`:                                  callmyway.ErrMalformedResponse,
		`[{"callid":["x"]}]`:                             callmyway.ErrMalformedResponse,
	} {
		_, err := DecodePage([]byte(body), time.UTC)
		assert.ErrorIs(t, err, kind, body)
	}
	_, err := DecodePage([]byte(`{"error":"Something odd"}`), time.UTC)
	var ae *callmyway.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "Something odd", ae.Message)
	assert.Nil(t, ae.Kind)

	_, err = DecodePage([]byte(`[{"callid":"77","duration":"long"}]`), time.UTC)
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "duration", fe.Field)
	assert.Equal(t, "77", fe.CallID)
	assert.Contains(t, err.Error(), `duration="long"`)
}

func TestRecordRoundTrip(t *testing.T) {
	var r Record
	require.NoError(t, json.Unmarshal([]byte(rec1), &r))
	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, rec1, string(out))
	var back Record
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, r, back)
}

// page builds a getCdrs answer of n records.
func page(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Replace(rec1, `"callid":"101"`, fmt.Sprintf(`"callid":"%d"`, 1000+i), 1))
	}
	b.WriteByte(']')
	return []byte(b.String())
}

func FuzzDecodePage(f *testing.F) {
	for _, s := range []string{"[" + rec1 + "]", `{"cdrs":[` + rec1 + `]}`, `{"error":"x"}`, "", "null", "[]",
		`[{"callid":1,"duration":"5","cost":0.1}]`, `[{"callid":"1","connect_time":""}]`, string(page(3))} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, err := DecodePage(body, time.UTC)
		if err != nil {
			var ae *callmyway.APIError
			var fe *FieldError
			if !assert.True(t, errorsAs(err, &ae) || errorsAs(err, &fe)) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range recs {
			if r.CallID == "" {
				t.Fatal("record without callid accepted")
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var back Record
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("round trip of %s: %v", b, err)
			}
			if back.CallID != r.CallID || !back.DetectTime.Equal(r.DetectTime) || !back.Cost.Equal(r.Cost) {
				t.Fatalf("round trip changed %+v into %+v", r, back)
			}
		}
	})
}

// plainRecord is the baseline: every field a string, no validation.
type plainRecord struct {
	CallID, OriginalCallID, RefCallID, ANI, DNIS, ANIUser, DNISUser                    string
	DetectTime, ConnectTime, DisconnectTime, Duration, RingTime, Cost, AccessFee, Rate string
	RoutePattern, RouteName, EndReason, NameEndpointANI, NameEndpointDNIS, Type        string
	XTrunk                                                                             string `json:"x_trunk"`
}

func BenchmarkDecodePage(b *testing.B) {
	body := page(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		recs, err := DecodePage(body, time.UTC)
		if err != nil || len(recs) != 1000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePageBaseline(b *testing.B) {
	body := []byte(strings.NewReplacer(`"duration":60`, `"duration":"60"`, `"ring_time":5`, `"ring_time":"5"`, `"billing_group":3`, `"billing_group":"3"`).Replace(string(page(1000))))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var recs []plainRecord
		if err := json.Unmarshal(body, &recs); err != nil || len(recs) != 1000 {
			b.Fatal(err)
		}
	}
}

func TestDecodePageNeedsZone(t *testing.T) {
	_, err := DecodePage([]byte(`[]`), nil)
	assert.ErrorIs(t, err, callmyway.ErrInvalidAccount, "no silent UTC")
}

func TestRecordParties(t *testing.T) {
	in := Record{ANI: "50688887777", DNIS: "8000001", DNISUser: "8000001", Direction: callmyway.DirectionInbound}
	assert.Equal(t, "50688887777", in.CustomerNumber())
	assert.Equal(t, callmyway.Endpoint{User: "8000001"}, in.Agent())
	out := Record{ANI: "8000002", ANIUser: "8000002", DNIS: "50622223333", Direction: callmyway.DirectionOutbound}
	assert.Equal(t, "50622223333", out.CustomerNumber())
	assert.Equal(t, callmyway.Endpoint{User: "8000002"}, out.Agent())
}
