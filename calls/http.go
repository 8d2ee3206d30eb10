package calls

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// maxHTTPLimit bounds the calls one HTTP listing returns.
const maxHTTPLimit = 1000

// Handler returns a read-only HTTP handler over the ledger, to mount
// under a prefix with http.StripPrefix:
//
//	GET /{id}                       one call as JSON (404 if unknown)
//	GET /?from=RFC3339&to=RFC3339   the calls started in [from, to), as a JSON array
//	    [&agent=ID-or-username][&state=ringing][&limit=100]
//
// Refusals of the contact policy are not calls and are left out;
// state=refused lists them.
//
// A bad parameter is a 400 with {"error": "...", "param": "from"}. Only
// GET and HEAD are allowed. The handler authenticates no one: wrap it.
func (l *Ledger) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "", "method "+r.Method+" not allowed")
			return
		}
		if err := l.ok(); err != nil {
			writeError(w, http.StatusInternalServerError, "", err.Error())
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/")
		if id != "" {
			l.serveCall(w, r, id)
			return
		}
		l.serveList(w, r)
	})
}

func (l *Ledger) serveCall(w http.ResponseWriter, r *http.Request, id string) {
	c, err := l.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "id", "no call "+strconv.Quote(id))
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, "id", err.Error())
	case err != nil:
		writeError(w, http.StatusInternalServerError, "", "the ledger failed")
	default:
		writeJSON(w, http.StatusOK, c)
	}
}

func (l *Ledger) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var query Query
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &query.From}, {"to", &query.To}} {
		s := q.Get(p.name)
		if s == "" {
			writeError(w, http.StatusBadRequest, p.name, "missing: want an RFC 3339 time such as 2026-01-02T15:04:05Z")
			return
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			writeError(w, http.StatusBadRequest, p.name, strconv.Quote(s)+" is not an RFC 3339 time such as 2026-01-02T15:04:05Z")
			return
		}
		*p.t = t
	}
	if !query.From.Before(query.To) {
		writeError(w, http.StatusBadRequest, "to", "to is not after from")
		return
	}
	if a := q.Get("agent"); a != "" {
		query.Agent = callmyway.Endpoint{ID: a, User: a}
	}
	if s := q.Get("state"); s != "" {
		st, ok := ParseState(s)
		if !ok {
			writeError(w, http.StatusBadRequest, "state", strconv.Quote(s)+" is not requested, ringing, connected, ended, final or refused")
			return
		}
		query.State = st
	}
	query.Limit = 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxHTTPLimit {
			writeError(w, http.StatusBadRequest, "limit", strconv.Quote(s)+" is not a number from 1 to "+strconv.Itoa(maxHTTPLimit))
			return
		}
		query.Limit = n
	}
	out := []Call{}
	for c, err := range l.Calls(r.Context(), query) {
		if err != nil {
			var ie *InvalidError
			if errors.As(err, &ie) {
				writeError(w, http.StatusBadRequest, paramOf(ie.Field), err.Error())
				return
			}
			writeError(w, http.StatusInternalServerError, "", "the ledger failed")
			return
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// paramOf maps a Query field to its URL parameter.
func paramOf(field string) string {
	switch field {
	case "Query.From":
		return "from"
	case "Query.To":
		return "to"
	case "Query.Agent.ID", "Query.Agent.User", "Query.Agent":
		return "agent"
	}
	return strings.ToLower(strings.TrimPrefix(field, "Query."))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, param, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
		Param string `json:"param,omitempty"`
	}{msg, param})
}
