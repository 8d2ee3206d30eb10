package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/valyala/fastjson"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
	"github.com/callmyway-go/sdk/internal/wire"
)

// Action is what happened to a call.
//
// The zero Action is no action (Parse never returns it). It is a plain
// value: safe to copy, and to read from several goroutines concurrently.
type Action string

// Actions CallMyWay sends.
const (
	CallStart Action = "callStart"
	CallEnd   Action = "callEnd"
)

// Call is the data of an event (see docs/provider.md, Call events).
//
// The zero Call has no callid. It is a plain value: safe to copy, and to
// read from several goroutines concurrently.
type Call struct {
	// ID is the callid as sent: valid UTF-8 without control characters,
	// at most 128 bytes once the ledger keys it (cdr.EscapeID: a callid
	// starting with "esc:" is accepted and keyed "esc:esc:..."), so it
	// meets the same call's CDR in the calls ledger.
	ID string
	// AccountID is the account_id as sent, unchecked beyond the body
	// limit: no ledger or store of this SDK keeps it, so it is never a
	// reason to refuse an event (a listener that stores it bounds it).
	AccountID string
	// Endpoint is the agent's CallMyWay phone. Webhooks name it by
	// endpoint_id only, so Endpoint.User is empty: a screenpop Directory
	// resolves it to the agent and the phone's username.
	Endpoint       callmyway.Endpoint
	ANI            string // caller
	DNIS           string // called
	DetectTime     callmyway.Time
	ConnectTime    callmyway.Time // zero: not connected (yet)
	DisconnectTime callmyway.Time
	Duration       time.Duration
	Direction      callmyway.Direction
	Cost           decimal.Decimal
}

// Event is one call event received from CallMyWay. It is a plain value,
// safe to copy; Raw must not be modified.
//
// The zero Event has no action.
//
// Events may be read concurrently.
type Event struct {
	Action     Action
	Call       Call
	Raw        []byte    // the body as received
	ReceivedAt time.Time // when the handler received it
}

// Key identifies an event for de-duplication: callid and action.
func (e Event) Key() string { return e.Call.ID + "|" + string(e.Action) }

// ErrInvalidEvent is matched by every *ParseError.
var ErrInvalidEvent = errors.New("webhook: invalid event")

// ErrUnknownAction is matched by a *ParseError for an action other than
// callStart or callEnd.
var ErrUnknownAction = errors.New("webhook: unknown action")

// ParseError names what was wrong with a body.
//
// The zero ParseError names no field. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type ParseError struct {
	Field  string // "body", "action", "data.callid", ...
	Reason string
	kind   error
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("webhook: invalid %s: %s", e.Field, e.Reason)
}

// Is matches ErrInvalidEvent, and ErrUnknownAction for a bad action.
func (e *ParseError) Is(target error) bool {
	return target == ErrInvalidEvent || (e.kind != nil && target == e.kind)
}

var parsers fastjson.ParserPool

var utf8BOM = []byte("\xef\xbb\xbf")

// MaxDurationSeconds bounds a call's duration (7 days): a larger value is
// a malformed event, refused with a 400, not a number to overflow.
const MaxDurationSeconds = 7 * 24 * 3600

// maxCost bounds an event's cost (in the account's currency).
var maxCost = decimal.New(1, 9)

// Parse decodes and validates a webhook body of account acct (whose zone
// the event's times are read in), for routers that do not use NewHandler.
// It accepts what real senders do: numbers as JSON numbers or strings,
// empty time fields, a UTF-8 byte-order mark, the single-quoted form
// printed in the provider's documentation. A bad body is a *ParseError
// naming the field; an invalid account is a *callmyway.AccountError.
// It refuses exactly the fields the calls ledger could not store
// (internal/valid): an accepted event is never one the ledger answers with
// a 500 on every retry. Fields the ledger does not keep (account_id) are
// not checked.
func Parse(acct callmyway.Account, body []byte) (Event, error) {
	if err := acct.Validate(); err != nil {
		return Event{Raw: body}, err
	}
	return parse(acct.Location, body)
}

