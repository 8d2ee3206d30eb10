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
// One Dialer serves an account: the caller ID is chosen per request
// (Request.CallerID), and a request carries opaque metadata (contact id,
// case id) that comes back in the Result and reaches the WithOnAccepted
// hook, which records the dial where the call is correlated later.
//
// With a calls ledger (package calls) as its LiveCalls guard and accept
// hook, the ledger decides whether an agent is busy. On its own, the
// Dialer frees an agent when the call's callEnd arrives: add it to the
// webhook handler's listeners (it is a webhook.Listener) and name agents
// with both names of their phone (callmyway.Endpoint), since webhooks
// carry only the endpoint id. The double-click window
// (WithDoubleClickWindow, 5 s by default) must not outlast the ledger's
// never-arrived time (calls.WithNeverArrivedAfter, 2 min by default):
// once the ledger forgets a dial no webhook reported, a repeated click
// would ring the customer again, so New refuses such a pair with a
// *WindowConflictError (ErrOptionConflict).
//
// With a contact policy (WithPolicy; package policy implements it over
// the ledger), every dial, a Campaign's too, is admitted or refused before
// anything is sent: a refusal matches ErrRefusedByPolicy and names the
// rule and the next allowed time; Request.Override lets a supervisor dial
// anyway, with a reason the policy keeps.
//
// An accepted Result means only that CallMyWay inserted the request. The
// call's outcome arrives later, by webhook (package webhook) and in the CDR
// (package cdr).
package click2dial
