// Package redact removes the account password from text, URLs and errors
// before they reach a caller, a log line or a formatted value.
//
// A provider may echo the password in any encoding, so a Redactor does not
// search for a list of encoded forms: it reads the text the way each
// encoding's reader would and masks every span that reads as the secret,
// whatever the secret's bytes (UTF-8 or not). A span may mix, byte by byte
// or character by character, any of these readings:
//
//   - the byte as is;
//   - a percent escape, in upper or lower case hex, and "+" for a space
//     (query, path and form escaping);
//   - an HTML character reference as an HTML5 parser reads it: every
//     named reference (the full WHATWG table, including those without a
//     semicolon), decimal or hex references with any leading zeros, the
//     Windows-1252 remapping of 0x80-0x9F (and, as naive decoders read
//     them, &#0; as NUL and &#128; to &#159; as C1 controls), an optional
//     final semicolon;
//   - a JSON, JavaScript or PHP string escape: "\/", "\"", "\\", "\'",
//     "\b", "\f", "\n", "\r", "\t", and "\uXXXX" in either case, with
//     surrogate pairs.
//
// A byte of the secret that is not UTF-8 may also have been replaced by
// U+FFFD, in any of the forms above, by a lossy encoder (encoding/json,
// PHP's JSON_INVALID_UTF8_SUBSTITUTE, strings.ToValidUTF8): a run of n such
// bytes matches 1 to n replacement characters.
//
// A numeric character reference longer than 63 bytes (that is, with dozens
// of leading zeros) is not read, and neither is a form that drops bytes.
package redact

import (
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Mask replaces every secret removed by a Redactor.
const Mask = "REDACTED"

// passwordParam matches a password query parameter in any text, so that a
// URL echoed by a server, a proxy or a lower layer is scrubbed even when the
// secret itself was not known (for example a password a fake server echoes).
var passwordParam = regexp.MustCompile(`(?i)(password=)[^&\s"'<>]*`)

// Redactor scrubs one secret. The zero value scrubs only password=
// parameters. A Redactor is immutable and safe for concurrent use.
type Redactor struct {
	m *matcher // nil: no secret
}

// New returns a Redactor for secret, which may hold any bytes.
func New(secret string) Redactor {
	if secret == "" {
		return Redactor{}
	}
	return Redactor{m: newMatcher(secret)}
}

// String returns s with the secret, in any encoding, and any password=
// parameter masked.
func (r Redactor) String(s string) string {
	if r.m != nil {
		if spans := find(r.m, s, true); len(spans) > 0 {
			s = mask(s, spans)
		}
	}
	return passwordParam.ReplaceAllString(s, "${1}"+Mask)
}

// Contains reports whether s holds the secret in any encoding.
func (r Redactor) Contains(s string) bool {
	return r.m != nil && len(find(r.m, s, false)) > 0
}

// ContainsBytes is Contains for a body, without copying it.
func (r Redactor) ContainsBytes(b []byte) bool {
	return r.m != nil && len(find(r.m, b, false)) > 0
}

// URL returns u as text with the password query parameter and the secret
// masked. A nil URL gives "".
func (r Redactor) URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if q := c.Query(); q.Has("password") {
		q.Set("password", Mask)
		c.RawQuery = q.Encode()
	}
	return r.String(c.String())
}

// mask replaces the union of spans (half-open, in any order) with Mask.
func mask(s string, spans [][2]int) string {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	b.Grow(len(s))
	done := 0 // s[:done] is written or masked
	for i := 0; i < len(spans); {
		start, end := spans[i][0], spans[i][1]
		for i++; i < len(spans) && spans[i][0] < end; i++ {
			end = max(end, spans[i][1])
		}
		b.WriteString(s[done:start])
		b.WriteString(Mask)
		done = end
	}
	b.WriteString(s[done:])
	return b.String()
}

// The matcher is a small automaton over the secret's bytes, run on the
// bytes the text reads as. Its state is k*3+sub: k bytes of the secret are
// matched; sub (1 or 2) counts the bytes of a U+FFFD read so far in place
// of an invalid run of the secret.
type matcher struct {
	pw     string
	runEnd []int     // runEnd[k] > 0: pw[k] is not UTF-8; its invalid run ends at runEnd[k]
	first  [256]bool // the bytes a match may start with
}

func newMatcher(pw string) *matcher {
	m := &matcher{pw: pw, runEnd: make([]int, len(pw))}
	for k := 0; k < len(pw); {
		if r, n := utf8.DecodeRuneInString(pw[k:]); r != utf8.RuneError || n != 1 {
			k += n
			continue
		}
		end := k
		for end < len(pw) {
			if r, n := utf8.DecodeRuneInString(pw[end:]); r != utf8.RuneError || n != 1 {
				break
			}
			end++
		}
		for ; k < end; k++ {
			m.runEnd[k] = end
		}
	}
	for _, c := range []byte{pw[0], '+', '%', '&', '\\', 0xEF} {
		m.first[c] = true
	}
	return m
}

