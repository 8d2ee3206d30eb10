// Command crm is the reference CRM of the CallMyWay Go SDK: agents mapped
// to CallMyWay endpoints, customers and contacts with click to dial, live
// pop-ups with dispositions and collection charges on the case file, and
// the call history synced from CallMyWay.
//
// With no configuration it runs in demo mode: an embedded SQLite file and a
// built-in simulated CallMyWay (package cmwtest) with seeded data:
//
//	go run ./examples/crm
//
// With CMW_USERNAME and CMW_PASSWORD set it talks to CallMyWay; give
// CallMyWay the webhook URL it prints.
//
// Everyone signs in. Demo mode seeds users (ana, beto and carla, agents;
// super, a supervisor; admin) with new random passwords printed at each
// start. With real credentials the CRM starts only once an admin exists:
//
//	CRM_ADMIN_PASSWORD=... crm -create-admin NAME   (or the password on stdin)
//
// Set CRM_SESSION_KEY (32 bytes or more) so that several instances on one
// PostgreSQL, or a restart, keep the users signed in.
//
// It serves at most -max-conns busy connections at once (CRM_MAX_CONNS,
// default 4,096; connections idle between requests and the browsers' SSE
// streams apart, the streams bounded per agent by the pop hub); more wait
// in the accept backlog, or on their kept-alive connection, and are served
// in turn, and the webhook processes at most 256 deliveries at once, the
// others waiting: no request is refused because of load.
//
// To certify it with `cmw homologate`, start it against the runner's fake
// (CMW_BASE_URL) with -homologation-hooks (CRM_HOMOLOGATION_HOOKS=1): it
// then serves the runner's hooks to admins at POST /homologation/hooks.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr/sqlstore"
	"github.com/callmyway-go/sdk/cdr/sqlstore/postgres"
	"github.com/callmyway-go/sdk/cdr/sqlstore/sqlite"
	"github.com/callmyway-go/sdk/cmwtest"
)

