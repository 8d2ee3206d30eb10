package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/safetext"
)

const loadArgs = "-url URL (-duration D | -count N) [-rate N] [-concurrency C] [-calls N] [-token T] [-pid PID [-settle D]] [-format text|json] [-allow-remote]"

// cmdLoad sends simulated CallMyWay webhook events to a CRM and reports
// how many were acknowledged, how fast, and, given -pid, what the CRM's
// memory and file descriptors did meanwhile.
func cmdLoad(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "load", loadArgs)
	rawURL := fs.String("url", "", "the CRM's webhook URL (loopback only unless -allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "allow a URL that is not on this machine")
	token := fs.String("token", envOr("CMW_WEBHOOK_TOKEN", ""), "send this token in the X-Webhook-Token header (default $CMW_WEBHOOK_TOKEN)")
	duration := fs.Duration("duration", 0, "stop opening calls after this long (a bound: -duration and/or -count)")
	count := fs.Int("count", 0, "send at most this many events (a bound: -duration and/or -count; rounded down to even)")
	perSec := fs.Float64("rate", 0, "target events per second across all senders (0: as fast as the senders go)")
	concurrency := fs.Int("concurrency", 8, "concurrent senders")
	calls := fs.Int("calls", 0, "simulated calls open at once, between their callStart and callEnd (0: -concurrency)")
	endpoints := fs.String("endpoints", "5001:8000001,5002:8000002,5003:8000003", "comma-separated endpoint ID[:USER] the calls ring (the demo CRM's by default)")
	accountID := fs.String("account-id", cmwtest.DefaultAccountID, "account_id of the events")
	timeout := fs.Duration("timeout", 10*time.Second, "per-event timeout; also how long the last callEnds may take after -duration")
	keepAlive := fs.Bool("keepalive", true, "reuse connections (false: one connection per event)")
	pid := fs.Int("pid", 0, "sample this process's resident memory and open files every second (Linux)")
	settle := fs.Duration("settle", 0, "with -pid, keep sampling this long after the last event")
	format := fs.String("format", "text", "report as text or json")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	target, err := checkLoadURL(*rawURL, *allowRemote)
	if err != nil {
		return err
	}
	switch {
	case *duration <= 0 && *count <= 0:
		return usagef("a load needs a bound: -duration, -count or both")
	case *duration < 0 || *count < 0:
		return usagef("-duration and -count must not be negative")
	case *count == 1:
		return usagef("-count 1: a call is two events, want at least 2")
	case *perSec < 0 || math.IsNaN(*perSec) || math.IsInf(*perSec, 0):
		return usagef("-rate %v: want events per second, 0 for unlimited", *perSec)
	case *concurrency < 1 || *concurrency > 10_000:
		return usagef("-concurrency %d: want 1 to 10000", *concurrency)
	case *calls < 0:
		return usagef("-calls %d: want 0 or more", *calls)
	case *timeout <= 0:
		return usagef("-timeout must be positive")
	case *settle < 0:
		return usagef("-settle must not be negative")
	case *settle > 0 && *pid == 0:
		return usagef("-settle needs -pid")
	case *format != "text" && *format != "json":
		return usagef("-format %q: want text or json", *format)
	}
	eps, err := parseLoadEndpoints(*endpoints)
	if err != nil {
		return err
	}
	loc, err := g.location()
	if err != nil {
		return err
	}
	var proc *procSampler
	if *pid != 0 {
		if proc, err = newProcSampler(*pid); err != nil {
			return usagef("-pid %d: %v", *pid, err)
		}
	}
	window := *calls
	if window == 0 {
		window = *concurrency
	}
	cfg := loadConfig{
		url: target, token: *token, concurrency: *concurrency, rate: *perSec, timeout: *timeout,
		keepAlive: *keepAlive, duration: *duration,
		gen: newCallGenerator(*count, window, eps, *accountID, loc),
	}
	var progress io.Writer
	if !*quiet {
		progress = g.stderr
	}
	rep := runLoad(ctx, cfg, proc, *settle, progress)
	rep.URL = redactHookURL(target)
	if *format == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.writeText(g.stdout)
	}
	switch {
	case rep.Interrupted:
		return errors.New("interrupted: the report covers the events sent so far")
	case rep.Sent == 0:
		return errors.New("no event sent")
	case rep.Acked < rep.Sent:
		return fmt.Errorf("%d of %d events not acked", rep.Sent-rep.Acked, rep.Sent)
	}
	return nil
}

// checkLoadURL parses the webhook URL and refuses a host that is not this
// machine unless remote is set: a load test is aimed, never sprayed.
func checkLoadURL(raw string, remote bool) (*url.URL, error) {
	if raw == "" {
		return nil, usagef("-url is required (the CRM's webhook URL)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("-url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, usagef("-url %q: want http:// or https:// and a host", raw)
	}
	if !remote && !isLoopbackHost(u.Hostname()) {
		return nil, usagef("-url host %q is not a loopback address: load tests target this machine (127.0.0.1); pass -allow-remote for another host you run", u.Hostname())
	}
	return u, nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// redactHookURL hides a token carried by the URL: the token query
// parameter, and a last path segment long enough to be one.
func redactHookURL(u *url.URL) string {
	c := *u
	c.User = nil
	if q := c.Query(); q.Has("token") {
		q.Set("token", "REDACTED")
		c.RawQuery = q.Encode()
	}
	if i := strings.LastIndex(c.Path, "/"); i >= 0 && len(c.Path)-i-1 >= 16 {
		c.Path = c.Path[:i+1] + "REDACTED"
		c.RawPath = ""
	}
	return c.String()
}

// loadEndpoint is a phone the simulated calls ring: its id goes in
// endpoint_id, its user (or id) in dnis.
type loadEndpoint struct{ id, user string }

func parseLoadEndpoints(s string) ([]loadEndpoint, error) {
	var eps []loadEndpoint
	for _, p := range splitComma(s) {
		id, user, _ := strings.Cut(p, ":")
		if id == "" {
			return nil, usagef("-endpoints %q: want ID[:USER],...", s)
		}
		if user == "" {
			user = id
		}
		eps = append(eps, loadEndpoint{id, user})
	}
	if len(eps) == 0 {
		return nil, usagef("-endpoints: want at least one endpoint ID")
	}
	return eps, nil
}

// callGenerator hands out the events of simulated inbound calls: it keeps
// window calls open (started, not yet ended), ending the oldest before
// starting a new one, so the CRM always holds window live calls. When the
// run must stop (the -count budget leaves room only for the open calls'
// ends, or the -duration is over) it only ends calls, so that every call
// started also ends. It is safe for concurrent use.
type callGenerator struct {
	limit   int // events, 0: no limit
	window  int
	eps     []loadEndpoint
	account string
	loc     *time.Location
	prefix  string
	mu      sync.Mutex
	emitted int
	started int
	closing bool
	open    []openCall // oldest first
}

type openCall struct {
	id    string
	ep    loadEndpoint
	ani   string
	start time.Time
}

func newCallGenerator(limit, window int, eps []loadEndpoint, account string, loc *time.Location) *callGenerator {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return &callGenerator{limit: limit, window: max(window, 1), eps: eps, account: account, loc: loc,
		prefix: fmt.Sprintf("load-%d-%s-", time.Now().Unix(), hex.EncodeToString(b[:]))}
}

// close makes next end the open calls and start no more.
func (g *callGenerator) close() {
	g.mu.Lock()
	g.closing = true
	g.mu.Unlock()
}

// next returns the next event's body, or false when there is none left.
func (g *callGenerator) next(now time.Time) ([]byte, bool) {
	action, c, ok := g.step(now)
	if !ok {
		return nil, false
	}
	return g.body(action, c, now), true
}

// step picks the next event: a new call's start or the oldest call's end.
func (g *callGenerator) step(now time.Time) (action string, c openCall, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	// A new call needs room for its start, its end and the open calls' ends.
	canStart := !g.closing && (g.limit == 0 || g.limit-g.emitted >= len(g.open)+2)
	switch {
	case canStart && len(g.open) < g.window:
		g.started++
		c = openCall{id: g.prefix + strconv.Itoa(g.started), ep: g.eps[g.started%len(g.eps)],
			ani: fmt.Sprintf("5068%07d", g.started%10_000_000), start: now}
		g.open = append(g.open, c)
		g.emitted++
		return "callStart", c, true
	case len(g.open) > 0:
		c = g.open[0]
		g.open = g.open[1:]
		g.emitted++
		return "callEnd", c, true
	}
	return "", c, false
}

// body is the provider's JSON body for one event of c: an inbound call
// from a Costa Rican mobile number to the endpoint, answered at once,
// costing 1.0000 a minute.
func (g *callGenerator) body(action string, c openCall, now time.Time) []byte {
	ts := func(t time.Time) string { return t.In(g.loc).Format(callmyway.TimeLayout) }
	d := map[string]any{
		"callid": c.id, "account_id": g.account, "endpoint_id": c.ep.id, "ani": c.ani, "dnis": c.ep.user,
		"detect_time": ts(c.start), "connect_time": "", "disconnect_time": "", "duration": 0, "type": "in", "cost": json.Number("0.0000"),
	}
	if action == "callEnd" {
		secs := int(now.Sub(c.start) / time.Second)
		d["connect_time"], d["disconnect_time"], d["duration"] = ts(c.start), ts(now), secs
		d["cost"] = json.Number(fmt.Sprintf("%d.%04d", secs/60, (secs%60)*10000/60))
	}
	return cmwtest.EncodeWebhook(action, d, cmwtest.WebhookMode{})
}

// counts reports the calls started and those whose callEnd was never
// handed out.
func (g *callGenerator) counts() (calls, open int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.started, len(g.open)
}

type loadConfig struct {
	url         *url.URL
	token       string
	concurrency int
	rate        float64
	timeout     time.Duration
	keepAlive   bool
	duration    time.Duration // 0: bounded by the generator's count only
	gen         *callGenerator
}

// sendResult is what became of one event.
type sendResult struct {
	kind    resultKind
	status  int
	latency time.Duration
}

type resultKind int

const (
	acked       resultKind = iota
	notAcked               // an HTTP answer other than 200 {"ack":"ok"}
	timedOut               // no answer within -timeout
	connFailed             // the request failed before an answer
	interrupted            // stopped by Ctrl-C
)

// tally accumulates outcomes; it is safe for concurrent use.
type tally struct {
	mu        sync.Mutex
	sent      int
	acked     int
	byStatus  map[int]int
	timeouts  int
	connErrs  int
	interrupt int
	latencies []time.Duration // of acked events
	lastErr   string
}

func (t *tally) add(o sendResult, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent++
	switch o.kind {
	case acked:
		t.acked++
		t.latencies = append(t.latencies, o.latency)
	case notAcked:
		if t.byStatus == nil {
			t.byStatus = map[int]int{}
		}
		t.byStatus[o.status]++
	case timedOut:
		t.timeouts++
	case connFailed:
		t.connErrs++
	case interrupted:
		t.interrupt++
	}
	if err != nil {
		t.lastErr = err.Error()
	}
}

func (t *tally) snapshot() (sent, acked int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent, t.acked
}

// runLoad sends the events, samples proc (if any) until settle after the
// last one, and returns the report. Cancelling ctx stops everything; the
// report then tells what was done.
func runLoad(ctx context.Context, cfg loadConfig, proc *procSampler, settle time.Duration, progress io.Writer) *loadReport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the CRM is addressed directly
	tr.MaxIdleConnsPerHost = cfg.concurrency
	tr.DisableKeepAlives = !cfg.keepAlive
	client := &http.Client{Transport: tr, Timeout: cfg.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer tr.CloseIdleConnections()

	var t tally
	rep := &loadReport{Concurrency: cfg.concurrency, Rate: cfg.rate, OpenCalls: cfg.gen.window}
	sampleDone := make(chan struct{})
	stopSampling := make(chan struct{})
	begin := time.Now()
	if proc != nil {
		if s, err := proc.sample(0); err == nil {
			rep.Process = &procReport{PID: proc.pid, Before: s, Peak: s, PeakFDs: s.FDs, End: s, Samples: []procSample{s}}
		}
	}
	go func() {
		defer close(sampleDone)
		sampleEvery(ctx, stopSampling, begin, proc, &t, progress)
	}()

	// After -duration, the generator only ends the open calls; they get
	// one -timeout more to go out.
	runCtx := ctx
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, cfg.duration+cfg.timeout)
		defer cancel()
		stop := time.AfterFunc(cfg.duration, cfg.gen.close)
		defer stop.Stop()
	}
	var lim *rate.Limiter
	if cfg.rate > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.rate), 1)
	}
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(func() {
			for runCtx.Err() == nil {
				if lim != nil && lim.Wait(runCtx) != nil {
					return
				}
				body, ok := cfg.gen.next(time.Now())
				if !ok {
					return
				}
				o, err := sendEvent(ctx, runCtx, client, cfg, body)
				t.add(o, err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	tr.CloseIdleConnections() // let the CRM see its connections go before settling

	if proc != nil && rep.Process != nil {
		if s, err := proc.sample(elapsed); err == nil {
			rep.Process.End = s
			proc.record(s)
		}
		deadline := time.NewTimer(settle)
		select {
		case <-deadline.C:
		case <-ctx.Done():
		}
		deadline.Stop()
	}
	close(stopSampling)
	<-sampleDone
	rep.fill(&t, elapsed, cfg.gen)
	rep.Interrupted = ctx.Err() != nil
	if p := rep.Process; p != nil {
		p.merge(proc.taken())
		// After the settling period, or as much of it as Ctrl-C left.
		at := time.Since(begin)
		if s, err := proc.sample(at); err == nil && settle > 0 {
			p.merge([]procSample{s})
			p.After, p.Settle = &s, (at - elapsed).Round(time.Second).String()
		}
	}
	return rep
}

// sendEvent posts one event. ctx is the user's (cancelled by Ctrl-C);
// runCtx also ends at the run's deadline.
func sendEvent(ctx, runCtx context.Context, client *http.Client, cfg loadConfig, body []byte) (sendResult, error) {
	req, err := http.NewRequestWithContext(runCtx, http.MethodPost, cfg.url.String(), bytes.NewReader(body))
	if err != nil {
		return sendResult{kind: connFailed}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cmw-load")
	if cfg.token != "" {
		req.Header.Set("X-Webhook-Token", cfg.token)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		switch {
		case ctx.Err() != nil:
			return sendResult{kind: interrupted}, nil
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
			return sendResult{kind: timedOut}, err
		}
		return sendResult{kind: connFailed}, err
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	latency := time.Since(start)
	if err != nil {
		return sendResult{kind: connFailed, status: resp.StatusCode}, err
	}
	if resp.StatusCode == http.StatusOK && isAck(answer) {
		return sendResult{kind: acked, status: resp.StatusCode, latency: latency}, nil
	}
	return sendResult{kind: notAcked, status: resp.StatusCode}, nil
}

// isAck reports whether body is {"ack":"ok"}.
func isAck(body []byte) bool {
	var a struct {
		Ack string `json:"ack"`
	}
	return json.Unmarshal(body, &a) == nil && a.Ack == "ok"
}

// sampleEvery samples proc once a second until stop or ctx is done, and
// prints a progress line each time when progress is not nil.
func sampleEvery(ctx context.Context, stop <-chan struct{}, begin time.Time, proc *procSampler, t *tally, progress io.Writer) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case now := <-tick.C:
			at := now.Sub(begin)
			line := fmt.Sprintf("cmw load: %3ds", int(at.Round(time.Second)/time.Second))
			sent, ack := t.snapshot()
			line += fmt.Sprintf(" sent %d acked %d", sent, ack)
			if proc != nil {
				if s, err := proc.sample(at); err == nil {
					proc.record(s)
					line += fmt.Sprintf(" rss %s fds %d", formatBytes(s.RSS), s.FDs)
				}
			}
			if progress != nil {
				fmt.Fprintln(progress, line)
			}
		}
	}
}

// procSampler reads a Linux process's resident memory and open files.
type procSampler struct {
	pid     int
	mu      sync.Mutex
	samples []procSample
}

// procSample is one reading. At is the time since the run began.
type procSample struct {
	At  time.Duration `json:"-"`
	Sec float64       `json:"t_s"`
	RSS int64         `json:"rss_bytes"`
	FDs int           `json:"fds"`
}

func newProcSampler(pid int) (*procSampler, error) {
	p := &procSampler{pid: pid}
	if _, err := p.sample(0); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *procSampler) record(s procSample) {
	p.mu.Lock()
	p.samples = append(p.samples, s)
	p.mu.Unlock()
}

// taken returns the samples recorded so far.
func (p *procSampler) taken() []procSample {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.samples)
}

// sample reads VmRSS from /proc/PID/status and counts /proc/PID/fd.
func (p *procSampler) sample(at time.Duration) (procSample, error) {
	dir := "/proc/" + strconv.Itoa(p.pid)
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return procSample{}, fmt.Errorf("cannot read the process's memory (Linux /proc only): %w", err)
	}
	rss, err := parseVmRSS(status)
	if err != nil {
		return procSample{}, err
	}
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return procSample{}, fmt.Errorf("cannot count the process's open files: %w", err)
	}
	return procSample{At: at, Sec: at.Round(time.Millisecond).Seconds(), RSS: rss, FDs: len(fds)}, nil
}

