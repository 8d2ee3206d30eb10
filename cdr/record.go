package cdr

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/valyala/fastjson"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
	"github.com/callmyway-go/sdk/internal/wire"
)

// Record is one CallMyWay call record (see docs/provider.md, Call
// history). Times are in the
// account's zone; a zero ConnectTime means the call was not connected (or,
// in a live query, not yet). Fields the SDK does not know are kept in
// Extra, so nothing the provider sends is lost. Its ids (CallID,
// OriginalCallID, RefCallID) are raw, byte for byte as sent, whether
// decoded or built by hand: stores and the calls ledger key them with
// EscapeID. A Record is a plain
// value: the zero Record is an empty record, and copies may be read
// concurrently (copies share Extra's map: do not modify it).
type Record struct {
	CallID           string // unique per record: the key to store it once
	OriginalCallID   string // shared by the records (legs) of one call
	RefCallID        string // "0" for a parent record, else its parent's callid
	ANI              string // caller
	DNIS             string // called
	ANIUser          string // endpoint user on the caller side
	DNISUser         string // endpoint user on the called side
	DetectTime       callmyway.Time
	ConnectTime      callmyway.Time
	DisconnectTime   callmyway.Time
	Duration         time.Duration // billed talk time; 0 in live queries
	RingTime         time.Duration // may be negative, as the provider sends it
	Cost             decimal.Decimal
	AccessFee        decimal.Decimal
	Rate             decimal.Decimal // per minute
	RoutePattern     string
	RouteName        string
	EndReason        string // OK, CANCELLED, NO_ANSWER, ...
	NameEndpointANI  string
	NameEndpointDNIS string
	Direction        callmyway.Direction
	Type             string // the provider's type as sent (incoming, out...)

	// Extra holds every field this package does not know, as raw JSON.
	Extra map[string]json.RawMessage
}

// Connected reports whether the call was answered.
func (r Record) Connected() bool { return !r.ConnectTime.IsZero() }

// Live reports whether the record describes a call still in progress (no
// disconnect time yet): a provisional record a later sync will complete.
func (r Record) Live() bool { return r.DisconnectTime.IsZero() }

// CustomerNumber returns the customer's number: the ANI of an inbound
// call, the DNIS of an outbound one (see callmyway.Direction.Customer).
func (r Record) CustomerNumber() string { return r.Direction.Customer(r.ANI, r.DNIS) }

// Agent returns the agent's phone: the endpoint username on the agent's
// side of the call (DNISUser inbound, ANIUser outbound; see
// callmyway.Direction.Agent). Its ID is empty: CDRs do not carry endpoint
// ids.
func (r Record) Agent() callmyway.Endpoint {
	return callmyway.Endpoint{User: r.Direction.Agent(r.ANIUser, r.DNISUser)}
}

// IsLeg reports whether the record is one leg of a larger call (a ring
// attempt of a group), rather than the call's parent record.
func (r Record) IsLeg() bool {
	return r.RefCallID != "" && r.RefCallID != "0" && r.RefCallID != r.CallID
}

// CallKey is the id that groups the records of one call: OriginalCallID,
// or CallID when the provider sent none.
func (r Record) CallKey() string {
	if r.OriginalCallID != "" && r.OriginalCallID != "0" {
		return r.OriginalCallID
	}
	return r.CallID
}

// known maps each field Record decodes (the provider's names) to itself:
// looking a key up by string(bytes) does not allocate, and the interned
// name serves as the field's name afterwards.
var known = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"callid", "original_callid", "ref_callid", "ani", "dnis", "ani_user", "dnis_user",
		"detect_time", "connect_time", "disconnect_time", "duration", "ring_time", "cost", "access_fee", "rate",
		"route_pattern", "route_name", "end_reason", "name_endpoint_ani", "name_endpoint_dnis", "type"} {
		m[k] = k
	}
	return m
}()

// FieldError reports a record field that could not be read. It matches
// callmyway.ErrMalformedResponse. It is a plain value.
//
// The zero FieldError names no field. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type FieldError struct {
	Index  int    // the record's position in its page
	CallID string // when known
	Field  string
	Value  string
	Reason string
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("cdr: record %d (callid %q): field %s=%q: %s", e.Index, e.CallID, e.Field, e.Value, e.Reason)
}

// Is matches callmyway.ErrMalformedResponse.
func (e *FieldError) Is(target error) bool { return target == callmyway.ErrMalformedResponse }

