// Package pgtest gives tests a fresh PostgreSQL schema on the server named
// by CMW_TEST_POSTGRES_DSN, and skips them with a clear message when it is
// unset.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DSN returns CMW_TEST_POSTGRES_DSN or skips t.
func DSN(t testing.TB) string {
	dsn := os.Getenv("CMW_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("CMW_TEST_POSTGRES_DSN is not set: skipping the PostgreSQL test (.ci/run sets it to postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// Schema creates a fresh schema, dropped when t ends, and returns a DSN
// whose connections use it.
func Schema(t testing.TB) string {
	dsn := DSN(t)
	schema := fmt.Sprintf("cmw_test_%d", rand.Uint64()>>1)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", dsn, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), dsn); err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	return WithSearchPath(dsn, schema)
}

// WithSearchPath adds a search_path runtime parameter to a DSN.
func WithSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// Pool opens a pool on dsn tagged with application_name, closed when t
// ends.
func Pool(t testing.TB, dsn, app string) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Terminate kills the server backends of application app whose current
// query starts with prefix ("" for any), and returns how many it killed.
func Terminate(t testing.TB, dsn, app, prefix string) int {
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(context.Background(), `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE $2 AND pid <> pg_backend_pid()`, app, prefix+"%").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
