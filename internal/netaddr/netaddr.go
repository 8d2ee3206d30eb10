// Package netaddr reads the IP allow lists of the module (the webhook's
// allowed senders, the fake's allowed clients, the CLI's -allow flag).
package netaddr

import (
	"fmt"
	"net/netip"
	"strings"
)

// Error reports an entry of a list that is neither an IP address nor a
// CIDR prefix. Err is netip's reason.
type Error struct {
	Entry string
	Err   error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%q is not an IP address or CIDR prefix (such as 203.0.113.7 or 203.0.113.0/24)", e.Entry)
}

// Unwrap returns netip's error.
func (e *Error) Unwrap() error { return e.Err }

// ParsePrefixes reads a list of bare IP addresses ("203.0.113.7", "::1")
// and CIDR prefixes ("203.0.113.0/24"), ignoring spaces around each entry.
// A bare address becomes a single-address prefix (an IPv4-mapped IPv6
// address its IPv4 form); a prefix is masked (10.1.2.3/8 is 10.0.0.0/8).
// The first entry that is neither, empty ones included, is reported as an
// *Error naming it.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, entry := range list {
		s := strings.TrimSpace(entry)
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, &Error{Entry: entry, Err: err}
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, &Error{Entry: entry, Err: err}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
