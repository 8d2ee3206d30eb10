package callmyway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Host names one of the CallMyWay hosts the SDK talks to.
//
// The zero Host is HostClickToDial. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type Host int

const (
	// HostClickToDial serves click to dial at /Welcome/ClickToDialExtenal
	// (https://www.callmyway.com).
	HostClickToDial Host = iota
	// HostClickToDialAlt is the alternative click-to-dial host, serving
	// /clickToDial.php (https://ws2.callmyway.net).
	HostClickToDialAlt
	// HostCDR serves CDR and live-call queries at /getCdrs.php
	// (https://callmyway.com).
	HostCDR
	numHosts
)

// Default host URLs and paths (see docs/provider.md, Click to dial and
// Call history).
const (
	DefaultClickToDialURL    = "https://www.callmyway.com"
	DefaultClickToDialAltURL = "https://ws2.callmyway.net"
	DefaultCDRURL            = "https://callmyway.com"

	PathClickToDial    = "/Welcome/ClickToDialExtenal" // sic: the provider's spelling
	PathClickToDialAlt = "/clickToDial.php"
	PathCDR            = "/getCdrs.php"
)

// String returns the host's name.
func (h Host) String() string {
	switch h {
	case HostClickToDial:
		return "click-to-dial"
	case HostClickToDialAlt:
		return "click-to-dial-alt"
	case HostCDR:
		return "cdr"
	}
	return fmt.Sprintf("Host(%d)", int(h))
}

// Option configures a Client. Options validate their arguments: New
// returns the first option error.
//
// A nil Option is skipped by New. Options are plain functions, safe to
// reuse and to share between goroutines concurrently.
type Option func(*config) error

type config struct {
	httpClient    *http.Client
	hosts         [numHosts]*url.URL
	logger        *slog.Logger
	limiter       Limiter
	margin        time.Duration
	retryMax      int
	retryWaitMin  time.Duration
	retryWaitMax  time.Duration
	retryAfterCap time.Duration
	userAgent     string
}

func defaultConfig() config {
	c := config{
		logger:        slog.New(slog.DiscardHandler),
		margin:        DefaultQueryMargin,
		retryMax:      3,
		retryWaitMin:  500 * time.Millisecond,
		retryWaitMax:  8 * time.Second,
		retryAfterCap: 60 * time.Second,
		userAgent:     "callmyway-go",
	}
	for h, s := range []string{DefaultClickToDialURL, DefaultClickToDialAltURL, DefaultCDRURL} {
		c.hosts[h], _ = url.Parse(s)
	}
	return c
}

func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
	if err != nil {
		return nil, fmt.Errorf("callmyway: base URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("callmyway: base URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("callmyway: base URL %q: no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("callmyway: base URL %q: must not carry a query, fragment or user info", s)
	}
	return u, nil
}

// WithBaseURL points every CallMyWay host at one base URL, such as a
// cmwtest fake or a proxy. A path in the URL is kept as a prefix.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := parseBase(base)
		if err != nil {
			return err
		}
		for h := range c.hosts {
			c.hosts[h] = u
		}
		return nil
	}
}

// WithHostURL sets the base URL of one host, leaving the others alone.
func WithHostURL(h Host, base string) Option {
	return func(c *config) error {
		if h < 0 || h >= numHosts {
			return fmt.Errorf("callmyway: unknown host %v", h)
		}
		u, err := parseBase(base)
		if err != nil {
			return err
		}
		c.hosts[h] = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client whose transport, timeout and jar the
// SDK uses. Its redirect policy is replaced: credentials are never sent to
// another host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("callmyway: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithLogger sets the logger. The SDK is silent by default; it logs
// requests at Debug, retries at Warn. The password never appears in a log
// line.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("callmyway: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithQueryLimiter replaces the per-account query limiter. By default every
// Client of the same account and CDR host in one process shares one limiter
// allowing a query every QueryInterval+DefaultQueryMargin. Separate
// processes polling the same account must share a limiter themselves (or
// leave polling to a single process).
func WithQueryLimiter(l Limiter) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("callmyway: WithQueryLimiter: nil limiter")
		}
		c.limiter = l
		return nil
	}
}

// WithQueryMargin sets the safety margin the default limiter adds to the
// 4-second interval (default 250ms). It applies when this Client is the
// first of its account in the process; later Clients share that limiter.
func WithQueryMargin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Minute {
			return fmt.Errorf("callmyway: WithQueryMargin(%v): must be between 0 and 1m", d)
		}
		c.margin = d
		return nil
	}
}

// WithRetry sets how read-only queries are retried on connection errors,
// 5xx and 429: at most max retries, with exponential backoff capped at
// maxWait. Click to dial is never retried. Default 3 retries, 8s.
func WithRetry(max int, maxWait time.Duration) Option {
	return func(c *config) error {
		if max < 0 || max > 20 {
			return fmt.Errorf("callmyway: WithRetry: max %d out of range 0..20", max)
		}
		if maxWait <= 0 {
			return fmt.Errorf("callmyway: WithRetry: maxWait %v must be positive", maxWait)
		}
		c.retryMax, c.retryWaitMax = max, maxWait
		if c.retryWaitMin > maxWait {
			c.retryWaitMin = maxWait
		}
		return nil
	}
}

// WithRetryAfterCap bounds how long a retry honours a Retry-After header
// (default 60s). A longer Retry-After is cut to the cap.
func WithRetryAfterCap(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("callmyway: WithRetryAfterCap(%v): must be positive", d)
		}
		c.retryAfterCap = d
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.ContainsAny(ua, "\r\n") {
			return errors.New("callmyway: WithUserAgent: must not contain line breaks")
		}
		c.userAgent = ua
		return nil
	}
}
