package homologation

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://crm:8080/cmw/hook/secret-token-123":  "http://crm:8080/cmw/hook/REDACTED",
		"http://user:pw@crm/hook/abcdefgh?token=x#f": "http://crm/hook/REDACTED",
		"http://crm/ledger/":                         "http://crm/ledger/",
		"http://crm/hook/short":                      "http://crm/hook/short",
		"::":                                         "(unparsable URL)",
		"%2f/ ":                                      "(not an absolute URL)",
		"mailto:secret-token-123":                    "(not an absolute URL)",
		"//p@/p@":                                    "(not an absolute URL)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRedactURL: a webhook URL's token (its last path segment of 8 bytes
// or more), its userinfo and its query never survive redaction.
func FuzzRedactURL(f *testing.F) {
	f.Add("http://crm:8080/cmw/hook/secret-token-123")
	f.Add("https://u:p@crm/h/tok%2Fen-0123456789?x=y")
	f.Fuzz(func(t *testing.T, s string) {
		out := redactURL(s)
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		// Judge the output as a URL, not as text: a path may hold the same
		// bytes as the userinfo ("//p@/p@" has user "p" and path "/p@").
		r, err := url.Parse(out)
		if err != nil {
			t.Fatalf("redactURL(%q) = %q, which does not parse: %v", s, out, err)
		}
		if u.Host != "" && u.Scheme != "" && (r.Host != u.Host || r.Scheme != u.Scheme) {
			t.Fatalf("redactURL(%q) = %q, which lost the scheme or host", s, out)
		}
		if r.User != nil {
			t.Fatalf("userinfo kept: %q -> %q", s, out)
		}
		if r.RawQuery != "" || r.Fragment != "" {
			t.Fatalf("query or fragment kept: %q -> %q", s, out)
		}
		path := strings.TrimRight(u.Path, "/")
		i := strings.LastIndex(path, "/")
		if i >= 0 && !strings.HasSuffix(s, "/") && len(path)-i-1 >= 8 {
			if seg := path[i+1:]; strings.HasSuffix(out, "/"+url.PathEscape(seg)) || strings.HasSuffix(out, "/"+seg) {
				t.Fatalf("token kept: %q -> %q", s, out)
			}
		}
	})
}

// TestDefaultZoneDiffersFromTheMachine: whatever this machine's zone, the
// default account's zone differs from it and from UTC, so the zone
// scenario never skips for want of a difference.
func TestDefaultZoneDiffersFromTheMachine(t *testing.T) {
	now := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{"UTC", "America/Costa_Rica", "America/Chicago", "America/Denver", "Asia/Kolkata", "Europe/Madrid"} {
		local, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("no zone database: %v", err)
		}
		for _, at := range []time.Time{now, now.AddDate(0, 6, 0)} {
			z := defaultZone(at, local)
			_, off := at.In(z).Zone()
			_, here := at.In(local).Zone()
			if off == here || off == 0 {
				t.Errorf("machine in %s at %s: default zone %s has the same offset %d as the machine or UTC", name, at.Format("2006-01"), z, off)
			}
		}
	}
	if z := defaultZone(now, time.UTC); z.String() != "America/Costa_Rica" {
		t.Errorf("on a UTC machine the default zone is %s, want America/Costa_Rica", z)
	}
	if z := defaultZone(now, time.FixedZone("CST", -6*3600)); z.String() != "Asia/Kolkata" {
		t.Errorf("on a machine six hours behind UTC the default zone is %s, want Asia/Kolkata", z)
	}
}
