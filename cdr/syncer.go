package cdr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/wait"
)

// Syncer keeps a Store in step with CallMyWay's call history: a backfill
// from a start date, then a steady poll. It never queries faster than the
// account's limiter allows, and moves the checkpoint only together with
// committed records.
//
// A Syncer is not safe for concurrent use: call Run, or SyncOnce, from
// one goroutine at a time (run one Syncer per account; see cdr/pgsync to
// run one across instances). Its zero value is not usable (its methods
// return ErrNotInitialized): get one from NewSyncer.
type Syncer struct {
	client *callmyway.Client
	store  Store
	cfg    syncConfig

	// progress
	pages, records int
	lastTail       time.Time
	spanDone       time.Duration
}

// ErrNotInitialized is returned by the methods of a Syncer not made by
// NewSyncer.
var ErrNotInitialized = errors.New("cdr: Syncer not made by NewSyncer")

// Progress reports a Syncer's work. It is a plain value.
//
// The zero Progress counts nothing. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type Progress struct {
	Backfilling bool          // still catching up with the past
	Checkpoint  time.Time     // everything before it is stored
	Pages       int           // requests made by this Syncer
	Records     int           // records committed by this Syncer (re-reads included)
	Remaining   time.Duration // estimated time to finish the backfill under the 4 s rule
	Err         error         // the last step's error, if any
}

// SyncOption configures a Syncer. Options check their values: NewSyncer
// returns the first option's error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type SyncOption func(*syncConfig) error

type syncConfig struct {
	start     time.Time
	overlap   time.Duration
	interval  time.Duration
	pageSize  int
	chunk     time.Duration
	tailEvery time.Duration
	progress  func(Progress)
	onCommit  func(context.Context, []Record) error
	now       func() time.Time
	logger    *slog.Logger
}

// StartAt sets where the backfill starts when the Store has no checkpoint
// (default: 24 hours before the first sync).
func StartAt(t time.Time) SyncOption {
	return func(c *syncConfig) error {
		if t.IsZero() {
			return errors.New("cdr: StartAt: zero time")
		}
		c.start = t
		return nil
	}
}

// Overlap sets how far behind the checkpoint each steady poll re-reads, to
// catch records that arrive late (default 15 min).
func Overlap(d time.Duration) SyncOption {
	return func(c *syncConfig) error {
		if d < 0 || d > 12*time.Hour {
			return fmt.Errorf("cdr: Overlap(%v): between 0 and 12h", d)
		}
		c.overlap = d
		return nil
	}
}

// Interval sets the pause between steady polls (default 30 s; at least
// callmyway.QueryInterval).
func Interval(d time.Duration) SyncOption {
	return func(c *syncConfig) error {
		if d < callmyway.QueryInterval {
			return fmt.Errorf("cdr: Interval(%v): at least %v (the provider's rule)", d, callmyway.QueryInterval)
		}
		c.interval = d
		return nil
	}
}

// SyncPageSize sets records per backfill request (default 1000).
func SyncPageSize(n int) SyncOption {
	return func(c *syncConfig) error {
		if n < 1 || n > 5000 {
			return fmt.Errorf("cdr: SyncPageSize(%d): 1..5000", n)
		}
		c.pageSize = n
		return nil
	}
}

// SyncChunk sets the backfill chunk (default 10 days).
func SyncChunk(d time.Duration) SyncOption {
	return func(c *syncConfig) error {
		if d < time.Minute {
			return fmt.Errorf("cdr: SyncChunk(%v): at least 1m", d)
		}
		c.chunk = d
		return nil
	}
}

// TailEvery sets how often a backfill pauses to poll the recent tail, so
// the last 24 hours stay fresh during a long backfill (default 1 min).
func TailEvery(d time.Duration) SyncOption {
	return func(c *syncConfig) error {
		if d <= 0 {
			return fmt.Errorf("cdr: TailEvery(%v): must be positive", d)
		}
		c.tailEvery = d
		return nil
	}
}

