// Package safetext makes untrusted text safe where the module writes it
// for people: spreadsheet cells (CSV formula injection) and terminals (log
// forging with line breaks and ANSI escapes).
package safetext

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// plainNumber matches a number a spreadsheet may read as is ("-12.50").
var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// CSVCell returns s ready for a CSV cell a spreadsheet will open: a cell
// that starts with = + - @, a tab or a carriage return (a formula to Excel,
// LibreOffice and Google Sheets) gets a leading apostrophe, unless it is a
// plain number such as "-12.50".
func CSVCell(s string) string {
	if s == "" || plainNumber.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CSVRow applies CSVCell to every cell of row, in place, and returns it.
func CSVRow(row []string) []string {
	for i, c := range row {
		row[i] = CSVCell(c)
	}
	return row
}

// Terminal returns s with every control character (line breaks, escape
// sequences, NUL...) and invalid UTF-8 written as a Go escape (\n, \x1b,
// \u2028), so a line printed for a person is one line and cannot fake
// another or drive the terminal.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\\' {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
	return strings.NewReplacer("\u2028", `\u2028`, "\u2029", `\u2029`).Replace(q)
}
