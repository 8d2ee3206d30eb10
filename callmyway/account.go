package callmyway

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidAccount is matched by every *AccountError.
var ErrInvalidAccount = errors.New("callmyway: invalid account settings")

// Account is what every package needs to know about a CallMyWay account to
// read what the provider sends: its username, the zone its timestamps are
// written in, and the region of numbers written without a country code.
//
// It is given once: to New, which keeps it (Client.Account), and from
// there to webhook.NewHandler and webhook.Parse, the screenpop Tracker, the
// CDR stores and the fake (cmwtest). No other package has a zone or region
// option of its own, so a webhook handler reading times in another zone
// than the Client cannot be built.
//
// The zero Account is not valid: Location and Region must be set
// explicitly (time.UTC if the account really is on UTC). Account is a
// small value, safe to copy and to use from several goroutines
// concurrently.
type Account struct {
	// Username is the account's main CallMyWay username: a 7-digit number
	// in practice, the endpoint that queries and dials are billed to.
	// New requires it; a program that only receives webhooks may leave it
	// empty.
	Username string
	// Location is the zone CallMyWay writes the account's timestamps in
	// (they carry no zone), for example America/Costa_Rica. Required.
	Location *time.Location
	// Region is the ISO 3166-1 alpha-2 code ("CR", "MX") of phone numbers
	// written without a country code. Required.
	Region string
}

// AccountError names the Account field that is wrong. It matches
// ErrInvalidAccount.
//
// The zero AccountError names no field. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type AccountError struct {
	Field  string // "Username", "Location" or "Region"
	Reason string
}

// Error implements error.
func (e *AccountError) Error() string {
	return fmt.Sprintf("callmyway: Account.%s: %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalidAccount.
func (e *AccountError) Is(target error) bool { return target == ErrInvalidAccount }

// Validate reports the first field that is missing or wrong as an
// *AccountError. Every constructor that takes an Account calls it. An
// empty Username is valid here (New requires one).
func (a Account) Validate() error {
	switch {
	case strings.TrimSpace(a.Username) != a.Username || strings.ContainsAny(a.Username, "&=?#/\\ \t\r\n"):
		return &AccountError{Field: "Username", Reason: fmt.Sprintf("%q holds spaces or URL syntax", a.Username)}
	case a.Location == nil:
		return &AccountError{Field: "Location", Reason: "nil: set the account's zone, such as America/Costa_Rica (time.UTC if it really is UTC); CallMyWay times carry no zone"}
	case !IsRegion(a.Region):
		return &AccountError{Field: "Region", Reason: fmt.Sprintf("%q is not a supported ISO 3166-1 alpha-2 region code such as CR or MX", a.Region)}
	}
	return nil
}

// ParseTime parses a provider timestamp in the account's zone.
func (a Account) ParseTime(s string) (Time, error) { return ParseTime(s, a.Location) }

// String describes the account: "8000001 (America/Costa_Rica, CR)".
func (a Account) String() string {
	loc := "no zone"
	if a.Location != nil {
		loc = a.Location.String()
	}
	return fmt.Sprintf("%s (%s, %s)", a.Username, loc, a.Region)
}

// IsRegion reports whether r is a region code phone numbers can be read
// in (the regions of Google's libphonenumber, upper case).
func IsRegion(r string) bool {
	if len(r) != 2 || r[0] < 'A' || r[0] > 'Z' || r[1] < 'A' || r[1] > 'Z' {
		return false
	}
	return strings.Contains(regions, r+" ")
}

// regions are libphonenumber's supported regions, each followed by a
// space. A test in package number checks the list against
// nyaruka/phonenumbers, so this package need not link that library.
const regions = "AC AD AE AF AG AI AL AM AO AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GT GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TA TC TD TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW "
