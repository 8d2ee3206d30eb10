package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/wait"
)

// fileLimiter is a callmyway.Limiter shared by every cmw process of one
// account on this machine: running "cmw cdrs" twice in a row must not
// break the 4-second rule either. It keeps the time of the last query in a
// file, locked while a process waits its turn.
type fileLimiter struct {
	path     string
	interval time.Duration
}

func newFileLimiter(account, host string) (*fileLimiter, error) {
	dir := os.Getenv("CMW_STATE_DIR")
	if dir == "" {
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "callmyway-cmw")
		} else {
			dir = filepath.Join(os.TempDir(), "callmyway-cmw")
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(host + "|" + account))
	return &fileLimiter{path: filepath.Join(dir, "last-query-"+hex.EncodeToString(sum[:8])),
		interval: callmyway.QueryInterval + callmyway.DefaultQueryMargin}, nil
}

// Wait implements callmyway.Limiter.
func (l *fileLimiter) Wait(ctx context.Context) error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("query limiter state: %w", err)
	}
	defer f.Close()
	if err := lockFile(ctx, f); err != nil {
		return err
	}
	defer unlockFile(f)
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if last, err := strconv.ParseInt(strings.TrimSpace(string(b[:n])), 10, 64); err == nil {
		if err := wait.Turn(ctx, time.Until(time.Unix(0, last).Add(l.interval))); err != nil {
			return fmt.Errorf("4-second rule: %w", err)
		}
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(strconv.FormatInt(time.Now().UnixNano(), 10)), 0)
	return err
}
