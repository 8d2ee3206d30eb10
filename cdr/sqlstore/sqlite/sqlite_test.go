package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The pool is bounded and keeps its connections, so file descriptors stay
// bounded under load and none is parked by a closed connection.
func TestPoolIsBounded(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"),
		callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, sqlite.MaxOpenConns, s.DB().Stats().MaxOpenConnections)
}

// Every connection commits synchronously (PRAGMA synchronous = FULL, 2):
// a CRM keeping its ledger in this database acknowledges a webhook event
// only once it would survive a power loss.
func TestCommitsAreSynchronous(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"),
		callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"})
	require.NoError(t, err)
	defer s.Close()
	var mode int
	require.NoError(t, s.DB().QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&mode))
	assert.Equal(t, 2, mode, "synchronous=FULL")
}
