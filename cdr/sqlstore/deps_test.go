package sqlstore_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDriverSplit checks that a program storing CDRs links only the
// driver it uses: the SQLite package must not pull in pgx, nor the
// PostgreSQL package modernc.org/sqlite, nor sqlstore itself either.
func TestDriverSplit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	for pkg, banned := range map[string][]string{
		"github.com/callmyway-go/sdk/cdr/sqlstore":          {"github.com/jackc/pgx", "modernc.org/sqlite"},
		"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite":   {"github.com/jackc/pgx"},
		"github.com/callmyway-go/sdk/cdr/sqlstore/postgres": {"modernc.org/sqlite"},
	} {
		out, err := exec.Command(gobin, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, b := range banned {
				if strings.HasPrefix(dep, b) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
