package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/internal/pgtest"
)

// TestUnstorableTextIsRefusedOnEveryStore: a NUL byte or invalid UTF-8 in
// a form or a query gets the same translated 400 on SQLite and on
// PostgreSQL (which refuses both in a text column: a 500 before), and
// nothing is stored; accented text is kept.
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
			after, err := app.db.Customers(context.Background())
			require.NoError(t, err)
			assert.Len(t, after, len(before), "nothing was stored")

			code, body := ana.post(t, "/customers", url.Values{"customer": {"Ñandú Solís\tJr."}, "contact": {"Élida"}, "number": {"8555-0102"}})
			require.Equal(t, http.StatusOK, code, body)
			assert.Contains(t, body, "Ñandú Solís")
			after, err = app.db.Customers(context.Background())
			require.NoError(t, err)
			assert.Len(t, after, len(before)+1, "accented text is kept")
		})
	}
}
