package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/cmwtest/homologation"
)

// A reason quoting a hostile CRM answer prints as one escaped line: no
// forged result line, no escape sequence reaching the terminal.
func TestHomologateResultsAreEscaped(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, printResults(&out, []homologation.Result{
		{Name: "duplicates", Verdict: homologation.Fail, Reason: "ledger answered \x1b[2J\nduplicates\tPASS\r"},
	}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, "header and one result: %q", out.String())
	assert.NotContains(t, out.String(), "\x1b")
	assert.NotContains(t, out.String(), "\r")
	assert.Contains(t, lines[1], `\x1b[2J\nduplicates\tPASS\r`)
}
