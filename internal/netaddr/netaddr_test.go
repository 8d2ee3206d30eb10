package netaddr

import (
	"errors"
	"net/netip"
	"testing"
)

func TestParsePrefixes(t *testing.T) {
	got, err := ParsePrefixes([]string{"203.0.113.7", " 10.1.2.3/8 ", "::1", "::ffff:192.0.2.1", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"203.0.113.7/32", "10.0.0.0/8", "::1/128", "192.0.2.1/32", "2001:db8::/32"}
	for i, p := range got {
		if p != netip.MustParsePrefix(want[i]) {
			t.Errorf("%d: got %v, want %v", i, p, want[i])
		}
	}
	if got, err := ParsePrefixes(nil); err != nil || len(got) != 0 {
		t.Errorf("empty list: %v, %v", got, err)
	}
	for _, bad := range []string{"nope", "", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/x"} {
		_, err := ParsePrefixes([]string{"127.0.0.1", bad})
		var e *Error
		if !errors.As(err, &e) || e.Entry != bad {
			t.Errorf("%q: got %v, want an *Error naming it", bad, err)
		}
	}
}

// FuzzParsePrefixes: any entry either parses to a masked prefix that
// contains the address written, or is an *Error naming that entry; never
// a panic.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "203.0.113.0/24", "::1", "::ffff:10.0.0.1", "10.1.2.3/8", "nope", "", " 1.2.3.4 ", "1.2.3.4/33"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		ps, err := ParsePrefixes([]string{entry})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Entry != entry {
				t.Fatalf("%q: error %v does not name the entry", entry, err)
			}
			return
		}
		if len(ps) != 1 || ps[0] != ps[0].Masked() {
			t.Fatalf("%q: got %v, want one masked prefix", entry, ps)
		}
	})
}
