package overlay

import (
	"iter"

	"github.com/callmyway-go/sdk/calls"
)

// Pages yields the records fetch returns, page by page, for the SQL
// stores' Scan: fetch reads at most n records ordered by (start, id) that
// come after the record after (nil: from the first). It stops after limit
// records (0: all), at a short page, or when the consumer stops; a fetch
// error is yielded once and ends it.
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
