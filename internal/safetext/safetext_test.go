package safetext

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1+1": "'+1+1", "-2+3": "'-2+3", "@SUM(A1)": "'@SUM(A1)",
		"\t=1": "'\t=1", "\r=1": "'\r=1", "Solís": "Solís", "-12.50": "-12.50", "50688887777": "50688887777", "": "",
	} {
		assert.Equal(t, want, CSVCell(in), in)
	}
}

func TestTerminal(t *testing.T) {
	forged := "x\n2026-11-25T00:00:00Z callStart callid=forged\x1b[31m"
	got := Terminal(forged)
	assert.NotContains(t, got, "\n")
	assert.NotContains(t, got, "\x1b")
	assert.Contains(t, got, `\n`)
	assert.Equal(t, "plain 8888-7777 Solís", Terminal("plain 8888-7777 Solís"))
	assert.Equal(t, `a\u2028b`, Terminal("a\u2028b"))
	assert.Equal(t, `bad\xff`, Terminal("bad\xff"))
}

func FuzzTerminal(f *testing.F) {
	f.Add("x\ny\x1b[2J\u2028\x00")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range Terminal(s) {
			if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("control %U left in %q", r, Terminal(s))
			}
		}
		if !strings.ContainsAny(s, "\\") && Terminal(s) == s && strings.IndexFunc(s, unicode.IsControl) >= 0 {
			t.Fatalf("unchanged %q", s)
		}
	})
}
