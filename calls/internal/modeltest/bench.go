package modeltest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// BenchBase is when the stores' benchmark calls start.
var BenchBase = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// BenchNow is the clock of the stores' benchmark ledgers: an hour after
// BenchBase.
func BenchNow() time.Time { return BenchBase.Add(time.Hour) }

// BenchEvent is the callEnd of the i-th call of a store benchmark: a new
// call on its own number, one of 50 phones.
func BenchEvent(i int) calls.Event {
	at := BenchBase.Add(time.Duration(i) * time.Second)
	return calls.Event{CallID: fmt.Sprintf("bench-%07d", i), Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: fmt.Sprint(5000 + i%50)},
		Direction: callmyway.DirectionInbound, ANI: fmt.Sprintf("8%07d", i), DNIS: "8000001", Number: fmt.Sprintf("+5068%07d", i),
		Detect: at, Connect: at.Add(5 * time.Second), Disconnect: at.Add(65 * time.Second), Duration: time.Minute,
		Cost: decimal.New(35, -2), ReceivedAt: at.Add(66 * time.Second)}
}
