//go:build !unix

package main

import (
	"context"
	"os"
)

// lockFile is a no-op where flock is unavailable: processes of one
// account then share the timestamp but not a lock.
func lockFile(context.Context, *os.File) error { return nil }

func unlockFile(*os.File) {}
