package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/cmwtest"
)

// buildCRM builds the CRM's binary into a temporary directory (skipped
// in -short mode, or without the go command).
func buildCRM(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the CRM binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	bin := filepath.Join(t.TempDir(), "crm")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// exitCode is the exit status of a finished command (-1: killed by a
// signal, or it never ran).
func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	return ee.ExitCode()
}

// With real credentials and no admin the CRM refuses to start: exit
// status 1, a message naming -create-admin, nothing listening. After
// crm -create-admin it starts, serves the sign-in page, and an interrupt
// stops it cleanly (exit status 0).
func TestRealCredentialsNeedAnAdmin(t *testing.T) {
	bin := buildCRM(t)
	fake, err := cmwtest.Start(cmwtest.WithAddr("127.0.0.1:0"))
	require.NoError(t, err)
	defer fake.Close()
	db := filepath.Join(t.TempDir(), "crm.db")
	env := append(os.Environ(), "CMW_USERNAME="+fake.Account().Username, "CMW_PASSWORD="+fake.Password(), "CMW_BASE_URL="+fake.URL,
		"CMW_WEBHOOK_TOKEN=startup-test-token-0123456789", "CMW_TZ=UTC", "CRM_ADMIN_PASSWORD=")

	refused := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", db)
	refused.Env = env
	out, err := refused.CombinedOutput()
	assert.Equal(t, 1, exitCode(t, err), "%s", out)
	assert.Contains(t, string(out), "no admin user yet")
	assert.Contains(t, string(out), "crm -create-admin NAME")
	assert.NotContains(t, string(out), "listening on")

	admin := exec.Command(bin, "-db", db, "-create-admin", "boss")
	admin.Env = env
	admin.Stdin = strings.NewReader("startup-test-admin-password\n") // the password on stdin
	out, err = admin.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), `admin "boss" created`)

	crm := exec.Command(bin, "-addr", "127.0.0.1:0", "-db", db)
	crm.Env = env
	var logs syncBuffer
	crm.Stderr = &logs
	stdout, err := crm.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, crm.Start())
	exited := make(chan error, 1)
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "listening on "); ok {
				base <- url
			}
		}
		_, _ = io.Copy(io.Discard, stdout) // drain whatever is left
		exited <- crm.Wait()
	}()
	select {
	case url := <-base:
		resp, err := http.Get(url + "/login")
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusOK, resp.StatusCode, "it serves once an admin exists")
	case err := <-exited:
		t.Fatalf("the CRM exited (%v) instead of starting:\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		require.NoError(t, crm.Process.Kill())
		t.Fatalf("the CRM did not start within 30 s:\n%s", logs.String())
	}
	require.NoError(t, crm.Process.Signal(syscall.SIGINT))
	select {
	case err := <-exited:
		assert.Equal(t, 0, exitCode(t, err), "an interrupt is a clean stop; stderr:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		require.NoError(t, crm.Process.Kill())
		t.Fatalf("the CRM did not stop within 30 s of SIGINT:\n%s", logs.String())
	}
}

// crm -h prints the usage, every flag included, and exits 0: asking for
// help is not a failure.
func TestHelpExitsZero(t *testing.T) {
	bin := buildCRM(t)
	for _, arg := range []string{"-h", "--help"} {
		cmd := exec.Command(bin, arg)
		cmd.Env = append(os.Environ(), "CMW_USERNAME=")
		out, err := cmd.CombinedOutput()
		assert.Equal(t, 0, exitCode(t, err), "%s: %s", arg, out)
		for _, want := range []string{"Usage of crm:", "-create-admin NAME", "-db string", "-addr string", "-webhook-token"} {
			assert.Contains(t, string(out), want, arg)
		}
	}
}
