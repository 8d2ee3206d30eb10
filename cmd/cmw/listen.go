package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/internal/safetext"
	"github.com/callmyway-go/sdk/webhook"
)

func cmdListen(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "listen", "-addr ADDR [-path /hook] [-token T] [-basic USER:PASS] [-allow CIDR,...] [-trusted-proxies CIDR,...]")
	addr := fs.String("addr", "127.0.0.1:8089", "listen address")
	path := fs.String("path", "/", "path prefix CallMyWay posts to")
	token := fs.String("token", envOr("CMW_WEBHOOK_TOKEN", ""), "secret token (header, query or last path segment)")
	basic := fs.String("basic", "", "require HTTP Basic USER:PASS")
	allow := fs.String("allow", "", "comma-separated source IPs/CIDRs allowed")
	proxies := fs.String("trusted-proxies", "", "comma-separated proxies whose X-Forwarded-For is believed")
	format := fs.String("format", "text", "text or json (one event per line)")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	acct, err := g.account()
	if err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usagef("-format %q: want text or json", *format)
	}
	var opts []webhook.Option
	if *token != "" {
		opts = append(opts, webhook.WithToken(*token))
	}
	if *basic != "" {
		u, p, ok := strings.Cut(*basic, ":")
		if !ok {
			return usagef("-basic: want USER:PASS")
		}
		opts = append(opts, webhook.WithBasicAuth(u, p))
	}
	if *allow != "" {
		opts = append(opts, webhook.WithAllowedCIDRs(strings.Split(*allow, ",")...))
	}
	if *proxies != "" {
		opts = append(opts, webhook.WithTrustedProxies(strings.Split(*proxies, ",")...))
	}
	var mu sync.Mutex
	h, err := webhook.NewHandler(acct, webhook.ListenerFunc(func(_ context.Context, ev webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if *format == "json" {
			b, _ := json.Marshal(map[string]any{"action": ev.Action, "callid": ev.Call.ID, "endpoint_id": ev.Call.Endpoint.ID,
				"ani": ev.Call.ANI, "dnis": ev.Call.DNIS, "type": ev.Call.Direction, "detect_time": ev.Call.DetectTime,
				"duration_s": int64(ev.Call.Duration / time.Second), "cost": ev.Call.Cost.String()})
			fmt.Fprintln(g.stdout, string(b))
			return nil
		}
		// Every field comes from the network: escaped, so a crafted value
		// cannot print a forged line or drive the terminal.
		t := safetext.Terminal
		fmt.Fprintf(g.stdout, "%s %s callid=%s endpoint=%s %s ani=%s dnis=%s duration=%s cost=%s\n",
			ev.ReceivedAt.Format(time.RFC3339), ev.Action, t(ev.Call.ID), t(ev.Call.Endpoint.ID), ev.Call.Direction,
			t(ev.Call.ANI), t(ev.Call.DNIS), ev.Call.Duration, ev.Call.Cost)
		return nil
	}), opts...)
	if err != nil {
		return usagef("%v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(*path, h)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "listening for CallMyWay webhooks on http://%s%s\n", ln.Addr(), *path)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second}
	return serveUntil(ctx, srv, ln)
}

// serveUntil serves until ctx is done, then shuts down gracefully.
func serveUntil(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
