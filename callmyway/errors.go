package callmyway

import (
	"errors"
	"fmt"
	"strings"

	"github.com/callmyway-go/sdk/internal/provider"
)

// Sentinel errors. Every error the SDK returns for one of these conditions
// matches it with errors.Is, whatever its concrete type.
var (
	// ErrUnauthorized means CallMyWay refused the username or password.
	ErrUnauthorized = errors.New("callmyway: credentials refused (check username and password)")

	// ErrIPNotAllowed means CallMyWay refused the request because it came
	// from an IP address that is not on the account's allow list. Click to
	// dial, CDR and live-call queries only work from allowed addresses.
	ErrIPNotAllowed = errors.New("callmyway: this machine's IP address is not allowed by CallMyWay; ask CallMyWay support to add it to the account's allow list")

	// ErrRateLimited means CallMyWay delayed or refused a query because the
	// account asked again before 4 seconds had passed (or answered 429).
	ErrRateLimited = errors.New("callmyway: rate limited (at most one query every 4 seconds per account)")

	// ErrMalformedResponse means the provider's answer could not be
	// understood: not JSON, truncated, or of an unexpected shape.
	ErrMalformedResponse = errors.New("callmyway: malformed response")

	// ErrInvalidNumber means a phone number could not be parsed or is not
	// a valid number for its region. The concrete error is a *NumberError.
	ErrInvalidNumber = errors.New("callmyway: invalid phone number")
)

// APIError is an answer from CallMyWay that reports a failure: a non-2xx
// status, or a 2xx whose body carries an error message. It unwraps to the
// sentinel that classifies it (ErrUnauthorized, ErrIPNotAllowed,
// ErrRateLimited, ErrMalformedResponse) when one applies.
//
// Body is a short excerpt of the answer with the password removed.
//
// The zero APIError is an unclassified failure. It is a plain value: safe
// to copy, and to read from several goroutines concurrently.
type APIError struct {
	Op         string // the SDK operation, e.g. "cdr.Recent" or "click2dial.Dial"
	StatusCode int    // HTTP status; 0 when the error came from the body of a 2xx
	Message    string // the provider's message, when it sent one
	Body       string // a redacted excerpt of the response body
	Kind       error  // the classifying sentinel, or nil
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("callmyway: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	} else {
		b.WriteString("provider error")
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	if e.Kind != nil {
		fmt.Fprintf(&b, " (%s)", strings.TrimPrefix(e.Kind.Error(), "callmyway: "))
	}
	return b.String()
}

// Unwrap returns the classifying sentinel, so errors.Is(err, ErrIPNotAllowed)
// works on an *APIError.
func (e *APIError) Unwrap() error { return e.Kind }

// TransportError is a failure to talk to CallMyWay at all: DNS, connection,
// TLS, timeout, reset. URL has the password removed. Sent reports whether
// the request may have reached the server (always true unless the
// connection was never established).
//
// The zero TransportError has no cause. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type TransportError struct {
	Op   string
	URL  string
	Sent bool
	Err  error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("callmyway: %s: GET %s: %v", e.Op, e.URL, e.Err)
}

// Unwrap returns the underlying cause (a net.Error, context error...).
func (e *TransportError) Unwrap() error { return e.Err }

// NumberError reports a phone number that could not be used. It matches
// ErrInvalidNumber.
//
// The zero NumberError has no input. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type NumberError struct {
	Input  string // the number as given
	Region string // the default region used to parse it
	Reason string
}

// Error implements error.
func (e *NumberError) Error() string {
	return fmt.Sprintf("callmyway: invalid phone number %q (region %s): %s", e.Input, e.Region, e.Reason)
}

// Is reports whether target is ErrInvalidNumber.
func (e *NumberError) Is(target error) bool { return target == ErrInvalidNumber }

// messageKinds maps fragments of provider error texts (English and Spanish,
// lower case) to sentinels. The provider's exact texts are not documented;
// these are recognised where possible and everything else stays an
// unclassified *APIError.
var messageKinds = []struct {
	fragments []string
	kind      error
}{
	{[]string{"ip not allowed", "ip is not allowed", "not allowed ip", "ip no permitida", "ip no autorizada", "invalid ip", "ip address not", "unauthorized ip", "ip bloqueada", "ip denied"}, ErrIPNotAllowed},
	{[]string{"invalid user", "invalid password", "wrong password", "bad credentials", "invalid credentials", "authentication failed", "login failed", "unauthorized", "usuario invalido", "usuario inválido", "contraseña", "password incorrect", "incorrect password", "credenciales"}, ErrUnauthorized},
	{[]string{"too many requests", "rate limit", "wait 4 seconds", "try again later", "demasiadas"}, ErrRateLimited},
}

// newAPIError is the one constructor of provider errors, for this package
// and (through internal/provider.Error) for cdr and click2dial. A nil kind
// is classified from the body's message when it is recognised.
func newAPIError(op string, status int, body []byte, kind error) *APIError {
	msg := provider.Message(body)
	if kind == nil {
		kind = classifyMessage(msg)
	}
	return &APIError{Op: op, StatusCode: status, Message: msg, Body: provider.Excerpt(body), Kind: kind}
}

func init() {
	provider.Error = func(op string, status int, body []byte, kind error) error {
		return newAPIError(op, status, body, kind)
	}
}

// classifyMessage returns the sentinel a provider error text denotes, or
// nil when the text is not recognised. Matching is case-insensitive.
func classifyMessage(msg string) error {
	m := strings.ToLower(msg)
	for _, k := range messageKinds {
		for _, f := range k.fragments {
			if strings.Contains(m, f) {
				return k.kind
			}
		}
	}
	return nil
}

// classifyStatus returns the sentinel an HTTP status denotes, given the
// provider's message. The message wins where it is recognised.
func classifyStatus(status int, msg string) error {
	if k := classifyMessage(msg); k != nil {
		return k
	}
	switch status {
	case 401:
		return ErrUnauthorized
	case 403:
		// Unverified: the provider's answer to a non-allowed IP is not
		// documented; a bare 403 is most likely that.
		return ErrIPNotAllowed
	case 429:
		return ErrRateLimited
	}
	return nil
}
