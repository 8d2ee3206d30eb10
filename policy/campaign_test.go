package policy_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/policy"
)

// TestCampaignThousandCustomers runs a campaign over 1,000 customers
// through the policy and the fake CallMyWay: every tenth is over the cap
// (two dials already today), every tenth outside calling hours (a
// customer in Madrid at 01:00), every tenth on do-not-call, and every
// tenth has one dial today and is listed twice. The report accounts for
// every customer, and no placed dial breaks a rule.
func TestCampaignThousandCustomers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := cmwtest.NewServer(cmwtest.InProcess())
		defer fake.Close()
		fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script {
			return cmwtest.Script{Outcome: cmwtest.ContactNoAnswer, Ring: time.Second}
		})
		client, err := fake.NewClient()
		require.NoError(t, err)
		acct := fake.Account()
		st, err := calls.NewMemoryStore()
		require.NoError(t, err)
		l, err := calls.New(acct, st)
		require.NoError(t, err)

		madrid := mustZone(t, "Europe/Madrid")
		const customers = 1000
		cust := customers_{}
		lim := policy.Limits{MaxAttempts: 2, Window: 24 * time.Hour, Hours: policy.Hours{Start: 8 * time.Hour, End: 20 * time.Hour}}
		p, err := policy.New(acct, l, lim, policy.WithCustomers(cust))
		require.NoError(t, err)

		start := time.Now() // 2000-01-01 00:00 UTC: 18:00 in Costa Rica, 01:00 in Madrid
		var targets []click2dial.Target
		num := func(i int) string { return fmt.Sprintf("+5068800%04d", i) }
		caseOf := func(i int) string { return fmt.Sprintf("c%04d", i) }
		for i := range customers {
			c := caseOf(i)
			seed := 0
			switch i % 10 {
			case 0:
				seed = 2
			case 1:
				cust[c] = policy.Customer{Zone: madrid}
			case 2:
				cust[c] = policy.Customer{DoNotCall: true}
			case 3:
				seed = 1
			}
			for j := range seed {
				_, err := l.RecordDial(t.Context(), calls.Dial{Ref: fmt.Sprintf("seed-%d-%d", i, j), Agent: agent, Number: num(i),
					At: start.Add(-time.Duration(j+1) * time.Hour), Meta: map[string]string{"case": c}})
				require.NoError(t, err)
			}
			targets = append(targets, click2dial.Target{Number: num(i), Meta: map[string]string{"case": c}})
			if i%10 == 3 {
				targets = append(targets, click2dial.Target{Number: num(i), Meta: map[string]string{"case": c}})
			}
		}

		d, err := click2dial.New(client, click2dial.WithPolicy(p), click2dial.WithOnAccepted(l.RecordAccepted),
			click2dial.WithBusyTimeout(10*time.Second), click2dial.WithDoubleClickWindow(0))
		require.NoError(t, err)
		var agents []callmyway.Endpoint
		for _, e := range fake.Endpoints()[:3] {
			agents = append(agents, e.Endpoint)
		}
		camp, err := click2dial.NewCampaign(d, agents, click2dial.WithPace(6000),
			click2dial.WithCampaignMeta(map[string]string{"campaign": "nov"}))
		require.NoError(t, err)
		res, err := camp.RunTargets(t.Context(), targets)
		require.NoError(t, err)
		end := time.Now()

		// The campaign: every target dialled or skipped by a rule.
		rules := map[string]map[policy.Rule]int{}
		dialled := map[string]int{}
		for i, r := range res {
			c := targets[i].Meta["case"]
			switch r.Status {
			case click2dial.Dialled:
				dialled[c]++
			case click2dial.Skipped:
				var re *policy.RefusalError
				require.True(t, errors.As(r.Err, &re), "target %d: %v", i, r.Err)
				if rules[c] == nil {
					rules[c] = map[policy.Rule]int{}
				}
				rules[c][re.Rule]++
			default:
				t.Fatalf("target %d: %v %s", i, r.Status, r.Reason)
			}
		}
		for i := range customers {
			c := caseOf(i)
			switch i % 10 {
			case 0:
				assert.Equal(t, map[policy.Rule]int{policy.RuleMaxAttempts: 1}, rules[c], c)
			case 1:
				assert.Equal(t, map[policy.Rule]int{policy.RuleCallingHours: 1}, rules[c], c)
			case 2:
				assert.Equal(t, map[policy.Rule]int{policy.RuleDoNotCall: 1}, rules[c], c)
			case 3:
				assert.Equal(t, 1, dialled[c], c)
				assert.Equal(t, map[policy.Rule]int{policy.RuleMaxAttempts: 1}, rules[c], c)
			default:
				assert.Equal(t, 1, dialled[c], c)
				assert.Nil(t, rules[c], c)
			}
		}
		placed := 0
		for _, n := range dialled {
			placed += n
		}
		assert.Equal(t, 700, placed)
		assert.Equal(t, placed, fake.RequestCount(""), "a refused dial sends nothing")

		// The report accounts for every customer and every target.
		rep, err := p.Report(t.Context(), start, end.Add(time.Second))
		require.NoError(t, err)
		require.Len(t, rep, customers)
		total := 0
		for _, r := range rep {
			total += len(r.Attempts)
			for _, a := range r.Attempts {
				assert.Equal(t, "nov", a.Campaign)
				if a.Refused {
					assert.NotEmpty(t, a.Rule)
				}
			}
		}
		assert.Equal(t, len(targets), total)

		// No placed dial broke a rule: checked again from the ledger,
		// without the policy's code.
		var hist []calls.Call
		for c, err := range l.Calls(t.Context(), calls.Query{From: start.Add(-48 * time.Hour)}) {
			require.NoError(t, err)
			hist = append(hist, c)
		}
		for _, c := range hist {
			if c.Admission.IsZero() {
				continue // seeded
			}
			cs := cust[c.Case]
			assert.False(t, cs.DoNotCall, c.Case)
			zones := policy.Zones(c.Number, acct.Location)
			if cs.Zone != nil {
				zones = nil
				zones = append(zones, cs.Zone)
			}
			for _, z := range zones {
				h := c.Admission.At.In(z).Hour()
				assert.True(t, h >= 8 && h < 20, "%s dialled at %v in %v", c.Case, c.Admission.At, z)
			}
			n := 0
			for _, o := range hist {
				if o.Case == c.Case && o.Start.After(c.Start.Add(-24*time.Hour)) && !o.Start.After(c.Start) {
					n++
				}
			}
			assert.LessOrEqual(t, n, 2, "%s: %d dials within 24 h", c.Case, n)
		}
	})
}

// customers_ is a Customers keyed by case.
type customers_ map[string]policy.Customer

func (c customers_) Customer(_ context.Context, s policy.Subject) (policy.Customer, error) {
	return c[s.Case], nil
}
