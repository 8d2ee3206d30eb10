//go:build ignore

// gen_entities writes testdata/entities.txt, the WHATWG named character
// references as the standard library's html package knows them, one per
// line: the name (with its ';' when it has one), a tab, and the code points
// it reads as in hex. The tests echo passwords with every name (PHP's
// htmlentities and friends); the Redactor itself needs no table, it asks
// html.UnescapeString. Run with go generate in internal/redact.
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

func main() {
	src := filepath.Join(runtime.GOROOT(), "src", "html", "entity.go")
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		log.Fatal(err)
	}
	var lines []string
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		key, ok := kv.Key.(*ast.BasicLit)
		if !ok || key.Kind != token.STRING {
			return true
		}
		name, err := strconv.Unquote(key.Value)
		if err != nil {
			log.Fatal(err)
		}
		var runes []rune
		switch v := kv.Value.(type) {
		case *ast.BasicLit:
			runes = append(runes, char(v))
		case *ast.CompositeLit:
			for _, e := range v.Elts {
				runes = append(runes, char(e.(*ast.BasicLit)))
			}
		default:
			log.Fatalf("%s: unexpected value %T", name, kv.Value)
		}
		if got := html.UnescapeString("&" + name); got != string(runes) {
			log.Fatalf("html reads &%s as %q, the table says %q", name, got, string(runes))
		}
		hex := make([]string, len(runes))
		for i, r := range runes {
			hex[i] = fmt.Sprintf("%X", r)
		}
		lines = append(lines, name+"\t"+strings.Join(hex, " "))
		return false
	})
	if len(lines) < 2000 {
		log.Fatalf("only %d names found in %s", len(lines), src)
	}
	slices.Sort(lines)
	if err := os.WriteFile("testdata/entities.txt", []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
}

func char(l *ast.BasicLit) rune {
	s, err := strconv.Unquote(l.Value)
	if err != nil || l.Kind != token.CHAR {
		log.Fatalf("bad rune literal %s", l.Value)
	}
	return []rune(s)[0]
}
