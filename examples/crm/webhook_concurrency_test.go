package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/pgtest"
)

// TestWebhookAcksEveryConcurrentDelivery is the regression test of issue
// 16's overload (173 of 512 concurrent deliveries not acked on SQLite,
// PostgreSQL refusing under load): 512 senders at once, each a callStart
// then a callEnd of its own call, then all of it again (the provider's
// re-deliveries), on SQLite and on PostgreSQL. Every delivery is acked,
// and the ledger holds each call once, ended. It asserts no timing: how
// fast is .ci/load's job.
func TestWebhookAcksEveryConcurrentDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("1,024 deliveries at 512 at a time")
	}
	const senders = 512
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "crm.db") },
		"postgres": func(t *testing.T) string { return pgtest.Schema(t) },
	} {
		t.Run(name, func(t *testing.T) {
			app := newTestAppOn(t, slog.New(slog.DiscardHandler), db(t))
			hook := app.srv.URL + "/cmw/hook/test-token-0123456789"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: time.Minute}
			defer client.CloseIdleConnections()
			start := time.Now().Add(-time.Minute).Truncate(time.Second)
			event := func(action string, i int) []byte {
				ts := func(t time.Time) string { return t.In(app.cfg.Loc).Format(callmyway.TimeLayout) }
				d := map[string]any{"callid": fmt.Sprintf("burst-%d", i), "account_id": cmwtest.DefaultAccountID,
					"endpoint_id": fmt.Sprint(5001 + i%3), "ani": fmt.Sprintf("8%07d", 5550000+i), "dnis": fmt.Sprint(8000001 + i%3),
					"detect_time": ts(start), "connect_time": "", "disconnect_time": "", "duration": 0, "type": "in", "cost": json.Number("0.0000")}
				if action == "callEnd" {
					d["connect_time"], d["disconnect_time"], d["duration"], d["cost"] = ts(start), ts(start.Add(30*time.Second)), 30, json.Number("0.5000")
				}
				return cmwtest.EncodeWebhook(action, d, cmwtest.WebhookMode{})
			}
			deliver := func(body []byte) error {
				resp, err := client.Post(hook, "application/json", bytes.NewReader(body))
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				var ack struct{ Ack string }
				if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &ack) != nil || ack.Ack != "ok" {
					return fmt.Errorf("not acked: %d %s", resp.StatusCode, b)
				}
				return nil
			}
			for round := range 2 {
				var g errgroup.Group
				for i := range senders {
					g.Go(func() error {
						if err := deliver(event("callStart", i)); err != nil {
							return fmt.Errorf("round %d, call %d, callStart: %w", round, i, err)
						}
						if err := deliver(event("callEnd", i)); err != nil {
							return fmt.Errorf("round %d, call %d, callEnd: %w", round, i, err)
						}
						return nil
					})
				}
				require.NoError(t, g.Wait())
			}
			seen := map[string]int{}
			for c, err := range app.ledger.Calls(t.Context(), calls.Query{From: start.Add(-time.Hour)}) {
				require.NoError(t, err)
				if c.State == calls.StateEnded || c.State == calls.StateFinal {
					seen[c.ID]++
				}
			}
			n := 0
			for i := range senders {
				if seen[fmt.Sprintf("burst-%d", i)] == 1 {
					n++
				}
			}
			assert.Equal(t, senders, n, "every call stored once, ended")
		})
	}
}
