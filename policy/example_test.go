package policy_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/policy"
)

// The policy wired into the Dialer: the second dial to the same case
// within the hour is refused, with the rule and the next allowed time,
// and nothing is sent to CallMyWay.
func Example() {
	fake := cmwtest.NewServer()
	defer fake.Close()
	client, _ := fake.NewClient()
	acct := fake.Account()
	store, _ := calls.NewMemoryStore()
	ledger, _ := calls.New(acct, store)
	now := func() time.Time { return time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) } // 09:00 in Costa Rica
	p, err := policy.New(acct, ledger, policy.Limits{MaxAttempts: 1, Window: time.Hour,
		Hours: policy.Hours{Start: 8 * time.Hour, End: 20 * time.Hour}}, policy.WithClock(now))
	if err != nil {
		panic(err)
	}
	dialer, _ := click2dial.New(client, click2dial.WithPolicy(p), click2dial.WithOnAccepted(ledger.RecordAccepted))
	ana := callmyway.Endpoint{ID: "5001", User: "8000001"}
	bea := callmyway.Endpoint{ID: "5002", User: "8000002"}
	ctx := context.Background()

	_, err = dialer.Dial(ctx, click2dial.Request{Agent: ana, Number: "8888-1111", Meta: map[string]string{"case": "K-77"}})
	fmt.Println("first:", err)
	_, err = dialer.Dial(ctx, click2dial.Request{Agent: bea, Number: "8888-1111", Meta: map[string]string{"case": "K-77"}})
	var re *policy.RefusalError
	if errors.As(err, &re) {
		fmt.Println("second:", re.Rule, "until", re.NextAllowed.Format(time.Kitchen))
	}
	// A supervisor lets it through, with a reason.
	_, err = dialer.Dial(ctx, click2dial.Request{Agent: bea, Number: "8888-1111", Meta: map[string]string{"case": "K-77"},
		Override: click2dial.Override{By: "sup-1", Reason: "the customer asked to be called now"}})
	fmt.Println("override:", err)
	fmt.Println("requests sent:", fake.RequestCount(""))
	// Output:
	// first: <nil>
	// second: max-attempts until 4:00PM
	// override: <nil>
	// requests sent: 2
}

// The report: per customer, every attempt and refusal with its rule.
func ExamplePolicy_Report() {
	store, _ := calls.NewMemoryStore()
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ledger, _ := calls.New(acct, store)
	t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	now := t0
	p, _ := policy.New(acct, ledger, policy.Limits{MaxAttempts: 1, Window: time.Hour}, policy.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	for i, ref := range []string{"a", "b"} {
		now = t0.Add(time.Duration(i) * time.Minute)
		n, _ := number.Parse("88881111", "CR")
		_ = p.Admit(ctx, click2dial.Attempt{Ref: ref, Agent: callmyway.Endpoint{User: "8000001"}, Number: n, Meta: map[string]string{"case": "K-1"}})
	}
	rep, _ := p.Report(ctx, t0, t0.Add(time.Hour))
	for _, c := range rep {
		fmt.Println(c.Subject, "dialled", c.Dialled, "refused", c.Refused)
		for _, a := range c.Attempts {
			fmt.Println(" ", a.At.Format("15:04"), a.CallID, cmp.Or(a.Rule, "-"))
		}
	}
	// Output:
	// case:K-1 dialled 1 refused 1
	//   15:00 dial:a -
	//   15:01 refusal:b max-attempts
}

// The report streamed as CSV, one customer at a time: the memory it takes
// is one customer's attempts, however long the range.
func ExampleWriteReportCSVSeq() {
	store, _ := calls.NewMemoryStore()
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	ledger, _ := calls.New(acct, store)
	t0 := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	now := t0
	p, _ := policy.New(acct, ledger, policy.Limits{MaxAttempts: 1, Window: time.Hour}, policy.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	for i, ref := range []string{"a", "b"} {
		now = t0.Add(time.Duration(i) * time.Minute)
		n, _ := number.Parse("88881111", "CR")
		_ = p.Admit(ctx, click2dial.Attempt{Ref: ref, Agent: callmyway.Endpoint{User: "8000001"}, Number: n, Meta: map[string]string{"case": "K-1"}})
	}
	var out strings.Builder // an http.ResponseWriter, a file...
	if err := policy.WriteReportCSVSeq(&out, p.ReportSeq(ctx, t0, t0.Add(time.Hour))); err != nil {
		fmt.Println(err)
	}
	fmt.Print(strings.TrimPrefix(out.String(), "\ufeff")) // the byte order mark
	// Output:
	// subject,at,call,agent,number,result,rule,next_allowed,detail,override_by,override_reason,campaign
	// case:K-1,2026-03-02T15:00:00Z,dial:a,8000001,'+50688881111,dialled,,,,,,
	// case:K-1,2026-03-02T15:01:00Z,refusal:b,8000001,'+50688881111,refused,max-attempts,2026-03-02T16:00:00Z,1 dials within 1h0m0s (at most 1),,,
}
