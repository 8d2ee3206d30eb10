package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/cmwtest"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // the amount, fixed to 2 decimals; "" with err
		err  error
	}{
		{"", "0.00", nil},
		{"   ", "0.00", nil},
		{"0", "0.00", nil},
		{"20", "20.00", nil},
		{" 20 ", "20.00", nil},
		{"20.50", "20.50", nil},
		{"20,5", "20.50", nil},
		{"1500.25", "1500.25", nil},
		{"12,50", "12.50", nil},
		{"007", "7.00", nil},
		{"999999999.99", "999999999.99", nil},
		{"1e3", "", errAmountFormat},
		{"1E3", "", errAmountFormat},
		{"1e-2", "", errAmountFormat},
		{"-5", "", errAmountNegative},
		{"-0", "", errAmountNegative},
		{"+5", "", errAmountFormat},
		{"20.001", "", errAmountDecimals},
		{"1.500", "", errAmountDecimals},
		{"1,500.50", "", errAmountFormat},
		{"1.500,50", "", errAmountFormat},
		{"1000000000", "", errAmountTooLarge},
		{"abc", "", errAmountFormat},
		{"20.", "", errAmountFormat},
		{".5", "", errAmountFormat},
		{"0x10", "", errAmountFormat},
		{"NaN", "", errAmountFormat},
		{"Inf", "", errAmountFormat},
		{"2 0", "", errAmountFormat},
		{"٢٠", "", errAmountFormat}, // Arabic-Indic digits are not ASCII digits
		{"20\n", "20.00", nil},
	} {
		got, err := parseAmount(tc.in)
		if tc.err != nil {
			assert.ErrorIs(t, err, tc.err, "%q", tc.in)
			assert.ErrorIs(t, err, errBadAmount, "%q", tc.in)
			assert.True(t, got.IsZero(), "%q", tc.in)
			continue
		}
		if assert.NoError(t, err, "%q", tc.in) {
			assert.Equal(t, tc.want, got.StringFixed(2), "%q", tc.in)
		}
	}
}

// The disposition handler refuses an amount parseAmount refuses, with a
// 400 in the reader's language, and posts nothing.
func TestDispositionRefusesBadAmounts(t *testing.T) {
	app := newTestApp(t)
	ana := app.as(t, "ana")
	app.fake.ScriptNext(cmwtest.Script{Ring: 20 * time.Second, Talk: 20 * time.Second})
	code, body := ana.post(t, "/demo/inbound", url.Values{"kind": {"known"}})
	require.Equal(t, http.StatusOK, code, body)
	var r struct{ CallID string }
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	require.Eventually(t, func() bool { _, err := app.ledger.Get(context.Background(), r.CallID); return err == nil }, 5*time.Second, 10*time.Millisecond)
	contact, err := app.db.Search(context.Background(), "Marta", 1)
	require.NoError(t, err)
	require.Len(t, contact, 1)

	for _, tc := range []struct{ charge, es, en string }{
		{"1e3", "Monto inválido. Escriba solo cifras", "Invalid amount. Use digits only"},
		{"1E3", "Monto inválido. Escriba solo cifras", "Invalid amount. Use digits only"},
		{"-5", "El cargo no puede ser negativo", "The charge cannot be negative"},
		{"20.001", "como máximo 2 decimales", "at most 2 decimals"},
		{"abc", "Monto inválido. Escriba solo cifras", "Invalid amount. Use digits only"},
		{"1234567890", "como máximo 9 cifras", "at most 9 digits"},
	} {
		form := url.Values{"callid": {r.CallID}, "contact_id": {contact[0].ID}, "result": {"PAGO"}, "charge": {tc.charge}}
		code, body := ana.post(t, "/api/disposition", form)
		assert.Equal(t, http.StatusBadRequest, code, tc.charge)
		assert.Contains(t, body, tc.es, tc.charge)
		code, body = ana.post(t, "/api/disposition", form, "Accept-Language", "en")
		assert.Equal(t, http.StatusBadRequest, code, tc.charge)
		assert.Contains(t, body, tc.en, tc.charge)
	}
	call, err := app.ledger.Get(context.Background(), r.CallID)
	require.NoError(t, err)
	assert.Empty(t, call.Disps, "nothing was posted")

	code, body = ana.post(t, "/api/disposition", url.Values{"callid": {r.CallID}, "contact_id": {contact[0].ID}, "result": {"PAGO"}, "charge": {"20,5"}})
	require.Equal(t, http.StatusOK, code, body)
	call, err = app.ledger.Get(context.Background(), r.CallID)
	require.NoError(t, err)
	require.Len(t, call.Charges, 1)
	assert.Equal(t, "20.50", call.Charges[0].Amount.StringFixed(2))
}
