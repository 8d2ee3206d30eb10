// Package policy is the contact policy of a collections CRM, checked
// before every dial: a cap on dials per customer over a rolling window, a
// cool-down after a connected call, calling hours in the customer's zone,
// do-not-call, and a supervisor's override with a reason.
//
// The calls ledger is the one source of truth. A customer's attempts are
// the ledger's outbound calls of the customer (by case, else contact,
// else number: calls.SubjectOf), and every decision is a ledger fact:
// Policy.Admit runs in one ledger transaction holding the customer's lock
// on every replica (calls.Ledger.Admit), reads the customer's calls,
// applies the rules, and records either the pending dial (the call the
// accepted dial joins, counted at once, so two replicas never both pass
// a cap) or a refusal naming the rule and the next allowed time. An
// override is recorded on the dial with the rule it overrode, who and
// why. Refusals are never live and are left out of the call history
// unless asked for (calls.Query.Refusals); Report lists, per customer,
// every attempt and refusal with its rule, and ReportSeq yields the same
// one customer at a time (WriteReportCSVSeq writes it as CSV row by row),
// so an export of months of calls does not hold them all in memory.
//
// Wiring:
//
//	p, err := policy.New(acct, ledger, policy.Limits{
//		MaxAttempts: 3, Window: 24 * time.Hour,
//		Cooldown:    4 * time.Hour,
//		Hours:       policy.Hours{Start: 8 * time.Hour, End: 20 * time.Hour},
//	}, policy.WithCustomers(crm)) // do-not-call, zone, per-customer limits
//	dialer, err := click2dial.New(client,
//		click2dial.WithPolicy(p),
//		click2dial.WithLiveCalls(ledger),
//		click2dial.WithOnAccepted(ledger.RecordAccepted))
//
// A refused dial returns a *RefusalError (errors.Is ErrRefused, which is
// click2dial.ErrRefusedByPolicy) naming the rule and when the next
// attempt is allowed; nothing is sent to CallMyWay. A Campaign dials
// through its Dialer and skips refused numbers (NumberResult.Err).
//
// Calling hours are wall-clock times in the customer's zone: the
// Customer's own (Customer.Zone), else the zones libphonenumber gives the
// number's prefix (all of them must be inside the hours), else the
// account's zone. Next allowed times are computed in those zones, so they
// are right across daylight saving changes.
package policy
