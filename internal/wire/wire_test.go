package wire

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `123`: "123", `12.50`: "12.50", `null`: "", `" x "`: "x"} {
		var s String
		require.NoError(t, json.Unmarshal([]byte(in), &s), in)
		assert.Equal(t, want, string(s), in)
	}
	var s String
	assert.Error(t, json.Unmarshal([]byte(`{}`), &s))
	assert.Error(t, json.Unmarshal([]byte(`[1]`), &s))
}

func TestInt(t *testing.T) {
	for in, want := range map[string]int64{`42`: 42, `"42"`: 42, `""`: 0, `null`: 0, `"-3"`: -3, `12.0`: 12, `"7 "`: 7} {
		var n Int
		require.NoError(t, json.Unmarshal([]byte(in), &n), in)
		assert.Equal(t, want, int64(n), in)
	}
	for _, in := range []string{`"x"`, `1.5`, `"1e30"`, `{}`, `true`} {
		var n Int
		assert.Error(t, json.Unmarshal([]byte(in), &n), in)
	}
}

func TestDecimal(t *testing.T) {
	for in, want := range map[string]string{`0.15`: "0.15", `"0.15"`: "0.15", `""`: "0", `null`: "0", `"1e2"`: "100"} {
		var d Decimal
		require.NoError(t, json.Unmarshal([]byte(in), &d), in)
		assert.Equal(t, want, d.String(), in)
	}
	var d Decimal
	assert.Error(t, json.Unmarshal([]byte(`"abc"`), &d))
}
