package redact

//go:generate go run gen_entities.go

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		"p@ss 12 p@ss 123p@ss 123":    "p@ss 12 REDACTEDREDACTED",
		"p@ss p@ss 123 123":           "p@ss REDACTED 123",
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
	assert.False(t, r.Contains("anything"))
	assert.False(t, r.ContainsBytes([]byte("anything")))
	assert.Equal(t, "x", New("").String("x"))
}

// TestRedactorAuditGaps holds the echoes an audit (issue 16) found
// unmasked, and their neighbours.
func TestRedactorAuditGaps(t *testing.T) {
	cases := []struct{ name, pw, echo string }{
		// (a) PHP htmlentities: named references beyond the six of HTML 4's markup.
		{"htmlentities", "páss/wörd€12345", "p&aacute;ss/w&ouml;rd&euro;12345"},
		{"htmlentities all named", "ü€", "&uuml;&euro;"},
		{"named without semicolon", "páss", "p&aacutess"},
		{"HTML5-only name", "a≠b", "a&ne;b"},
		{"two-rune reference", "x<\u20d2y", "x&nvlt;y"},
		{"upper-case name", "a&b", "a&AMP;b"},
		// (b) passwords that are not UTF-8, echoed in forms that keep their bytes.
		{"html, not UTF-8", "ab\xffcd&ef", "ab\xffcd&amp;ef"},
		{"php slash, not UTF-8", "ab\xff/cd", `ab` + "\xff" + `\/cd`},
		{"json raw, not UTF-8", "a\xfe\"b", "a\xfe\\\"b"},
		{"html lossy", "a\xffb", "a&#xFFFD;b"},
		{"json lossy per byte", "a\xff\xfeb", `a\ufffd\ufffdb`},
		{"lossy run collapsed", "a\xff\xfeb", "a\uFFFDb"},
		{"lossy percent", "a\xffb", "a%EF%BF%BDb"},
		{"only invalid bytes", "\xff\xfe", `\uFFFD`},
		// (c) fully escaped forms, with no plain run of the password.
		{"fully percent-escaped", "secret", "%73%65%63%72%65%74"},
		{"fully percent lower", "séc", "%73%c3%a9%63"},
		{"fully decimal references", "secret", "&#115;&#101;&#99;&#114;&#101;&#116;"},
		{"fully hex references", "secret", "&#x73;&#X65;&#x0063;&#x72&#x65;&#x74;"},
		{"fully \\u", "secret", `\u0073\u0065\u0063\u0072\u0065\u0074`},
		{"surrogate pair", "a😀b", `a\ud83d\uDE00b`},
		{"leading zeros", "ab", "&#00000097;&#x000062;"},
		{"windows-1252 reference", "a€b", "a&#128;b"},
		{"C1 code point naive", "a\u0080b", "a&#128;b"},
		{"mixed per byte", "é", "%C3\xa9"},
		{"space as plus", "a b c", "a+b%20c"},
		{"escaped quote", `a'b"c\d`, `a\'b\"c\\d`},
		{"control escapes", "a\tb\nc\rd\be\ff", `a\tb\nc\rd\be\ff`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(c.pw)
			text := "<p>" + c.echo + "</p>"
			assert.Equal(t, "<p>"+Mask+"</p>", r.String(text))
			assert.True(t, r.Contains(text))
			assert.True(t, r.ContainsBytes([]byte(text)))
		})
	}
}

// TestRedactorLeavesOtherText: text that reads as something else is kept.
func TestRedactorLeavesOtherText(t *testing.T) {
	cases := []struct{ pw, text string }{
		{"secret", "secre t, Secret, secre&#1161, &#115;ecre"},
		{"s", "&#4294967411; (U+FFFD; a wrapping 32-bit decoder would read it)"},
		{"s", "&#" + strings.Repeat("0", 70) + "115; (too long to read)"},
		{"¬in", "&notin; reads as one sign"},
		{"a\xffb", "ab a\xfeb a\xff\xffb"},
		{"a\xffb", "a\\ufffb"},
		{"x", "nothing"},
		{"%41", "A"},
	}
	for _, c := range cases {
		r := New(c.pw)
		assert.Equal(t, c.text, r.String(c.text), "%q in %q", c.pw, c.text)
		assert.False(t, r.Contains(c.text), "%q in %q", c.pw, c.text)
	}
}

