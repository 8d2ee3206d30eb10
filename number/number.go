// Package number reads phone numbers as CallMyWay and CRMs write them and
// normalises them to E.164, with Google's libphonenumber rules
// (github.com/nyaruka/phonenumbers).
//
// It is a package of its own so that a program that only receives
// webhooks does not link libphonenumber's metadata (several megabytes):
// package callmyway and package webhook do not import it.
//
// Numbers written without a country code are read in a region, normally
// the account's: number.Parse(raw, client.Account().Region).
package number

import (
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/callmyway-go/sdk/callmyway"
)

// Number is a phone number as CallMyWay or a CRM wrote it, with its E.164
// form. A withheld caller ID (empty, "anonymous", "private"...) is a Number
// with Withheld set and no E.164. The zero Number is a withheld number
// with no text. Number is a comparable value, safe to copy and to use
// concurrently.
type Number struct {
	Raw      string // as given, trimmed
	E164     string // "+50688887777"; empty when Withheld
	Withheld bool   // the caller withheld the number or none was sent
}

// withheldForms are caller-ID texts that mean "no number", lower case.
var withheldForms = map[string]bool{
	"": true, "anonymous": true, "anonimo": true, "anónimo": true, "private": true,
	"privado": true, "restricted": true, "unknown": true, "desconocido": true,
	"withheld": true, "unavailable": true, "null": true, "0": true, "-": true,
}

// IsWithheld reports whether raw is a withheld or empty caller ID.
func IsWithheld(raw string) bool {
	return withheldForms[strings.ToLower(strings.TrimSpace(raw))]
}

// Parse normalises raw to E.164, reading a number without a country code
// as one of region (an ISO 3166 code such as "CR" or "MX"; "" reads only
// international forms). Withheld caller IDs give a Number with Withheld set
// and no error. A number that cannot be parsed, holds letters (a keypad
// word such as 8888-ABCD is refused, not dialled as digits), or is not
// valid for its region gives a *callmyway.NumberError matching
// callmyway.ErrInvalidNumber. Numbers that start with 00 or + are read as
// international. Parse is safe for concurrent use; results are cached.
func Parse(raw, region string) (Number, error) {
	if len(raw)+len(region) > maxCachedKey {
		return parse(raw, region) // never a phone number: not worth a cache entry
	}
	key := numberKey{raw, region}
	numbers.mu.RLock()
	r, ok := numbers.m[key]
	numbers.mu.RUnlock()
	if ok {
		return r.n, r.err
	}
	n, err := parse(raw, region)
	numbers.mu.Lock()
	if len(numbers.m) >= numberCacheSize {
		clear(numbers.m) // simple bound; the working set of caller ids refills it
	}
	numbers.m[key] = numberResult{n, err}
	numbers.mu.Unlock()
	return n, err
}

// numbers caches Parse: phonenumbers is regexp-heavy (tens of µs per
// number) and a CRM sees the same caller ids again and again.
var numbers = struct {
	mu sync.RWMutex
	m  map[numberKey]numberResult
}{m: map[numberKey]numberResult{}}

const numberCacheSize = 20_000

// maxCachedKey bounds the bytes of input (raw and region) a cache entry
// keeps: longer input is parsed every time. A phone number, even padded or
// with an extension, is far shorter, and the cache's memory stays about
// numberCacheSize × maxCachedKey whatever callers pass (a webhook's ani
// may be up to the body limit, tens of KiB).
const maxCachedKey = 128

type numberKey struct{ raw, region string }

type numberResult struct {
	n   Number
	err error
}

func parse(raw, region string) (Number, error) {
	n := Number{Raw: strings.TrimSpace(raw)}
	if IsWithheld(n.Raw) {
		n.Withheld = true
		return n, nil
	}
	if len(n.Raw) > 64 {
		return n, &callmyway.NumberError{Input: raw, Region: region, Reason: "too long"}
	}
	if i := strings.IndexFunc(n.Raw, unicode.IsLetter); i >= 0 {
		return n, &callmyway.NumberError{Input: raw, Region: region, Reason: "letters are not allowed in a phone number"}
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		region = "ZZ" // unknown: only international forms parse
	} else if !callmyway.IsRegion(region) {
		return n, &callmyway.NumberError{Input: raw, Region: region, Reason: "unsupported region code"}
	}
	s := n.Raw
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	p, err := phonenumbers.Parse(s, region)
	if err != nil {
		return n, &callmyway.NumberError{Input: raw, Region: region, Reason: err.Error()}
	}
	if !phonenumbers.IsValidNumber(p) {
		return n, &callmyway.NumberError{Input: raw, Region: region, Reason: "not a valid number"}
	}
	n.E164 = phonenumbers.Format(p, phonenumbers.E164)
	return n, nil
}

// National returns the number as people of its country write it
// ("8888 7777" for +50688887777), with the country code when region is
// another country's ("+506 8888 7777" read from Mexico). It is the raw
// form for a withheld number or one that does not parse.
func (n Number) National(region string) string {
	if n.Withheld || n.E164 == "" {
		return n.Raw
	}
	p, err := phonenumbers.Parse(n.E164, "")
	if err != nil {
		return n.E164
	}
	if phonenumbers.GetRegionCodeForNumber(p) == strings.ToUpper(region) {
		return phonenumbers.Format(p, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(p, phonenumbers.INTERNATIONAL)
}

// Digits returns the E.164 form without the leading "+", the form sent to
// CallMyWay in click-to-dial requests. It is empty for a withheld number.
func (n Number) Digits() string { return strings.TrimPrefix(n.E164, "+") }

// String returns the E.164 form, or the raw form when withheld.
func (n Number) String() string {
	if n.Withheld {
		if n.Raw == "" {
			return "withheld"
		}
		return n.Raw
	}
	return n.E164
}

// Same reports whether two raw numbers are the same phone number in
// region: equal E.164 forms, or equal digits when one of them does not
// parse. Withheld numbers never match anything.
func Same(a, b, region string) bool {
	na, errA := Parse(a, region)
	nb, errB := Parse(b, region)
	if na.Withheld || nb.Withheld {
		return false
	}
	if errA == nil && errB == nil {
		return na.E164 == nb.E164
	}
	da, db := onlyDigits(a), onlyDigits(b)
	return da != "" && da == db
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
