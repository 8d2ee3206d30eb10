package calls

import (
	"context"
	"iter"
	"slices"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// Store keeps the ledger's records. The ledger does all merging and
// correlation in Go above it; a Store only needs to run an update
// atomically under the given locks, assign change sequence numbers, and
// answer a few indexed reads.
//
// This package has NewMemoryStore; calls/sqlitestore and calls/pgstore
// keep records in SQLite and PostgreSQL. Implementations must be safe for
// concurrent use, and calls/internal/storetest checks the contract.
//
// A nil Store is refused by New.
type Store interface {
	// Update runs f in one atomic transaction holding an exclusive lock
	// on each of keys (across every Ledger sharing the store), and commits
	// what f Put when f returns nil. It may run f more than once (after
	// a serialisation failure); f must have no effects besides calls on tx.
	Update(ctx context.Context, keys []string, f func(ctx context.Context, tx Tx) error) error

	// Get returns the record with id (an alias record is returned as is),
	// or an error matching ErrNotFound.
	Get(ctx context.Context, id string) (Record, error)

	// Scan yields the call records (not aliases) matching f, ordered by
	// Start then ID (both descending when f.Newest), at most f.Limit when
	// it is positive: the first f.Limit in that order. It yields one
	// error and stops on failure.
	Scan(ctx context.Context, f Filter) iter.Seq2[Record, error]

	// Changes returns up to limit records (aliases included) whose Seq is
	// greater than after, in Seq order. A record appears once, at its
	// latest Seq.
	Changes(ctx context.Context, after uint64, limit int) ([]Record, error)

	// Wait returns nil as soon as a record with Seq greater than after
	// exists, or ctx's error when ctx is done first.
	Wait(ctx context.Context, after uint64) error
}

// Tx is an update in progress. It is only valid inside the function given
// to Store.Update, and only for the goroutine running that function.
//
// A nil Tx is never passed to Store.Update's function. A Tx is used by one
// goroutine, the one running that function; it is not safe for concurrent
// use.
type Tx interface {
	// Get returns the records among ids that exist (aliases as they are),
	// in any order.
	Get(ctx context.Context, ids ...string) ([]Record, error)
	// Candidates returns the call records (not aliases) for number whose
	// Start is in [from, to].
	Candidates(ctx context.Context, number string, from, to time.Time) ([]Record, error)
	// Find returns the call records (not aliases) matching f, as Scan
	// would (in Scan's order, f.Newest and f.Limit included), including
	// this transaction's own writes. It reads what other updates committed and takes no row
	// locks: callers serialise through Update's keys.
	Find(ctx context.Context, f Filter) ([]Record, error)
	// ChargeOwners returns, for each of keys that was posted, the id of
	// the record it was first posted on.
	ChargeOwners(ctx context.Context, keys ...string) (map[string]string, error)
	// Put writes records, replacing those with the same ID, giving each a
	// new Seq greater than every Seq before it. It records the owner of
	// each charge key in Index.ChargeKeys that has none yet.
	Put(ctx context.Context, recs ...Record) error
}

// Record is a call as a Store keeps it: index columns plus an opaque
// document of the call's merged facts. Stores need not return
// Index.ChargeKeys (they keep charge owners apart: Tx.ChargeOwners).
//
// Record is a plain value; the zero Record is not a valid record (ID is
// required). A Store must not modify a Record's slices after Put.
//
// Copies may be read from several goroutines concurrently.
type Record struct {
	ID      string // the call's id: callid, or "dial:"+ref
	AliasOf string // when not empty, the record only points to that call
	Seq     uint64 // set by the store on Put
	Index   Index  // zero for an alias
	Doc     []byte // the ledger's JSON document; nil for an alias
}

// Clone returns r with its own copies of its slices, for a Store that
// keeps records it was given.
func (r Record) Clone() Record {
	r.Index.Busy = slices.Clone(r.Index.Busy)
	r.Index.ChargeKeys = slices.Clone(r.Index.ChargeKeys)
	r.Doc = slices.Clone(r.Doc)
	return r
}

// Index are the columns a Store indexes a call by, derived from its facts
// on every write. An alias record's Index holds only Number, Start and
// State (of the call it points to). It is a plain value.
//
// The zero Index indexes nothing. Copies may be read from several
// goroutines concurrently.
type Index struct {
	Agent      callmyway.Endpoint // the call's owner (Call.Agent)
	Busy       []string           // phones the call occupies while live, as BusyToken
	Number     string             // E.164, "" when withheld
	Start      time.Time          // Call.Start, UTC
	State      State
	Contact    string // Meta["contact"]
	Case       string // Meta["case"]
	ChargeKeys []string
}

// BusyToken is how Index.Busy and Filter.Busy name a phone: "i:"+id or
// "u:"+username.
func BusyToken(kind byte, name string) string { return string(kind) + ":" + name }

// busyTokens returns the tokens of e's names.
func busyTokens(e callmyway.Endpoint) []string {
	var t []string
	if e.ID != "" {
		t = append(t, BusyToken('i', e.ID))
	}
	if e.User != "" {
		t = append(t, BusyToken('u', e.User))
	}
	return t
}

// Filter selects records in Store.Scan. Zero fields match everything, so
// the zero Filter selects every call record. Match gives the reference
// semantics. It is a plain value, safe to copy.
//
// Copies may be read from several goroutines concurrently.
type Filter struct {
	From, To time.Time          // Start in [From, To)
	Agent    callmyway.Endpoint // Index.Agent shares a name with it (Endpoint.Same)
	Busy     []string           // Index.Busy holds one of these tokens
	Contact  string
	Case     string
	Number   string  // Index.Number is this E.164 number
	States   []State // Index.State is one of these
	// NotStates: Index.State is none of these (how the ledger leaves
	// refusals out; a store's planner should not pick its state index
	// for it).
	NotStates []State
	Limit     int // at most this many; 0 means no limit
	// Newest orders by Start then ID, both descending (so Limit keeps
	// the newest records); the default is ascending.
	Newest bool
}
