// Package screenpop puts every live call on the right agent's screen with
// the right contact (see docs/provider.md, Call events).
//
// The calls ledger (package calls) owns every call's state; a Tracker
// owns the screen. Given to the ledger as its change hook
// (calls.WithOnChange), the Tracker routes each call that starts, changes
// or ends to its agent through the CRM's Directory (phone → agent, dated,
// reloadable), and matches the number against the CRM's Contacts: the
// clicked contact for outbound calls (the dial's metadata, so no picker),
// one contact or ranked candidates for inbound ones, unknown (create /
// link / ignore) or withheld (search). It publishes a versioned Message
// through a Broker to the Hubs, which stream each agent's messages to
// their browsers over Server-Sent Events with replay after a reconnect.
//
// Because the Tracker keeps no call state, a duplicate or late event
// cannot pop a call again or make it live again: the ledger reports no
// change for it. Whether an agent is on a call is the ledger's answer
// (calls.Ledger.HasLiveCall), which click2dial's guard reads.
package screenpop
