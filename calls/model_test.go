package calls_test

import (
	"testing"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
)

// TestModel runs 10,000 random interleavings on the memory store (more
// with -model.interleavings or CMW_MODEL_INTERLEAVINGS).
func TestModel(t *testing.T) {
	seed, n := modeltest.Config(10000)
	modeltest.Run(t, seed, n, func(t *testing.T) modeltest.Env {
		st, err := calls.NewMemoryStore()
		if err != nil {
			t.Fatal(err)
		}
		return modeltest.Env{Store: st}
	})
}
