package cdr

import (
	"context"
	"fmt"
	"iter"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/provider"
)

// Defaults for range queries.
const (
	DefaultPageSize  = 1000
	DefaultChunkSize = 10 * 24 * time.Hour
)

func query(ctx context.Context, c *callmyway.Client, op string, params url.Values) ([]Record, error) {
	params.Set("format", "json")
	resp, err := c.Query(provider.WithOp(ctx, op), callmyway.HostCDR, callmyway.PathCDR, params)
	if err != nil {
		return nil, err
	}
	recs, err := DecodePage(resp.Body, c.Account().Location)
	if err != nil {
		if ae, ok := err.(*callmyway.APIError); ok {
			ae.Op, ae.StatusCode = op, resp.StatusCode
		}
		return nil, err
	}
	return recs, nil
}

// Recent returns the calls of the last 24 hours (getCdrs recent=1), in one
// request under the account's 4-second limiter.
func Recent(ctx context.Context, c *callmyway.Client) ([]Record, error) {
	return query(ctx, c, "cdr.Recent", url.Values{"recent": {"1"}})
}

// Live returns the account's calls in progress (live=1&fullAccount=1).
// Their Duration is 0 and ConnectTime is zero until they connect.
func Live(ctx context.Context, c *callmyway.Client) ([]Record, error) {
	return query(ctx, c, "cdr.Live", url.Values{"live": {"1"}, "fullAccount": {"1"}})
}

// rangePage fetches one page of a date range.
func rangePage(ctx context.Context, c *callmyway.Client, start, end time.Time, ini, cant int) ([]Record, error) {
	loc := c.Account().Location
	return query(ctx, c, "cdr.Range", url.Values{
		"dateStart": {start.In(loc).Format(callmyway.TimeLayout)},
		"dateEnd":   {end.In(loc).Format(callmyway.TimeLayout)},
		"ini":       {strconv.Itoa(ini)},
		"cant":      {strconv.Itoa(cant)},
	})
}

// eachPage reads [start, end] page by page (ini = 0, size, 2*size...),
// calling f with each page's offset and records, or with the error of a
// failed request. It stops after a page shorter than size, an error, or f
// returning false.
func eachPage(ctx context.Context, c *callmyway.Client, start, end time.Time, size int, f func(ini int, recs []Record, err error) bool) {
	for ini := 0; ; ini += size {
		recs, err := rangePage(ctx, c, start, end, ini, size)
		if !f(ini, recs, err) || err != nil || len(recs) < size {
			return
		}
	}
}

// TimeLeft estimates how long reading the rest of a date range takes
// under the account's 4-second rule (callmyway.QueryInterval plus
// callmyway.DefaultQueryMargin per request). records were found in the
// span done so far; left is the span still to read; pageSize and chunk
// are the range's settings (0 for DefaultPageSize and DefaultChunkSize).
// Every chunk costs at least one request; until records have been seen,
// that is all the estimate counts.
func TimeLeft(done time.Duration, records int, left time.Duration, pageSize int, chunk time.Duration) time.Duration {
	if left <= 0 {
		return 0
	}
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	requests := math.Ceil(float64(left) / float64(chunk))
	if done > 0 && records > 0 {
		expected := float64(records) / float64(done) * float64(left)
		requests += math.Ceil(expected / float64(pageSize))
	}
	return time.Duration(requests) * (callmyway.QueryInterval + callmyway.DefaultQueryMargin)
}

// Page is what a range query fetched in one request. It is a plain value.
//
// The zero Page is an empty first page. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type Page struct {
	From, To time.Time // the chunk being read
	Offset   int       // ini
	Records  int       // records in this page
}

// RangeOption tunes Range. Range checks the values and yields the error.
//
// A nil option is refused. Options are plain functions, safe to reuse and
// to share between goroutines concurrently.
type RangeOption func(*rangeConfig)

type rangeConfig struct {
	pageSize int
	chunk    time.Duration
	onPage   func(Page)
}

// PageSize sets records per request (cant; default 1000, at most 5000).
func PageSize(n int) RangeOption { return func(c *rangeConfig) { c.pageSize = n } }

// ChunkSize splits long ranges into chunks of d (default 10 days).
func ChunkSize(d time.Duration) RangeOption { return func(c *rangeConfig) { c.chunk = d } }

// OnPage calls f after each request, for progress reporting.
func OnPage(f func(Page)) RangeOption { return func(c *rangeConfig) { c.onPage = f } }

// Range returns the records detected between from and to, in detect order,
// as an iterator: it pages with ini/cant (stopping on a short page), splits
// long ranges into chunks, and sends every request through the account's
// limiter. The first error is yielded once and ends the iteration; so does
// the caller breaking out. Range copies its options: changing them later
// has no effect on a running iteration.
//
// Chunk boundaries overlap by one second so a record is neither missed
// nor, since the iterator drops the repeat, yielded twice, whether the
// provider's range is inclusive or exclusive at its ends.
func Range(ctx context.Context, c *callmyway.Client, from, to time.Time, opts ...RangeOption) iter.Seq2[Record, error] {
	cfg := rangeConfig{pageSize: DefaultPageSize, chunk: DefaultChunkSize}
	for _, o := range opts {
		o(&cfg)
	}
	return func(yield func(Record, error) bool) {
		if cfg.pageSize < 1 || cfg.pageSize > 5000 {
			yield(Record{}, fmt.Errorf("cdr: Range: page size %d out of range 1..5000", cfg.pageSize))
			return
		}
		if cfg.chunk < time.Minute {
			yield(Record{}, fmt.Errorf("cdr: Range: chunk size %v below one minute", cfg.chunk))
			return
		}
		if to.Before(from) {
			yield(Record{}, fmt.Errorf("cdr: Range: to %v is before from %v", to, from))
			return
		}
		loc := c.Account().Location
		from, to = from.In(loc).Truncate(time.Second), to.In(loc).Truncate(time.Second)
		var boundary map[string]bool // callids yielded at the previous chunk's last second
		for start := from; ; {
			end := start.Add(cfg.chunk)
			if end.After(to) {
				end = to
			}
			var atEnd map[string]bool
			stop := false
			eachPage(ctx, c, start, end, cfg.pageSize, func(ini int, recs []Record, err error) bool {
				if err != nil {
					yield(Record{}, err)
					stop = true
					return false
				}
				if cfg.onPage != nil {
					cfg.onPage(Page{From: start, To: end, Offset: ini, Records: len(recs)})
				}
				for _, r := range recs {
					if boundary[r.CallID] {
						continue
					}
					if r.DetectTime.Time().Equal(end) {
						if atEnd == nil {
							atEnd = map[string]bool{}
						}
						atEnd[r.CallID] = true
					}
					if !yield(r, nil) {
						stop = true
						return false
					}
				}
				return true
			})
			if stop || !end.Before(to) {
				return
			}
			boundary, start = atEnd, end
		}
	}
}
