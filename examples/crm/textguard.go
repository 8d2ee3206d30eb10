package main

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/callmyway-go/sdk/internal/valid"
)

// maxFormBytes bounds a form body the guard parses: the CRM's forms (a
// case file's notes are the largest) stay far below it.
const maxFormBytes = 1 << 20

// refuseUnstorableText answers 400 to a request whose path, query or
// form holds a NUL byte or invalid UTF-8, before any handler runs.
// PostgreSQL refuses both in a text column, an error the user would see
// as a 500 and retry for ever, while SQLite keeps them: one rule, on every
// store, for every page and API. The webhook is left to its own handler,
// which refuses the same text with its own 400 (webhook.Parse). Form
// bodies, url-encoded or multipart (the console's scripts post FormData,
// static/dom.js), are read here, at most maxFormBytes (else 413), so
// handlers find them parsed. On /api/ paths, or when JSON is accepted,
// the refusal is JSON ({"error": ...}), else a page.
func (a *App) refuseUnstorableText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, a.cfg.WebhookPath+"/") {
			next.ServeHTTP(w, r)
			return
		}
		bad := !storable(r.URL.Path) || unstorable(r.URL.Query())
		if !bad && r.Method == http.MethodPost {
			var err error
			bad, err = unstorableForm(w, r)
			if err != nil {
				if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
					a.refuse(w, r, http.StatusRequestEntityTooLarge, "form_too_large_title", "form_too_large")
					return
				}
				bad = true // malformed: no handler could read it either
			}
			if r.MultipartForm != nil {
				defer r.MultipartForm.RemoveAll()
			}
		}
		if bad {
			a.refuse(w, r, http.StatusBadRequest, "bad_text_title", "bad_text")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unstorableForm parses a url-encoded or multipart form body, at most
// maxFormBytes, and reports whether a name, value or file name in it
// holds unstorable text. Other bodies are left to their handler.
func unstorableForm(w http.ResponseWriter, r *http.Request) (bool, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return false, err
		}
		return unstorable(r.PostForm), nil
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return false, err
		}
		if unstorable(r.MultipartForm.Value) {
			return true, nil
		}
		for k, fs := range r.MultipartForm.File {
			if !storable(k) {
				return true, nil
			}
			for _, f := range fs {
				if !storable(f.Filename) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// refuse answers status with the message msg titled title (i18n keys):
// JSON on /api/ paths or when JSON is accepted, else the error page.
func (a *App) refuse(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	m := translate(lang(r), msg)
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, status, map[string]string{"error": m})
		return
	}
	a.render(w, r, status, "error", &errorView{Title: title, Msg: m})
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

// storable reports whether s is text every store keeps as is: the rule of
// internal/valid.Text, the one the ledger and the webhook apply.
func storable(s string) bool { return valid.Text(s, maxFormBytes) == nil }
