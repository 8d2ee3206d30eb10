// Package screenpop puts every live call on the right agent's screen with
// the right contact (see docs/provider.md, Call events).
//
// A Tracker is a webhook.Listener: it follows each call (ringing,
// connected, ended), routes it to its agent through the CRM's Directory
// (endpoint → agent, dated, reloadable), and matches the number against
// the CRM's Contacts: the clicked contact for outbound calls, one contact
// or ranked candidates for inbound ones, unknown (create / link / ignore)
// or withheld (search). It publishes a versioned Message through a Broker
// to the Hubs, which stream each agent's messages to their browsers over
// Server-Sent Events with replay after a reconnect.
//
// The Tracker satisfies click2dial.LiveCalls, so a Dialer refuses an
// agent who is already on a call it did not place.
package screenpop
