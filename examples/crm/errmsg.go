package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/number"
)

// Every error a reader can see is a message key, translated where it is
// shown: the stores return sentinel or typed errors, errorKeys maps them to
// keys, and a page reads a message from its URL only when it is a known key
// (flash). An error without a key is unexpected: logged, and answered
// "internal error" without its text.

// errorKeys translate the errors of the stores, of the number parser, of
// the ledger and of click to dial. The first match wins.
var errorKeys = []struct {
	err error
	key string
}{
	{errNotYourCall, "not_your_call"},
	{errAgentName, "err_agent_name"},
	{errMappingFields, "err_mapping_fields"},
	{errUnknownEndpoint, "err_unknown_endpoint"},
	{errMappingEnded, "err_mapping_ended"},
	{errEndDate, "err_end_date"},
	{errBadEndDate, "err_bad_end_date"},
	{errUnknownAgent, "err_unknown_agent"},
	{errUnknownResultCode, "err_unknown_result"},
	{errNoEndpoint, "err_no_endpoint"},
	{errResultRequired, "err_result_required"},
	{errChargeNegative, "err_charge_negative"},
	{errChargeNeedsContact, "err_charge_needs_contact"},
	{errBadDate, "err_bad_date"},
	{errAmountNegative, "err_charge_negative"}, // parseAmount's, before their errBadAmount
	{errAmountDecimals, "err_amount_decimals"},
	{errAmountTooLarge, "err_amount_too_large"},
	{errAmountFormat, "err_amount_format"},
	{errBadAmount, "err_bad_amount_value"},
	{calls.ErrNotFound, "err_unknown_call"},
	{errBadZone, "err_bad_zone"},
	{errBadLimit, "err_bad_limit"},
	{errNoOverAgt, "err_override_role"},
	{errNoReason, "err_override_reason"},
	{errNoCB, "err_no_callback"},
	{click2dial.ErrRefusedByPolicy, "refused_other"},
	{calls.ErrChargeConflict, "err_charge_conflict"},
	{click2dial.ErrCallInProgress, "dial_busy"},
	{click2dial.ErrUnknownCallerID, "err_unknown_caller_id"},
	{click2dial.ErrNotEndpoint, "err_no_endpoint"},
	{click2dial.ErrContactNotAllowed, "err_contact_not_allowed"},
	{click2dial.ErrHookFailed, "err_dial_hook"},
	{callmyway.ErrUnauthorized, "err_provider"},
	{callmyway.ErrIPNotAllowed, "err_provider"},
	{callmyway.ErrRateLimited, "err_provider_busy"},
	{callmyway.ErrMalformedResponse, "err_provider"},
}

// Errors of forms read by the handlers.
var (
	errBadDate   = errors.New("invalid date")
	errBadAmount = errors.New("invalid amount")
)

// errorKey is the message key of a known error; ok is false for an
// unexpected one (and for a *DuplicateError, which errorText words).
func errorKey(err error) (key string, ok bool) {
	for _, k := range customerErrorKeys {
		if errors.Is(err, k.err) {
			return k.key, true
		}
	}
	for _, k := range errorKeys {
		if errors.Is(err, k.err) {
			return k.key, true
		}
	}
	var api *callmyway.APIError
	var transport *callmyway.TransportError
	if errors.As(err, &api) || errors.As(err, &transport) {
		return "err_provider", true // logged by the client; the reader learns CallMyWay failed
	}
	return "", false
}

// errorText is a known error in the reader's language: a *DuplicateError
// names the other customer (and contact); ok is false for an unexpected
// error, whose text must not be shown.
func (a *App) errorText(l string, err error) (string, bool) {
	var dup *DuplicateError
	if errors.As(err, &dup) {
		if dup.Field == "number" {
			return fmt.Sprintf(translate(l, "warn_number_taken"), a.phone(dup.Value), dup.ContactName, dup.CustomerName), true
		}
		return fmt.Sprintf(translate(l, "err_document_taken"), dup.Value, dup.CustomerName), true
	}
	if k, ok := errorKey(err); ok {
		return translate(l, k), true
	}
	return "", false
}

// phone writes an E.164 number as the account's country does (national
// format at home, international abroad).
func (a *App) phone(e164 string) string {
	n, err := number.Parse(e164, a.cfg.Region)
	if err != nil {
		return e164
	}
	return n.National(a.cfg.Region)
}

// done redirects to `to` with the outcome as a message key: okKey, or the
// error's. An unexpected error is logged and answered 500.
func (a *App) done(w http.ResponseWriter, r *http.Request, to string, err error, okKey string) {
	key := okKey
	if err != nil {
		k, ok := errorKey(err)
		if !ok {
			a.fail(w, err)
			return
		}
		key = k
	}
	http.Redirect(w, r, to+"?msg="+url.QueryEscape(key), http.StatusSeeOther)
}

// flash is the page's message: the URL's msg when it is a known message
// key, translated, as an outcome (msg) or an error (errText); anything
// else in the URL is never echoed.
func flash(r *http.Request) (msg, errText string) {
	k := r.URL.Query().Get("msg")
	if _, ok := messages[k]; !ok {
		return "", ""
	}
	if strings.HasPrefix(k, "err_") || k == "dial_busy" || k == "not_your_call" {
		return "", translate(lang(r), k)
	}
	return translate(lang(r), k), ""
}

// jsonError answers a known error in the reader's language (403 for
// someone else's call, 404 for an unknown one, else 400); an unexpected
// error is logged and answered 500 with a translated generic message.
func (a *App) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	l := lang(r)
	text, ok := a.errorText(l, err)
	if !ok {
		a.log.ErrorContext(r.Context(), "crm: request failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": translate(l, "err_internal")})
		return
	}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, errNotYourCall), errors.Is(err, errNoOverAgt):
		status = http.StatusForbidden
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, errUnknownContact), errors.Is(err, errUnknownCustomer):
		status = http.StatusNotFound
	case errors.Is(err, errDuplicate):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": text})
}

// codeText translates a code of kind (dir, reason): messages["<kind>_<code>"],
// else the code as sent.
func codeText(l, kind, c string) string {
	if c == "" {
		return ""
	}
	if _, ok := messages[kind+"_"+c]; ok {
		return translate(l, kind+"_"+c)
	}
	return c
}
