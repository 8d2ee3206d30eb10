package homologation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// The hooks a scenario calls to make the CRM act, by name: the "hook" of
// a HookRequest.
const (
	HookSync     = "sync"     // Target.Sync: poll CallMyWay's CDRs now
	HookDial     = "dial"     // Target.Dial: click to dial as an agent's phone
	HookReassign = "reassign" // Target.Reassign: give a phone to another agent from a time
	HookOwner    = "owner"    // Target.Owner: the agent a call is credited to
)

// HookRequest is one call of a Target hook over HTTP: the JSON body
// RemoteHooks posts and HooksHandler reads.
//
//	{"hook":"sync"}
//	{"hook":"dial","agent":{"id":"5001","user":"8000002"},"number":"7000-0007"}
//	{"hook":"reassign","endpoint":{"id":"5003","user":"8000004"},"at":"2025-06-02T15:04:05Z"}
//	{"hook":"owner","callid":"17489012345670"}
//
// The zero HookRequest names no hook. It is a plain value, safe to copy
// and to share concurrently.
type HookRequest struct {
	Hook     string             `json:"hook"`
	Agent    callmyway.Endpoint `json:"agent,omitzero"`    // dial: the agent's phone
	Number   string             `json:"number,omitempty"`  // dial: the number to call, as an agent types it
	Endpoint callmyway.Endpoint `json:"endpoint,omitzero"` // reassign: the phone given to another agent
	At       time.Time          `json:"at,omitzero"`       // reassign: from when, on the provider's clock
	CallID   string             `json:"callid,omitempty"`  // owner: the call
}

// validate says what the request lacks, or nil.
func (q HookRequest) validate() error {
	switch q.Hook {
	case HookSync:
	case HookDial:
		if q.Agent.IsZero() || strings.TrimSpace(q.Number) == "" {
			return errors.New(`a dial hook needs "agent" and "number"`)
		}
	case HookReassign:
		if q.Endpoint.IsZero() || q.At.IsZero() {
			return errors.New(`a reassign hook needs "endpoint" and "at"`)
		}
	case HookOwner:
		if strings.TrimSpace(q.CallID) == "" {
			return errors.New(`an owner hook needs "callid"`)
		}
	case "":
		return errors.New(`no "hook"`)
	default:
		return fmt.Errorf("unknown hook %q (want sync, dial, reassign or owner)", q.Hook)
	}
	return nil
}

// HookResponse is the JSON answer of HooksHandler: the owner for an owner
// hook, the error when the hook failed.
//
// The zero HookResponse is a success with nothing to say. It is a plain
// value, safe to copy and to share concurrently.
type HookResponse struct {
	Owner string `json:"owner,omitempty"`
	Error string `json:"error,omitempty"`
}

// ErrHookNotImplemented means the CRM does not offer a hook (HTTP 501
// from HooksHandler, a nil function in the Target it serves). A scenario
// that needs the hook is skipped; without a sync hook the runner waits
// for the CRM's own CDR Syncer. A Go hook may return it too.
var ErrHookNotImplemented = errors.New("homologation: the CRM does not offer this hook")

// HookError is a hook the CRM answered with an error status (see
// HooksHandler). It unwraps to ErrHookNotImplemented for a 501.
//
// The zero HookError is no error. It is a plain value, safe to copy and
// to share concurrently.
type HookError struct {
	Hook    string // HookDial...
	Status  int    // the HTTP status
	Message string // the CRM's "error", or the start of its answer
}

func (e *HookError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	hint := ""
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		hint = " (the hooks need an admin's credentials: -ledger-header)"
	}
	return fmt.Sprintf("homologation: the CRM's %s hook answered HTTP %d: %s%s", e.Hook, e.Status, msg, hint)
}

// Unwrap returns ErrHookNotImplemented for a 501, else nil.
func (e *HookError) Unwrap() error {
	if e.Status == http.StatusNotImplemented {
		return ErrHookNotImplemented
	}
	return nil
}

// maxHookBody bounds a hook request and a hook answer.
const maxHookBody = 64 << 10

