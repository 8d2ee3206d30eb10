package redact

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestRedactorString(t *testing.T) {
	r := New("p@ss 123")
	cases := map[string]string{
		"plain p@ss 123 text":         "plain REDACTED text",
		"q=1&password=p%40ss+123&x=2": "q=1&password=REDACTED&x=2",
		"path p@ss%20123":             "path REDACTED",
		"password=somethingelse done": "password=REDACTED done",
		`"PASSWORD=abc"`:              `"PASSWORD=REDACTED"`,
		"nothing to hide":             "nothing to hide",
	}
	for in, want := range cases {
		assert.Equal(t, want, r.String(in), in)
	}
}

func TestRedactorURL(t *testing.T) {
	r := New("12345678901")
	u, err := url.Parse("https://user:pw@example.com/getCdrs.php?username=1234567&password=12345678901&recent=1")
	assert.NoError(t, err)
	got := r.URL(u)
	assert.NotContains(t, got, "12345678901")
	assert.NotContains(t, got, "pw@")
	assert.Contains(t, got, "password=REDACTED")
	assert.Contains(t, got, "username=1234567")
	assert.Equal(t, "", r.URL(nil))
}

func TestZeroRedactor(t *testing.T) {
	var r Redactor
	assert.Equal(t, "a password=REDACTED b", r.String("a password=x b"))
}

// encodings are the forms a provider was seen (or may be expected) to
// echo a password in.
var encodings = map[string]func(string) string{
	"raw":         func(s string) string { return s },
	"query":       url.QueryEscape,
	"path":        url.PathEscape,
	"query lower": func(s string) string { return lowerPercent(url.QueryEscape(s)) },
	"path lower":  func(s string) string { return lowerPercent(url.PathEscape(s)) },
	"html":        html.EscapeString,
	"html php":    phpHTML,
	"json":        func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) },
	"json nohtml": jsonNoHTML,
	"php json":    phpJSON,
	"json upper u": func(s string) string {
		return regexp.MustCompile(`\\u[0-9a-f]{4}`).ReplaceAllStringFunc(phpJSON(s), func(u string) string { return `\u` + strings.ToUpper(u[2:]) })
	},
}

func lowerPercent(s string) string {
	return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(s, strings.ToLower)
}

// phpHTML is PHP's htmlspecialchars with ENT_QUOTES: &quot; and &#039;.
func phpHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#039;").Replace(s)
}

func jsonNoHTML(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// phpJSON is PHP's json_encode: "/" as "\/", every non-ASCII rune as
// \uXXXX (surrogate pairs beyond the BMP).
func phpJSON(s string) string {
	var b strings.Builder
	for _, r := range jsonNoHTML(s) {
		switch {
		case r == '/':
			b.WriteString(`\/`)
		case r > 0x7e:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, `\u%04x`, u)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestRedactorEveryEncoding(t *testing.T) {
	for _, pw := range []string{`ab/cd&ef+gh ij%kl"mn<op>'qr=st`, "páss/wörd€12345", "12345678901", "😀secret😀", `\\"/`, "a b"} {
		r := New(pw)
		for name, enc := range encodings {
			e := enc(pw)
			got := r.String("before " + e + " after")
			assert.NotContains(t, got, e, "%s of %q", name, pw)
			assert.Contains(t, got, Mask, "%s of %q", name, pw)
			assert.True(t, r.Contains("x"+e+"y"), "%s of %q", name, pw)
		}
	}
}

// FuzzRedactor: any password, echoed in any listed encoding inside any
// text, is gone after String.
func FuzzRedactor(f *testing.F) {
	f.Add(`ab/cd&ef+gh ij%kl"mn<op>'qr=st`, "<p>", "</p>")
	f.Add("páss/wörd€12345", `{"error":"`, `"}`)
	f.Add("12345678901", "url?password=", "&x=1")
	f.Fuzz(func(t *testing.T, pw, before, after string) {
		if pw == "" || len(pw) > 64 {
			return
		}
		r := New(pw)
		for name, enc := range encodings {
			if !utf8.ValidString(pw) && strings.HasPrefix(name, "json") || !utf8.ValidString(pw) && strings.HasPrefix(name, "php") || !utf8.ValidString(pw) && strings.HasPrefix(name, "html") {
				continue // these encodings cannot carry invalid UTF-8 unchanged
			}
			e := enc(pw)
			if strings.Contains(before+after, e) {
				continue
			}
			got := r.String(before + e + after)
			if slices.ContainsFunc(strings.Split(got, Mask), func(piece string) bool { return strings.Contains(piece, e) }) {
				t.Fatalf("%s form %q of %q survives in %q", name, e, pw, got)
			}
		}
	})
}
