// Package cmwtest is a faithful fake of CallMyWay for tests and demos, in
// the spirit of net/http/httptest: NewServer starts it on a loopback port,
// Server.URL goes into callmyway.WithBaseURL, and Close stops it.
//
// It serves click to dial on both paths, CDR, recent and live queries,
// enforces the IP allow list and the 4-second rule (counting every query
// the real provider would have penalised: Violations), simulates calls that
// fire real webhooks and leave CDRs behind, and injects faults on demand.
//
// Time comes from a Clock: package time by default, so that inside a
// testing/synctest bubble the fake runs on the bubble's fake clock.
// Server.Client returns an HTTP client that reaches the fake in process,
// without sockets, which is what a synctest bubble needs.
//
// The fake serves one account (WithAccount, default DefaultAccount): its
// zone is the zone the fake writes times in, and Server.NewClient and
// Server.Account hand the same callmyway.Account to the code under test,
// so the test and the fake cannot disagree about it.
//
// # What the fake does, and what is a guess
//
//	Provider behaviour                    The fake                                          Verified?
//	------------------------------------  ------------------------------------------------  ----------
//	click to dial, two hosts              /Welcome/ClickToDialExtenal and /clickToDial.php   yes (paths)
//	username/password = billed endpoint   any endpoint's own credentials; Private withholds  partly
//	agent-first / contact-first           first_num an endpoint, or on the allowed list      yes (rule)
//	one active call per user              "ERROR: user ... already has an active call ..."   rule yes, text no
//	dial accepted (inserted)              200 "OK"                                           text no
//	wrong credentials                     200 "ERROR: Invalid username or password";         no
//	                                      getCdrs: 200 {"error": "..."}
//	IP not allow-listed                   403 "Error: IP not allowed (ip)"                   no
//	webhook body                          the documented JSON; knobs for duplicates, end     shape yes
//	                                      before start, numbers as strings, single quotes
//	webhook retries                       none unless WebhookMode.Retries                    no
//	getCdrs recent=1                      detect_time in the last 24 h of the clock          yes
//	getCdrs dateStart/dateEnd             inclusive at both ends, ordered by detect_time,     order/bounds no
//	                                      paged by ini (offset) and cant (count)
//	getCdrs live=1&fullAccount=1          calls in progress, duration 0, connect 1970        yes
//	answer shape                          bare array; {"cdrs": [...]}; {"error"}; empty      no (all accepted)
//	unknown fields                        x_trunk and billing_group on every record          invented
//	4-second rule                         a query < 4 s after the previous one counts a      rule yes,
//	                                      violation and is delayed; delays accumulate        amounts no
//	times                                 "YYYY-MM-DD HH:mm:ss" in WithLocation's zone        yes
//	ring groups                           parent record ref_callid "0", legs share           yes (fields)
//	                                      original_callid, losing legs CANCELLED
//	end reasons                           OK, NO_ANSWER, TEMPORARILY_UNAVAILABLE (busy),     names yes,
//	                                      DECLINE, CANCELLED                                 mapping no
//	re-deliveries                         WithDeliveryCopies, WithReversedEvents,            assumed (spec)
//	                                      WithRedeliveryAfter (on the fake's clock)
//	lost webhooks                         WithWebhookOutage, Server.WebhookOutage: events    assumed (spec)
//	                                      lost, never retried; the CDRs are kept
//	late or re-rated CDRs                 WithCDRDelay, Server.ReviseCDR                     assumed
//	query failures                        WithQueryFaults, Server.FailQueries: bursts of     no
//	                                      429/5xx on getCdrs only (Fault.Status: 503...),
//	                                      counted for the 4-second rule
//	a provider clock off                  WithClockSkew, Server.SetClockSkew                 assumed
//	accepted, never placed                Script{Outcome: DialLost}: "OK", no webhook, no    assumed (spec)
//	                                      CDR
//	call history kept for good            kept 7 days after a record was added               no (a bound
//	                                      (WithCDRRetention; 0: for good)                    of the fake)
//	CRM down for long                     webhooks queue up to 10,000 events, the oldest     assumed (spec)
//	                                      then lost (WithWebhookQueueLimit)
//
// JumpClock runs with real time and jumps ahead on Advance: a test gets
// "an hour later" without waiting, while simulated calls still run in
// real time. Package cmwtest/homologation turns these knobs one scenario
// at a time against a CRM and writes a certificate.
//
// Everything marked "no" is this package's guess about the real provider;
// clients built on the SDK accept every shape docs/provider.md lists, so they do
// not depend on these guesses.
package cmwtest
