package webhook_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHandlerHasNoZoneOfItsOwn shows that a handler reading times in
// another zone than the Client's cannot be built: the only zone a handler
// has is its Account's, and a program that tries to give it another one
// does not compile. It builds two tiny programs with `go build -overlay`
// (nothing is written in the module).
func TestHandlerHasNoZoneOfItsOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs with the go command")
	}
	goBin := "go" // go test puts its own go command first on PATH
	build := func(src string) (string, error) {
		dir := t.TempDir()
		file := filepath.Join(dir, "main.go")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		virtual := filepath.Join(filepath.Dir(wd), "internal", "zonecheck", "main.go")
		overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{virtual: file}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(goBin, "build", "-overlay", ov, "-o", os.DevNull, "./internal/zonecheck")
		cmd.Dir = filepath.Dir(wd)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	const head = `package main

import (
	"context"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/webhook"
)

var l = webhook.ListenerFunc(func(context.Context, webhook.Event) error { return nil })

func main() {
	loc, _ := time.LoadLocation("America/Costa_Rica")
	client, _ := callmyway.New(callmyway.Account{Username: "8000001", Location: loc, Region: "CR"}, "pw")
	_ = client
`
	out, err := build(head + `	_, _ = webhook.NewHandler(client.Account(), l)
}
`)
	if err != nil {
		t.Fatalf("the right way does not build: %v\n%s", err, out)
	}
	out, err = build(head + `	_, _ = webhook.NewHandler(client.Account(), l, webhook.WithLocation(time.UTC))
}
`)
	if err == nil || !strings.Contains(out, "undefined: webhook.WithLocation") {
		t.Fatalf("a handler with a zone of its own built: %v\n%s", err, out)
	}
	out, err = build(head + `	_, _ = webhook.NewHandler(l)
}
`)
	if err == nil || !strings.Contains(out, "not enough arguments") {
		t.Fatalf("a handler without an account built: %v\n%s", err, out)
	}
}

// TestWebhookDoesNotLinkPhoneNumbers keeps programs that only receive
// webhooks small: libphonenumber's metadata (several MB) is not in the
// dependency closure of package webhook.
func TestWebhookDoesNotLinkPhoneNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/callmyway-go/sdk/webhook").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, heavy := range []string{"github.com/nyaruka/phonenumbers", "google.golang.org/protobuf", "github.com/jackc/pgx", "modernc.org/sqlite"} {
		if strings.Contains(string(out), heavy) {
			t.Errorf("package webhook links %s", heavy)
		}
	}
}
