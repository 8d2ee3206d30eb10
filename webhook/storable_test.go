package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/valid"
)

// TestEventsTheLedgerCannotStoreAre400: every event the call ledger would
// refuse (internal/valid) is refused by the parser, so the handler answers
// 400 before any listener or store sees it: never a 500 retried for ever
// (issue 16 #11). Each case would otherwise reach the listener.
func TestEventsTheLedgerCannotStoreAre400(t *testing.T) {
	repl := func(old, new string) string {
		require.Contains(t, validStart, old)
		return strings.Replace(validStart, old, new, 1)
	}
	endpoint := func(v string) string { return repl(`"endpoint_id":"5001"`, `"endpoint_id":`+v) }
	long := strings.Repeat("5", valid.MaxIDLen+1)
	cases := []struct{ name, body, field string }{
		{"endpoint_id with a space", endpoint(`"50 01"`), "data.endpoint_id"},
		{"endpoint_id with a tab", endpoint(`"50\t01"`), "data.endpoint_id"},
		{"endpoint_id over 128 bytes", endpoint(`"` + long + `"`), "data.endpoint_id"},
		{"endpoint_id with a control character", endpoint(`"50\u001b01"`), "data.endpoint_id"},
		{"endpoint_id with a C1 control", endpoint(`"50\u008501"`), "data.endpoint_id"},
		{"endpoint_id with NUL", endpoint(`"50\u000001"`), "data.endpoint_id"},
		{"endpoint_id not UTF-8", endpoint("\"50\xff01\""), "data.endpoint_id"},
		{"ani over 1024 bytes", repl(`"ani":"50688887777"`, `"ani":"`+strings.Repeat("8", valid.MaxText+1)+`"`), "data.ani"},
		{"dnis over 1024 bytes", repl(`"dnis":"8000001"`, `"dnis":"`+strings.Repeat("8", valid.MaxText+1)+`"`), "data.dnis"},
		{"callid with a ledger prefix", repl(`"callid":"900000001"`, `"callid":"dial:900000001"`), "data.callid"},
		{"callid with the refusal prefix", repl(`"callid":"900000001"`, `"callid":"refusal:1"`), "data.callid"},
		{"callid over 128 bytes", repl(`"callid":"900000001"`, `"callid":"`+long+`"`), "data.callid"},
		{"callid over 128 bytes once escaped", repl(`"callid":"900000001"`, `"callid":"esc:`+long[:valid.MaxIDLen-7]+`"`), "data.callid"},
		{"callid with DEL", repl(`"callid":"900000001"`, `"callid":"9\u007f1"`), "data.callid"},
		{"cost with 13 decimals", repl(`"cost":0`, `"cost":"0.0000000000001"`), "data.cost"},
	}
	var reached int
	h, err := NewHandler(utc, ListenerFunc(func(ctx context.Context, ev Event) error {
		reached++
		return fmt.Errorf("a listener that cannot store %q", ev.Call.ID)
	}), quiet())
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(utc, []byte(c.body))
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, c.field, pe.Field)
			assert.ErrorIs(t, err, ErrInvalidEvent)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body)))
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
		})
	}
	assert.Zero(t, reached, "no refused event reached the listener")

	// At the limits, the same fields are accepted.
	for _, body := range []string{
		endpoint(`"` + long[1:] + `"`),
		endpoint(`""`),
		repl(`"ani":"50688887777"`, `"ani":"`+strings.Repeat("8", valid.MaxText)+`"`),
		repl(`"callid":"900000001"`, `"callid":"dialx:1"`),
		repl(`"callid":"900000001"`, `"callid":"esc:1"`), // the ledger keys it esc:esc:1
		repl(`"callid":"900000001"`, `"callid":"esc:`+long[:valid.MaxIDLen-8]+`"`),
		// account_id is not kept by the ledger: any length is accepted.
		repl(`"account_id":"3001"`, `"account_id":"`+strings.Repeat("3", valid.MaxText+1)+`"`),
		repl(`"cost":0`, `"cost":"0.000000000001"`),
		repl(`"cost":0`, `"cost":"0.1000000000000000"`),
	} {
		_, err := Parse(utc, []byte(body))
		assert.NoError(t, err, body)
	}
}

// TestTimesAfterYear9999InUTC: a time the parser reads in the account's
// zone must still fall in year 9999 in UTC, where the ledger keeps it.
func TestTimesAfterYear9999InUTC(t *testing.T) {
	west := callmyway.Account{Username: "8000001", Location: time.FixedZone("UTC-6", -6*3600), Region: "CR"}
	body := strings.Replace(validStart, "2017-06-01 13:45:09", "9999-12-31 23:00:00", 1)
	_, err := Parse(west, []byte(body))
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "data.detect_time", pe.Field)
	_, err = Parse(utc, []byte(body))
	assert.NoError(t, err, "the same time on a UTC account is year 9999")
}

// TestListenerRefusalIs400: a listener error that matches ErrInvalidEvent
// (an event it can never store) gets a 400, not a 500 retried for ever,
// and is not remembered as done; any other error stays a 500.
func TestListenerRefusalIs400(t *testing.T) {
	var refuse error
	calls := 0
	h, err := NewHandler(utc, ListenerFunc(func(ctx context.Context, ev Event) error {
		calls++
		return refuse
	}), quiet())
	require.NoError(t, err)
	send := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(validStart)))
		return w
	}
	refuse = fmt.Errorf("%w: %w", ErrInvalidEvent, errors.New("the store refuses endpoint 5001"))
	w := send()
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "the store refuses endpoint 5001")
	refuse = Listeners(ListenerFunc(func(context.Context, Event) error { return nil }),
		ListenerFunc(func(context.Context, Event) error { return &ParseError{Field: "data.ani", Reason: "not a number"} })).HandleEvent(t.Context(), Event{})
	assert.Equal(t, http.StatusBadRequest, send().Code)
	refuse = errors.New("database down")
	assert.Equal(t, http.StatusInternalServerError, send().Code)
	refuse = nil
	assert.Equal(t, http.StatusOK, send().Code, "a refused event was not remembered as done")
	assert.Equal(t, 4, calls)
}

// The webhook's own duration bound is within the ledger's.
func TestDurationBoundWithinTheLedgers(t *testing.T) {
	assert.LessOrEqual(t, MaxDurationSeconds*time.Second, valid.MaxDuration)
	assert.True(t, maxCost.LessThan(valid.MaxAmount))
}
