package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
)

// syncBuffer is a bytes.Buffer safe for the writes of exec's copiers and
// the reads of the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestRestartKeepsTheFourSecondRuleOnSQLite builds the CRM, runs it on a
// SQLite file against a standalone fake CallMyWay, and kills it (SIGKILL)
// right after each CDR query and restarts it at once, four times: the
// restarted CRM must wait out the interval left by its predecessor, so the
// fake counts no penalised query.
func TestRestartKeepsTheFourSecondRuleOnSQLite(t *testing.T) {
	bin := buildCRM(t)
	dir := t.TempDir()
	fake, err := cmwtest.Start(cmwtest.WithAddr("127.0.0.1:0"))
	require.NoError(t, err)
	defer fake.Close()
	now := time.Now()
	fake.GenerateHistory(50, now.AddDate(0, 0, -3), now, 1)

	db := filepath.Join(dir, "crm.db")
	var logs syncBuffer
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", db)
		cmd.Env = append(os.Environ(), "CMW_USERNAME="+fake.Account().Username, "CMW_PASSWORD="+fake.Password(),
			"CMW_BASE_URL="+fake.URL, "CMW_WEBHOOK_TOKEN=restart-test-token-0123456789", "CMW_TZ=UTC")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		require.NoError(t, cmd.Start())
		return cmd
	}
	// nextQuery waits for the fake to receive one more CDR query.
	nextQuery := func(cmd *exec.Cmd) {
		t.Helper()
		n := fake.RequestCount(callmyway.PathCDR)
		deadline := time.Now().Add(30 * time.Second)
		for fake.RequestCount(callmyway.PathCDR) == n {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no CDR query within 30 s; CRM output:\n%s", logs.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	// With real credentials the CRM starts only once an admin exists.
	admin := exec.Command(bin, "-db", db, "-create-admin", "boss")
	admin.Env = append(os.Environ(), "CMW_USERNAME="+fake.Account().Username, "CMW_TZ=UTC", "CRM_ADMIN_PASSWORD=restart-test-admin-password")
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("crm -create-admin: %v\n%s", err, out)
	}
	cmd := start()
	for restart := range 5 {
		nextQuery(cmd) // the first query of this life: the one a lost clock sends too soon
		require.NoError(t, cmd.Process.Kill(), "restart %d", restart)
		_ = cmd.Wait() // killed: the error is the signal
		cmd = start()
	}
	nextQuery(cmd)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	assert.Zero(t, fake.Violations(), "penalised queries; CRM output:\n%s", logs.String())
	assert.GreaterOrEqual(t, fake.RequestCount(callmyway.PathCDR), 6)
}
