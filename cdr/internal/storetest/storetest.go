// Package storetest runs cdr tests against every Store: in memory, SQLite
// and, when CMW_TEST_POSTGRES_DSN is set, PostgreSQL.
package storetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/postgres"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

// Opener opens a fresh, empty Store for one test.
type Opener func(t *testing.T) cdr.Store

// PostgresDSN returns CMW_TEST_POSTGRES_DSN, or skips t with a clear
// message when it is unset.
func PostgresDSN(t testing.TB) string { return pgtest.DSN(t) }

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

// Account is the account the test stores read times for.
var Account = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}

// OpenSQLite opens a SQLite store in a temporary file.
func OpenSQLite(t testing.TB) *sqlstore.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cdr.db"), Account)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// OpenPostgres opens a store in a fresh schema of the database at dsn,
// dropped when the test ends.
func OpenPostgres(t testing.TB, dsn string) *sqlstore.Store {
	s, err := postgres.Open(context.Background(), pgtest.Schema(t), Account)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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

// Records returns every record a store holds, in detect order.
func Records(t testing.TB, s cdr.Store) []cdr.Record {
	t.Helper()
	switch st := s.(type) {
	case *cdr.MemoryStore:
		return st.Records()
	case *sqlstore.Store:
		recs, err := st.List(context.Background(), sqlstore.Filter{Limit: 1_000_000})
		if err != nil {
			t.Fatal(err)
		}
		return recs
	default:
		t.Fatalf("unknown store %T", s)
		return nil
	}
}
