package callmyway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTime(t *testing.T) {
	cr, err := time.LoadLocation("America/Costa_Rica")
	require.NoError(t, err)
	got, err := ParseTime("2017-06-01 13:45:09", cr)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2017, 6, 1, 13, 45, 9, 0, cr), got.Time())
	assert.Equal(t, "2017-06-01 13:45:09", got.String())
	assert.Equal(t, cr, got.Location())

	leap, err := ParseTime("2024-02-29 00:00:00", nil)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, leap.Location())

	for _, zero := range []string{"", "1970-01-01 00:00:00", "0000-00-00 00:00:00"} {
		z, err := ParseTime(zero, cr)
		require.NoError(t, err, zero)
		assert.True(t, z.IsZero(), zero)
	}
}

func TestParseTimeRejects(t *testing.T) {
	for _, bad := range []string{
		"2017-06-01", "2017-06-01T13:45:09", "2017-13-01 00:00:00", "2017-02-29 00:00:00",
		"2017-04-31 00:00:00", "2017-06-00 00:00:00", "2017-06-01 24:00:00", "2017-06-01 00:60:00",
		"2017-06-01 00:00:60", "2017-06-01 00:00:0x", "２017-06-01 00:00:00", "2017/06/01 00:00:00",
		"2017-06-01 13:45:09Z", " 2017-06-01 13:45:0", "now",
	} {
		_, err := ParseTime(bad, nil)
		var te *TimeError
		require.ErrorAs(t, err, &te, bad)
		assert.Equal(t, bad, te.Input)
		assert.Contains(t, err.Error(), bad)
		assert.ErrorIs(t, err, ErrMalformedResponse)
	}
}

func TestTimeJSONRoundTrip(t *testing.T) {
	type rec struct {
		A Time `json:"a"`
		B Time `json:"b"`
		C Time `json:"c"`
	}
	var r rec
	require.NoError(t, json.Unmarshal([]byte(`{"a":"2017-06-01 13:45:09","b":"1970-01-01 00:00:00","c":null}`), &r))
	assert.Equal(t, "2017-06-01 13:45:09", r.A.String())
	assert.True(t, r.B.IsZero())
	assert.True(t, r.C.IsZero())
	out, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":"2017-06-01 13:45:09","b":"1970-01-01 00:00:00","c":"1970-01-01 00:00:00"}`, string(out))

	var back rec
	require.NoError(t, json.Unmarshal(out, &back))
	assert.True(t, back.A.Equal(r.A))
	assert.Error(t, json.Unmarshal([]byte(`{"a":12}`), &r))
	assert.Error(t, json.Unmarshal([]byte(`{"a":"yesterday"}`), &r))
}

func TestTimeIn(t *testing.T) {
	mx, err := time.LoadLocation("America/Mexico_City")
	require.NoError(t, err)
	u := MustParseTime("2017-06-01 13:45:09", nil)
	m := u.In(mx)
	assert.Equal(t, "2017-06-01 13:45:09", m.String(), "wall clock kept")
	assert.Equal(t, mx, m.Location())
	assert.False(t, u.Equal(m), "different instants")
	assert.True(t, Time{}.In(mx).IsZero())
	assert.True(t, NewTime(time.Unix(0, 0).UTC()).IsZero())
}

func TestTimeText(t *testing.T) {
	var tm Time
	require.NoError(t, tm.UnmarshalText([]byte("2020-01-02 03:04:05")))
	b, _ := tm.MarshalText()
	assert.Equal(t, "2020-01-02 03:04:05", string(b))
	assert.Error(t, tm.UnmarshalText([]byte("x")))
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2017-06-01 13:45:09", "", "1970-01-01 00:00:00", "0000-00-00 00:00:00",
		"2024-02-29 23:59:59", "2017-02-29 00:00:00", "9999-12-31 23:59:59", "2017-06-01T13:45:09"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s, time.UTC)
		ref, refErr := time.ParseInLocation(TimeLayout, s, time.UTC)
		if err != nil {
			var te *TimeError
			if !assert.ErrorAs(t, err, &te) || te.Input != s {
				t.Fatalf("error %v does not quote input %q", err, s)
			}
			if refErr == nil && len(s) == len(TimeLayout) && ref.Format(TimeLayout) == s {
				t.Fatalf("rejected %q which time.Parse accepts exactly", s)
			}
			return
		}
		if tm.IsZero() {
			return
		}
		if refErr != nil || !ref.Equal(tm.Time()) {
			t.Fatalf("ParseTime(%q)=%v, time.Parse=%v (%v)", s, tm, ref, refErr)
		}
		if tm.String() != s {
			t.Fatalf("round trip %q -> %q", s, tm.String())
		}
		b, _ := tm.MarshalJSON()
		var back Time
		if err := back.UnmarshalJSON(b); err != nil || !back.Equal(tm) {
			t.Fatalf("JSON round trip of %q: %v", s, err)
		}
	})
}

var benchTimes = []string{"2017-06-01 13:45:09", "2023-12-31 23:59:59", "2024-02-29 00:00:01", "2019-07-15 08:30:00"}

func BenchmarkParseTime(b *testing.B) {
	loc, _ := time.LoadLocation("America/Costa_Rica")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseTime(benchTimes[i%len(benchTimes)], loc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTimeBaseline(b *testing.B) {
	loc, _ := time.LoadLocation("America/Costa_Rica")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := time.ParseInLocation(TimeLayout, benchTimes[i%len(benchTimes)], loc); err != nil {
			b.Fatal(err)
		}
	}
}
