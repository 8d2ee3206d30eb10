package sqlitestore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/internal/modeltest"
	"github.com/callmyway-go/sdk/calls/internal/storetest"
	"github.com/callmyway-go/sdk/calls/sqlitestore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(cleanup{m}) }

// cleanup removes the benchmarks' template files after the run.
type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	defer func() {
		if reconcileTemplate.dir != "" {
			os.RemoveAll(reconcileTemplate.dir)
		}
	}()
	return c.m.Run()
}

func open(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) calls.Store {
		s := open(t, filepath.Join(t.TempDir(), "ledger.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestModel runs the model test on SQLite: each interleaving on a new
// file, its restarts and second replica opening the file anew.
func TestModel(t *testing.T) {
	seed, n := modeltest.Config(200)
	dir := t.TempDir()
	i := 0
	modeltest.Run(t, seed, n, func(t *testing.T) modeltest.Env {
		i++
		path := filepath.Join(dir, fmt.Sprintf("ledger-%d.db", i))
		stores := []*sqlitestore.Store{open(t, path)}
		return modeltest.Env{
			Store: stores[0],
			Replica: func(opts ...calls.Option) (*calls.Ledger, error) {
				s := open(t, path)
				stores = append(stores, s)
				return calls.New(modeltest.Account, s, opts...)
			},
			Close: func() {
				for _, s := range stores {
					s.Close()
				}
			},
		}
	})
}
