// Package homologation certifies a CRM's CallMyWay integration: it drives
// a fake CallMyWay (package cmwtest) through the faults the real provider
// may produce, posts the events to the CRM's webhook, reads what the CRM
// made of them back from its ledger (calls.Ledger.Handler), and judges
// each scenario with a reason and its evidence. `cmw homologate` runs it
// from the command line; a CRM's own Go test runs it in process:
//
//	r, err := homologation.New()
//	// start the CRM with base URL r.URL(), account r.Account(), password r.Password()
//	rep, err := r.Run(ctx, homologation.Target{WebhookURL: ..., LedgerURL: ..., LedgerHeader: ...})
//	rep.WriteHTML(f) // also WriteJSON, WriteJUnit
//
// # Scenarios
//
// Each scenario turns one knob of cmwtest that a Go test can turn too
// (Scenarios lists them with their knob):
//
//	duplicates       every event delivered 3 times is counted once
//	reversed         callEnd before callStart leaves an ended call
//	ring-group       3 agents rung, 1 answers: one call, one owner, no phantom missed calls
//	reassigned       an endpoint reassigned mid-day keeps each call with who had it (needs Target.Reassign and Owner)
//	withheld         a withheld number is no number; two withheld calls stay two
//	shared           a number several contacts share is not linked to one by guess
//	zone             the account's zone, not the server's, reads provider times
//	never-connected  a dial accepted but never connected is not a call that happened (needs Target.Dial)
//	query-faults     3 429s then 2 503s on CDR queries: the CDR still arrives, the 4-second rule holds
//	clock-skew       a provider clock 90 s ahead (Server.SetClockSkew) loses no call
//	late-cdr         a CDR that arrives late with a cost, then re-rated: the ledger shows the latest cost
//	outage           a 10-minute webhook outage: its calls are backfilled from CDRs and flagged WebhookMissed
//	redelivery       every event re-delivered an hour later changes nothing
//
// Time: the fake runs on a cmwtest.JumpClock. Simulated calls last about
// a second of real time; "ten minutes" and "an hour later" are jumps of
// the fake's clock, which stays ahead afterwards, so the scenarios that
// jump run last (the 90 s skew of clock-skew stays too). CDR queries are real and spaced by the CRM's own
// 4-second limiter: a run takes about half a minute with Target.Sync.
//
// # The report
//
// A Report carries the SDK version (SDKVersion: the module version from
// the binary's build information, "(devel)" in this repository), the date,
// the account's username, zone and region (never its password), the
// webhook URL with its token redacted, and per scenario the verdict, the
// reason, the steps taken, every delivery and the CRM's answer, and every
// ledger read. WriteHTML is for the person signing off; WriteJSON and
// WriteJUnit are for machines and CI.
//
// # Authenticating to the ledger
//
// The runner reads the ledger with Target.LedgerHeader on every request:
// a supervisor's session cookie for the reference CRM (`cmw homologate
// -ledger-header 'Cookie: crm_session=...'`), or a bearer token for a CRM
// that issues read tokens.
//
// # Hooks over HTTP
//
// Some scenarios need the CRM to act: poll CDRs now (Target.Sync), dial
// as an agent (Target.Dial, for never-connected), move a phone to another
// agent and name who a call is credited to (Target.Reassign and Owner,
// for reassigned). A CRM's Go test gives them as functions. A CRM
// certified over HTTP mounts HooksHandler, for admins only, and `cmw
// homologate -crm-hooks URL` calls it through RemoteHooks with the
// -ledger-header credentials (an admin's, then). Each call is a POST of
// JSON:
//
//	{"hook":"sync"}                                                  → 200 {}
//	{"hook":"dial","agent":{"id":"5001","user":"8000002"},"number":"7000-0007"}   → 200 {}
//	{"hook":"reassign","endpoint":{"id":"5003"},"at":"2025-06-02T15:04:05Z"}     → 200 {}
//	{"hook":"owner","callid":"17489012345670"}                       → 200 {"owner":"Ana Solís"}
//
// A hook the CRM does not offer answers 501 (its scenario is skipped; no
// sync hook leaves the CDRs to the CRM's own Syncer), a failed one 422
// {"error":"..."}, a malformed request 400; see HooksHandler.
package homologation
