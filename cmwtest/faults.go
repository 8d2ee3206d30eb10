package cmwtest

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// FaultKind is a failure the fake can inject.
//
// The zero FaultKind is the first listed. It is a plain value: safe to
// copy, and to read from several goroutines concurrently.
type FaultKind int

// Faults on demand.
const (
	FaultNone             FaultKind = iota
	Fault5xx                        // 500 (or Fault.Status) with a short text body
	FaultSlow                       // answer normally after Fault.Delay
	FaultReset                      // drop the connection without an answer
	FaultHTML                       // 502 with an HTML error page
	FaultTruncated                  // a 200 whose JSON body is cut short
	FaultWrongCredentials           // answer as for a wrong password
	FaultRateLimited                // 429 with Retry-After: Fault.Delay
	FaultPHPWarning                 // a 200 whose body is a PHP warning page, not the provider's answer
)

// Fault is one injected failure.
//
// The zero Fault is the zero FaultKind with no delay. It is a plain value:
// safe to copy, and to read from several goroutines concurrently.
type Fault struct {
	Kind  FaultKind
	Delay time.Duration // for FaultSlow and FaultRateLimited
	// Status is the answer's status for Fault5xx, from 500 to 599, such
	// as 503 (0 or out of range: 500).
	Status int
}

// FailNext makes the next n requests (to any path) fail with f.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults = append(s.faults, f)
	}
}

// applyFault writes the fault's answer and reports whether the request is
// done (FaultSlow lets it continue after the delay).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Fault5xx:
		code := f.Status
		if code < 500 || code > 599 {
			code = http.StatusInternalServerError
		}
		text := http.StatusText(code)
		if text == "" {
			text = "Server Error"
		}
		http.Error(w, text, code)
	case FaultSlow:
		s.sleep(r.Context(), f.Delay)
		return false
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
				conn.Close()
				return true
			}
		}
		w.Header().Set(resetHeader, "1")
	case FaultPHPWarning:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "<br />\n<b>Warning</b>:  mysqli_connect(): (HY000/2002): Connection refused in <b>/var/www/html/clickToDial.php</b> on line <b>12</b><br />\n")
		return true
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>")
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"callid":"1","ani":"88887777","detect_time":"2017-06-01 10:0`)
	case FaultWrongCredentials:
		writeError(w, r, "Invalid username or password")
	case FaultRateLimited:
		w.Header().Set("Retry-After", fmt.Sprint(int(f.Delay.Seconds())))
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	default:
		return false
	}
	return true
}

// writeError answers as the fake provider does for a refused request: an
// error object on getCdrs, an error text on click to dial. Unverified: the
// real texts are not documented.
func writeError(w http.ResponseWriter, r *http.Request, msg string) {
	if r.URL.Path == "/getCdrs.php" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"error":%q}`, msg)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "ERROR: %s", msg)
}