// OnProgress calls f after every step, from the goroutine running the
// step; nil is an error.
func OnProgress(f func(Progress)) SyncOption {
	return func(c *syncConfig) error {
		if f == nil {
			return errors.New("cdr: OnProgress(nil)")
		}
		c.progress = f
		return nil
	}
}

// OnCommit calls f with every batch of records the Syncer is about to
// commit, before the Store commits them with the checkpoint: the hook that
// reconciles the calls ledger with the provider's final record. If f
// fails, nothing of the batch is committed and the checkpoint does not
// move, so the next step reads and hands f the same records again: f must
// be idempotent (the ledger is). f runs on the goroutine running the
// step; nil is an error.
func OnCommit(f func(ctx context.Context, recs []Record) error) SyncOption {
	return func(c *syncConfig) error {
		if f == nil {
			return errors.New("cdr: OnCommit(nil)")
		}
		c.onCommit = f
		return nil
	}
}

// WithLogger sets the Syncer's logger (default: the Client's logger,
// silent unless the Client was given one); nil is an error.
func WithLogger(l *slog.Logger) SyncOption {
	return func(c *syncConfig) error {
		if l == nil {
			return errors.New("cdr: WithLogger(nil)")
		}
		c.logger = l
		return nil
	}
}

// NewSyncer returns a Syncer for client's account writing to store.
func NewSyncer(client *callmyway.Client, store Store, opts ...SyncOption) (*Syncer, error) {
	if client == nil || store == nil {
		return nil, errors.New("cdr: NewSyncer: nil client or store")
	}
	cfg := syncConfig{overlap: 15 * time.Minute, interval: 30 * time.Second, pageSize: DefaultPageSize,
		chunk: DefaultChunkSize, tailEvery: time.Minute, now: time.Now, logger: client.Logger()}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Syncer{client: client, store: store, cfg: cfg}, nil
}

// recentWindow is how old a checkpoint may be for recent=1 (which returns
// the last 24 h) to cover it and its overlap, with a margin for clock skew.
func (s *Syncer) recentWindow() time.Duration { return 24*time.Hour - s.cfg.overlap - 5*time.Minute }

