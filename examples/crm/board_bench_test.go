package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/callmyway-go/sdk/calls"
)

// benchApp is a demo CRM whose ledger holds the seeded week (300 calls).
func benchApp(b *testing.B) *App {
	b.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	b.Cleanup(srv.Close)
	loc, _ := time.LoadLocation("America/Costa_Rica")
	app, err := NewApp(context.Background(), Config{DB: filepath.Join(b.TempDir(), "crm.db"), Demo: true, Loc: loc, Region: "CR",
		WebhookPath: "/cmw/hook", WebhookToken: "bench-token-0123456789", PublicURL: srv.URL}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(app.Close)
	if _, err := app.syncer.SyncOnce(context.Background()); err != nil {
		b.Fatal(err)
	}
	return app
}

// BenchmarkBoard is one refresh of the board (what GET /api/board
// computes) over the demo's week of calls.
func BenchmarkBoard(b *testing.B) {
	app := benchApp(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := app.Board(ctx, "es"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoardBaseline is the ledger read the board is built on alone:
// the same week of calls, nothing derived.
func BenchmarkBoardBaseline(b *testing.B) {
	app := benchApp(b)
	ctx := context.Background()
	now := time.Now().In(app.cfg.Loc)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, app.cfg.Loc)
	for b.Loop() {
		n := 0
		for _, err := range app.ledger.Calls(ctx, calls.Query{From: day.AddDate(0, 0, -boardChargeDays), To: day.AddDate(0, 0, 1)}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n == 0 {
			b.Fatal("no calls")
		}
	}
}
