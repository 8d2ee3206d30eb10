// Package adapt turns what the webhook, cdr and click2dial packages
// produce into the facts a calls.Ledger takes. It is a best guess kept
// apart from package calls, so that the ledger's core does not depend on
// those packages' types while they change.
package adapt

import (
	"fmt"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/webhook"
)

// customer returns the E.164 of the customer's side of a call: the
// called number for outbound calls, the caller otherwise; "" when
// withheld or unparseable.
func customer(dir callmyway.Direction, ani, dnis, region string) string {
	raw := ani
	if dir == callmyway.DirectionOutbound {
		raw = dnis
	}
	n, err := callmyway.ParseNumber(raw, region)
	if err != nil || n.Withheld {
		return ""
	}
	return n.E164
}

// Event converts a webhook event. agent, when not zero, fills the
// username of the event's phone (webhooks only carry its endpoint id).
func Event(e webhook.Event, acct callmyway.Account, agent callmyway.Endpoint) (calls.Event, error) {
	var a calls.Action
	switch e.Action {
	case webhook.CallStart:
		a = calls.ActionStart
	case webhook.CallEnd:
		a = calls.ActionEnd
	default:
		return calls.Event{}, fmt.Errorf("adapt: unknown webhook action %q", e.Action)
	}
	c := e.Call
	ep := callmyway.Endpoint{ID: c.EndpointID}
	if agent.Has(c.EndpointID) {
		ep.User = agent.User
	}
	return calls.Event{CallID: c.ID, Action: a, Endpoint: ep, Direction: c.Direction, ANI: c.ANI, DNIS: c.DNIS,
		Number: customer(c.Direction, c.ANI, c.DNIS, acct.Region), Detect: c.DetectTime.Time(), Connect: c.ConnectTime.Time(),
		Disconnect: c.DisconnectTime.Time(), Duration: c.Duration, Cost: c.Cost, ReceivedAt: e.ReceivedAt}, nil
}

// Leg converts a CDR record read at seenAt.
func Leg(r cdr.Record, acct callmyway.Account, seenAt time.Time) calls.Leg {
	user := r.ANIUser
	if r.Direction != callmyway.DirectionOutbound && r.DNISUser != "" {
		user = r.DNISUser
	}
	if user == "" {
		user = r.DNISUser
	}
	return calls.Leg{CallID: r.CallID, OriginalCallID: r.OriginalCallID, RefCallID: r.RefCallID, Agent: callmyway.Endpoint{User: user},
		ANI: r.ANI, DNIS: r.DNIS, Number: customer(r.Direction, r.ANI, r.DNIS, acct.Region), Direction: r.Direction,
		Detect: r.DetectTime.Time(), Connect: r.ConnectTime.Time(), Disconnect: r.DisconnectTime.Time(), Duration: r.Duration,
		Cost: r.Cost, Rate: r.Rate, AccessFee: r.AccessFee, EndReason: r.EndReason, SeenAt: seenAt}
}

// Dial converts an accepted click to dial. ref identifies the request;
// agent carries both names of the agent's phone; meta is the CRM's.
func Dial(res click2dial.Result, ref string, agent callmyway.Endpoint, meta map[string]string) calls.Dial {
	if agent.IsZero() {
		agent = callmyway.Endpoint{User: res.Agent}
	}
	var caller callmyway.Endpoint
	if res.CallerID != "" {
		caller = callmyway.Endpoint{User: res.CallerID}
	}
	return calls.Dial{Ref: ref, Agent: agent, CallerID: caller, Number: res.Contact.E164, At: res.At, Meta: meta}
}