// parseVmRSS returns the VmRSS line of a /proc/PID/status file in bytes.
func parseVmRSS(status []byte) (int64, error) {
	for line := range strings.Lines(string(status)) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// loadReport is what cmw load prints.
type loadReport struct {
	URL         string  `json:"url"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"target_rate"` // 0: unlimited
	OpenCalls   int     `json:"open_calls"`
	Interrupted bool    `json:"interrupted"`
	ElapsedSec  float64 `json:"elapsed_s"`
	Calls       int     `json:"calls"`
	LeftOpen    int     `json:"calls_left_open"` // started, callEnd never sent
	Sent        int     `json:"sent"`
	Acked       int     `json:"acked"`
	NonAcks     nonAcks `json:"non_acks"`
	Throughput  float64 `json:"acked_per_s"`
	// Latency of the acked events, in milliseconds.
	Latency   latencyReport `json:"ack_latency_ms"`
	LastError string        `json:"last_error,omitempty"`
	Process   *procReport   `json:"process,omitempty"`
}

type nonAcks struct {
	Total       int            `json:"total"`
	ByStatus    map[string]int `json:"by_status,omitempty"` // "503": 4
	Timeouts    int            `json:"timeouts"`
	ConnErrors  int            `json:"connection_errors"`
	Interrupted int            `json:"interrupted"`
}

type latencyReport struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type procReport struct {
	PID     int          `json:"pid"`
	Before  procSample   `json:"before"`
	Peak    procSample   `json:"peak"` // highest RSS (FDs: PeakFDs)
	PeakFDs int          `json:"peak_fds"`
	End     procSample   `json:"end"`
	After   *procSample  `json:"after,omitempty"` // after -settle
	Settle  string       `json:"settle,omitempty"`
	Samples []procSample `json:"samples"`
}

// merge adds samples, keeping them in time order, and updates the peaks.
func (p *procReport) merge(samples []procSample) {
	for _, s := range samples {
		p.Samples = append(p.Samples, s)
		if s.RSS > p.Peak.RSS {
			p.Peak = s
		}
		p.PeakFDs = max(p.PeakFDs, s.FDs)
	}
	slices.SortStableFunc(p.Samples, func(a, b procSample) int { return cmp.Compare(a.At, b.At) })
}

// fill computes the report from the tally.
func (r *loadReport) fill(t *tally, elapsed time.Duration, gen *callGenerator) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.ElapsedSec = elapsed.Round(time.Millisecond).Seconds()
	r.Calls, r.LeftOpen = gen.counts()
	r.Sent, r.Acked = t.sent, t.acked
	r.NonAcks = nonAcks{Total: t.sent - t.acked, Timeouts: t.timeouts, ConnErrors: t.connErrs, Interrupted: t.interrupt}
	if len(t.byStatus) > 0 {
		r.NonAcks.ByStatus = map[string]int{}
		for code, n := range t.byStatus {
			r.NonAcks.ByStatus[strconv.Itoa(code)] = n
		}
	}
	if elapsed > 0 {
		r.Throughput = math.Round(float64(t.acked)/elapsed.Seconds()*10) / 10
	}
	r.Latency = latencies(t.latencies)
	r.LastError = t.lastErr
}