func main() {
	err := run(os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h printed the usage: asking for help is not a failure.
	case err != nil:
		fmt.Fprintln(os.Stderr, "crm:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("crm", flag.ContinueOnError)
	addr := fs.String("addr", envOr("CRM_ADDR", "127.0.0.1:8080"), "listen address")
	dbPath := fs.String("db", envOr("CRM_DB", "crm.db"), "SQLite file, or a postgres:// URL")
	demo := fs.Bool("demo", os.Getenv("CMW_USERNAME") == "", "run against the built-in simulated CallMyWay")
	tz := fs.String("tz", envOr("CMW_TZ", "America/Costa_Rica"), "the CallMyWay account's time zone")
	region := fs.String("region", envOr("CMW_REGION", "CR"), "default region for phone numbers")
	hookPath := fs.String("webhook-path", "/cmw/hook", "path CallMyWay posts call events to")
	hookToken := fs.String("webhook-token", os.Getenv("CMW_WEBHOOK_TOKEN"), "secret token expected as the last path segment (required with real credentials)")
	hookCIDRs := fs.String("webhook-cidrs", os.Getenv("CMW_WEBHOOK_CIDRS"), "comma-separated source addresses allowed to post webhooks")
	hookBasic := fs.String("webhook-basic", os.Getenv("CMW_WEBHOOK_BASIC"), "require HTTP Basic USER:PASS on the webhook")
	hookProxies := fs.String("webhook-trusted-proxies", os.Getenv("CMW_WEBHOOK_TRUSTED_PROXIES"), "comma-separated reverse proxies whose X-Forwarded-For is believed")
	public := fs.String("public-url", os.Getenv("CRM_PUBLIC_URL"), "the URL CallMyWay reaches this CRM at")
	sessionKey := fs.String("session-key", os.Getenv("CRM_SESSION_KEY"), "secret of 32 bytes or more signing session cookies, shared by instances on one database (default: random at each start)")
	hooks := fs.Bool("homologation-hooks", os.Getenv("CRM_HOMOLOGATION_HOOKS") == "1", "serve POST /homologation/hooks to admins for `cmw homologate -crm-hooks` (certification against the runner's fake only)")
	createAdmin := fs.String("create-admin", "", "create the admin user `NAME` (password from CRM_ADMIN_PASSWORD, else the first line of stdin) and exit")
	maxConns := fs.String("max-conns", envOr("CRM_MAX_CONNS", strconv.Itoa(defaultMaxConns)), "busy connections served at once, idle ones and SSE streams (bounded by the pop hub) apart; more wait in the accept backlog, none refused")
	verbose := fs.Bool("v", false, "debug logging")
	archiveFlag := fs.String("archive-after", os.Getenv("CRM_ARCHIVE_AFTER"), "delete for good, once a day, calls and CDRs older than this (5y, 1825d: at least the 5 years balances read); empty: keep everything")
	readPolicy := policyFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	archiveAfter, err := parseArchiveAfter(*archiveFlag)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("-tz %q: %w", *tz, err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if *createAdmin != "" {
		cfg := Config{DB: *dbPath, Loc: loc, Region: *region, Username: os.Getenv("CMW_USERNAME")}
		if err := addAdmin(context.Background(), cfg, *createAdmin, os.Stdin); err != nil {
			return err
		}
		fmt.Printf("admin %q created\n", normUsername(*createAdmin))
		return nil
	}
	if *sessionKey != "" && len(*sessionKey) < 32 {
		return errors.New("-session-key (CRM_SESSION_KEY): want 32 bytes or more")
	}
	conns, err := strconv.Atoi(*maxConns)
	if err != nil || conns < 1 {
		return fmt.Errorf("-max-conns (CRM_MAX_CONNS) %q: want a number of connections, at least 1", *maxConns)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	cfg := Config{Addr: *addr, DB: *dbPath, Demo: *demo, Loc: loc, Region: *region, WebhookPath: strings.TrimRight(*hookPath, "/"),
		WebhookToken: *hookToken, PublicURL: *public, Username: os.Getenv("CMW_USERNAME"), Password: os.Getenv("CMW_PASSWORD"),
		BaseURL: os.Getenv("CMW_BASE_URL"), SessionKey: []byte(*sessionKey), HomologationHooks: *hooks}
	if err := readPolicy(&cfg); err != nil {
		return closeListener(ln, err)
	}
	if *hookCIDRs != "" {
		cfg.WebhookCIDRs = strings.Split(*hookCIDRs, ",")
	}
	if *hookProxies != "" {
		cfg.WebhookProxies = strings.Split(*hookProxies, ",")
	}
	if *hookBasic != "" {
		u, p, ok := strings.Cut(*hookBasic, ":")
		if !ok {
			return closeListener(ln, errors.New("-webhook-basic: want USER:PASS"))
		}
		cfg.WebhookBasicUser, cfg.WebhookBasicPass = u, p
	}
	if cfg.Demo {
		cfg.PublicURL = base
		if cfg.WebhookToken == "" {
			cfg.WebhookToken = "demo-" + newID() + newID()
		}
	} else if cfg.WebhookToken == "" && len(cfg.WebhookCIDRs) == 0 && cfg.WebhookBasicUser == "" {
		return closeListener(ln, errors.New("with real credentials set -webhook-token (or CMW_WEBHOOK_TOKEN), -webhook-basic and/or -webhook-cidrs: the webhook must not be open to anyone"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := NewApp(ctx, cfg, logger)
	if err != nil {
		return closeListener(ln, err)
	}
	defer app.Close()
	if !cfg.Demo {
		n, err := app.db.CountAdmins(ctx)
		if err != nil {
			return closeListener(ln, err)
		}
		if n == 0 {
			return closeListener(ln, errors.New("no admin user yet: create one with crm -create-admin NAME (password from CRM_ADMIN_PASSWORD or stdin), then start the CRM"))
		}
		if *sessionKey == "" {
			logger.Warn("crm: no -session-key (CRM_SESSION_KEY): sessions end at a restart and are not shared between instances")
		}
	}
	h, err := app.Routes()
	if err != nil {
		return closeListener(ln, err)
	}
	// IdleTimeout closes a keep-alive connection left idle 30 s, so after a
	// burst the connections and their buffers are released well within
	// the minute the reliability issue (#16) allows for returning to the
	// idle baseline. Browsers reopen one at their next request; the SSE
	// stream is not idle (it is an open response).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		IdleTimeout: idleTimeout, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	// At most -max-conns busy connections at once (idle keep-alive
	// connections and SSE streams, bounded by the Hub, hold no place, so
	// open tabs never starve the webhook): a flood waits in the backlog,
	// nothing is refused. limitConns sets srv.ConnState.
	limited, err := limitConns(srv, ln, conns, "/events")
	if err != nil {
		return closeListener(ln, err)
	}
	ln = limited
	go app.RunSync(ctx)
	go trimMemory(ctx, trimEvery, trimAbove)
	if archiveAfter > 0 {
		go app.runArchive(ctx, archiveAfter)
	}

	fmt.Printf("CallMyWay reference CRM listening on %s\n", base)
	fmt.Printf("  sign in:   %s/login\n", base)
	fmt.Printf("  console:   %s/console  (agents)\n", base)
	fmt.Printf("  customers: %s/customers\n", base)
	fmt.Printf("  calls:     %s/calls\n", base)
	fmt.Printf("  board:     %s/board  (supervisors, admins)\n", base)
	fmt.Printf("  agents:    %s/agents  (supervisors, admins)\n", base)
	fmt.Printf("  users:     %s/users  (admins)\n", base)
	if cfg.HomologationHooks {
		fmt.Printf("  hooks:     %s/homologation/hooks  (admins; cmw homologate -crm-hooks)\n", base)
	}
	if cfg.Demo {
		fmt.Printf("  demo mode: simulated CallMyWay at %s, database %s\n", app.fake.URL, redactDSN(cfg.DB))
		fmt.Printf("  demo users (new passwords at each start):\n")
		for _, u := range app.demoUsers {
			fmt.Printf("    user %-6s password %s  (%s%s)\n", u.Username, u.Password, u.Role, prefixed(": ", u.AgentName))
		}
	} else {
		fmt.Printf("  webhook for CallMyWay: %s%s/<token>\n", strings.TrimRight(orDefault(cfg.PublicURL, base), "/"), cfg.WebhookPath)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	app.hub.Close() // end SSE streams so Shutdown does not wait on them
	return srv.Shutdown(shutdown)
}

// idleTimeout is how long the server keeps an idle keep-alive connection.
const idleTimeout = 30 * time.Second

// closeListener closes ln, which no server took, on the way out with
// err; a failure to close it is returned too.
func closeListener(ln net.Listener, err error) error {
	return errors.Join(err, ln.Close())
}

// redactDSN hides a database password for printing.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return dsn
}

// addAdmin creates an admin user in the CRM's database, the password
// read from CRM_ADMIN_PASSWORD or else the first line of stdin.
func addAdmin(ctx context.Context, cfg Config, name string, stdin io.Reader) (err error) {
	password := os.Getenv("CRM_ADMIN_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password from stdin: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if password == "" {
		return errors.New("-create-admin: set CRM_ADMIN_PASSWORD or write the password on stdin")
	}
	acct := callmyway.Account{Username: orDefault(cfg.Username, cmwtest.DefaultUsername), Location: cfg.Loc, Region: cfg.Region}
	var st *sqlstore.Store
	if strings.HasPrefix(cfg.DB, "postgres://") || strings.HasPrefix(cfg.DB, "postgresql://") {
		st, err = postgres.Open(ctx, cfg.DB, acct)
	} else {
		st, err = sqlite.Open(ctx, cfg.DB, acct)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	db := &DB{DB: st.DB(), dialect: st.Dialect(), region: cfg.Region, loc: cfg.Loc}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	if _, err := db.AddUser(ctx, name, password, RoleAdmin, ""); err != nil {
		return fmt.Errorf("-create-admin: %w", err)
	}
	return nil
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
