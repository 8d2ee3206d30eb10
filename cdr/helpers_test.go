package cdr

import (
	"errors"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func errorsAs[T any](err error, target *T) bool { return errors.As(err, target) }