// parse is Parse for a validated zone.
func parse(loc *time.Location, body []byte) (Event, error) {
	ev := Event{Raw: body}
	b := bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(body), utf8BOM))
	if len(b) == 0 {
		return ev, &ParseError{Field: "body", Reason: "empty"}
	}
	p := parsers.Get()
	defer parsers.Put(p)
	root, err := p.ParseBytes(b)
	if err != nil {
		fixed, ok := singleToDoubleQuotes(b)
		if !ok {
			return ev, &ParseError{Field: "body", Reason: "not JSON: " + err.Error()}
		}
		if root, err = p.ParseBytes(fixed); err != nil {
			return ev, &ParseError{Field: "body", Reason: "not JSON: " + err.Error()}
		}
	}
	if root.Type() == fastjson.TypeNull {
		return ev, &ParseError{Field: "action", Reason: "missing"}
	}
	if root.Type() != fastjson.TypeObject {
		return ev, &ParseError{Field: "body", Reason: "not a JSON object"}
	}
	action, err := wire.Scalar(root.Get("action"))
	if err != nil {
		return ev, &ParseError{Field: "action", Reason: err.Error()}
	}
	switch Action(action) {
	case CallStart, CallEnd:
		ev.Action = Action(action)
	case "":
		return ev, &ParseError{Field: "action", Reason: "missing"}
	default:
		return ev, &ParseError{Field: "action", Reason: fmt.Sprintf("unknown action %q (want callStart or callEnd)", action), kind: ErrUnknownAction}
	}
	d := root.Get("data")
	if d == nil || d.Type() == fastjson.TypeNull {
		return ev, &ParseError{Field: "data", Reason: "missing"}
	}
	if d.Type() != fastjson.TypeObject {
		return ev, &ParseError{Field: "data", Reason: "not an object"}
	}
	var f fields
	f.obj = d
	c := Call{ID: f.str("callid"), AccountID: f.str("account_id"), Endpoint: callmyway.Endpoint{ID: f.str("endpoint_id")}, ANI: f.str("ani"), DNIS: f.str("dnis")}
	if f.err != nil {
		return ev, f.err
	}
	if c.ID == "" {
		return ev, &ParseError{Field: "data.callid", Reason: "missing"}
	}
	// The ids are the call's and the phone's identity: they must arrive
	// exactly as they will be stored and compared. Invalid UTF-8 would be
	// rewritten (and two different ids could become one).
	for _, name := range []string{"callid", "endpoint_id"} {
		if raw := d.Get(name); raw != nil && raw.Type() == fastjson.TypeString && !utf8.Valid(raw.GetStringBytes()) {
			return ev, &ParseError{Field: "data." + name, Reason: "not valid UTF-8"}
		}
	}
	// Every field must also pass the call ledger's rules (internal/valid,
	// the one definition of the limits): an event the ledger cannot store
	// gets a 400 here, on every store alike, never a 500 retried for ever.
	for _, t := range []struct {
		name string
		err  error
	}{
		{"callid", valid.WireCallID(c.ID, true)},
		{"endpoint_id", valid.EndpointName(c.Endpoint.ID)},
		{"ani", valid.Text(c.ANI, valid.MaxText)},
		{"dnis", valid.Text(c.DNIS, valid.MaxText)},
	} {
		if t.err != nil {
			return ev, &ParseError{Field: "data." + t.name, Reason: t.err.Error()}
		}
	}
	for _, t := range []struct {
		name string
		out  *callmyway.Time
	}{{"detect_time", &c.DetectTime}, {"connect_time", &c.ConnectTime}, {"disconnect_time", &c.DisconnectTime}} {
		s := f.str(t.name)
		if *t.out, err = callmyway.ParseTime(s, loc); err != nil {
			return ev, &ParseError{Field: "data." + t.name, Reason: fmt.Sprintf("%q is not YYYY-MM-DD HH:mm:ss", s)}
		}
		if err := valid.Year(t.out.Time()); err != nil {
			return ev, &ParseError{Field: "data." + t.name, Reason: fmt.Sprintf("%q: %v", s, err)}
		}
	}
	dur := f.str("duration")
	secs, err := wire.ParseIntString(dur)
	if err != nil || secs < 0 {
		return ev, &ParseError{Field: "data.duration", Reason: fmt.Sprintf("%q is not a number of seconds", dur)}
	}
	if secs > MaxDurationSeconds {
		return ev, &ParseError{Field: "data.duration", Reason: fmt.Sprintf("%d seconds is out of range (at most %d, 7 days)", secs, MaxDurationSeconds)}
	}
	c.Duration = time.Duration(secs) * time.Second
	typ := f.str("type")
	if c.Direction, err = callmyway.ParseDirection(typ); err != nil {
		return ev, &ParseError{Field: "data.type", Reason: fmt.Sprintf("%q is not in, out or internal", typ)}
	}
	cost := f.str("cost")
	if c.Cost, err = wire.ParseDecimalString(cost); err != nil {
		return ev, &ParseError{Field: "data.cost", Reason: fmt.Sprintf("%q is not a decimal number", cost)}
	}
	if c.Cost.Abs().GreaterThan(maxCost) {
		return ev, &ParseError{Field: "data.cost", Reason: fmt.Sprintf("%s is out of range (at most %s)", c.Cost, maxCost)}
	}
	if err := valid.Amount(c.Cost); err != nil {
		return ev, &ParseError{Field: "data.cost", Reason: err.Error()}
	}
	if f.err != nil {
		return ev, f.err
	}
	ev.Call = c
	return ev, nil
}

// fields reads scalar members of the data object, keeping the first error.
type fields struct {
	obj *fastjson.Value
	err *ParseError
}

func (f *fields) str(name string) string {
	s, err := wire.Scalar(f.obj.Get(name))
	if err != nil && f.err == nil {
		f.err = &ParseError{Field: "data." + name, Reason: err.Error()}
	}
	return s
}

// singleToDoubleQuotes rewrites the single-quoted pseudo-JSON of the
// provider's documentation ({'action': 'callStart', ...}) as JSON. It
// reports false when the body holds no single-quoted string.
func singleToDoubleQuotes(b []byte) ([]byte, bool) {
	if !bytes.ContainsRune(b, '\'') {
		return nil, false
	}
	out := make([]byte, 0, len(b)+8)
	var quote byte // the quote of the string we are in, or 0
	for i := 0; i < len(b); i++ {
		ch := b[i]
		switch {
		case quote == 0 && (ch == '\'' || ch == '"'):
			quote = ch
			out = append(out, '"')
		case quote != 0 && ch == '\\' && i+1 < len(b):
			i++
			if b[i] == '\'' {
				out = append(out, '\'')
			} else {
				out = append(out, '\\', b[i])
			}
		case quote != 0 && ch == quote:
			quote = 0
			out = append(out, '"')
		case quote == '\'' && ch == '"':
			out = append(out, '\\', '"')
		default:
			out = append(out, ch)
		}
	}
	return out, quote == 0
}
