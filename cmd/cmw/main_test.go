package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cmw": main,
	})
}

var (
	fakesMu sync.Mutex
	fakes   = map[string]*cmwtest.Server{}
)

// TestScripts runs testdata/script/*.txtar. Each script gets its own fake
// CallMyWay, with CMW_BASE_URL, CMW_USERNAME and CMW_PASSWORD set, and a
// "fake" command to script it.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			s := cmwtest.NewServer(cmwtest.WithAllowedFirstNumbers("50688881111"), cmwtest.WithFirstCallID(900000000))
			fakesMu.Lock()
			fakes[env.WorkDir] = s
			fakesMu.Unlock()
			env.Defer(s.Close)
			env.Setenv("CMW_BASE_URL", s.URL)
			env.Setenv("CMW_USERNAME", s.Account().Username)
			env.Setenv("CMW_PASSWORD", s.Password())
			env.Setenv("CMW_TZ", "UTC")
			env.Setenv("CMW_STATE_DIR", env.WorkDir)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fake": cmdFake,
		},
	})
}

// cmdFake scripts the script's fake:
//
//	fake deny-ip                 refuse this machine's IP
//	fake history N FROM TO       generate N CDRs between two dates (YYYY-MM-DD)
//	fake inbound FROM ENDPOINT   place an inbound call
//	fake webhook URL             send events to URL
//	fake violations N            assert the penalty count
//	fake cdr CALLID ANI TIME     add a CDR with this ANI at TIME (YYYY-MM-DD HH:MM:SS)
//	fake post URL BODY           POST BODY (Go-quoted) to URL, as a hostile sender would
//	fake fail php                answer the next request with a 200 PHP warning page
//	fake answer STATUS BODY      point CMW_BASE_URL at a server that answers every
//	                             request with STATUS and BODY (Go-quoted), as a
//	                             hostile or broken provider would
func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	fakesMu.Lock()
	s := fakes[ts.Getenv("WORK")]
	fakesMu.Unlock()
	if len(args) == 0 {
		ts.Fatalf("usage: fake deny-ip|history|inbound|webhook|violations ...")
	}
	switch args[0] {
	case "deny-ip":
		if err := s.SetAllowedIPs("203.0.113.0/24"); err != nil {
			ts.Fatalf("%v", err)
		}
	case "cdr":
		at, err := time.Parse("2006-01-02 15:04:05", args[3])
		if err != nil {
			ts.Fatalf("bad time: %v", err)
		}
		s.AddCDRs(cmwtest.CDR{CallID: args[1], OriginalCallID: args[1], RefCallID: "0", ANI: args[2], DNIS: "8000001",
			DNISUser: "8000001", Type: "incoming", DetectTime: at, DisconnectTime: at.Add(time.Minute), EndReason: "NO_ANSWER"})
	case "fail":
		if args[1] != "php" {
			ts.Fatalf("fake fail: only php")
		}
		s.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultPHPWarning})
	case "post":
		body, err := strconv.Unquote(args[2])
		if err != nil {
			ts.Fatalf("body must be Go-quoted: %v", err)
		}
		resp, err := http.Post(args[1], "application/json", strings.NewReader(body))
		if err != nil {
			ts.Fatalf("post: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			ts.Fatalf("post: HTTP %d", resp.StatusCode)
		}
	case "history":
		n, _ := strconv.Atoi(args[1])
		from, err1 := time.Parse("2006-01-02", args[2])
		to, err2 := time.Parse("2006-01-02", args[3])
		if err1 != nil || err2 != nil {
			ts.Fatalf("bad dates")
		}
		s.GenerateHistory(n, from, to, 1)
	case "inbound":
		if _, err := s.Inbound(args[1], callmyway.Endpoint{ID: args[2]}); err != nil {
			ts.Fatalf("%v", err)
		}
	case "answer":
		if len(args) != 3 {
			ts.Fatalf("usage: fake answer STATUS BODY")
		}
		status, err := strconv.Atoi(args[1])
		if err != nil {
			ts.Fatalf("bad status: %v", err)
		}
		body, err := strconv.Unquote(args[2])
		if err != nil {
			ts.Fatalf("body must be Go-quoted: %v", err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		ts.Defer(srv.Close)
		ts.Setenv("CMW_BASE_URL", srv.URL)
	case "webhook":
		s.SetWebhooks(args[1])
	case "violations":
		if got := fmt.Sprint(s.Violations()); got != args[1] {
			ts.Fatalf("violations: got %s, want %s", got, args[1])
		}
	default:
		ts.Fatalf("unknown fake command %q", args[0])
	}
}
