package migrate_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

var steps = []migrate.Step{
	{Version: 1, SQL: `CREATE TABLE t (id INTEGER PRIMARY KEY)`},
	{Version: 2, SQL: `ALTER TABLE t ADD COLUMN name TEXT NOT NULL DEFAULT ''; CREATE INDEX t_name ON t (name)`},
}

func openSQLite(t *testing.T, path string) *sql.DB {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// each runs f on SQLite, and on PostgreSQL when CMW_TEST_POSTGRES_DSN is
// set; open returns another handle on the same database.
func each(t *testing.T, f func(t *testing.T, d migrate.Dialect, open func() *sql.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		f(t, migrate.SQLite, func() *sql.DB { return openSQLite(t, path) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.Schema(t)
		f(t, migrate.Postgres, func() *sql.DB {
			db, err := sql.Open("pgx", dsn)
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}

func TestApply(t *testing.T) {
	each(t, func(t *testing.T, d migrate.Dialect, open func() *sql.DB) {
		ctx := context.Background()
		db := open()
		v, err := migrate.Apply(ctx, migrate.SQL(db, d), "demo", steps[:1])
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		v, err = migrate.Apply(ctx, migrate.SQL(db, d), "demo", steps)
		require.NoError(t, err)
		assert.Equal(t, 2, v)
		v, err = migrate.Apply(ctx, migrate.SQL(db, d), "demo", steps)
		require.NoError(t, err, "idempotent")
		assert.Equal(t, 2, v)
		_, err = db.Exec(`INSERT INTO t (id, name) VALUES (1, 'x')`)
		require.NoError(t, err)

		var n int
		require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE component = 'demo'`).Scan(&n))
		assert.Equal(t, 2, n)

		// Another component has its own numbering in the same table.
		v, err = migrate.Apply(ctx, migrate.SQL(db, d), "other", []migrate.Step{{Version: 1, SQL: `CREATE TABLE u (id INTEGER)`}})
		require.NoError(t, err)
		assert.Equal(t, 1, v)

		// A newer database is refused, not silently used.
		_, err = migrate.Apply(ctx, migrate.SQL(db, d), "demo", steps[:1])
		assert.ErrorIs(t, err, migrate.ErrNewerSchema)
	})
}

func TestFailedStepRollsBack(t *testing.T) {
	each(t, func(t *testing.T, d migrate.Dialect, open func() *sql.DB) {
		ctx := context.Background()
		db := open()
		bad := []migrate.Step{steps[0], {Version: 2, SQL: `CREATE TABLE half (id INTEGER); CREATE TABLE nope (`}}
		v, err := migrate.Apply(ctx, migrate.SQL(db, d), "demo", bad)
		require.Error(t, err)
		assert.Zero(t, v)
		assert.Contains(t, err.Error(), "demo step 2")
		v, err = migrate.Apply(ctx, migrate.SQL(db, d), "demo", steps[:1])
		require.NoError(t, err)
		assert.Equal(t, 1, v, "step 1 stayed applied")
		_, err = db.Exec(`SELECT * FROM half`)
		assert.Error(t, err, "step 2 left nothing behind")
	})
}

func TestConcurrentStart(t *testing.T) {
	each(t, func(t *testing.T, d migrate.Dialect, open func() *sql.DB) {
		const n = 6
		dbs := make([]*sql.DB, n)
		for i := range dbs {
			dbs[i] = open()
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = migrate.Apply(context.Background(), migrate.SQL(dbs[i], d), "demo", steps) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		var c int
		require.NoError(t, dbs[0].QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE component = 'demo'`).Scan(&c))
		assert.Equal(t, 2, c, "each step applied once")
	})
}

func TestBadSteps(t *testing.T) {
	db := openSQLite(t, filepath.Join(t.TempDir(), "m.db"))
	for _, s := range [][]migrate.Step{
		{{Version: 2, SQL: "SELECT 1"}},
		{{Version: 1, SQL: ""}},
		{{Version: 1, SQL: "SELECT 1"}, {Version: 1, SQL: "SELECT 1"}},
	} {
		_, err := migrate.Apply(context.Background(), migrate.SQL(db, migrate.SQLite), "demo", s)
		assert.ErrorIs(t, err, migrate.ErrBadSteps)
	}
	_, err := migrate.Apply(context.Background(), migrate.SQL(db, "oracle"), "demo", steps)
	assert.Error(t, err)
	_, err = migrate.Apply(context.Background(), migrate.SQL(nil, migrate.SQLite), "demo", steps)
	assert.Error(t, err)
}
