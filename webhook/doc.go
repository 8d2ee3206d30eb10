// Package webhook receives CallMyWay's call events (see docs/provider.md,
// Call events): the
// http.Handler a CRM exposes for callStart and callEnd, and Parse for
// routers that want the raw bytes.
//
// CallMyWay POSTs a JSON body on every detected call and expects
// {"ack":"ok"}. It signs nothing, so the handler is the CRM's front door:
// it accepts POST only, bounds the body, authenticates (a secret token,
// HTTP Basic, a source-IP allow list; constant-time comparisons), decodes
// tolerantly (numbers as strings, empty times, the single-quoted form of
// the provider's documentation), de-duplicates by (callid, action), and
// acks only after every listener succeeded.
//
// Load never makes it refuse a delivery: at most WithMaxInFlight (256)
// deliveries are processed at once, and the others wait their turn,
// authenticated and with their body read (at most WithMaxBodyBytes, 64
// KiB, each), so a burst holds a bounded share of the listener's queues,
// and every delivery is still acked. Reading the body first keeps places
// for work that is ready, lets a wait outlast the server's ReadTimeout,
// and lets a sender that gives up while waiting end its wait (503,
// nothing processed), even over HTTP/1.1; the price is the waiting
// bodies' memory, bounded by the connections the server accepts.
package webhook
