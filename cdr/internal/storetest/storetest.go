// Package storetest runs cdr tests against every Store: in memory, SQLite
// and, when CMW_TEST_POSTGRES_DSN is set, PostgreSQL.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
)

// Opener opens a fresh, empty Store for one test.
type Opener func(t *testing.T) cdr.Store

// PostgresDSN returns CMW_TEST_POSTGRES_DSN, or skips t with a clear
// message when it is unset.
func PostgresDSN(t testing.TB) string {
	dsn := os.Getenv("CMW_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("CMW_TEST_POSTGRES_DSN is not set: skipping the PostgreSQL run (.ci/run sets it to postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// ForEach runs f once per Store kind, as subtests.
func ForEach(t *testing.T, f func(t *testing.T, open Opener)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(t *testing.T) cdr.Store { return cdr.NewMemoryStore() })
	})
	t.Run("sqlite", func(t *testing.T) {
		f(t, func(t *testing.T) cdr.Store { return OpenSQLite(t) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := PostgresDSN(t)
		f(t, func(t *testing.T) cdr.Store { return OpenPostgres(t, dsn) })
	})
}

// OpenSQLite opens a SQLite store in a temporary file.
func OpenSQLite(t testing.TB) *sqlstore.Store {
	s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cdr.db"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OpenPostgres opens a store in a fresh schema of the database at dsn,
// dropped when the test ends.
func OpenPostgres(t testing.TB, dsn string) *sqlstore.Store {
	schema := fmt.Sprintf("cmw_test_%d", rand.Uint64()>>1)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("creating schema on %s: %v", dsn, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	s, err := sqlstore.OpenPostgres(context.Background(), WithSearchPath(dsn, schema), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// WithSearchPath adds a search_path runtime parameter to a DSN.
func WithSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// CallIDs returns the callids a store holds, failing on duplicates.
func CallIDs(t testing.TB, s cdr.Store) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	switch st := s.(type) {
	case *cdr.MemoryStore:
		for _, r := range st.Records() {
			ids[r.CallID] = true
		}
	case *sqlstore.Store:
		rows, err := st.DB().Query("SELECT callid FROM cmw_cdr")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if ids[id] {
				t.Errorf("callid %s stored twice", id)
			}
			ids[id] = true
		}
	default:
		t.Fatalf("unknown store %T", s)
	}
	return ids
}
