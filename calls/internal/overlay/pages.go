package overlay

import (
	"iter"
	"time"

	"github.com/callmyway-go/sdk/calls"
)

// Pages yields the records fetch returns, page by page, for the SQL
// stores' Scan: fetch reads at most n records in the scan's order (by
// (start, id), ascending or, for Filter.Newest, descending: see Keyset)
// that come after the record after in that order (nil: from the first).
// It stops after limit records (0: all), at a short page, or when the
// consumer stops; a fetch error is yielded once and ends it.
func Pages(limit, page int, fetch func(after *calls.Record, n int) ([]calls.Record, error)) iter.Seq2[calls.Record, error] {
	return func(yield func(calls.Record, error) bool) {
		seen := 0
		var after *calls.Record
		for {
			n := page
			if limit > 0 {
				n = min(n, limit-seen)
			}
			recs, err := fetch(after, n)
			if err != nil {
				yield(calls.Record{}, err)
				return
			}
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
			seen += len(recs)
			if len(recs) < n || (limit > 0 && seen >= limit) {
				return
			}
			after = &recs[len(recs)-1]
		}
	}
}

// Keyset returns the SQL of a keyset page in the order of a Filter's
// Newest: cmp compares the row value (start, id) with the previous page's
// last record ("(start, id) "+cmp+" (?, ?)"), and orderBy is the ORDER BY
// list. start names the start column; ids break ties on it, in the same
// direction, so that each page resumes exactly after the last.
func Keyset(newest bool, start string) (cmp, orderBy string) {
	if newest {
		return "<", start + " DESC, id DESC"
	}
	return ">", start + ", id"
}

// Resume returns f without the bound of its time range that a keyset page
// after the first already implies (From when ascending, To when
// descending: the previous page's last record is within the range), so
// that the database seeks by the keyset rather than by that bound.
func Resume(f calls.Filter) calls.Filter {
	if f.Newest {
		f.To = time.Time{}
	} else {
		f.From = time.Time{}
	}
	return f
}