// entities reads testdata/entities.txt (go generate): each WHATWG name and
// what html reads it as.
var entities = sync.OnceValue(func() map[string]string {
	f, err := os.Open("testdata/entities.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, cps, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			panic("bad line " + sc.Text())
		}
		var v strings.Builder
		for _, h := range strings.Fields(cps) {
			r, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				panic(err)
			}
			v.WriteRune(rune(r))
		}
		m[name] = v.String()
	}
	if err := sc.Err(); err != nil {
		panic(err)
	}
	return m
})

// entityNames maps a rune to the names (with ';') that read as it alone.
var entityNames = sync.OnceValue(func() map[rune][]string {
	names := map[rune][]string{}
	for name, v := range entities() {
		if r, n := utf8.DecodeRuneInString(v); n == len(v) && strings.HasSuffix(name, ";") {
			names[r] = append(names[r], "&"+name)
		}
	}
	for _, n := range names {
		sortStrings(n)
	}
	return names
})

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestEveryNamedReference: every name html knows is read, with and
// without the text around it.
func TestEveryNamedReference(t *testing.T) {
	all := entities()
	require.Greater(t, len(all), 2000)
	for name, v := range all {
		require.Equal(t, v, html.UnescapeString("&"+name), "testdata/entities.txt is stale: go generate")
		pw := "x" + v + "y"
		text := "<x&" + name + "y>"
		if !strings.HasSuffix(name, ";") {
			text = "<x&" + name + " y>"
			pw = "x" + v + " y"
		}
		assert.Equal(t, "<"+Mask+">", New(pw).String(text), "&%s", name)
	}
}

// wholeForms are the encoders a provider may echo a whole password with.
var wholeForms = map[string]func(string) string{
	"raw":         func(s string) string { return s },
	"query":       url.QueryEscape,
	"path":        url.PathEscape,
	"query lower": func(s string) string { return lowerPercent(url.QueryEscape(s)) },
	"path lower":  func(s string) string { return lowerPercent(url.PathEscape(s)) },
	"html":        html.EscapeString,
	"html php":    phpHTML,
	"htmlentities": func(s string) string {
		return mapSymbols(s, func(sym string, r rune) string {
			if names := entityNames()[r]; len(names) > 0 && r != utf8.RuneError {
				return names[0]
			}
			return sym
		})
	},
	"html decimal": func(s string) string {
		return mapSymbols(s, func(sym string, r rune) string { return fmt.Sprintf("&#%d;", r) })
	},
	"html hex": func(s string) string {
		return mapSymbols(s, func(sym string, r rune) string { return fmt.Sprintf("&#x%X;", r) })
	},
	"html lossy":  func(s string) string { return html.EscapeString(strings.ToValidUTF8(s, "\uFFFD")) },
	"raw lossy":   func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") },
	"json":        func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) },
	"json nohtml": jsonNoHTML,
	"php json":    phpJSON,
	"php json upper u": func(s string) string {
		return regexp.MustCompile(`\\u[0-9a-f]{4}`).ReplaceAllStringFunc(phpJSON(s), func(u string) string { return `\u` + strings.ToUpper(u[2:]) })
	},
	"php slash": func(s string) string { return strings.ReplaceAll(s, "/", `\/`) },
	"json raw bytes": func(s string) string {
		return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "/", `\/`, "\n", `\n`, "\t", `\t`).Replace(s)
	},
}

func lowerPercent(s string) string {
	return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(s, strings.ToLower)
}

// mapSymbols maps each rune of s (utf8.RuneError for a byte that is not
// UTF-8, with sym that byte) through f.
func mapSymbols(s string, f func(sym string, r rune) string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(f(s[i:i+n], r))
		i += n
	}
	return b.String()
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

// phpJSON is PHP's json_encode (with JSON_INVALID_UTF8_SUBSTITUTE): "/" as
// "\/", every non-ASCII rune as \uXXXX (surrogate pairs beyond the BMP).
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

