package redact

import (
	"net/url"
	"testing"

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
