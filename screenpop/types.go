package screenpop

import (
	"context"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
)

// Agent is a CRM user who answers calls on a CallMyWay phone. It is a
// plain value.
//
// The zero Agent is no agent. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Agent struct {
	ID       string             `json:"id"`       // the CRM's id for the agent
	Name     string             `json:"name"`     // for display
	Endpoint callmyway.Endpoint `json:"endpoint"` // the agent's phone, by both names
}

// Directory maps CallMyWay phones to agents: the CRM's mapping table (see
// docs/provider.md, Accounts and endpoints). It is consulted on every event,
// so edits take effect without a restart. Implementations must be safe
// for concurrent use: the Tracker calls them from concurrent webhook
// deliveries.
//
// A nil Directory is refused by NewTracker.
type Directory interface {
	// AgentFor returns the agent who had the phone ep — named by either
	// name: webhooks give its id, CDRs its username — at time at, so a
	// past call is credited to the right agent. The returned Agent's
	// Endpoint carries both names. ok is false when the phone is not
	// mapped.
	AgentFor(ctx context.Context, ep callmyway.Endpoint, at time.Time) (a Agent, ok bool, err error)
}

// Contact is a CRM contact a call may belong to.
//
// The zero Contact is an empty card. It is safe to copy; its slices and map
// are shared by copies, so do not modify them concurrently.
type Contact struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	CustomerID   string            `json:"customer_id,omitempty"`
	CustomerName string            `json:"customer_name,omitempty"`
	Numbers      []string          `json:"numbers,omitempty"`
	Fields       map[string]string `json:"fields,omitempty"` // anything the CRM wants on the card
}

// Contacts finds CRM contacts. Implementations must be safe for
// concurrent use.
//
// A nil Contacts is refused by NewTracker.
type Contacts interface {
	// Contact returns the contact with id (ok false when there is none):
	// the dialled contact of an outbound call, named in the dial's
	// metadata.
	Contact(ctx context.Context, id string) (c Contact, ok bool, err error)
	// FindByNumber returns the contacts with a number whose E.164 form is
	// e164 (for example "+50688887777").
	FindByNumber(ctx context.Context, e164 string) ([]Contact, error)
	// Search finds contacts by free text (name, document id...), for
	// withheld numbers and for linking unknown ones.
	Search(ctx context.Context, query string, limit int) ([]Contact, error)
}

// MatchKind says how a call's number matched the CRM's contacts.
//
// The zero MatchKind is no match yet. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type MatchKind string

// Match kinds.
const (
	// MatchKnown: one contact, shown directly (outbound calls, and inbound
	// numbers with exactly one contact).
	MatchKnown MatchKind = "known"
	// MatchCandidates: several contacts share the number; the agent picks.
	MatchCandidates MatchKind = "candidates"
	// MatchUnknown: no contact has the number; offer create / link / ignore.
	MatchUnknown MatchKind = "unknown"
	// MatchWithheld: no number (private caller ID); offer a search.
	MatchWithheld MatchKind = "withheld"
)

// Match is the contact side of a pop.
//
// The zero Match is no match yet. It is safe to copy and to read
// concurrently.
type Match struct {
	Kind     MatchKind `json:"kind"`
	Contacts []Contact `json:"contacts,omitempty"` // ranked, best first
	Offer    []string  `json:"offer,omitempty"`    // actions to offer: pick, create, link, ignore, search
}

// CallInfo is the call part of a Message.
//
// The zero CallInfo is no call. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type CallInfo struct {
	CallID     string              `json:"callid"`
	DialRef    string              `json:"dial_ref,omitempty"` // the click to dial this call came from: its card was "dial:"+ref until the call was known
	Endpoint   callmyway.Endpoint  `json:"endpoint"`
	Direction  callmyway.Direction `json:"direction"`
	Number     string              `json:"number"`      // the other party as sent (ANI inbound, DNIS outbound)
	NumberE164 string              `json:"number_e164"` // normalised, "" when withheld or unparseable
	// NumberDisplay is the number as the account's country writes it
	// ("8888 1111" in Costa Rica; international form for other
	// countries), "" when withheld or unparseable.
	NumberDisplay  string         `json:"number_display,omitempty"`
	State          calls.State    `json:"state"` // the ledger's: requested, ringing, connected, ended, final
	Live           bool           `json:"live"`  // the ledger's: the call is in progress
	DetectTime     callmyway.Time `json:"detect_time"`
	ConnectTime    callmyway.Time `json:"connect_time"`
	DisconnectTime callmyway.Time `json:"disconnect_time"`
	DurationSec    int64          `json:"duration_s"`
}

// MessageVersion is the version of the browser message format.
const MessageVersion = 1

// Message types.
const (
	TypePop    = "pop"    // a call for the agent: show the card
	TypeUpdate = "update" // the call changed (connected, contact picked)
	TypeEnd    = "end"    // the call ended: keep the form open for the disposition
)

// Message is what a browser receives, one per SSE event (event: the Type,
// id: the ID, data: this JSON). Version 1:
//
//	{"v":1,"id":42,"type":"pop","agent":{"id":"a1","name":"Ana","endpoint":{"id":"5001","user":"8000001"}},
//	 "call":{"callid":"900000001","endpoint":{"id":"5001","user":"8000001"},"direction":"in","number":"50688887777",
//	         "number_e164":"+50688887777","state":"ringing","detect_time":"2026-11-24 10:00:00",...},
//	 "match":{"kind":"candidates","contacts":[...],"offer":["pick","create","link","ignore"]}}
//
// ID is monotonic: a reconnecting browser sends the last one it saw as
// Last-Event-ID and gets what it missed.
//
// The zero Message is not a valid message (no type). It is safe to copy and
// to read concurrently.
type Message struct {
	Version int      `json:"v"`
	ID      uint64   `json:"id"`
	Type    string   `json:"type"`
	Agent   Agent    `json:"agent"`
	Call    CallInfo `json:"call"`
	Match   Match    `json:"match"`
}
