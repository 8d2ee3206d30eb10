// Package casefile derives what a collections CRM shows on a customer's
// case file from the calls ledger: the callbacks owed to callers whose
// calls were missed or abandoned (Callbacks), and the cost of the calls
// and the charges posted, per case and per campaign (Costs,
// WriteCostsCSV).
//
// Nothing here is stored apart from the ledger, the one source of truth:
// a callback is open while the ledger holds a missed inbound call from
// the caller and no later connected call with the customer, so it closes
// itself when the customer is reached, on every replica. Dismissing one
// is a disposition on the missed call. A callback's dial
// (Callback.Request) goes through the contact policy like any other
// (package policy, click2dial.WithPolicy).
//
// Costs are the ledger's: Call.Cost is the reconciled CDR's (the webhook's
// until the CDR arrives: Totals.Provisional counts those calls), and
// charges are the dispositions' (calls.Charge), each posted once, summed
// per currency as decimals.
package casefile
