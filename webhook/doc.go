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
// authenticated and with their body unread, so a burst holds a bounded
// amount of memory and of the listener's queues, and every delivery is
// still acked.
package webhook