// ring bounds the length of one reading (a unit) of the text: a span of at
// most ring-1 bytes that reads as a few bytes.
const ring = 64

// unit is one reading of the text at a position: n bytes of text read as
// b[:len].
type unit struct {
	n, len int
	b      [8]byte
}

type text interface{ ~string | ~[]byte }

type entry struct{ st, start int }

// pending holds the automaton states reached at the next ring-1 positions,
// each with the earliest start of a span that reaches it (a later start
// reaching the same state at the same position lies inside that span).
type pending struct {
	nst   int
	slots [ring][]entry
	index []int32 // (pos%ring)*nst+st: 1 + the index of the state in its slot, or 0
	count int     // states pending in all slots
	a, b  []int   // scratch state sets
}

func (p *pending) add(pos, st, start int) {
	i := pos % ring
	x := &p.index[i*p.nst+st]
	if *x != 0 {
		e := &p.slots[i][*x-1]
		e.start = min(e.start, start)
		return
	}
	p.slots[i] = append(p.slots[i], entry{st, start})
	*x = int32(len(p.slots[i]))
	p.count++
}

// find returns the spans of s that read as the secret: all of them (each
// ending where no earlier-starting span ends), or only the first found.
func find[T text](m *matcher, s T, all bool) [][2]int {
	var spans [][2]int
	var p *pending
	var units [4]unit
	accept := len(m.pw) * 3
	for j := 0; j <= len(s); j++ {
		var cur []entry
		if p != nil && p.count > 0 {
			i := j % ring
			cur = p.slots[i]
			for _, e := range cur {
				p.index[i*p.nst+e.st] = 0
			}
			p.count -= len(cur)
			p.slots[i] = cur[:0] // cur is still read below; no state is added to this slot before j+ring
			for _, e := range cur {
				if e.st == accept {
					spans = append(spans, [2]int{e.start, j})
					if !all {
						return spans
					}
				}
			}
		}
		if j == len(s) {
			break
		}
		seed := m.first[s[j]]
		if len(cur) == 0 && !seed {
			continue
		}
		if p == nil {
			p = &pending{nst: accept + 3}
			p.index = make([]int32, ring*p.nst)
		}
		nu := readUnits(s, j, &units)
		for ui := range nu {
			u := &units[ui]
			if seed {
				m.feed(p, 0, u, j, j)
			}
			for _, e := range cur {
				if e.st != accept {
					m.feed(p, e.st, u, j, e.start)
				}
			}
		}
	}
	return spans
}

// feed runs the automaton from state st over the bytes u reads as, and
// adds the states reached to the position after u.
func (m *matcher) feed(p *pending, st int, u *unit, j, start int) {
	if k := st / 3; u.len == 1 && st%3 == 0 && k < len(m.pw) && m.runEnd[k] == 0 {
		// The common case: one byte against a byte of UTF-8.
		if m.pw[k] == u.b[0] {
			p.add(j+u.n, st+3, start)
		}
		return
	}
	set := append(p.a[:0], st)
	next := p.b[:0]
	for _, c := range u.b[:u.len] {
		next = next[:0]
		for _, s := range set {
			next = m.step(next, s, c)
		}
		set, next = next, set
		if len(set) == 0 {
			break
		}
	}
	for _, s := range set {
		p.add(j+u.n, s, start)
	}
	p.a, p.b = set[:0], next[:0]
}

// step appends to dst the states reached from st on byte c.
func (m *matcher) step(dst []int, st int, c byte) []int {
	k, sub := st/3, st%3
	switch sub {
	case 0:
		if k < len(m.pw) {
			if m.pw[k] == c {
				dst = append(dst, (k+1)*3)
			}
			if m.runEnd[k] > 0 && c == 0xEF {
				dst = append(dst, k*3+1)
			}
		}
	case 1:
		if c == 0xBF {
			dst = append(dst, k*3+2)
		}
	case 2:
		// One U+FFFD stands for the next invalid byte, or for all the
		// rest of the run: so a run of n matches 1 to n of them.
		if c == 0xBD {
			dst = append(dst, (k+1)*3)
			if end := m.runEnd[k]; end > k+1 {
				dst = append(dst, end*3)
			}
		}
	}
	return dst
}

