// Package calls is the call ledger: one record per call, from the click
// to dial to the final CDR, and the single source of truth for "is this
// call live?" and "what happened?".
//
// # Facts, not states
//
// CallMyWay tells a CRM about a call three ways, none of them reliable on
// its own: the click-to-dial answer (a Dial: accepted, no callid yet),
// webhooks (an Event: callStart and callEnd, maybe twice, out of order,
// hours late, or never) and CDRs (a Leg per record, polled later, maybe
// several per call, maybe revised). The ledger never stores a state
// machine that these could drive backwards. It stores, per call, the set
// of facts received, merged by a join that is commutative, associative
// and idempotent (a semilattice): dials by ref, events by callid, action
// and phone (earliest detect and connect, latest disconnect, longest
// duration), legs by callid with the latest version (SeenAt) winning,
// dispositions by id. State, outcome, attribution, times and money are
// derived when read. So any order, any duplicate, a re-delivery after any
// delay, and facts spread over replicas all give the same call; and an
// ended call is never live again.
//
// States go Requested (dial accepted) → Ringing → Connected → Ended →
// Final (its CDR is in). Outcomes are Answered, NotConnected (an end
// reason other than OK, or no connect time), and NeverArrived: a dial that
// no webhook and no CDR reported within WithNeverArrivedAfter, judged
// with the ledger's clock when read. A call whose end never comes stops
// counting as live after WithMaxLiveAge.
//
// Webhooks carry no answer event: a callStart comes while the call rings
// and the next word is the callEnd. The connect time in between comes from
// a fourth, optional source: the live-calls query (cdr.Live), applied as
// sightings (ActionLive events, ObserveLive). WatchLive polls it while a
// call rings, so the ledger shows Connected ("talking"). A sighting only
// adds a connect time: it never ends a call and never counts as the
// webhook (a call known from its CDR and sightings is still WebhookMissed).
//
// # Correlation
//
// A dial is recorded as call "dial:"+Ref. When its webhook or CDR call
// arrives (same agent phone by either name, same customer number, detected
// within WithCorrelationWindow of the dial; whichever comes first), the
// two records merge under the webhook callid and the dial's id is left as
// an alias: Get by either id returns the call, queries skip aliases. CDR
// legs join their call by callid (the webhook callid is the CDR callid or
// its original_callid), else by agent, number and time; a CDR no webhook
// announced starts a call flagged WebhookMissed. Every correlation runs
// in one Store transaction locked by the customer number, the one key all
// facts of an outbound call share, so replicas cannot race.
//
// The id a call is kept under depends only on its facts (its smallest
// webhook callid, else CDR group id, else dial id), so every replica
// agrees on it.
//
// # Attribution, dispositions, reconciliation
//
// Call.Agent is the phone that answered (a ring group gives one owner and
// no phantom calls to the others), else the phone that dialled;
// Call.Rung lists every phone rung; Call.BilledTo the caller ID. Dispose
// appends a Disposition (amendments reference the one they correct) and
// posts its charges exactly once by idempotency key. Where a CDR is in,
// a call's duration, cost, rate and end reason are the CDR's; a webhook
// that disagrees beyond WithTolerance shows in Call.Diffs, and Report
// lists mismatched calls, calls without a CDR and calls the webhook
// missed.
//
// # Wiring
//
// New takes the account (callmyway.Account: its zone for the times of
// returned calls, its region for the numbers of events and CDRs). The
// Ledger is a webhook.Listener (HandleEvent: the handler acks an event
// only once it is durable); RecordAccepted is click2dial's accept hook,
// and the Ledger is click2dial's LiveCalls guard (HasLiveCall); and
// ReconcileCDRs is the CDR Syncer's commit hook (cdr.OnCommit).
// WithPhoneBook gives it the CRM's endpoint mapping so a webhook's
// endpoint id and a CDR's username are known to be one phone, and
// WithOnChange hands every change to screenpop's Tracker, which pops
// from it. Example_wiring shows the three sources in forty lines.
//
// # Contact policy
//
// Admit records a contact policy's decision on a dial before it is sent,
// in one transaction under the customer's lock (its case, else contact,
// else number: SubjectOf) on every Ledger sharing the store: the policy
// reads the customer's calls and the ledger records the admitted dial as
// the pending call "dial:"+ref (which the accepted dial joins; NotPlaced
// ends it when CallMyWay refused the request) or a refusal
// "refusal:"+ref (StateRefused: never live, left out of Calls unless
// Query.Refusals). Call.Admission carries the decision: the rule, the next
// allowed time, a supervisor's override. Package policy is the policy.
//
// # Input rules
//
// Every fact is validated before any store sees it, by one rule applied
// identically on every store (see MaxIDLen): ids are 1 to 128 bytes of
// valid UTF-8 without control characters (rejected, never repaired, so
// two callids never collapse into one key); text is valid UTF-8 without
// NUL; numbers are E.164; durations lie between 0 and a year; times
// before 1971 mean "not known"; years after 9999 are refused. A bad fact
// is an *InvalidError naming the field, matching ErrInvalid.
//
// # Tombstones
//
// Ended calls are kept: it is a ledger, and a callStart re-delivered after
// the callEnd must find the ended call rather than start a ghost. The SQL
// stores delete nothing on their own. A MemoryStore drops calls older
// than its retention (WithRetention: 48 hours by default, at least
// MinRetention, one hour, the re-delivery horizon the ledger is built
// for; a record with no start time by when the store first saw it), and
// New refuses a max live age longer than the retention, so a fact
// re-delivered after its call was dropped can never make a live call.
//
// Archive is how an operator bounds the SQL stores: it deletes, in
// batches of ArchiveBatch, the calls that started before a cutoff and
// got no fact since (with their aliases and charge keys), after handing
// each batch to a copy function (cold storage), and deletes exactly what
// was copied. The cutoff must be at least MinArchiveAge (30 days) old, far
// beyond the re-delivery horizon, the max live age and the CDR's 24-hour
// recent window, else Archive returns an *ArchiveCutoffError matching
// ErrArchiveTooRecent: a call that still gets facts is never archived. A
// retention of months or years is the intended use (a fact about an
// archived call would start a new one, and its charge keys could post
// again).
//
// # Stores and replicas
//
// A Store keeps records (index columns and a JSON document of the facts)
// and runs updates under locks; all merging happens in the Ledger above
// it. NewMemoryStore is in this package; calls/sqlitestore (SQLite,
// without pgx) and calls/pgstore (PostgreSQL through pgxpool, without
// SQLite) keep the ledger in a database, where several Ledgers may share
// it. Every write gives the call a new sequence number: Changes and
// WaitChanges follow them, so a reader resumes after the last it saw.
package calls