// HooksHandler serves the hooks of t (Sync, Dial, Reassign, Owner; its
// URLs are ignored) over HTTP, so that `cmw homologate -crm-hooks URL`
// (RemoteHooks) runs the scenarios that need the CRM to act: it is the
// HTTP form of the Target hooks a CRM's Go test gives in process.
//
// The contract: a POST with Content-Type application/json and a
// HookRequest body, answered with a JSON HookResponse:
//
//	200  the hook ran: {} or {"owner":"Ana Solís"}
//	400  the body is not a HookRequest, or lacks what its hook needs
//	405  not a POST (Allow: POST)
//	415  not JSON (a cross-site form post cannot send JSON)
//	501  t has no function for the hook: {"error":"..."}
//	422  the hook failed: {"error": the error's text}
//
// The hooks act as the CRM's staff would (a dial as any agent, a phone
// moved to a new agent): mount the handler behind the CRM's sign-in for
// admins only, and only on a CRM being certified. The runner sends the
// Target's LedgerHeader (an admin's session cookie, a bearer token) with
// every call. Requests may come concurrently: t's functions must be safe
// for concurrent use. Each runs with the request's context.
func HooksHandler(t Target) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer := func(status int, res HookResponse) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(res)
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			answer(http.StatusMethodNotAllowed, HookResponse{Error: "POST a JSON hook request"})
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			answer(http.StatusUnsupportedMediaType, HookResponse{Error: "want Content-Type: application/json"})
			return
		}
		var q HookRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxHookBody))
		if err := dec.Decode(&q); err != nil {
			answer(http.StatusBadRequest, HookResponse{Error: "the body is not a hook request: " + err.Error()})
			return
		}
		if dec.More() {
			answer(http.StatusBadRequest, HookResponse{Error: "the body holds more than one hook request"})
			return
		}
		if err := q.validate(); err != nil {
			answer(http.StatusBadRequest, HookResponse{Error: err.Error()})
			return
		}
		var res HookResponse
		var err error
		ctx := r.Context()
		switch {
		case q.Hook == HookSync && t.Sync != nil:
			err = t.Sync(ctx)
		case q.Hook == HookDial && t.Dial != nil:
			err = t.Dial(ctx, q.Agent, q.Number)
		case q.Hook == HookReassign && t.Reassign != nil:
			err = t.Reassign(ctx, q.Endpoint, q.At)
		case q.Hook == HookOwner && t.Owner != nil:
			res.Owner, err = t.Owner(ctx, q.CallID)
		default:
			err = ErrHookNotImplemented
		}
		switch {
		case errors.Is(err, ErrHookNotImplemented):
			answer(http.StatusNotImplemented, HookResponse{Error: "this CRM offers no " + q.Hook + " hook"})
		case err != nil:
			answer(http.StatusUnprocessableEntity, HookResponse{Error: err.Error()})
		default:
			answer(http.StatusOK, res)
		}
	})
}

// RemoteHooks returns a Target whose Sync, Dial, Reassign and Owner call
// the CRM's HooksHandler at url, sending header with every call (the
// credentials of an admin: usually the Target's LedgerHeader) through
// client (nil: one with a 2-minute timeout, as a sync may wait out the
// 4-second rule several times, that does not follow redirects). Set the Target's WebhookURL, LedgerURL
// and LedgerHeader before Run. A url that is not an absolute http or
// https URL is an error wrapping ErrTarget.
//
// A hook the CRM answers with an error status returns a *HookError; a
// 501 is ErrHookNotImplemented, and the scenario that needs the hook is
// skipped. A CRM that offers no sync hook is left to its own Syncer:
// give the Runner WithCDRWait long enough for it.
func RemoteHooks(url string, header http.Header, client *http.Client) (Target, error) {
	if err := checkURL("hooks URL", url); err != nil {
		return Target{}, err
	}
	if client == nil {
		// A redirect is the CRM sending the runner to its sign-in page:
		// an answer to report, not to follow.
		client = &http.Client{Timeout: 2 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	rh := &remoteHooks{url: url, header: header.Clone(), client: client}
	return Target{
		hooksURL: url,
		Sync: func(ctx context.Context) error {
			_, err := rh.call(ctx, HookRequest{Hook: HookSync})
			return err
		},
		Dial: func(ctx context.Context, agent callmyway.Endpoint, number string) error {
			_, err := rh.call(ctx, HookRequest{Hook: HookDial, Agent: agent, Number: number})
			return err
		},
		Reassign: func(ctx context.Context, ep callmyway.Endpoint, at time.Time) error {
			_, err := rh.call(ctx, HookRequest{Hook: HookReassign, Endpoint: ep, At: at.UTC()})
			return err
		},
		Owner: func(ctx context.Context, callid string) (string, error) {
			res, err := rh.call(ctx, HookRequest{Hook: HookOwner, CallID: callid})
			return res.Owner, err
		},
	}, nil
}

// remoteHooks calls a CRM's HooksHandler.
type remoteHooks struct {
	url    string
	header http.Header
	client *http.Client
}

func (h *remoteHooks) call(ctx context.Context, q HookRequest) (HookResponse, error) {
	var res HookResponse
	body, err := json.Marshal(q)
	if err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return res, fmt.Errorf("homologation: the %s hook: %w", q.Hook, err)
	}
	for k, vs := range h.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return res, fmt.Errorf("homologation: calling the CRM's %s hook: %w", q.Hook, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxHookBody))
	if err != nil {
		return res, fmt.Errorf("homologation: reading the CRM's %s hook answer: %w", q.Hook, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &HookError{Hook: q.Hook, Status: resp.StatusCode}
		if json.Unmarshal(b, &res) == nil && res.Error != "" {
			he.Message = res.Error
		} else {
			he.Message = strings.TrimSpace(string(b[:min(len(b), 512)]))
		}
		return HookResponse{}, he
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &res); err != nil {
			return res, fmt.Errorf("homologation: the CRM's %s hook answered HTTP %d with something that is not a hook response: %w", q.Hook, resp.StatusCode, err)
		}
	}
	return res, nil
}
