package cdr

import (
	"bytes"
	"fmt"
	"time"

	"github.com/valyala/fastjson"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/provider"
	"github.com/callmyway-go/sdk/internal/wire"
)

var parsers fastjson.ParserPool

// DecodePage decodes a getCdrs answer in loc (the account's zone). It
// accepts every shape the provider is known or suspected to send: a bare
// array of records, an object {"cdrs": [...]} (also "data" or
// "records"), an empty body or null (no records), and an error object
// {"error": "..."}, returned as a *callmyway.APIError matching
// callmyway.ErrUnauthorized, ErrIPNotAllowed or ErrRateLimited where the
// message is recognised. Anything else matches
// callmyway.ErrMalformedResponse.
//
// loc is required (the provider's times carry no zone, so guessing one
// would shift every call): a nil loc is an error matching
// callmyway.ErrInvalidAccount. Pass the Account's Location.
func DecodePage(body []byte, loc *time.Location) ([]Record, error) {
	if loc == nil {
		return nil, fmt.Errorf("cdr: DecodePage: %w", &callmyway.AccountError{Field: "Location", Reason: "nil: the account's zone is required to read CDR times"})
	}
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, nil
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil, malformed(body, "not JSON: "+err.Error())
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return nil, nil
	case fastjson.TypeArray:
	case fastjson.TypeObject:
		if e := v.Get("error"); e != nil && e.Type() != fastjson.TypeNull {
			msg, _ := wire.Scalar(e)
			if msg == "" {
				msg = string(e.MarshalTo(nil))
			}
			err := provider.Error("cdr", 0, body, nil)
			if ae, ok := err.(*callmyway.APIError); ok && ae.Message == "" {
				ae.Message = msg
			}
			return nil, err
		}
		var inner *fastjson.Value
		for _, k := range []string{"cdrs", "data", "records"} {
			if inner = v.Get(k); inner != nil {
				break
			}
		}
		if inner == nil {
			return nil, malformed(body, "an object without cdrs or error")
		}
		switch inner.Type() {
		case fastjson.TypeNull:
			return nil, nil
		case fastjson.TypeArray:
			v = inner
		default:
			return nil, malformed(body, "cdrs is not an array")
		}
	default:
		return nil, malformed(body, "not an array or object")
	}
	items, _ := v.Array()
	recs := make([]Record, 0, len(items))
	for i, it := range items {
		r, err := decodeRecord(it, i, loc, false)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func malformed(body []byte, why string) error {
	err := provider.Error("cdr", 0, body, callmyway.ErrMalformedResponse)
	if ae, ok := err.(*callmyway.APIError); ok {
		ae.Message = "unreadable answer: " + why
	}
	return err
}
