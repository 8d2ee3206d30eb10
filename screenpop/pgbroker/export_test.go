package pgbroker

import "time"

// WithPruneEvery sets how often the pruning goroutine runs (tests only).
func WithPruneEvery(d time.Duration) Option {
	return func(b *Broker) error {
		b.pruneEvery = d
		return nil
	}
}

// PruneSQL is the prune statement, for its plan test.
const PruneSQL = pruneSQL
