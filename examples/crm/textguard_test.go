package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/internal/pgtest"
)

// TestUnstorableTextIsRefusedOnEveryStore: a NUL byte or invalid UTF-8 in
// a path, a query or a form (url-encoded or multipart) gets the same
// translated 400 on SQLite and on PostgreSQL (which refuses both in a
// text column: a 500 before), and nothing is stored; accented text is
// kept; a form over maxFormBytes gets 413, JSON where JSON is expected.
func TestUnstorableTextIsRefusedOnEveryStore(t *testing.T) {
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "crm.db") },
		"postgres": func(t *testing.T) string { return pgtest.Schema(t) },
	} {
		t.Run(name, func(t *testing.T) {
			app := newTestAppOn(t, slog.New(slog.DiscardHandler), db(t))
			ana := app.as(t, "ana")
			before, err := app.db.Customers(context.Background())
			require.NoError(t, err)

			for _, bad := range []string{"Ana\x00Solís", "Ana \xff Solís", "\x00"} {
				code, body := ana.post(t, "/customers?lang=en", url.Values{"customer": {bad}, "contact": {"Ana"}, "number": {"8555-0101"}})
				assert.Equal(t, http.StatusBadRequest, code, "%q: %s", bad, body)
				assert.Contains(t, body, "contains a NUL character or is not valid UTF-8", "%q", bad)
				assert.Contains(t, body, "<title>Invalid text ·", "the page is titled for the error")
				code, body = ana.post(t, "/customers?lang=es", url.Values{"customer": {"Ana"}, "contact": {bad}, "number": {"8555-0101"}})
				assert.Equal(t, http.StatusBadRequest, code, "%q: %s", bad, body)
				assert.Contains(t, body, "contiene un carácter nulo", "Spanish by default")
				code, body = ana.get(t, "/api/search?q="+url.QueryEscape(bad))
				assert.Equal(t, http.StatusBadRequest, code, "%q: %s", bad, body)
				assert.Contains(t, body, `"error":`)
				code, _ = app.post(t, "/login", url.Values{"username": {bad}, "password": {"x"}})
				assert.Equal(t, http.StatusBadRequest, code, "%q at sign-in", bad)
			}
			super, admin := app.as(t, "super"), app.as(t, "admin")
			for _, seg := range []string{"%00", "%FF", "Ana%00", "a%C3"} {
				for _, c := range []struct {
					who    *testApp
					method string
					path   string
				}{
					{ana, "GET", "/customers/" + seg},
					{ana, "POST", "/customers/" + seg},
					{ana, "POST", "/customers/" + seg + "/policy"},
					{ana, "POST", "/customers/" + seg + "/contacts"},
					{ana, "POST", "/customers/c1/contacts/" + seg + "/numbers"},
					{admin, "POST", "/agents/mappings/" + seg + "/end"},
					{admin, "POST", "/users/" + seg + "/role"},
				} {
					var form url.Values
					if c.method == "POST" {
						form = url.Values{"contact": {"Ana"}, "name": {"Ana"}, "number": {"8555-0101"}, "role": {"agent"}}
					}
					code, body := c.who.do(t, c.method, c.path+"?lang=en", form, "Content-Type", "application/x-www-form-urlencoded")
					assert.Equal(t, http.StatusBadRequest, code, "%s %s: %s", c.method, c.path, body)
					assert.Contains(t, body, "contains a NUL character or is not valid UTF-8", "%s %s", c.method, c.path)
				}
				code, body := super.get(t, "/ledger/"+seg+"?lang=en", "Accept", "application/json")
				assert.Equal(t, http.StatusBadRequest, code, "/ledger/%s: %s", seg, body)
				assert.Contains(t, body, `"error":"The text sent contains a NUL character`, "/ledger/%s: the guard answers, in JSON", seg)
			}

			// Multipart, as the console's scripts post (FormData).
			for _, bad := range []string{"Ana\x00Solís", "Ana \xff Solís"} {
				code, body := ana.postMultipart(t, "/customers?lang=en", url.Values{"customer": {bad}, "contact": {"Ana"}, "number": {"8555-0101"}}, "")
				assert.Equal(t, http.StatusBadRequest, code, "multipart %q: %s", bad, body)
				assert.Contains(t, body, "contains a NUL character or is not valid UTF-8", "multipart %q", bad)
				code, body = ana.postMultipart(t, "/api/contacts", url.Values{"customer": {bad}, "name": {"Ana"}, "number": {"8555-0101"}}, "", "Accept", "application/json")
				assert.Equal(t, http.StatusBadRequest, code, "multipart API %q: %s", bad, body)
				assert.Contains(t, body, `"error":`)
			}
			code, body := ana.postMultipart(t, "/customers?lang=en", url.Values{"customer": {"Ana"}, "contact": {"Ana"}, "number": {"8555-0101"}}, "nota\xff.txt")
			assert.Equal(t, http.StatusBadRequest, code, "a file name: %s", body)

			after, err := app.db.Customers(context.Background())
			require.NoError(t, err)
			assert.Len(t, after, len(before), "nothing was stored")

			// Over maxFormBytes: 413, a page or JSON.
			big := strings.Repeat("a", maxFormBytes+1024)
			code, body = ana.post(t, "/customers?lang=en", url.Values{"customer": {"Ana"}, "contact": {"Ana"}, "number": {"8555-0101"}, "notes": {big}})
			assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
			assert.Contains(t, body, "The form sent is over 1 MiB")
			assert.Contains(t, body, "<title>Form too large ·")
			code, body = ana.post(t, "/api/disposition", url.Values{"notes": {big}}, "Accept", "application/json")
			assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
			assert.Contains(t, body, `"error":`)
			code, body = ana.postMultipart(t, "/api/disposition", url.Values{"notes": {big}}, "", "Accept", "application/json")
			assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
			assert.Contains(t, body, `"error":`)
			after, err = app.db.Customers(context.Background())
			require.NoError(t, err)
			assert.Len(t, after, len(before), "nothing was stored")

			code, body = ana.post(t, "/customers", url.Values{"customer": {"Ñandú Solís\tJr."}, "contact": {"Élida"}, "number": {"8555-0102"}})
			require.Equal(t, http.StatusOK, code, body)
			assert.Contains(t, body, "Ñandú Solís")
			after, err = app.db.Customers(context.Background())
			require.NoError(t, err)
			assert.Len(t, after, len(before)+1, "accented text is kept")

			code, body = ana.postMultipart(t, "/customers", url.Values{"customer": {"Élida Multipart"}, "contact": {"Élida"}, "number": {"8555-0103"}}, "")
			require.Equal(t, http.StatusOK, code, body)
			assert.Contains(t, body, "Élida Multipart", "a valid multipart form still works")
			after, err = app.db.Customers(context.Background())
			require.NoError(t, err)
			assert.Len(t, after, len(before)+2)
		})
	}
}

// postMultipart posts form as multipart/form-data (as FormData does),
// with a file part named file if file is not "", and header name/value
// pairs; it returns the status and body.
func (a *testApp) postMultipart(t *testing.T, path string, form url.Values, file string, hdr ...string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			require.NoError(t, mw.WriteField(k, v))
		}
	}
	if file != "" {
		fw, err := mw.CreateFormFile("attachment", file)
		require.NoError(t, err)
		_, err = fw.Write([]byte("x"))
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", a.srv.URL+path, &buf)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := a.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
