package main

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxFormBytes bounds a form body the guard parses: the CRM's forms (a
// case file's notes are the largest) stay far below it.
const maxFormBytes = 1 << 20

// refuseUnstorableText answers 400 to a request whose query or form holds
// a NUL byte or invalid UTF-8, before any handler runs. PostgreSQL refuses
// both in a text column, an error the user would see as a 500 and retry
// for ever, while SQLite keeps them: one rule, on every store, for every
// page and API. The webhook is left to its own handler, which refuses the
// same text with its own 400 (webhook.Parse). Form bodies are read here,
// at most maxFormBytes, so handlers find them parsed.
func (a *App) refuseUnstorableText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, a.cfg.WebhookPath+"/") {
			next.ServeHTTP(w, r)
			return
		}
		bad := unstorable(r.URL.Query())
		if !bad && r.Method == http.MethodPost {
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if ct == "application/x-www-form-urlencoded" {
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				if err := r.ParseForm(); err != nil {
					http.Error(w, translate(lang(r), "bad_text"), http.StatusBadRequest)
					return
				}
				bad = unstorable(r.PostForm)
			}
		}
		if !bad {
			next.ServeHTTP(w, r)
			return
		}
		msg := translate(lang(r), "bad_text")
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json") {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
			return
		}
		a.render(w, r, http.StatusBadRequest, "error", &errorView{Title: "bad_text_title", Msg: msg})
	})
}

// unstorable reports whether a key or value of v holds a NUL byte or
// invalid UTF-8.
func unstorable(v url.Values) bool {
	for k, vs := range v {
		if !storable(k) {
			return true
		}
		for _, s := range vs {
			if !storable(s) {
				return true
			}
		}
	}
	return false
}

func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
