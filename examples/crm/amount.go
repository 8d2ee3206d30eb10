package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// Money typed by people: a charge is whole units with up to two decimals,
// the decimal mark a dot or a comma (the Spanish UI's), at most
// maxAmountDigits digits before it, and nothing else: no sign, no
// exponent, no thousands separators. decimal.NewFromString alone would
// take "1e3" as 1000 and "20.001" as a third decimal no ledger posts.

// maxAmountDigits bounds the whole part of an amount (999,999,999.99).
const maxAmountDigits = 9

// amountRe is an amount as parseAmount accepts it (ASCII digits only).
var amountRe = regexp.MustCompile(`^[0-9]{1,9}(?:[.,][0-9]{1,2})?$`)

// Errors of parseAmount: each is an errBadAmount (errors.Is), and each has
// its own translation (errorKeys), so the reader learns what to fix.
var (
	errAmountFormat   = fmt.Errorf("%w: digits with up to 2 decimals, no sign, exponent or separators", errBadAmount)
	errAmountDecimals = fmt.Errorf("%w: more than 2 decimals", errBadAmount)
	errAmountTooLarge = fmt.Errorf("%w: more than %d digits before the decimal mark", errBadAmount, maxAmountDigits)
	errAmountNegative = fmt.Errorf("%w: negative", errBadAmount)
)

// parseAmount reads an amount typed in a form. Surrounding spaces are
// ignored; an empty value is zero (no charge). Anything but
// `^\d{1,9}([.,]\d{1,2})?$` is refused with an error that matches
// errBadAmount and names the problem (errAmountNegative for a sign "-",
// errAmountDecimals, errAmountTooLarge, else errAmountFormat).
func parseAmount(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Zero, nil
	}
	if !amountRe.MatchString(s) {
		whole, frac, hasMark := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
		switch {
		case strings.HasPrefix(s, "-"):
			return decimal.Zero, errAmountNegative
		case !allDigits(whole) || hasMark && !allDigits(frac):
			return decimal.Zero, errAmountFormat
		case len(whole) > maxAmountDigits:
			return decimal.Zero, errAmountTooLarge
		case hasMark && len(frac) > 2:
			return decimal.Zero, errAmountDecimals
		}
		return decimal.Zero, errAmountFormat // "", "5.", ".5"
	}
	d, err := decimal.NewFromString(strings.Replace(s, ",", ".", 1))
	if err != nil { // unreachable after amountRe; kept so no error is dropped
		return decimal.Zero, errors.Join(errAmountFormat, err)
	}
	return d, nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
