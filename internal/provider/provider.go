// Package provider is the plumbing the SDK's packages share to talk about
// CallMyWay's answers: the operation name carried in a context, the
// message and excerpt of an answer body, and the one constructor of
// provider errors (a *callmyway.APIError), installed by package callmyway.
package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
)

type opKey struct{}

// WithOp returns ctx carrying the name of the SDK operation ("cdr.Recent",
// "click2dial.Dial") that errors and log lines of the request name.
func WithOp(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

// Op returns the operation name in ctx, or def.
func Op(ctx context.Context, def string) string {
	if op, ok := ctx.Value(opKey{}).(string); ok && op != "" {
		return op
	}
	return def
}

// Error builds a provider error: a *callmyway.APIError for operation op,
// HTTP status (0 for an error carried in a 2xx body), the answer body and
// the sentinel kind that classifies it (nil: classified from the body's
// message when recognised). Package callmyway sets it when it is
// initialised, so it is always set in a program that can reach the
// provider.
var Error func(op string, status int, body []byte, kind error) error

// Message extracts a provider message from an answer body: the "error" or
// "message" member of a JSON object, or a short plain-text body. It
// returns "" for HTML pages and anything else.
func Message(body []byte) string {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return ""
	}
	if b[0] == '{' {
		var m map[string]any
		if json.Unmarshal(b, &m) == nil {
			for _, k := range []string{"error", "message", "msg", "mensaje", "status"} {
				if s, ok := m[k].(string); ok && s != "" {
					return s
				}
			}
		}
		return ""
	}
	if len(b) <= 200 && !bytes.ContainsAny(b, "<>{}[]") {
		return strings.ToValidUTF8(string(b), "?")
	}
	return ""
}

// Excerpt returns the first 200 bytes of a body as valid UTF-8 text.
func Excerpt(body []byte) string {
	b := bytes.TrimSpace(body)
	if len(b) > 200 {
		b = b[:200]
	}
	return strings.ToValidUTF8(string(b), "?")
}