var jsonEscapes = map[rune]string{'"': `\"`, '\\': `\\`, '/': `\/`, '\'': `\'`, '\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`}

// symbolForms returns every way the tests write one symbol of a password:
// a rune r (raw, its UTF-8) or a byte that is not UTF-8 (r is
// utf8.RuneError and raw that byte).
func symbolForms(raw string, r rune) []string {
	pct := func(s, format string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
	forms := []string{raw, pct(raw, "%%%02X"), pct(raw, "%%%02x")}
	if r == utf8.RuneError && len(raw) == 1 {
		// Lossy encoders write U+FFFD; &#0; reads as U+FFFD too.
		return append(forms, "\uFFFD", `\ufffd`, `\uFFFD`, "&#65533;", "&#xfffd;", "&#0;", "%EF%BF%BD", "&#x0;")
	}
	if r == ' ' {
		forms = append(forms, "+")
	}
	forms = append(forms, fmt.Sprintf("&#%d;", r), fmt.Sprintf("&#00%d;", r), fmt.Sprintf("&#x%x;", r), fmt.Sprintf("&#X%X;", r), fmt.Sprintf("&#x%X", r)+";")
	forms = append(forms, entityNames()[r]...)
	if e, ok := jsonEscapes[r]; ok {
		forms = append(forms, e)
	}
	var lower, upper strings.Builder
	for _, c := range utf16.Encode([]rune{r}) {
		fmt.Fprintf(&lower, `\u%04x`, c)
		fmt.Fprintf(&upper, `\u%04X`, c)
	}
	return append(forms, lower.String(), upper.String())
}

// mixedForm writes each symbol of pw in one of its forms, chosen by the
// bytes of choice in turn.
func mixedForm(pw string, choice []byte) string {
	var b strings.Builder
	i := 0
	mapSymbols(pw, func(sym string, r rune) string {
		forms := symbolForms(sym, r)
		c := 0
		if len(choice) > 0 {
			c = int(choice[i%len(choice)])
			i++
		}
		b.WriteString(forms[c%len(forms)])
		return ""
	})
	return b.String()
}

// survives reports whether e is still in out, outside the masks.
func survives(out, e string) bool {
	for _, piece := range strings.Split(out, Mask) {
		if strings.Contains(piece, e) {
			return true
		}
	}
	return false
}

func TestRedactorEveryEncoding(t *testing.T) {
	for _, pw := range []string{`ab/cd&ef+gh ij%kl"mn<op>'qr=st`, "páss/wörd€12345", "12345678901", "😀secret😀", `\\"/`, "a b", "ab\xffcd&ef", "\xe2\x82 x\xed\xa0\x80"} {
		r := New(pw)
		for name, enc := range wholeForms {
			e := enc(pw)
			got := r.String("before " + e + " after")
			assert.False(t, survives(got, e), "%s of %q: %q", name, pw, got)
			assert.Contains(t, got, Mask, "%s of %q", name, pw)
			assert.True(t, r.Contains("x"+e+"y"), "%s of %q", name, pw)
		}
		for c := range 64 {
			e := mixedForm(pw, []byte{byte(c), byte(c * 7), byte(c * 13)})
			got := r.String("before " + e + " after")
			assert.False(t, survives(got, e), "mix %d of %q: %q", c, pw, got)
		}
	}
}

// FuzzRedactor: any password bytes, echoed in any form (whole-password
// encoders, and every symbol in a form of its own), inside any text, are
// gone after String, and Contains and ContainsBytes see them.
func FuzzRedactor(f *testing.F) {
	f.Add(`ab/cd&ef+gh ij%kl"mn<op>'qr=st`, "<p>", "</p>", []byte{0, 1, 2})
	f.Add("páss/wörd€12345", `{"error":"`, `"}`, []byte{5, 9, 200})
	f.Add("12345678901", "url?password=", "&x=1", []byte{})
	f.Add("ab\xffcd&ef", "&", ";", []byte{1, 4, 7})
	f.Add("secret", `\`, "%", []byte{3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, pw, before, after string, choice []byte) {
		if pw == "" {
			return // nothing to hide
		}
		pw = pw[:min(len(pw), 64)]
		r := New(pw)
		check := func(name, e string) {
			text := before + e + after
			if got := r.String(text); survives(got, e) {
				t.Fatalf("%s form %q of %q survives in %q", name, e, pw, got)
			}
			if !r.Contains(text) || !r.ContainsBytes([]byte(text)) {
				t.Fatalf("%s form %q of %q not seen in %q", name, e, pw, text)
			}
		}
		for name, enc := range wholeForms {
			check(name, enc(pw))
		}
		check("mix", mixedForm(pw, choice))
	})
}

// BenchmarkContainsBytes: the check every answer goes through (CDR pages
// up to 32 MiB), on a JSON page without the secret.
func BenchmarkContainsBytes(b *testing.B) {
	row := `{"callid":"1700000000.1234","ani":"+33 1 23 45 67 89","dnis":"0123456789","url":"https:\/\/example.com\/r?a=1&amp;b=2","name":"Ren\u00e9 %20"},`
	body := []byte("[" + strings.Repeat(row, (1<<20)/len(row)) + "]")
	r := New("páss/wörd€12345")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if r.ContainsBytes(body) {
			b.Fatal("found")
		}
	}
}
