package calls

import "context"

// Changes returns up to limit calls changed after the change sequence
// number after, in sequence order: a browser that reloads resumes from
// the Seq of the last call it saw. A call changed several times appears
// once, at its latest Seq. An id that became an alias of another call
// appears as a Call with only ID, Seq and AliasOf set.
func (l *Ledger) Changes(ctx context.Context, after uint64, limit int) ([]Call, error) {
	if err := l.ok(); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		return nil, invalid("limit", "%d is not between 1 and 10000", limit)
	}
	recs, err := l.store.Changes(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	now := l.now()
	out := make([]Call, 0, len(recs))
	for _, r := range recs {
		if r.AliasOf != "" {
			out = append(out, Call{ID: r.ID, Seq: r.Seq, AliasOf: r.AliasOf})
			continue
		}
		c, err := l.callOf(r, now)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// WaitChanges blocks until a call changes after the sequence number
// after, or ctx is done (then it returns ctx's error). Use it between
// calls to Changes to follow the stream.
func (l *Ledger) WaitChanges(ctx context.Context, after uint64) error {
	if err := l.ok(); err != nil {
		return err
	}
	return l.store.Wait(ctx, after)
}