// readUnits stores in out the readings of s at j and returns how many.
func readUnits[T text](s T, j int, out *[4]unit) int {
	n := 0
	put := func(width int, b string) {
		u := unit{n: width}
		u.len = copy(u.b[:], b)
		out[n] = u
		n++
	}
	c := s[j]
	out[n] = unit{n: 1, len: 1, b: [8]byte{c}}
	n++
	switch c {
	case '+':
		put(1, " ")
	case '%':
		if j+2 < len(s) {
			if h, ok := unhex(s[j+1]); ok {
				if l, ok := unhex(s[j+2]); ok {
					out[n] = unit{n: 3, len: 1, b: [8]byte{h<<4 | l}}
					n++
				}
			}
		}
	case '&':
		if w, b, alt := readReference(s, j); w > 0 {
			put(w, b)
			if alt != "" {
				put(w, alt)
			}
		}
	case '\\':
		if w, b := readEscape(s, j); w > 0 {
			put(w, b)
		}
	}
	return n
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// windows1252 is how an HTML parser reads the references &#128; to &#159;.
var windows1252 = func() (t [32]string) {
	for i := range t {
		t[i] = html.UnescapeString("&#" + strconv.Itoa(0x80+i) + ";")
	}
	return t
}()

// readReference reads the HTML character reference at s[j] (an '&') as an
// HTML5 parser does in text, and returns its width and what it reads as;
// width 0 if there is none. A numeric reference an HTML5 parser remaps
// (&#0; and &#128; to &#159;) has a second reading, alt: its code point as
// a naive decoder reads it.
func readReference[T text](s T, j int) (width int, reading, alt string) {
	i := j + 1
	if i < len(s) && s[i] == '#' {
		i++
		isHex := i < len(s) && (s[i] == 'x' || s[i] == 'X')
		if isHex {
			i++
		}
		digits, v := i, 0
		for ; i < len(s) && i-j < ring-1; i++ {
			d, ok := unhex(s[i])
			if !ok || !isHex && d > 9 {
				break
			}
			if isHex {
				v = v*16 + int(d)
			} else {
				v = v*10 + int(d)
			}
			v = min(v, utf8.MaxRune+1) // saturate: a parser reads any larger number as U+FFFD
		}
		if i == digits || i-j >= ring-1 {
			return 0, "", "" // no digits, or too long to read here
		}
		if i < len(s) && s[i] == ';' {
			i++
		}
		switch {
		case 0x80 <= v && v <= 0x9F:
			return i - j, windows1252[v-0x80], string(rune(v))
		case v == 0:
			return i - j, "\uFFFD", "\x00"
		case 0xD800 <= v && v <= 0xDFFF || v > utf8.MaxRune:
			return i - j, "\uFFFD", ""
		}
		return i - j, string(rune(v)), ""
	}
	// A named reference: html reads the longest name of its table that
	// the letters and digits here (and a final ';') start with; names are
	// at most 32 bytes, so 40 is enough to read as html does.
	for i < len(s) && i-j < 41 && isAlnum(s[i]) {
		i++
	}
	if i < len(s) && i-j < 41 && s[i] == ';' {
		i++
	}
	span := string(s[j:i])
	got := html.UnescapeString(span)
	if got == span {
		return 0, "", ""
	}
	// got is what the reference reads as (one or two runes) followed by
	// the rest of span as is. No two-rune reference ends in the text it
	// reads as, so one rune is right whenever the rest of got ends span.
	_, n1 := utf8.DecodeRuneInString(got)
	if rest := got[n1:]; strings.HasSuffix(span, rest) && len(span)-len(rest) > 1 {
		return len(span) - len(rest), got[:n1], ""
	}
	_, n2 := utf8.DecodeRuneInString(got[n1:])
	rest := got[n1+n2:]
	if !strings.HasSuffix(span, rest) || len(span)-len(rest) <= 1 {
		return 0, "", ""
	}
	return len(span) - len(rest), got[:n1+n2], ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// readEscape reads the string escape at s[j] (a backslash) as JSON,
// JavaScript and PHP do, and returns its width and what it reads as; width
// 0 if there is none. A lone surrogate reads as U+FFFD, as encoding/json
// reads it.
func readEscape[T text](s T, j int) (int, string) {
	if j+1 >= len(s) {
		return 0, ""
	}
	switch s[j+1] {
	case '/', '"', '\\', '\'':
		return 2, string(rune(s[j+1]))
	case 'b':
		return 2, "\b"
	case 'f':
		return 2, "\f"
	case 'n':
		return 2, "\n"
	case 'r':
		return 2, "\r"
	case 't':
		return 2, "\t"
	case 'u':
		r, ok := hex4(s, j+2)
		if !ok {
			return 0, ""
		}
		if utf16.IsSurrogate(r) {
			if j+7 < len(s) && s[j+6] == '\\' && s[j+7] == 'u' {
				if r2, ok := hex4(s, j+8); ok {
					if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
						return 12, string(p)
					}
				}
			}
			return 6, "\uFFFD"
		}
		return 6, string(r)
	}
	return 0, ""
}

func hex4[T text](s T, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		d, ok := unhex(s[k])
		if !ok {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
