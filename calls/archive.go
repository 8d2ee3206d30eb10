package calls

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// MinArchiveAge is the youngest cutoff Archive accepts: 30 days before
// the ledger's clock. It is far beyond the re-delivery horizon the ledger
// is built for (MinRetention, one hour), the longest max live age (48
// hours) and the CDR's recent window (24 hours), so no webhook, CDR poll
// or live call still needs an archived call.
const MinArchiveAge = 30 * 24 * time.Hour

// ArchiveBatch is how many calls Archive hands to its copy function and
// deletes per transaction.
const ArchiveBatch = 100

// ErrArchiveTooRecent means an Archive cutoff is closer to now than
// MinArchiveAge. The concrete error is an *ArchiveCutoffError.
var ErrArchiveTooRecent = errors.New("calls: archive cutoff too recent")

// ErrArchiveUnsupported means the ledger's Store cannot delete records:
// its Tx does not implement TxDeleter.
var ErrArchiveUnsupported = errors.New("calls: store cannot archive (its Tx is not a TxDeleter)")

// ArchiveCutoffError reports an Archive cutoff closer to now than
// MinArchiveAge. It matches ErrArchiveTooRecent (and ErrInvalid). It is a
// plain value, safe to share.
//
// The zero ArchiveCutoffError names no cutoff. Copies may be read from
// several goroutines concurrently.
type ArchiveCutoffError struct {
	Before time.Time     // the cutoff asked for
	Now    time.Time     // the ledger's clock
	Min    time.Duration // MinArchiveAge
}

// Error implements error.
func (e *ArchiveCutoffError) Error() string {
	return fmt.Sprintf("calls: archive cutoff %s is %v before now (%s), less than the minimum %v: calls that recent may still get re-delivered webhooks, CDRs or charges",
		e.Before.UTC().Format(time.RFC3339), e.Now.Sub(e.Before).Round(time.Second), e.Now.UTC().Format(time.RFC3339), e.Min)
}

// Is reports whether target is ErrArchiveTooRecent or ErrInvalid.
func (e *ArchiveCutoffError) Is(target error) bool {
	return target == ErrArchiveTooRecent || target == ErrInvalid
}

// TxDeleter is a Tx that can delete records, the one thing Ledger.Archive
// needs beyond Tx. The Tx of every Store of this module (MemoryStore,
// calls/sqlitestore, calls/pgstore) implements it; Archive returns
// ErrArchiveUnsupported for a Store whose Tx does not.
//
// Like Tx, it is only valid inside the function given to Store.Update and
// is not safe for concurrent use; a nil TxDeleter is not usable.
type TxDeleter interface {
	// Delete removes the records with ids (call records and aliases), and
	// of chargeKeys those whose owner (Tx.ChargeOwners) is one of ids. It
	// returns the ids it removed. A store may keep some: SQLite keeps the
	// record holding the greatest Seq, from which it numbers the next
	// change. ids must not have been Put in the same transaction.
	Delete(ctx context.Context, ids, chargeKeys []string) ([]string, error)
}

// Archive deletes from the ledger the calls that are over for good: those
// that started before before and of which no fact (dial, admission,
// webhook event, CDR leg, live sighting, disposition) was received at or
// after before, with the aliases they are found by (dial ids, webhook
// callids), and the charge keys they own. It returns how many calls it
// deleted.
//
// before must be at least MinArchiveAge (30 days) before the ledger's
// clock, else Archive returns an *ArchiveCutoffError (matching
// ErrArchiveTooRecent) and deletes nothing. Calls of any state are
// archived: past that age none is live (WithMaxLiveAge is 48 hours at
// most), whether it ended, never ended or was refused. A call that got a
// fact since before (a late CDR, a disposition) is kept, so a
// re-delivery within the ledger's horizon always finds its call.
//
// When copyOut is not nil, it receives each batch (at most ArchiveBatch
// calls, as Get returns them) before the batch is deleted; an error from
// it stops Archive, with that batch kept. Archive deletes in one
// transaction per batch exactly the records copyOut saw: a call that
// changed in between (or that a store keeps) is not deleted, and is
// handed to copyOut again by a later Archive. So copy idempotently, by
// Call.ID (an upsert). copyOut runs outside any transaction and may take
// its time; it must not modify the calls.
//
// After a call is archived, a fact about it is a new call: a CDR synced
// again by range starts a call flagged WebhookMissed, a charge key it
// owned can be posted again. Choose before so that neither can happen (a
// retention of months or years, beyond the history any CDR sync reads
// again and any open form). Archive reads the calls that started before
// before, in pages, and is bounded per transaction; ctx bounds it as a
// whole, and the calls deleted before ctx ended stay deleted (the count
// is returned with the error).
//
// An archived call leaves the change stream without a change of its own:
// a reader of Changes is not told, and Get answers ErrNotFound.
//
// A MemoryStore also prunes on its own (WithRetention); Archive is for the
// SQL stores, which keep every call until it runs. It is safe for
// concurrent use with every other method, on every Ledger sharing the
// store.
func (l *Ledger) Archive(ctx context.Context, before time.Time, copyOut func(ctx context.Context, calls []Call) error) (int, error) {
	if err := l.ok(); err != nil {
		return 0, err
	}
	if before.IsZero() {
		return 0, invalid("Archive before", "zero")
	}
	now := l.now()
	if now.Sub(before) < MinArchiveAge {
		return 0, &ArchiveCutoffError{Before: before, Now: now, Min: MinArchiveAge}
	}
	before = before.UTC()
	var batch []archiveItem
	n := 0
	flush := func() error {
		k, err := l.archiveBatch(ctx, batch, copyOut)
		n += k
		batch = batch[:0]
		return err
	}
	for r, err := range l.store.Scan(ctx, Filter{To: before}) {
		if err != nil {
			return n, fmt.Errorf("calls: archive: %w", err)
		}
		f, err := l.docs.decode(r)
		if err != nil {
			return n, fmt.Errorf("calls: archive %q: %w", r.ID, err)
		}
		if last := f.lastReceived(); last.IsZero() || !last.Before(before) {
			continue // a fact arrived since, or none says when: keep it
		}
		c := derive(r.ID, r.Seq, f, l.view(now))
		if c.Live {
			continue // cannot happen past MinArchiveAge; never archive a live call
		}
		batch = append(batch, archiveItem{rec: r, f: f, call: c})
		if len(batch) == ArchiveBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}

type archiveItem struct {
	rec  Record
	f    facts
	call Call
}

// lastReceived is the latest time a fact of f was received (or, for a
// fact without a receive time, happened).
func (f facts) lastReceived() time.Time {
	var t time.Time
	for _, d := range f.Dials {
		t = maxTime(t, d.At)
	}
	for _, a := range f.Admissions {
		t = maxTime(t, a.At)
	}
	for _, e := range f.Events {
		t = maxTime(t, maxTime(e.ReceivedAt, maxTime(e.Detect, e.Disconnect)))
	}
	for _, lg := range f.Legs {
		t = maxTime(t, maxTime(lg.SeenAt, maxTime(lg.Detect, lg.Disconnect)))
	}
	for _, d := range f.Disps {
		t = maxTime(t, d.At)
	}
	return t
}

// archiveBatch copies batch out and deletes what did not change since it
// was read, in one transaction locked by every id and number of the
// batch's calls. It returns how many calls it deleted.
func (l *Ledger) archiveBatch(ctx context.Context, batch []archiveItem, copyOut func(context.Context, []Call) error) (int, error) {
	if copyOut != nil {
		cs := make([]Call, len(batch))
		for i, it := range batch {
			cs[i] = it.call
		}
		if err := copyOut(ctx, cs); err != nil {
			return 0, fmt.Errorf("calls: archive: copy: %w", err)
		}
	}
	var keys, all []string
	for _, it := range batch {
		keys = append(keys, lockKeys(it.f)...)
		keys = append(keys, "c:"+it.rec.ID)
		all = append(all, it.rec.ID)
		all = append(all, it.f.ids()...)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	slices.Sort(all)
	all = slices.Compact(all)
	n := 0
	err := l.store.Update(ctx, keys, func(ctx context.Context, tx Tx) error {
		n = 0
		del, ok := tx.(TxDeleter)
		if !ok {
			return ErrArchiveUnsupported
		}
		recs, err := tx.Get(ctx, all...)
		if err != nil {
			return err
		}
		byID := make(map[string]Record, len(recs))
		for _, r := range recs {
			byID[r.ID] = r
		}
		var ids, charges []string
		var calls []string
		for _, it := range batch {
			cur, ok := byID[it.rec.ID]
			if !ok || cur.AliasOf != "" || cur.Seq != it.rec.Seq {
				continue // changed since it was copied: a later Archive sees it again
			}
			mine := map[string]bool{it.rec.ID: true}
			for _, id := range it.f.ids() {
				mine[id] = true
			}
			ids = append(ids, it.rec.ID)
			calls = append(calls, it.rec.ID)
			for _, id := range it.f.ids() {
				// An alias of this call (directly or through another of
				// its ids); an id that is a call of its own is left alone.
				if a, ok := byID[id]; ok && id != it.rec.ID && a.AliasOf != "" && mine[a.AliasOf] {
					ids = append(ids, id)
				}
			}
			for _, ch := range it.call.Charges {
				charges = append(charges, ch.Key)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		gone, err := del.Delete(ctx, ids, charges)
		if err != nil {
			return err
		}
		for _, id := range gone {
			if slices.Contains(calls, id) {
				n++
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrArchiveUnsupported) {
			return 0, ErrArchiveUnsupported
		}
		return 0, fmt.Errorf("calls: archive: %w", err)
	}
	return n, nil
}