// decodeRecord reads one record object in loc. Its ids are kept raw, byte
// for byte as written; with escaped, they are read as MarshalJSON wrote
// them (EscapeID) and unescaped.
func decodeRecord(v *fastjson.Value, idx int, loc *time.Location, escaped bool) (Record, error) {
	var r Record
	o, err := v.Object()
	if err != nil {
		return r, &FieldError{Index: idx, Field: "(record)", Value: v.Type().String(), Reason: "not an object"}
	}
	var ferr error
	fail := func(field, val, reason string) {
		if ferr == nil {
			ferr = &FieldError{Index: idx, Field: field, Value: val, Reason: reason}
		}
	}
	timeOf := func(key, s string) callmyway.Time {
		t, err := callmyway.ParseTime(s, loc)
		if err != nil {
			fail(key, s, "not YYYY-MM-DD HH:mm:ss")
		}
		return t
	}
	secondsOf := func(key, s string, min int64) time.Duration {
		n, err := wire.ParseIntString(s)
		if err != nil || n < min {
			fail(key, s, "not a number of seconds")
		}
		return time.Duration(n) * time.Second
	}
	moneyOf := func(key, s string) decimal.Decimal {
		d, err := wire.ParseDecimalString(s)
		if err != nil {
			fail(key, s, "not a decimal number")
		}
		return d
	}
	o.Visit(func(k []byte, v *fastjson.Value) {
		key, ok := known[string(k)] // no allocation for the lookup
		if !ok {
			if r.Extra == nil {
				r.Extra = map[string]json.RawMessage{}
			}
			raw := v.MarshalTo(nil)
			if !json.Valid(raw) {
				// fastjson is laxer than JSON (it reads 00 as a number):
				// keep such a value as text rather than lose it.
				raw = appendJSONString(nil, string(raw))
			}
			r.Extra[string(k)] = json.RawMessage(raw)
			return
		}
		read := wire.Scalar
		isID := key == "callid" || key == "original_callid" || key == "ref_callid"
		if isID {
			read = wire.Raw // ids are kept byte for byte (see the package doc, Text)
		}
		s, err := read(v)
		if err != nil {
			fail(key, string(v.MarshalTo(nil)), err.Error())
			return
		}
		if isID && escaped {
			raw, ok := valid.UnescapeID(s)
			if !ok {
				fail(key, s, "starts with "+EscapedIDPrefix+" but is not an escaped id")
				return
			}
			s = raw
		}
		switch key {
		case "callid":
			r.CallID = s
		case "original_callid":
			r.OriginalCallID = s
		case "ref_callid":
			r.RefCallID = s
		case "ani":
			r.ANI = s
		case "dnis":
			r.DNIS = s
		case "ani_user":
			r.ANIUser = s
		case "dnis_user":
			r.DNISUser = s
		case "route_pattern":
			r.RoutePattern = s
		case "route_name":
			r.RouteName = s
		case "end_reason":
			r.EndReason = s
		case "name_endpoint_ani":
			r.NameEndpointANI = s
		case "name_endpoint_dnis":
			r.NameEndpointDNIS = s
		case "detect_time":
			r.DetectTime = timeOf(key, s)
		case "connect_time":
			r.ConnectTime = timeOf(key, s)
		case "disconnect_time":
			r.DisconnectTime = timeOf(key, s)
		case "duration":
			r.Duration = secondsOf(key, s, 0)
		case "ring_time":
			r.RingTime = secondsOf(key, s, math.MinInt64) // may be negative
		case "cost":
			r.Cost = moneyOf(key, s)
		case "access_fee":
			r.AccessFee = moneyOf(key, s)
		case "rate":
			r.Rate = moneyOf(key, s)
		case "type":
			r.Type = s
			if r.Direction, err = callmyway.ParseDirection(s); err != nil {
				fail(key, s, "not in/incoming, out/outgoing or internal")
			}
		}
	})
	if ferr != nil {
		ferr.(*FieldError).CallID = r.CallID
		return r, ferr
	}
	if r.CallID == "" {
		return r, &FieldError{Index: idx, Field: "callid", Reason: "missing"}
	}
	return r, nil
}

// MarshalJSON writes the record with the provider's field names (times in
// provider form, durations in seconds, money as strings) and its Extra
// fields, so a record survives a round trip. Its ids are written escaped
// (EscapeID: a plain id as it is), so that they survive it byte for byte.
func (r Record) MarshalJSON() ([]byte, error) {
	var b []byte
	b = append(b, '{')
	str := func(k, v string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(append(appendJSONString(b, k), ':'), v)
	}
	num := func(k string, n int64) {
		b = strconv.AppendInt(append(appendJSONString(append(b, ','), k), ':'), n, 10)
	}
	str("callid", EscapeID(r.CallID))
	str("original_callid", EscapeID(r.OriginalCallID))
	str("ref_callid", EscapeID(r.RefCallID))
	str("ani", r.ANI)
	str("dnis", r.DNIS)
	str("ani_user", r.ANIUser)
	str("dnis_user", r.DNISUser)
	str("detect_time", r.DetectTime.String())
	str("connect_time", r.ConnectTime.String())
	str("disconnect_time", r.DisconnectTime.String())
	num("duration", int64(r.Duration/time.Second))
	num("ring_time", int64(r.RingTime/time.Second))
	str("cost", Money(r.Cost))
	str("access_fee", Money(r.AccessFee))
	str("rate", Money(r.Rate))
	str("route_pattern", r.RoutePattern)
	str("route_name", r.RouteName)
	str("end_reason", r.EndReason)
	str("name_endpoint_ani", r.NameEndpointANI)
	str("name_endpoint_dnis", r.NameEndpointDNIS)
	typ := r.Type
	if typ == "" && r.Direction != callmyway.DirectionUnknown {
		typ = string(r.Direction)
	}
	str("type", typ)
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		if _, ok := known[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := r.Extra[k]
		if !json.Valid(raw) {
			return nil, fmt.Errorf("cdr: Extra[%q] is not valid JSON", k)
		}
		b = append(appendJSONString(append(b, ','), k), ':')
		b = append(b, raw...)
	}
	return append(b, '}'), nil
}

// appendJSONString appends s as a JSON string: control characters as
// \u escapes, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// Money formats d keeping the digits the provider sent ("0.0450" stays
// "0.0450", where decimal's String would print "0.045").
func Money(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

// UnmarshalJSON reads one record in provider form, as MarshalJSON writes
// it. Times are read as UTC; DecodePage reads them in the account's zone.
// Unlike DecodePage, it reads ids as MarshalJSON writes them, escaped
// (EscapeID), and unescapes them, so a record survives a round trip; an id
// starting with EscapedIDPrefix that is not a valid escape is an error.
func (r *Record) UnmarshalJSON(b []byte) error {
	v, err := fastjson.ParseBytes(b)
	if err != nil {
		return fmt.Errorf("cdr: record: %w", err)
	}
	rec, err := decodeRecord(v, 0, time.UTC, true)
	if err != nil {
		return err
	}
	*r = rec
	return nil
}
