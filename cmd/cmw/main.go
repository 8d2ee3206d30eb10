// Command cmw is the CallMyWay command-line tool: click to dial, call
// history export, live calls, a webhook listener, the simulated CallMyWay,
// and the homologation (certification) runner.
//
//	go install github.com/callmyway-go/sdk/cmd/cmw@latest
//
// Credentials come from CMW_USERNAME and CMW_PASSWORD (or -username and
// -password; the password is never echoed). CMW_BASE_URL or -base-url
// points every CallMyWay host at a fake or a proxy. Exit codes: 0 success,
// 1 failure, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/internal/safetext"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, g *globals, args []string) error
}

var commands = []command{
	{"dial", "AGENT CONTACT [-contact-first] [-caller-id EP]", "ask CallMyWay to connect an agent and a contact", cmdDial},
	{"cdrs", "-recent | -from 'YYYY-MM-DD HH:mm:ss' -to '...' [-format table|csv|json|ndjson]", "export the call history", cmdCDRs},
	{"live", "", "show the calls in progress", cmdLive},
	{"listen", "-addr ADDR [-token T] [-basic USER:PASS] [-allow CIDR,...]", "receive webhook call events and print them", cmdListen},
	{"sim", "-addr ADDR [-webhook URL] [-inbound-every D] [-history N]", "run the simulated CallMyWay", cmdSim},
	{"homologate", "[-live] [-crm-webhook URL [-crm-ledger URL [-crm-hooks URL]]] [-report-html|-report-json|-report-junit FILE]", "run the certification scenarios", cmdHomologate},
	{"load", loadArgs, "send simulated call events to a CRM's webhook and report acks, latency and memory", cmdLoad},
}

// globals are the flags every subcommand takes.
type globals struct {
	stdout, stderr io.Writer
	username       string
	password       string
	baseURL        string
	tz             string
	region         string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.username, "username", os.Getenv("CMW_USERNAME"), "CallMyWay username (default $CMW_USERNAME)")
	fs.StringVar(&g.password, "password", "", "CallMyWay password (prefer $CMW_PASSWORD: flags show in process lists)")
	fs.StringVar(&g.baseURL, "base-url", os.Getenv("CMW_BASE_URL"), "point every CallMyWay host at this URL (default $CMW_BASE_URL)")
	fs.StringVar(&g.tz, "tz", envOr("CMW_TZ", "America/Costa_Rica"), "the account's time zone")
	fs.StringVar(&g.region, "region", envOr("CMW_REGION", "CR"), "default region for phone numbers")
}

// account builds the account settings from -username, -tz and -region:
// given once, every package below takes them from here.
func (g *globals) account() (callmyway.Account, error) {
	loc, err := g.location()
	if err != nil {
		return callmyway.Account{}, err
	}
	a := callmyway.Account{Username: g.username, Location: loc, Region: strings.ToUpper(strings.TrimSpace(g.region))}
	if err := a.Validate(); err != nil {
		return a, usagef("%v", err)
	}
	return a, nil
}

func (g *globals) location() (*time.Location, error) {
	loc, err := time.LoadLocation(g.tz)
	if err != nil {
		return nil, usagef("-tz %q: %v", g.tz, err)
	}
	return loc, nil
}

// client builds the callmyway.Client from flags and environment.
func (g *globals) client() (*callmyway.Client, error) {
	if g.password == "" {
		g.password = os.Getenv("CMW_PASSWORD")
	}
	if g.username == "" || g.password == "" {
		return nil, usagef("credentials missing: set CMW_USERNAME and CMW_PASSWORD")
	}
	acct, err := g.account()
	if err != nil {
		return nil, err
	}
	var opts []callmyway.Option
	host := callmyway.DefaultCDRURL
	if g.baseURL != "" {
		opts = append(opts, callmyway.WithBaseURL(g.baseURL))
		host = g.baseURL
	}
	lim, err := newFileLimiter(g.username, host)
	if err != nil {
		return nil, err
	}
	opts = append(opts, callmyway.WithQueryLimiter(lim))
	c, err := callmyway.New(acct, g.password, opts...)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return c, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "cmw: the CallMyWay command-line tool")
	fmt.Fprintln(w, "\nUsage: cmw COMMAND [flags] [args]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'cmw COMMAND -help' for a command's flags. Credentials: CMW_USERNAME, CMW_PASSWORD.")
}

// run is main without the process: testable, and used by testscript.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		g := &globals{stdout: stdout, stderr: stderr}
		err := c.run(ctx, g, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "cmw %s: %s\nusage: cmw %s %s\n", c.name, safetext.Terminal(err.Error()), c.name, c.args)
			return exitUsage
		case errors.Is(err, errFailed):
			return exitFailure
		default:
			// Errors carry text from CallMyWay, a CRM or the command line:
			// escaped, so it cannot drive the terminal or forge a line.
			fmt.Fprintf(stderr, "cmw %s: %s\n", c.name, safetext.Terminal(err.Error()))
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "cmw: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// errFailed is returned after the command already reported the failure.
var errFailed = errors.New("failed")

// newFlags returns a FlagSet for a subcommand with the global flags.
func newFlags(g *globals, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("cmw "+name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	g.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: cmw %s %s\n\nflags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning a bad flag into a usage error and -help into
// flag.ErrHelp (printed to stdout).
func parse(fs *flag.FlagSet, g *globals, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(g.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

// interleave moves flags after positional arguments to the front, so
// "cmw dial 8000001 88887777 -contact-first" works.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") {
				if f := fs.Lookup(name); f != nil {
					if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
						if i+1 < len(args) {
							flags = append(flags, args[i+1])
							i++
						}
					}
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}
