// Package callmyway is the core of the CallMyWay SDK: the Client that holds
// an account's credentials and talks to the provider, the error model, the
// provider's timestamps (Time) and phone numbers (Number).
//
// The other packages build on it: click2dial places outbound calls, cdr
// reads and syncs the call history, webhook receives live call events,
// screenpop routes them to agents, and cmwtest is a faithful fake of the
// provider for tests.
//
// # Time zone
//
// CallMyWay timestamps ("2017-06-01 13:45:00") carry no zone: they are the
// account's local time. The Client reads them in UTC unless told otherwise
// with WithLocation; set it to the account's zone (for example
// America/Costa_Rica or America/Mexico_City).
//
// # The 4-second rule
//
// CallMyWay answers at most one CDR or live-call query every 4 seconds per
// account; faster queries are delayed and the delays accumulate. Every
// Client of one account in a process shares one limiter (QueryInterval
// plus a small margin, burst 1) and one in-flight slot, waited before every
// attempt, retries included. Separate processes that poll the same account
// must coordinate (one poller, or a shared Limiter via WithQueryLimiter).
//
// # Errors
//
// Failures match sentinels with errors.Is (ErrUnauthorized,
// ErrIPNotAllowed, ErrRateLimited, ErrMalformedResponse, ErrInvalidNumber)
// and concrete types with errors.As (*APIError, *TransportError,
// *NumberError, *TimeError). No error, log line or formatted value ever
// holds the account password.
//
// # Retries
//
// Read-only queries are retried on connection errors, 5xx and 429 with
// capped exponential backoff (hashicorp/go-retryablehttp), honouring
// Retry-After up to a cap. Click to dial (Client.Send) is never retried
// once the request may have reached CallMyWay: a repeat can ring a
// customer twice.
package callmyway
