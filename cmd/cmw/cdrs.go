package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/internal/safetext"
)

func cmdCDRs(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "cdrs", "-recent | -from 'YYYY-MM-DD HH:mm:ss' -to '...' [-format table|csv|json|ndjson]")
	recent := fs.Bool("recent", false, "the last 24 hours")
	from := fs.String("from", "", "range start, in the account's zone")
	to := fs.String("to", "", "range end, in the account's zone")
	format := fs.String("format", "table", "table, csv, json or ndjson (json uses the provider's field names)")
	pageSize := fs.Int("page-size", cdr.DefaultPageSize, "records per request")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	if *recent == (*from != "" || *to != "") {
		return usagef("give either -recent or -from and -to")
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	w, err := newRecordWriter(*format, g.stdout)
	if err != nil {
		return err
	}
	defer w.Close() // what was printed stays valid, even after Ctrl-C
	if *recent {
		recs, err := cdr.Recent(ctx, c)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		return nil
	}
	start, err := c.Account().ParseTime(*from)
	if err != nil || start.IsZero() {
		return usagef("-from %q: want YYYY-MM-DD HH:mm:ss", *from)
	}
	end, err := c.Account().ParseTime(*to)
	if err != nil || end.IsZero() {
		return usagef("-to %q: want YYYY-MM-DD HH:mm:ss", *to)
	}
	if end.Time().Before(start.Time()) {
		return usagef("-to is before -from")
	}
	var bar *progressbar.ProgressBar
	if !*quiet {
		// The total is unknown until the last page: count pages and
		// records, and estimate the time left from the 4 s rule.
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(g.stderr), progressbar.OptionSetDescription("cdrs"),
			progressbar.OptionShowCount(), progressbar.OptionSpinnerType(14), progressbar.OptionClearOnFinish(),
			// No background spinner goroutine: it races with Describe (progressbar v3.19).
			progressbar.OptionSetSpinnerChangeInterval(0))
		defer bar.Finish()
	}
	pages, records := 0, 0
	span := end.Time().Sub(start.Time())
	onPage := func(p cdr.Page) {
		pages++
		records += p.Records
		if bar == nil {
			return
		}
		done := p.From.Sub(start.Time())
		left := "?"
		if done > 0 && records > 0 {
			left = cdr.TimeLeft(done, records, span-done, *pageSize, 0).Round(time.Second).String()
		}
		bar.Describe(fmt.Sprintf("cdrs: page %d, %d records, ~%s left (4 s per query)", pages, records, left))
		bar.Add(p.Records)
	}
	for r, err := range cdr.Range(ctx, c, start.Time(), end.Time(), cdr.PageSize(*pageSize), cdr.OnPage(onPage)) {
		if err != nil {
			return err
		}
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return nil
}

// recordWriter prints records in one format; Close completes the output
// (the closing bracket of a JSON array, the flush of CSV and table rows).
type recordWriter interface {
	Write(cdr.Record) error
	Close() error
}

func newRecordWriter(format string, out io.Writer) (recordWriter, error) {
	switch format {
	case "table":
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CALLID\tDETECT\tTYPE\tANI\tDNIS\tDURATION\tCOST\tEND")
		return &tableWriter{tw: tw}, nil
	case "csv":
		cw := csv.NewWriter(out)
		cw.Write(csvHeader)
		return &csvWriter{cw: cw}, nil
	case "json":
		return &jsonWriter{out: out}, nil
	case "ndjson":
		return &ndjsonWriter{enc: json.NewEncoder(out)}, nil
	}
	return nil, usagef("-format %q: want table, csv, json or ndjson", format)
}

// tableWriter aligns columns per block of tableBlock rows: a tabwriter
// holds every row until it is flushed, so an export of a long range would
// otherwise sit in memory whole, and print nothing until its end.
type tableWriter struct {
	tw   *tabwriter.Writer
	rows int
}

// tableBlock is how many rows of the table format are aligned together
// (and held in memory at most).
const tableBlock = 1000

func (t *tableWriter) Write(r cdr.Record) error {
	x := safetext.Terminal
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x(cdr.EscapeID(r.CallID)), r.DetectTime, r.Direction, x(r.ANI), x(r.DNIS), r.Duration, cdr.Money(r.Cost), x(r.EndReason))
	if t.rows++; err == nil && t.rows%tableBlock == 0 {
		err = t.tw.Flush()
	}
	return err
}
func (t *tableWriter) Close() error { return t.tw.Flush() }

var csvHeader = []string{"callid", "original_callid", "ref_callid", "ani", "dnis", "ani_user", "dnis_user", "detect_time", "connect_time",
	"disconnect_time", "duration", "ring_time", "cost", "access_fee", "rate", "route_pattern", "route_name", "end_reason",
	"name_endpoint_ani", "name_endpoint_dnis", "type"}

type csvWriter struct{ cw *csv.Writer }

func (c *csvWriter) Write(r cdr.Record) error {
	// Cells a spreadsheet would run as formulas are neutralised. Ids are
	// written as stored (cdr.EscapeID), byte for byte, as in the JSON form.
	c.cw.Write(safetext.CSVRow([]string{cdr.EscapeID(r.CallID), cdr.EscapeID(r.OriginalCallID), cdr.EscapeID(r.RefCallID), r.ANI, r.DNIS, r.ANIUser, r.DNISUser, r.DetectTime.String(),
		r.ConnectTime.String(), r.DisconnectTime.String(), strconv.FormatInt(int64(r.Duration/time.Second), 10),
		strconv.FormatInt(int64(r.RingTime/time.Second), 10), cdr.Money(r.Cost), cdr.Money(r.AccessFee), cdr.Money(r.Rate),
		r.RoutePattern, r.RouteName, r.EndReason, r.NameEndpointANI, r.NameEndpointDNIS, r.Type}))
	c.cw.Flush() // complete rows only, even if interrupted
	return c.cw.Error()
}
func (c *csvWriter) Close() error { c.cw.Flush(); return c.cw.Error() }

type jsonWriter struct {
	out io.Writer
	n   int
}

func (j *jsonWriter) Write(r cdr.Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n  "
	if j.n == 0 {
		sep = "[\n  "
	}
	j.n++
	_, err = fmt.Fprintf(j.out, "%s%s", sep, b)
	return err
}
func (j *jsonWriter) Close() error {
	if j.n == 0 {
		_, err := io.WriteString(j.out, "[]\n")
		return err
	}
	_, err := io.WriteString(j.out, "\n]\n")
	return err
}

type ndjsonWriter struct{ enc *json.Encoder }

func (n *ndjsonWriter) Write(r cdr.Record) error { return n.enc.Encode(r) }
func (n *ndjsonWriter) Close() error             { return nil }

func cmdLive(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "live", "[-format table|json|ndjson|csv]")
	format := fs.String("format", "table", "table, csv, json or ndjson")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	w, err := newRecordWriter(*format, g.stdout)
	if err != nil {
		return err
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	recs, err := cdr.Live(ctx, c)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return w.Close()
}
