package homologation_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/cmwtest/homologation"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestReferencePassesEveryScenario certifies the SDK's own wiring.
func TestReferencePassesEveryScenario(t *testing.T) {
	t.Parallel()
	r, err := homologation.New()
	require.NoError(t, err)
	defer r.Close()
	ref, err := homologation.NewReference(r)
	require.NoError(t, err)
	defer ref.Close()
	rep, err := r.Run(t.Context(), ref.Target())
	require.NoError(t, err)
	for _, x := range rep.Results {
		t.Logf("%-16s %s %v %s", x.ID, x.Verdict, x.Duration.Round(1e6), x.Reason)
		assert.Equal(t, homologation.Pass, x.Verdict, "%s: %s", x.ID, x.Reason)
	}
	assert.Len(t, rep.Results, len(homologation.Scenarios()))
	assert.True(t, rep.Passed())
	if os.Getenv("HOMOLOGATION_DUMP") != "" {
		f, _ := os.Create(os.Getenv("HOMOLOGATION_DUMP"))
		rep.WriteHTML(f)
		f.Close()
	}
}

// TestBrokenCRMsFailTheirScenario runs every scenario against stand-in
// CRMs, each with one deliberate defect: each must fail exactly the
// scenarios listed, with a reason, and the stand-in without a defect must
// pass them all (so the failures are the defects', not the stand-in's).
// The runs are concurrent (each has its own fake): most of a run is
// waiting out the 4-second rule.
func TestBrokenCRMsFailTheirScenario(t *testing.T) {
	t.Parallel()
	want := map[defect][]string{
		correct:             nil,
		noDedupe:            {"duplicates", "redelivery"},
		dedupeForgets:       {"redelivery"},
		lastEventWins:       {"reversed"},
		ignoresZone:         {"zone"},
		dropsFuture:         {"clock-skew", "redelivery"}, // once the provider runs ahead, every call is dropped
		noBackfill:          {"outage"},
		firstCDRWins:        {"late-cdr"},
		phantomLegs:         {"ring-group"},
		anonymousIsNumber:   {"withheld"},
		guessesContact:      {"shared"},
		acceptedIsConnected: {"never-connected"},
		retriesAtOnce:       {"query-faults"},
		ownerIsCurrent:      {"reassigned"},
	}
	type outcome struct {
		rep *homologation.Report
		err error
	}
	var mu sync.Mutex
	got := map[defect]outcome{}
	var wg sync.WaitGroup
	for d := range want {
		wg.Go(func() {
			rep, err := runNaive(t.Context(), d)
			mu.Lock()
			got[d] = outcome{rep, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	for d, scenarios := range want {
		name := string(d)
		if name == "" {
			name = "correct"
		}
		t.Run(name, func(t *testing.T) {
			o := got[d]
			require.NoError(t, o.err)
			var failed []string
			for _, x := range o.rep.Results {
				switch x.Verdict {
				case homologation.Fail:
					failed = append(failed, x.ID)
					t.Logf("%s FAIL: %s", x.ID, x.Reason)
					assert.NotEmpty(t, x.Reason)
				case homologation.Skip:
					t.Errorf("%s skipped: %s", x.ID, x.Reason)
				}
			}
			assert.ElementsMatch(t, scenarios, failed)
		})
	}
}

func runNaive(ctx context.Context, d defect) (*homologation.Report, error) {
	r, err := homologation.New()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	crm, err := newNaiveCRM(r, d)
	if err != nil {
		return nil, err
	}
	defer crm.Close()
	return r.Run(ctx, crm.target())
}

func TestOptionsAndTargetValidate(t *testing.T) {
	for _, o := range []homologation.Option{nil, homologation.WithCDRWait(0), homologation.WithScenarios("nope"),
		homologation.WithFakeAddr(" "), homologation.WithSharedNumber("call me"), homologation.WithFakeOptions(nil),
		homologation.WithAccount(callmyway.Account{Username: "8000001"}, "pw"), homologation.WithAccount(cmwtest.DefaultAccount, "")} {
		_, err := homologation.New(o)
		assert.Error(t, err)
	}
	r, err := homologation.New(homologation.WithScenarios("duplicates"))
	require.NoError(t, err)
	defer r.Close()
	for _, tg := range []homologation.Target{{}, {WebhookURL: "ftp://x/y", LedgerURL: "http://crm/ledger/"}, {WebhookURL: "http://crm/hook", LedgerURL: "/ledger/"}} {
		_, err := r.Run(t.Context(), tg)
		assert.ErrorIs(t, err, homologation.ErrTarget)
	}
	assert.NotEmpty(t, homologation.SDKVersion())
	assert.Len(t, homologation.Scenarios(), 13)
}

// TestReportForms checks the three forms carry the run's facts and never
// the password, a failure and a skip included.
func TestReportForms(t *testing.T) {
	rep := homologation.NewReport(callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}, "a <CRM>")
	rep.Results = []homologation.Result{
		{ID: "duplicates", Name: "dup", Verdict: homologation.Pass, Reason: "ok", Sent: []homologation.Sent{{Action: "callStart", CallID: "1", Status: 200, Answer: `{"ack":"ok"}`}}},
		{ID: "zone", Name: "zone", Verdict: homologation.Fail, Reason: "off by 6h", Ledger: []homologation.LedgerRead{{Request: "GET 1", Status: 200, Body: []byte(`{"id":"1"}`)}}},
		{ID: "reassigned", Name: "re", Verdict: homologation.Skip, Reason: "no hooks"},
	}
	assert.False(t, rep.Passed())
	var h, j, x strings.Builder
	require.NoError(t, rep.WriteHTML(&h))
	require.NoError(t, rep.WriteJSON(&j))
	require.NoError(t, rep.WriteJUnit(&x))
	assert.Contains(t, h.String(), "NOT PASSED")
	assert.Contains(t, h.String(), "a &lt;CRM&gt;", "escaped")
	assert.Contains(t, h.String(), "off by 6h")
	assert.Contains(t, j.String(), `"verdict": "FAIL"`)
	assert.Contains(t, j.String(), `"account": "8000001"`)
	assert.Contains(t, x.String(), `tests="3" failures="1" skipped="1"`)
	assert.Contains(t, x.String(), `<failure message="off by 6h">`)
	assert.Contains(t, x.String(), `<skipped message="no hooks">`)
	var back homologation.Report
	require.NoError(t, json.Unmarshal([]byte(j.String()), &back))
	assert.Equal(t, rep.Results[1].Reason, back.Results[1].Reason)
	assert.Contains(t, h.String(), "the SDK's fake (cmwtest) at")
	assert.NotContains(t, h.String(), "<th>Hooks</th>", "no hooks URL, no row")
}

// TestLiveReportNamesTheLiveAccount: a run against the live account says
// so, and does not speak of a fake, a webhook or a ledger it never had.
func TestLiveReportNamesTheLiveAccount(t *testing.T) {
	rep := homologation.NewReport(callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}, "the live CallMyWay account")
	rep.Live = true
	rep.Results = []homologation.Result{{ID: "live-01", Name: "credentials", Verdict: homologation.Pass, Reason: "as expected"}}
	var h, j, x strings.Builder
	require.NoError(t, rep.WriteHTML(&h))
	require.NoError(t, rep.WriteJSON(&j))
	require.NoError(t, rep.WriteJUnit(&x))
	assert.Contains(t, h.String(), "<td>the live CallMyWay account (no fake)</td>")
	assert.NotContains(t, h.String(), "fake (cmwtest)")
	assert.NotContains(t, h.String(), "none")
	assert.NotContains(t, h.String(), "<th>Webhook</th>")
	assert.Contains(t, j.String(), `"live": true`)
	assert.Contains(t, x.String(), `<property name="callmyway" value="live">`)
}
