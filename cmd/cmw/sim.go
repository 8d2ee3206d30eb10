package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/internal/netaddr"
)

func cmdSim(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "sim", "-addr ADDR [-webhook URL] [-inbound-every D] [-history N]")
	addr := fs.String("addr", "127.0.0.1:8090", "listen address of the simulated CallMyWay")
	hook := fs.String("webhook", "", "URL that receives the call events (a CRM's webhook)")
	every := fs.Duration("inbound-every", 0, "place a simulated inbound call this often (0: never)")
	history := fs.Int("history", 0, "generate this many CDRs over the last 7 days")
	allow := fs.String("allow", "127.0.0.1/8,::1/128", "client IPs allowed (comma-separated CIDRs)")
	if err := parse(fs, g, args); err != nil {
		return err
	}
	allowed := splitComma(*allow)
	if _, err := netaddr.ParsePrefixes(allowed); err != nil {
		return usagef("-allow: %v", err)
	}
	acct, err := g.account()
	if err != nil {
		return err
	}
	if acct.Username == "" {
		acct.Username = cmwtest.DefaultUsername
	}
	opts := []cmwtest.Option{cmwtest.WithAddr(*addr), cmwtest.WithAccount(acct, cmwtest.DefaultPassword), cmwtest.WithAllowedIPs(allowed...)}
	if *hook != "" {
		opts = append(opts, cmwtest.WithWebhook(*hook))
	}
	s, err := cmwtest.Start(opts...)
	if err != nil {
		return usagef("%v", err)
	}
	defer s.Close()
	if *history > 0 {
		s.GenerateHistory(*history, time.Now().AddDate(0, 0, -7), time.Now(), 1)
	}
	fmt.Fprintf(g.stdout, "simulated CallMyWay on %s\n", s.URL)
	fmt.Fprintf(g.stdout, "  export CMW_BASE_URL=%s CMW_USERNAME=%s CMW_PASSWORD=%s\n", s.URL, s.Account().Username, s.Password())
	for _, e := range s.Endpoints() {
		fmt.Fprintf(g.stdout, "  endpoint id=%s username=%s name=%q private=%v\n", e.ID, e.User, e.Name, e.Private)
	}
	var tick <-chan time.Time
	if *every > 0 {
		t := time.NewTicker(*every)
		defer t.Stop()
		tick = t.C
	}
	eps := s.Endpoints()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			from := fmt.Sprintf("506%d%07d", 6+rand.IntN(3), rand.IntN(10_000_000))
			id, err := s.Inbound(from, eps[rand.IntN(len(eps))].Endpoint)
			if err == nil {
				fmt.Fprintf(g.stdout, "inbound call %s from %s\n", id, from)
			}
		}
	}
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
