package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/cdr"
)

// TestTableFormatStreams: the table format prints as it goes, a block of
// rows at a time, instead of holding a whole export in memory until the
// end. The csv, json and ndjson formats already stream.
func TestTableFormatStreams(t *testing.T) {
	var out bytes.Buffer
	w, err := newRecordWriter("table", &out)
	require.NoError(t, err)
	const n = 2500
	for i := range n {
		require.NoError(t, w.Write(cdr.Record{CallID: fmt.Sprintf("call-%05d", i), ANI: "50688881111", DNIS: "8000001"}))
		if i == 1199 {
			assert.Contains(t, out.String(), "call-00999", "the first 1,000 rows are printed before the export ends")
			assert.NotContains(t, out.String(), "call-01000")
		}
	}
	require.NoError(t, w.Close())
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	assert.Len(t, lines, n+1, "the header and every row")
	assert.True(t, strings.HasPrefix(lines[n], "call-02499"))
}
