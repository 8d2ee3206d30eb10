package doccheck

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// packages are the public library packages (commands and examples are
// programs, internal packages are not API).
var packages = []string{
	"callmyway", "number", "webhook", "click2dial", "screenpop", "cmwtest",
	"cdr", "cdr/sqlstore", "cdr/sqlstore/sqlite", "cdr/sqlstore/postgres", "cdr/pgsync",
	"webhook/pgdedupe", "screenpop/pgbroker", "calls", "calls/sqlitestore", "calls/pgstore", "cmwtest/homologation",
	"policy", "casefile", "internal/testclock",
}

// TestExportedTypesSayZeroValueAndConcurrency: every exported type's doc
// comment states whether its zero value is usable ("zero", or "nil" for
// interface and func types) and whether it may be used concurrently
// ("concurrent"), and starts with its name.
func TestExportedTypesSayZeroValueAndConcurrency(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	defer func() {
		if checked < 80 {
			t.Errorf("only %d exported types checked: the test is not reading the packages", checked)
		}
	}()
	for _, dir := range packages {
		fset := token.NewFileSet()
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		var files []*ast.File
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(root, dir, e.Name()), nil, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		{
			dp, err := doc.NewFromFiles(fset, files, "github.com/callmyway-go/sdk/"+dir)
			if err != nil {
				t.Fatal(err)
			}
			name := dp.Name
			for _, typ := range dp.Types {
				if !ast.IsExported(typ.Name) {
					continue
				}
				checked++
				d := typ.Doc
				where := dir + "." + typ.Name + " (package " + name + ")"
				if !strings.HasPrefix(d, typ.Name+" ") && !strings.HasPrefix(d, "A "+typ.Name+" ") && !strings.HasPrefix(d, "An "+typ.Name+" ") {
					t.Errorf("%s: doc does not start with its name: %.40q", where, d)
				}
				low := strings.ToLower(d)
				// The zero value of an interface or func type is nil.
				isRef := false
				if len(typ.Decl.Specs) == 1 {
					switch typ.Decl.Specs[0].(*ast.TypeSpec).Type.(type) {
					case *ast.InterfaceType, *ast.FuncType:
						isRef = true
					}
				}
				if !strings.Contains(low, "zero") && !(isRef && strings.Contains(low, "nil")) {
					t.Errorf("%s: doc does not say whether the zero value is usable", where)
				}
				if !strings.Contains(low, "concurren") {
					t.Errorf("%s: doc does not say whether it is safe for concurrent use", where)
				}
			}
		}
	}
}
