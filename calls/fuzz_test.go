package calls

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/webhook"
)

// eventsFrom turns arbitrary bytes into events of a few calls.
func eventsFrom(data []byte) []Event {
	base := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	var out []Event
	for len(data) >= 8 {
		b := data[:8]
		data = data[8:]
		e := Event{
			CallID:    []string{"X", "Y", "Z", "dial:x", "", "a\xffb", string(b[:3])}[int(b[0])%7],
			Action:    []Action{ActionStart, ActionEnd, "bogus", ActionLive}[int(b[1])%4],
			Endpoint:  []callmyway.Endpoint{{}, {ID: "5001"}, {ID: "5002"}, {ID: "50 0"}, {User: "8000001"}}[int(b[2])%5],
			Direction: []callmyway.Direction{"", "in", "out", "internal"}[int(b[2]>>4)%4],
			Number:    []string{"", "+50611111111", "+50622222222", "123"}[int(b[3])%4],
		}
		at := func(v byte) time.Time {
			if v%5 == 0 {
				return time.Time{}
			}
			return base.Add(time.Duration(v) * time.Second)
		}
		e.Detect, e.Connect, e.Disconnect = at(b[4]), at(b[5]), at(b[6])
		e.Duration = time.Duration(int8(b[7])) * time.Second
		e.Cost = decimal.New(int64(binary.LittleEndian.Uint16(b[6:8])), -2)
		e.ReceivedAt = at(b[7])
		out = append(out, e)
	}
	return out
}

// FuzzApplyEvent applies events made of arbitrary bytes in two orders on
// two ledgers: it must never panic, the two ledgers must agree, no ended
// call may be live, and merge must be commutative on what they hold.
func FuzzApplyEvent(f *testing.F) {
	f.Add([]byte("\x00\x00\x01\x01\x01\x02\x03\x04\x00\x01\x01\x01\x01\x02\x03\x04"))
	f.Add([]byte("\x01\x01\x11\x02\x0a\x0b\x0c\x0d\x01\x00\x11\x02\x0a\x0b\x0c\x0d\x02\x00\x21\x01\x05\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8*32 {
			return
		}
		events := eventsFrom(data)
		la, _, _ := setup(t)
		lb, _, _ := setup(t)
		ctx := t.Context()
		var fa, fb facts
		for i, e := range events {
			if _, err := la.ApplyEvent(ctx, e); err == nil {
				ne, _ := normEvent(e)
				fa = merge(fa, facts{Events: map[string]Event{eventKey(ne): ne}})
			}
			e2 := events[len(events)-1-i]
			if _, err := lb.ApplyEvent(ctx, e2); err == nil {
				ne, _ := normEvent(e2)
				fb = merge(fb, facts{Events: map[string]Event{eventKey(ne): ne}})
			}
		}
		if !bytes.Equal(encodeFacts(merge(fa, fb)), encodeFacts(merge(fb, fa))) {
			t.Fatal("merge is not commutative")
		}
		var ca, cb []Call
		for c, err := range la.Calls(ctx, Query{}) {
			if err != nil {
				t.Fatal(err)
			}
			ca = append(ca, c)
		}
		for c, err := range lb.Calls(ctx, Query{}) {
			if err != nil {
				t.Fatal(err)
			}
			cb = append(cb, c)
		}
		if len(ca) != len(cb) {
			t.Fatalf("%d calls one way, %d the other", len(ca), len(cb))
		}
		for i := range ca {
			a, b := ca[i], cb[i]
			a.Seq, b.Seq = 0, 0
			ja, jb := mustJSON(t, a), mustJSON(t, b)
			if !bytes.Equal(ja, jb) {
				t.Fatalf("order changed the call:\n%s\n%s", ja, jb)
			}
			if a.State.ended() && a.Live {
				t.Fatalf("ended call %s is live", a.ID)
			}
		}
	})
}

// FuzzParsedEventIsStorable: every event webhook.Parse accepts is one the
// ledger stores (one definition of the limits, internal/valid), so the
// webhook handler never acks a 400-worthy event with a 500 retried for
// ever (issue 16 #2 and #11).
func FuzzParsedEventIsStorable(f *testing.F) {
	f.Add("900000001", "5001", "50688887777", "8000001", "2017-06-01 13:45:09", "0.045", "60")
	f.Add("50 01", "50 01", "ani", "", "9999-12-31 23:59:59", "0.0000000000001", "1")
	f.Add("dial:1", "\u0085", "a\x00b", "\xff", "", "1e11", "604800")
	f.Add("esc:1", "5001", "", "", "", "0", "0")
	f.Add(`esc:a\xffb`, "5001", "", "", "", "0", "0")
	acct := callmyway.Account{Username: "8000001", Location: time.FixedZone("UTC-6", -6*3600), Region: "CR"}
	f.Fuzz(func(t *testing.T, callid, endpoint, ani, dnis, detect, cost, duration string) {
		body, err := json.Marshal(map[string]any{"action": "callEnd", "data": map[string]any{
			"callid": callid, "endpoint_id": endpoint, "ani": ani, "dnis": dnis, "detect_time": detect,
			"disconnect_time": detect, "cost": cost, "duration": duration, "type": "in"}})
		if err != nil {
			return
		}
		ev, err := webhook.Parse(acct, body)
		if err != nil {
			return
		}
		e := EventOf(acct, ev)
		if _, err := normEvent(e); err != nil {
			t.Fatalf("webhook.Parse accepted %s, the ledger refuses it: %v", body, err)
		}
		// The same call's CDR (callid as sent) meets it in the ledger.
		if lg := LegOf(acct.Region, cdr.Record{CallID: ev.Call.ID}, time.Time{}); lg.CallID != e.CallID {
			t.Fatalf("webhook callid %q keyed %q, its CDR's %q", ev.Call.ID, e.CallID, lg.CallID)
		}
	})
}
