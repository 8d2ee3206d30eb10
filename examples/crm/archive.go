package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// archiveEvery is how often -archive-after runs the archive step.
const archiveEvery = 24 * time.Hour

// parseArchiveAfter reads -archive-after: "" (off), a number of days or
// years ("1825d", "5y"), or a Go duration; at least caseFileYears (far
// beyond calls.MinArchiveAge), so that no balance changes.
func parseArchiveAfter(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	var d time.Duration
	if unit := s[len(s)-1]; unit == 'd' || unit == 'y' {
		days, most := 1, 100*365
		if unit == 'y' {
			days, most = 365, 100
		}
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n < 0 || n > most {
			return 0, fmt.Errorf("-archive-after %q: want days (730d) or years (2y), at most 100 years", s)
		}
		d = time.Duration(n*days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("-archive-after %q: want days (730d), years (2y) or a duration", s)
		}
	}
	// The case file and the contact card sum a customer's charges over
	// caseFileYears from the ledger: archiving calls younger than that
	// would silently change balances and costs.
	if min := time.Duration(caseFileYears*365) * 24 * time.Hour; d < min {
		return 0, fmt.Errorf("-archive-after %q: at least %d years (%dd): the case file's balance and costs read a customer's charges over %d years from the ledger", s, caseFileYears, caseFileYears*365, caseFileYears)
	}
	return d, nil
}

// runArchive deletes, now and then every archiveEvery until ctx is done,
// the ledger's calls and the CDR records older than after (see
// calls.Ledger.Archive and sqlstore.Store.Prune): -archive-after. It
// copies nothing out first: an operator who keeps an archive runs those
// with a copy function instead.
func (a *App) runArchive(ctx context.Context, after time.Duration) {
	for {
		before := time.Now().Add(-after)
		n, err := a.ledger.Archive(ctx, before, nil)
		if err != nil && ctx.Err() == nil {
			a.log.Error("archive: calls", "error", err, "deleted", n)
		}
		m, err := a.cdrs.Prune(ctx, "", before, nil)
		if err != nil && ctx.Err() == nil {
			a.log.Error("archive: CDRs", "error", err, "deleted", m)
		}
		if n+m > 0 {
			a.log.Info("archive: deleted", "calls", n, "cdrs", m, "before", before)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(archiveEvery):
		}
	}
}