// latencies summarises durations (sorted in place) in milliseconds.
func latencies(d []time.Duration) latencyReport {
	if len(d) == 0 {
		return latencyReport{}
	}
	slices.Sort(d)
	ms := func(x time.Duration) float64 { return math.Round(float64(x)/float64(time.Millisecond)*100) / 100 }
	return latencyReport{P50: ms(percentile(d, 50)), P90: ms(percentile(d, 90)), P99: ms(percentile(d, 99)), Max: ms(d[len(d)-1])}
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values
// at or below it. It returns 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func (r *loadReport) writeText(w io.Writer) {
	rate := "unlimited"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%g events/s", r.Rate)
	}
	fmt.Fprintf(w, "target      %s\n", safetext.Terminal(r.URL))
	fmt.Fprintf(w, "load        %d senders, rate %s, %d calls open at once\n", r.Concurrency, rate, r.OpenCalls)
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted before the end")
	}
	fmt.Fprintf(w, "elapsed     %.1fs\n", r.ElapsedSec)
	fmt.Fprintf(w, "sent        %d events (%d calls)\n", r.Sent, r.Calls)
	if r.LeftOpen > 0 {
		fmt.Fprintf(w, "left open   %d calls (their callEnd was not sent)\n", r.LeftOpen)
	}
	fmt.Fprintf(w, "acked       %d\n", r.Acked)
	n := r.NonAcks
	fmt.Fprintf(w, "non-acks    %d", n.Total)
	if n.Total > 0 {
		var parts []string
		codes := make([]string, 0, len(n.ByStatus))
		for c := range n.ByStatus {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("HTTP %s: %d", c, n.ByStatus[c]))
		}
		for _, p := range []struct {
			name string
			n    int
		}{{"timeouts", n.Timeouts}, {"connection errors", n.ConnErrors}, {"interrupted", n.Interrupted}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", p.name, p.n))
			}
		}
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "throughput  %.1f acked events/s\n", r.Throughput)
	if l := r.Latency; r.Acked > 0 {
		fmt.Fprintf(w, "ack latency p50 %s  p90 %s  p99 %s  max %s\n", fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max))
	}
	if r.LastError != "" {
		fmt.Fprintf(w, "last error  %s\n", safetext.Terminal(r.LastError)) // text from the CRM: escaped
	}
	if p := r.Process; p != nil {
		fmt.Fprintf(w, "process     pid %d, %d samples\n", p.PID, len(p.Samples))
		fmt.Fprintf(w, "  rss       before %s  peak %s (at %.0fs)  end %s", formatBytes(p.Before.RSS), formatBytes(p.Peak.RSS), p.Peak.Sec, formatBytes(p.End.RSS))
		if p.After != nil {
			fmt.Fprintf(w, "  after %s %s (%.2f× before)", p.Settle, formatBytes(p.After.RSS), float64(p.After.RSS)/float64(max(p.Before.RSS, 1)))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  fds       before %d  peak %d  end %d", p.Before.FDs, p.PeakFDs, p.End.FDs)
		if p.After != nil {
			fmt.Fprintf(w, "  after %s %d", p.Settle, p.After.FDs)
		}
		fmt.Fprintln(w)
	}
}

func fmtMS(ms float64) string { return strconv.FormatFloat(ms, 'f', -1, 64) + "ms" }

// formatBytes prints n in MiB with one decimal.
func formatBytes(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }
