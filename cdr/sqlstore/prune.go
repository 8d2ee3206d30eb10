package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/cdr"
)

// MinPruneAge is the youngest cutoff Prune accepts: 30 days before now,
// far beyond what a Syncer reads again (the provider's 24-hour recent
// window and the sync overlap), so a record it prunes is not synced back.
const MinPruneAge = 30 * 24 * time.Hour

// PruneBatch is how many records Prune hands to its copy function and
// deletes per transaction.
const PruneBatch = 1000

// ErrPruneTooRecent means a Prune cutoff is closer to now than
// MinPruneAge. The concrete error is a *PruneCutoffError.
var ErrPruneTooRecent = errors.New("sqlstore: prune cutoff too recent")

// PruneCutoffError reports a Prune cutoff closer to now than MinPruneAge.
// It matches ErrPruneTooRecent. It is a plain value, safe to share.
//
// The zero PruneCutoffError names no cutoff. Copies may be read from
// several goroutines concurrently.
type PruneCutoffError struct {
	Before time.Time     // the cutoff asked for
	Now    time.Time     // the clock Prune read
	Min    time.Duration // MinPruneAge
}

// Error implements error.
func (e *PruneCutoffError) Error() string {
	return fmt.Sprintf("sqlstore: prune cutoff %s is %v before now (%s), less than the minimum %v: a sync may still read those records again",
		e.Before.UTC().Format(time.RFC3339), e.Now.Sub(e.Before).Round(time.Second), e.Now.UTC().Format(time.RFC3339), e.Min)
}

// Is reports whether target is ErrPruneTooRecent.
func (e *PruneCutoffError) Is(target error) bool { return target == ErrPruneTooRecent }

// Prune deletes the records of account ("" for every account) detected
// before before, PruneBatch per transaction, and returns how many it
// deleted. The table cmw_cdr otherwise keeps every record for good.
//
// before must be at least MinPruneAge (30 days) before now, else Prune
// returns a *PruneCutoffError (matching ErrPruneTooRecent) and deletes
// nothing. When copyOut is not nil, it receives each batch (in detect
// order) before the batch is deleted; an error from it stops Prune with
// that batch kept. A record upserted again after copyOut saw it is not
// deleted (a later Prune hands it over again), so copy idempotently, by
// CallID. copyOut runs outside any transaction. The records deleted
// before an error (or ctx's end) stay deleted; their count is returned
// with the error.
//
// Prune reads through the (account, detect_time) index and is safe to
// run beside a Syncer.
func (s *Store) Prune(ctx context.Context, account string, before time.Time, copyOut func(ctx context.Context, recs []cdr.Record) error) (int, error) {
	if s.db == nil {
		return 0, ErrNotInitialized
	}
	if now := time.Now(); now.Sub(before) < MinPruneAge {
		return 0, &PruneCutoffError{Before: before, Now: now, Min: MinPruneAge}
	}
	accounts := []string{account}
	if account == "" {
		var err error
		if accounts, err = s.accounts(ctx, before); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, a := range accounts {
		k, err := s.pruneAccount(ctx, a, before.Unix(), copyOut)
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// accounts returns the accounts with records detected before before.
func (s *Store) accounts(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT DISTINCT account FROM cmw_cdr WHERE detect_time < ?"), before.Unix())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: prune: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("sqlstore: prune: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// pruneAccount prunes one account's records, in keyset order so that a
// record kept (upserted since it was read) is not read again.
func (s *Store) pruneAccount(ctx context.Context, account string, before int64, copyOut func(context.Context, []cdr.Record) error) (int, error) {
	n := 0
	var afterDetect int64
	afterID := ""
	first := true
	for {
		q := "SELECT " + strings.Join(columns, ", ") + " FROM cmw_cdr WHERE account = ? AND detect_time < ?"
		args := []any{account, before}
		if !first {
			q += " AND (detect_time > ? OR (detect_time = ? AND callid > ?))"
			args = append(args, afterDetect, afterDetect, afterID)
		}
		q += " ORDER BY detect_time, callid LIMIT ?"
		args = append(args, PruneBatch)
		recs, updated, err := s.listUpdated(ctx, q, args...)
		if err != nil {
			return n, err
		}
		if len(recs) == 0 {
			return n, nil
		}
		first = false
		last := recs[len(recs)-1]
		// The table holds ids escaped (cdr.EscapeID); a Record holds them raw.
		afterDetect, afterID = unix(last.DetectTime), cdr.EscapeID(last.CallID)
		if copyOut != nil {
			if err := copyOut(ctx, recs); err != nil {
				return n, fmt.Errorf("sqlstore: prune: copy: %w", err)
			}
		}
		k, err := s.deleteUnchanged(ctx, recs, updated)
		n += k
		if err != nil {
			return n, err
		}
		if len(recs) < PruneBatch {
			return n, nil
		}
	}
}

func (s *Store) listUpdated(ctx context.Context, q string, args ...any) ([]cdr.Record, []int64, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: prune: %w", err)
	}
	defer rows.Close()
	var recs []cdr.Record
	var updated []int64
	for rows.Next() {
		r, u, err := s.scanUpdated(rows)
		if err != nil {
			return nil, nil, err
		}
		recs, updated = append(recs, r), append(updated, u)
	}
	return recs, updated, rows.Err()
}

// deleteUnchanged deletes recs in one transaction, each only if it was
// not upserted since it was read (same updated_at).
func (s *Store) deleteUnchanged(ctx context.Context, recs []cdr.Record, updated []int64) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, s.rebind("DELETE FROM cmw_cdr WHERE callid = ? AND updated_at = ?"))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune: %w", err)
	}
	defer st.Close()
	n := 0
	for i, r := range recs {
		res, err := st.ExecContext(ctx, cdr.EscapeID(r.CallID), updated[i])
		if err != nil {
			return 0, fmt.Errorf("sqlstore: prune: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("sqlstore: prune: %w", err)
		}
		n += int(k)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlstore: prune: %w", err)
	}
	return n, nil
}
