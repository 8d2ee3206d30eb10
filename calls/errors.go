package calls

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns for one of these
// conditions matches it with errors.Is, whatever its concrete type.
var (
	// ErrNotFound means no call (and no alias) has the id asked for.
	ErrNotFound = errors.New("calls: call not found")

	// ErrInvalid means an argument was rejected. The concrete error is an
	// *InvalidError naming the field.
	ErrInvalid = errors.New("calls: invalid argument")

	// ErrChargeConflict means a charge's idempotency key was already
	// posted on another call: a stale form cannot land on another call.
	// The concrete error is a *ChargeConflictError.
	ErrChargeConflict = errors.New("calls: charge key already posted on another call")

	// ErrNoLedger is returned by every method of a Ledger not made by New.
	ErrNoLedger = errors.New("calls: Ledger not created with calls.New")
)

// InvalidError names the argument field that was rejected and why. It
// matches ErrInvalid. It is a plain value, safe to share.
//
// The zero InvalidError names no field. Copies may be read from several
// goroutines concurrently.
type InvalidError struct {
	Field  string // "Event.CallID", "Leg[3].Duration", "Query.Limit", "WithMaxLiveAge"...
	Reason string
}

// Error implements error.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("calls: invalid %s: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ChargeConflictError reports a charge key already posted on another
// call. It matches ErrChargeConflict. It is a plain value, safe to share.
//
// The zero ChargeConflictError names no key. Copies may be read from
// several goroutines concurrently.
type ChargeConflictError struct {
	Key    string // the idempotency key
	CallID string // the call the key was posted on
	Other  string // the call the new charge was meant for
}

// Error implements error.
func (e *ChargeConflictError) Error() string {
	return fmt.Sprintf("calls: charge key %q was posted on call %q, not on %q", e.Key, e.CallID, e.Other)
}

// Is reports whether target is ErrChargeConflict.
func (e *ChargeConflictError) Is(target error) bool { return target == ErrChargeConflict }
