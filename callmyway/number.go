package callmyway

import (
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Number is a phone number as CallMyWay or a CRM wrote it, with its E.164
// form. A withheld caller ID (empty, "anonymous", "private"...) is a Number
// with Withheld set and no E.164.
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

// ParseNumber normalises raw to E.164 with nyaruka/phonenumbers, reading a
// number without a country code as one of region (an ISO 3166 code such as
// "CR" or "MX"). Withheld caller IDs give a Number with Withheld set and no
// error. A number that cannot be parsed or is not valid for its region
// gives a *NumberError (errors.Is(err, ErrInvalidNumber)). Numbers that
// start with 00 or + are read as international.
func ParseNumber(raw, region string) (Number, error) {
	key := numberKey{raw, region}
	numbers.mu.RLock()
	r, ok := numbers.m[key]
	numbers.mu.RUnlock()
	if ok {
		return r.n, r.err
	}
	n, err := parseNumber(raw, region)
	numbers.mu.Lock()
	if len(numbers.m) >= numberCacheSize {
		clear(numbers.m) // simple bound; the working set of caller ids refills it
	}
	numbers.m[key] = numberResult{n, err}
	numbers.mu.Unlock()
	return n, err
}

// numbers caches ParseNumber: phonenumbers is regexp-heavy (tens of µs per
// number) and a CRM sees the same caller ids again and again.
var numbers = struct {
	mu sync.RWMutex
	m  map[numberKey]numberResult
}{m: map[numberKey]numberResult{}}

const numberCacheSize = 20_000

type numberKey struct{ raw, region string }

type numberResult struct {
	n   Number
	err error
}

func parseNumber(raw, region string) (Number, error) {
	n := Number{Raw: strings.TrimSpace(raw)}
	if IsWithheld(n.Raw) {
		n.Withheld = true
		return n, nil
	}
	if len(n.Raw) > 64 {
		return n, &NumberError{Input: raw, Region: region, Reason: "too long"}
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "" {
		region = "ZZ" // unknown: only international forms parse
	}
	s := n.Raw
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	p, err := phonenumbers.Parse(s, region)
	if err != nil {
		return n, &NumberError{Input: raw, Region: region, Reason: err.Error()}
	}
	if !phonenumbers.IsValidNumber(p) {
		return n, &NumberError{Input: raw, Region: region, Reason: "not a valid number"}
	}
	n.E164 = phonenumbers.Format(p, phonenumbers.E164)
	return n, nil
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

// SameNumber reports whether two raw numbers are the same phone number in
// region: equal E.164 forms, or equal digits when one of them does not
// parse. Withheld numbers never match anything.
func SameNumber(a, b, region string) bool {
	na, errA := ParseNumber(a, region)
	nb, errB := ParseNumber(b, region)
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
