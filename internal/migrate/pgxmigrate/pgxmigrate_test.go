package pgxmigrate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/internal/migrate"
	"github.com/callmyway-go/sdk/internal/migrate/pgxmigrate"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

func TestConcurrentApply(t *testing.T) {
	dsn := pgtest.Schema(t)
	steps := []migrate.Step{
		{Version: 1, SQL: `CREATE TABLE t (id BIGINT PRIMARY KEY)`},
		{Version: 2, SQL: `ALTER TABLE t ADD COLUMN name TEXT NOT NULL DEFAULT ''; CREATE INDEX t_name ON t (name)`},
	}
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		pool := pgtest.Pool(t, dsn, fmt.Sprintf("m%d", i))
		wg.Go(func() { _, errs[i] = pgxmigrate.Apply(context.Background(), pool, "demo", steps) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	pool := pgtest.Pool(t, dsn, "check")
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT COUNT(*) FROM schema_migrations WHERE component = 'demo'`).Scan(&n))
	assert.Equal(t, 2, n)
	v, err := pgxmigrate.Apply(context.Background(), pool, "demo", steps)
	require.NoError(t, err)
	assert.Equal(t, 2, v)
	_, err = pgxmigrate.Apply(context.Background(), nil, "demo", steps)
	assert.Error(t, err)
}
