package screenpop

import (
	"context"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// Agent is a CRM user who answers calls on a CallMyWay endpoint.
type Agent struct {
	ID       string `json:"id"`       // the CRM's id for the agent
	Name     string `json:"name"`     // for display
	Endpoint string `json:"endpoint"` // the CallMyWay username/number of the agent's phone
}

// Directory maps CallMyWay endpoints to agents: the CRM's mapping table
// (see docs/provider.md, Accounts and endpoints). It is consulted on
// every event, so edits take effect without
// a restart.
type Directory interface {
	// AgentFor returns the agent who had the endpoint (by endpoint_id) at
	// time at, so a past call is credited to the right agent. ok is false
	// when the endpoint is not mapped.
	AgentFor(ctx context.Context, endpointID string, at time.Time) (a Agent, ok bool, err error)
}

// Contact is a CRM contact a call may belong to.
type Contact struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	CustomerID   string            `json:"customer_id,omitempty"`
	CustomerName string            `json:"customer_name,omitempty"`
	Numbers      []string          `json:"numbers,omitempty"`
	Fields       map[string]string `json:"fields,omitempty"` // anything the CRM wants on the card
}

// Contacts finds CRM contacts.
type Contacts interface {
	// FindByNumber returns the contacts with a number whose E.164 form is
	// e164 (for example "+50688887777").
	FindByNumber(ctx context.Context, e164 string) ([]Contact, error)
	// Search finds contacts by free text (name, document id...), for
	// withheld numbers and for linking unknown ones.
	Search(ctx context.Context, query string, limit int) ([]Contact, error)
}

// MatchKind says how a call's number matched the CRM's contacts.
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
type Match struct {
	Kind     MatchKind `json:"kind"`
	Contacts []Contact `json:"contacts,omitempty"` // ranked, best first
	Offer    []string  `json:"offer,omitempty"`    // actions to offer: pick, create, link, ignore, search
}

// CallState is where a live call is.
type CallState string

// Call states.
const (
	Ringing   CallState = "ringing"
	Connected CallState = "connected"
	Ended     CallState = "ended"
)

// CallInfo is the call part of a Message.
type CallInfo struct {
	CallID         string              `json:"callid"`
	EndpointID     string              `json:"endpoint_id"`
	Direction      callmyway.Direction `json:"direction"`
	Number         string              `json:"number"`      // the other party as sent (ANI inbound, DNIS outbound)
	NumberE164     string              `json:"number_e164"` // normalised, "" when withheld or unparseable
	State          CallState           `json:"state"`
	DetectTime     callmyway.Time      `json:"detect_time"`
	ConnectTime    callmyway.Time      `json:"connect_time"`
	DisconnectTime callmyway.Time      `json:"disconnect_time"`
	DurationSec    int64               `json:"duration_s"`
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
//	{"v":1,"id":42,"type":"pop","agent":{"id":"a1","name":"Ana","endpoint":"8000001"},
//	 "call":{"callid":"900000001","endpoint_id":"5001","direction":"in","number":"50688887777",
//	         "number_e164":"+50688887777","state":"ringing","detect_time":"2026-11-24 10:00:00",...},
//	 "match":{"kind":"candidates","contacts":[...],"offer":["pick","create","link","ignore"]}}
//
// ID is monotonic: a reconnecting browser sends the last one it saw as
// Last-Event-ID and gets what it missed.
type Message struct {
	Version int      `json:"v"`
	ID      uint64   `json:"id"`
	Type    string   `json:"type"`
	Agent   Agent    `json:"agent"`
	Call    CallInfo `json:"call"`
	Match   Match    `json:"match"`
}
