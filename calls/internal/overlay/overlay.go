// Package overlay holds the writes of a SQL store's transaction in memory
// until commit, so that they can be written in one statement (and, in
// PostgreSQL, numbered under a short global lock), while the transaction's
// own reads see them.
package overlay

import (
	"slices"
	"time"

	"github.com/callmyway-go/sdk/calls"
)

// Overlay is the pending writes of one transaction. The zero value is
// ready to use; it is not safe for concurrent use.
type Overlay struct {
	puts  map[string]calls.Record
	order []string
	// read records which ids the transaction read from the database, and
	// whether they existed: a put of an id read as absent is an INSERT
	// that must fail if another transaction inserted it meanwhile.
	read map[string]bool
}

// Seen notes that the transaction read ids from the database and found
// the records in found.
func (o *Overlay) Seen(ids []string, found []calls.Record) {
	if o.read == nil {
		o.read = map[string]bool{}
	}
	for _, id := range ids {
		if _, ok := o.read[id]; !ok {
			o.read[id] = false
		}
	}
	for _, r := range found {
		o.read[r.ID] = true
	}
}

// Get answers ids from the pending writes, and returns those it could not
// answer (to read from the database).
func (o *Overlay) Get(ids []string) (hit []calls.Record, miss []string) {
	for _, id := range ids {
		if r, ok := o.puts[id]; ok {
			hit = append(hit, r)
		} else {
			miss = append(miss, id)
		}
	}
	return hit, miss
}

// Deletable returns an *calls.InvalidError naming the first of ids
// written in this transaction: a calls.TxDeleter deletes stored records
// only, never one it is still writing.
func (o *Overlay) Deletable(ids []string) error {
	if hit, _ := o.Get(ids); len(hit) > 0 {
		return &calls.InvalidError{Field: "Delete", Reason: "record " + hit[0].ID + " was written in this transaction"}
	}
	return nil
}

// Candidates corrects what the database answered for a Candidates query
// with the pending writes.
func (o *Overlay) Candidates(fromDB []calls.Record, number string, from, to time.Time) []calls.Record {
	var out []calls.Record
	for _, r := range fromDB {
		if _, ok := o.puts[r.ID]; !ok {
			out = append(out, r)
		}
	}
	for _, id := range o.order {
		r := o.puts[id]
		if r.AliasOf == "" && r.Index.Number == number && !r.Index.Start.Before(from) && !r.Index.Start.After(to) {
			out = append(out, r)
		}
	}
	return out
}

// Find corrects what the database answered for a Tx.Find query with f
// (without its Limit) with the pending writes, and applies f's order
// (Filter.Compare) and Limit.
func (o *Overlay) Find(fromDB []calls.Record, f calls.Filter) []calls.Record {
	var out []calls.Record
	for _, r := range fromDB {
		if _, ok := o.puts[r.ID]; !ok {
			out = append(out, r)
		}
	}
	for _, id := range o.order {
		if r := o.puts[id]; r.AliasOf == "" && f.Match(r.Index) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, f.Compare)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out
}

// ChargeOwner reports which pending record first posted key.
func (o *Overlay) ChargeOwner(key string) (string, bool) {
	for _, id := range o.order {
		if slices.Contains(o.puts[id].Index.ChargeKeys, key) {
			return id, true
		}
	}
	return "", false
}

// Put records writes.
func (o *Overlay) Put(recs ...calls.Record) {
	if o.puts == nil {
		o.puts = map[string]calls.Record{}
	}
	for _, r := range recs {
		if _, ok := o.puts[r.ID]; !ok {
			o.order = append(o.order, r.ID)
		}
		r = r.Clone()
		o.puts[r.ID] = r
	}
}

// Writes returns the pending records in the order first put, each with
// whether it is new: read as absent from the database, so it must be
// inserted, never upserted over a concurrent insert.
func (o *Overlay) Writes() (recs []calls.Record, isNew []bool) {
	for _, id := range o.order {
		recs = append(recs, o.puts[id])
		existed, read := o.read[id]
		isNew = append(isNew, read && !existed)
	}
	return recs, isNew
}

// Len is the number of pending records.
func (o *Overlay) Len() int { return len(o.order) }

// Reset forgets everything (before a retry).
func (o *Overlay) Reset() { *o = Overlay{} }

// Busy encodes index tokens as one column, each token between \x1f
// separators (tokens hold no control characters), so that a token is
// found with a substring search for Sep+token+Sep.
func Busy(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	s := Sep
	for _, t := range tokens {
		s += t + Sep
	}
	return s
}

// ParseBusy decodes a Busy column.
func ParseBusy(s string) []string {
	var out []string
	start := -1
	for i := 0; i < len(s); i++ {
		if s[i] == Sep[0] {
			if start >= 0 && i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// Sep separates tokens in a Busy column.
const Sep = "\x1f"
