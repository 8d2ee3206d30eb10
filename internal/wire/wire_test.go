package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
)

func TestScalar(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `123`: "123", `12.50`: "12.50", `null`: "", `" x "`: "x",
		`"a\"b"`: `a"b`, "\"\xcf\"": "\uFFFD"} {
		v, err := fastjson.Parse(in)
		require.NoError(t, err, in)
		got, err := Scalar(v)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	got, err := Scalar(nil)
	assert.NoError(t, err)
	assert.Empty(t, got)
	for _, in := range []string{`{}`, `[1]`, `true`} {
		v, _ := fastjson.Parse(in)
		_, err := Scalar(v)
		assert.Error(t, err, in)
	}
}

func TestParseIntString(t *testing.T) {
	for in, want := range map[string]int64{"42": 42, "": 0, "-3": -3, "12.0": 12, " 7 ": 7} {
		n, err := ParseIntString(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{"x", "1.5", "1e30"} {
		_, err := ParseIntString(in)
		assert.Error(t, err, in)
	}
}

func TestParseDecimalString(t *testing.T) {
	for in, want := range map[string]string{"0.15": "0.15", "": "0", "1e2": "100"} {
		d, err := ParseDecimalString(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, d.String(), in)
	}
	_, err := ParseDecimalString("abc")
	assert.Error(t, err)
}
