package calls

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
)

// Dial is a click to dial that CallMyWay accepted: the first fact of an
// outbound call, known before the call has a callid.
//
// Dial is a plain value, safe to copy; its zero value is not a valid fact.
//
// Copies may be read from several goroutines concurrently.
type Dial struct {
	// Ref is the unique id of the request (required). The ledger records
	// the dial as call "dial:"+Ref until it meets its webhook call.
	Ref string `json:"ref"`
	// Agent is the agent's phone. At least one of its names is required;
	// give both (the endpoint id of webhooks and the username of CDRs)
	// when known, so that the dial is recognised in either.
	Agent callmyway.Endpoint `json:"agent"`
	// CallerID is the billed endpoint (may be zero: the account's own).
	CallerID callmyway.Endpoint `json:"caller_id,omitzero"`
	// Number is the customer's number in E.164 ("+50688887777"); required.
	Number string `json:"number"`
	// At is when the dial was accepted (required).
	At time.Time `json:"at"`
	// Meta is opaque caller metadata carried to the call, such as
	// "contact", "case" and "agent". Queries match the "contact" and
	// "case" keys.
	Meta map[string]string `json:"meta,omitempty"`
}

// ID is the id the dial is recorded under until it is correlated:
// "dial:"+Ref.
func (d Dial) ID() string { return DialPrefix + d.Ref }

// DialPrefix prefixes the id of a call known only by its dial.
const DialPrefix = valid.DialPrefix

// Action is what a webhook event reports. The zero Action is invalid.
//
// The zero Action is no action (refused). Copies may be read from several
// goroutines concurrently.
type Action string

// Actions.
const (
	ActionStart Action = "start" // callStart
	ActionEnd   Action = "end"   // callEnd
	// ActionLive is a sighting, not a webhook: the call was in a
	// live-calls query (cdr.Live), in progress, connected when Connect is
	// set. It is how a call shows as talking (webhooks carry no answer
	// event). A sighting never ends a call and never counts as its
	// webhook (Call.WebhookSeen) or its CDR.
	ActionLive Action = "live"
)

// Event is one webhook callStart or callEnd, or a sighting of the call in
// a live-calls query (ActionLive, see LiveOf).
//
// Event is a plain value, safe to copy; its zero value is not a valid fact.
//
// Copies may be read from several goroutines concurrently.
type Event struct {
	CallID   string             `json:"callid"`
	Action   Action             `json:"action"`
	Endpoint callmyway.Endpoint `json:"endpoint,omitzero"` // ID from endpoint_id; User when known
	// Direction of the call; an outbound call can be correlated with a Dial.
	Direction callmyway.Direction `json:"direction,omitempty"`
	ANI       string              `json:"ani,omitempty"`  // as sent
	DNIS      string              `json:"dnis,omitempty"` // as sent
	// Number is the customer's side in E.164, "" when withheld or
	// unparseable.
	Number     string          `json:"number,omitempty"`
	Detect     time.Time       `json:"detect,omitzero"`     // zero: not known
	Connect    time.Time       `json:"connect,omitzero"`    // zero (or 1970): not connected (yet)
	Disconnect time.Time       `json:"disconnect,omitzero"` // zero: not yet
	Duration   time.Duration   `json:"duration,omitempty"`
	Cost       decimal.Decimal `json:"cost,omitzero"`
	ReceivedAt time.Time       `json:"received_at,omitzero"` // zero: the ledger's clock
}

// Leg is one CDR record. One call may have several (a parent record and
// ring attempts sharing OriginalCallID).
//
// A later version of the same leg (same CallID) replaces the earlier one:
// the greater SeenAt wins, ties broken deterministically.
//
// Leg is a plain value, safe to copy; its zero value is not a valid fact.
//
// Copies may be read from several goroutines concurrently.
type Leg struct {
	CallID         string              `json:"callid"`
	OriginalCallID string              `json:"original_callid,omitempty"`
	RefCallID      string              `json:"ref_callid,omitempty"` // "0" (or "") for a parent leg
	Agent          callmyway.Endpoint  `json:"agent,omitzero"`       // User from ani_user/dnis_user
	ANI            string              `json:"ani,omitempty"`
	DNIS           string              `json:"dnis,omitempty"`
	Number         string              `json:"number,omitempty"` // customer side, E.164
	Direction      callmyway.Direction `json:"direction,omitempty"`
	Detect         time.Time           `json:"detect,omitzero"`
	Connect        time.Time           `json:"connect,omitzero"` // zero or 1970: not connected
	Disconnect     time.Time           `json:"disconnect,omitzero"`
	Duration       time.Duration       `json:"duration,omitempty"`
	Cost           decimal.Decimal     `json:"cost,omitzero"`
	Rate           decimal.Decimal     `json:"rate,omitzero"`
	AccessFee      decimal.Decimal     `json:"access_fee,omitzero"`
	EndReason      string              `json:"end_reason,omitempty"` // OK, CANCELLED, NO_ANSWER...
	SeenAt         time.Time           `json:"seen_at,omitzero"`     // zero: the ledger's clock
}

// Group is the id shared by the legs of one call: OriginalCallID, or
// CallID when there is none.
func (l Leg) Group() string {
	if l.OriginalCallID != "" && l.OriginalCallID != "0" {
		return l.OriginalCallID
	}
	return l.CallID
}

// IsParent reports whether l is the parent record of its call
// (RefCallID "0" or empty, or its own callid).
func (l Leg) IsParent() bool {
	return l.RefCallID == "" || l.RefCallID == "0" || l.RefCallID == l.CallID
}

// connected reports whether the leg was answered.
func (l Leg) connected() bool { return !l.Connect.IsZero() }

// ended reports whether the leg describes a finished call.
func (l Leg) ended() bool { return !l.Disconnect.IsZero() || l.EndReason != "" }