// Run syncs until ctx is done: backfill steps back to back (the limiter
// paces them), then a steady poll every Interval. Errors are reported
// through OnProgress and the logger and retried with backoff; Run returns
// only ctx's error.
func (s *Syncer) Run(ctx context.Context) error {
	if s.client == nil {
		return ErrNotInitialized
	}
	fails := 0
	for {
		p, err := s.SyncOnce(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pause := s.cfg.interval
		switch {
		case err != nil:
			fails++
			pause = time.Duration(math.Min(float64(s.cfg.interval)*math.Pow(2, float64(fails-1)), float64(5*time.Minute)))
			s.cfg.logger.WarnContext(ctx, "cdr: sync step failed", "error", err.Error(), "retry_in", pause)
		case p.Backfilling:
			fails, pause = 0, 0
		default:
			fails = 0
		}
		if err := wait.Sleep(ctx, pause); err != nil {
			return err
		}
	}
}

// SyncOnce performs one step: a recent poll when the checkpoint is within
// the last day, else one backfill chunk (committed page by page), with a
// recent-tail poll first when one is due.
func (s *Syncer) SyncOnce(ctx context.Context) (Progress, error) {
	if s.client == nil {
		return Progress{Err: ErrNotInitialized}, ErrNotInitialized
	}
	p, err := s.step(ctx)
	p.Err = err
	if s.cfg.progress != nil {
		s.cfg.progress(p)
	}
	return p, err
}

func (s *Syncer) step(ctx context.Context) (Progress, error) {
	account := s.client.Account().Username
	cp, err := s.store.LoadCheckpoint(ctx, account)
	if err != nil {
		return s.progress(cp, false, 0), fmt.Errorf("cdr: loading checkpoint: %w", err)
	}
	now := s.cfg.now()
	if cp.Through.IsZero() {
		cp.Through = s.cfg.start
		if cp.Through.IsZero() {
			cp.Through = now.Add(-24 * time.Hour)
		}
	}
	if now.Sub(cp.Through) <= s.recentWindow() {
		return s.pollRecent(ctx, account, cp, now, true)
	}

	// Backfill. Keep the tail fresh first when due.
	if !s.lastTail.IsZero() && now.Sub(s.lastTail) >= s.cfg.tailEvery {
		if p, err := s.pollRecent(ctx, account, cp, now, false); err != nil {
			return p, err
		}
	}
	if s.lastTail.IsZero() {
		s.lastTail = now
	}
	start := cp.Through
	end := start.Add(s.cfg.chunk)
	if end.After(now) {
		end = now
	}
	var stepErr error
	eachPage(ctx, s.client, start, end, s.cfg.pageSize, func(_ int, recs []Record, err error) bool {
		s.pages++
		if err != nil {
			stepErr = err
			return false
		}
		next := cp
		full := len(recs) == s.cfg.pageSize
		if full {
			// Records of the last second may continue on the next page.
			next.Through = recs[len(recs)-1].DetectTime.Time()
		} else {
			next.Through = end
		}
		if next.Through.Before(cp.Through) {
			next.Through = cp.Through
		}
		if err := s.commit(ctx, account, recs, next); err != nil {
			stepErr = err
			return false
		}
		s.records += len(recs)
		s.spanDone += next.Through.Sub(cp.Through)
		cp = next
		return true
	})
	if stepErr != nil {
		return s.progress(cp, true, now.Sub(cp.Through)), stepErr
	}
	backfilling := now.Sub(cp.Through) > s.recentWindow()
	return s.progress(cp, backfilling, now.Sub(cp.Through)), nil
}

// pollRecent reads the last 24 h and commits the records inside the
// overlap window; advance moves the checkpoint to now.
func (s *Syncer) pollRecent(ctx context.Context, account string, cp Checkpoint, now time.Time, advance bool) (Progress, error) {
	recs, err := Recent(ctx, s.client)
	s.pages++
	s.lastTail = now
	if err != nil {
		return s.progress(cp, !advance, now.Sub(cp.Through)), err
	}
	from := cp.Through.Add(-s.cfg.overlap)
	if !advance {
		from = now.Add(-24 * time.Hour)
	}
	keep := recs[:0]
	for _, r := range recs {
		if !r.DetectTime.Time().Before(from) || r.DetectTime.IsZero() {
			keep = append(keep, r)
		}
	}
	next := cp
	if advance {
		next.Through = now
	}
	if err := s.commit(ctx, account, keep, next); err != nil {
		return s.progress(cp, !advance, now.Sub(cp.Through)), err
	}
	s.records += len(keep)
	return s.progress(next, !advance, now.Sub(next.Through)), nil
}

// commit hands recs to the OnCommit hook, then commits them with the
// checkpoint.
func (s *Syncer) commit(ctx context.Context, account string, recs []Record, next Checkpoint) error {
	if s.cfg.onCommit != nil && len(recs) > 0 {
		if err := s.cfg.onCommit(ctx, recs); err != nil {
			return fmt.Errorf("cdr: OnCommit hook: %w", err)
		}
	}
	if err := s.store.Commit(ctx, account, recs, next); err != nil {
		return fmt.Errorf("cdr: committing: %w", err)
	}
	return nil
}

// progress builds a Progress; left is the span still to backfill.
func (s *Syncer) progress(cp Checkpoint, backfilling bool, left time.Duration) Progress {
	p := Progress{Backfilling: backfilling, Checkpoint: cp.Through, Pages: s.pages, Records: s.records}
	if backfilling {
		p.Remaining = TimeLeft(s.spanDone, s.records, left, s.cfg.pageSize, s.cfg.chunk)
	}
	return p
}
