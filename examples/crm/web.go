package main

import (
	"embed"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// noListing answers 404 for directories instead of listing them.
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (a *App) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(a.cfg.Loc).Format("2006-01-02 15:04:05")
}

func dayString(t time.Time, loc *time.Location) string {
	if t.IsZero() || t.Year() < 1971 {
		return ""
	}
	return t.In(loc).Format("2006-01-02")
}

func (a *App) fail(w http.ResponseWriter, err error) bool {
	if err == nil {
		return false
	}
	a.log.Error("crm: request failed", "error", err)
	// The reader's language is not known here: both, and never the error's text.
	http.Error(w, internalError, http.StatusInternalServerError)
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The status is sent: the client went away, or v cannot be encoded.
		slog.Warn("crm: writing a JSON answer", "error", err.Error())
	}
}

func (a *App) callsFilter(r *http.Request) CallsFilter {
	q := r.URL.Query()
	f := CallsFilter{AgentID: q.Get("agent"), CustomerID: q.Get("customer")}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("from"), a.cfg.Loc); err == nil {
		f.From = t
	} else {
		now := time.Now().In(a.cfg.Loc)
		f.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc).AddDate(0, 0, -7)
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("to"), a.cfg.Loc); err == nil {
		f.To = t.AddDate(0, 0, 1)
	} else {
		now := time.Now().In(a.cfg.Loc)
		f.To = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.cfg.Loc).AddDate(0, 0, 1)
	}
	if !f.From.Before(f.To) {
		// "from" after "to": read as the range the user meant, and say so.
		f.From, f.To = f.To.AddDate(0, 0, -1), f.From.AddDate(0, 0, 1)
		f.Reversed = true
	}
	f.Page = 1
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 {
		f.Page = p
	}
	return f
}

// internalError is the answer to an unexpected error, in both languages.
const internalError = "Error interno: intente de nuevo. · Internal error: try again."
