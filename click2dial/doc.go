// Package click2dial places outbound calls by click (see
// docs/provider.md, Click to dial): CallMyWay
// rings the agent's phone, and when the agent answers, the contact.
//
// A Dialer validates and normalises numbers before sending anything,
// refuses an agent who already has a call active or in progress
// (ErrCallInProgress), collapses double clicks, and never retries a
// request that may have reached CallMyWay, because a repeat could ring the
// customer twice.
//
// An accepted Result means only that CallMyWay inserted the request. The
// call's outcome arrives later, by webhook (package webhook) and in the CDR
// (package cdr).
package click2dial
