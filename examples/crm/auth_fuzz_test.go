package main

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzSessionCookie: no cookie value panics the parser, and only the
// exact value issued is accepted (any other value is refused).
func FuzzSessionCookie(f *testing.F) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := &sessions{key: []byte("0123456789abcdef0123456789abcdef"), ttl: time.Hour, now: func() time.Time { return now }}
	valid := s.issue("u42").Value
	f.Add(valid)
	f.Add("v1..")
	f.Add("v1.dTQyfDF8MQ.x")
	f.Add(strings.Replace(valid, "v1.", "v2.", 1))
	f.Fuzz(func(t *testing.T, value string) {
		id, _, err := s.parse(value)
		if err == nil && (value != valid || id != "u42") {
			t.Fatalf("accepted %q as %q", value, id)
		}
	})
}

// FuzzSafeNext: whatever "next" a sign-in link carries, the redirect stays
// on this site, as a browser would read it (tabs and line breaks removed).
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/calls?x=1", "//evil.example", `/\evil.example`, "/\t/evil.example", "https://evil.example", "/login"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(safeNext(next))
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the site", next, got)
		}
	})
}
