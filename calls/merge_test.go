package calls

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
)

// randFacts returns small random facts over a tiny space of ids, so that
// the same keys meet with different values.
func randFacts(r *rand.Rand) facts {
	base := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	tm := func() time.Time {
		if r.IntN(4) == 0 {
			return time.Time{}
		}
		return base.Add(time.Duration(r.IntN(300)) * time.Second)
	}
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	ep := func() callmyway.Endpoint {
		return callmyway.Endpoint{ID: pick("", "5001", "5002"), User: pick("", "8000001", "8000002")}
	}
	money := func() decimal.Decimal { return decimal.New(int64(r.IntN(100)), -int32(r.IntN(3))) }
	var f facts
	for range r.IntN(3) {
		d := Dial{Ref: pick("r1", "r2"), Agent: ep(), CallerID: ep(), Number: pick("+50611111111", "+50622222222"), At: tm(),
			Meta: map[string]string{pick("contact", "case"): pick("c1", "c2")}}
		f = merge(f, facts{Dials: map[string]Dial{d.Ref: d}})
	}
	for range r.IntN(4) {
		e := Event{CallID: pick("X", "Y"), Action: []Action{ActionStart, ActionEnd}[r.IntN(2)], Endpoint: ep(),
			Direction: callmyway.Direction(pick("", "in", "out")), Number: pick("", "+50611111111"),
			Detect: tm(), Connect: tm(), Disconnect: tm(), Duration: time.Duration(r.IntN(100)) * time.Second, Cost: money(), ReceivedAt: tm()}
		f = merge(f, facts{Events: map[string]Event{eventKey(e): e}})
	}
	for range r.IntN(4) {
		l := Leg{CallID: pick("X", "L1", "L2"), OriginalCallID: pick("", "X"), RefCallID: pick("", "0", "X"), Agent: ep(),
			Number: pick("", "+50611111111"), Detect: tm(), Connect: tm(), Disconnect: tm(), Duration: time.Duration(r.IntN(100)) * time.Second,
			Cost: money(), Rate: money(), EndReason: pick("", "OK", "NO_ANSWER"), SeenAt: tm()}
		f = merge(f, facts{Legs: map[string]Leg{l.CallID: l}})
	}
	for range r.IntN(2) {
		d := Disposition{ID: pick("d1", "d2"), By: pick("u1", "u2"), At: tm(), Result: pick("ok", "later"),
			Charges: []Charge{{Key: pick("k1", "k2"), Amount: money(), Currency: "CRC"}}}
		f = merge(f, facts{Disps: map[string]Disposition{d.ID: d}})
	}
	for range r.IntN(2) {
		a := Admission{Ref: pick("r1", "r3"), Agent: ep(), Number: pick("+50611111111", "+50622222222"), At: tm(),
			Subject: pick("case:c1", "number:+50611111111"), Refused: r.IntN(3) == 0, Rule: pick("", "cooldown"),
			OverrideBy: pick("", "sup"), NotPlaced: r.IntN(3) == 0, NotPlacedReason: pick("", "refused", "ERROR")}
		f = merge(f, facts{Admissions: map[string]Admission{a.Ref: a}})
	}
	return f
}

func sameFacts(a, b facts) bool { return bytes.Equal(encodeFacts(a), encodeFacts(b)) }

func TestMergeIsASemilattice(t *testing.T) {
	v := view{now: time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC), neverArrivedAfter: time.Minute, maxLiveAge: 4 * time.Hour}
	for seed := range uint64(2000) {
		r := rand.New(rand.NewPCG(seed, 1))
		a, b, c := randFacts(r), randFacts(r), randFacts(r)
		before := encodeFacts(a)
		if !sameFacts(merge(a, b), merge(b, a)) {
			t.Fatalf("seed %d: merge is not commutative", seed)
		}
		if !sameFacts(merge(merge(a, b), c), merge(a, merge(b, c))) {
			t.Fatalf("seed %d: merge is not associative", seed)
		}
		if !sameFacts(merge(a, a), a) {
			t.Fatalf("seed %d: merge is not idempotent", seed)
		}
		if !bytes.Equal(before, encodeFacts(a)) {
			t.Fatalf("seed %d: merge modified its argument", seed)
		}
		// A round trip through the stored document changes nothing.
		d, err := decodeFacts(encodeFacts(merge(a, b)))
		if err != nil || !sameFacts(d, merge(a, b)) {
			t.Fatalf("seed %d: document round trip: %v", seed, err)
		}
		// Derived state only moves forward: an ended call stays ended.
		ca, cab := derive("x", 0, a, v), derive("x", 0, merge(a, b), v)
		if ca.State.ended() && (!cab.State.ended() || cab.Live) {
			t.Fatalf("seed %d: ended call came back to %s", seed, cab.State)
		}
		if canonicalID(merge(a, b)) != canonicalID(merge(b, a)) {
			t.Fatalf("seed %d: canonical id depends on order", seed)
		}
	}
}
