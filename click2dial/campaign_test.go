package click2dial

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
	"github.com/callmyway-go/sdk/number"
)

func TestCampaign(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake, d := newDialer(t, nil)
		// Agents free up when their simulated call ends, as a webhook
		// listener would report.
		fake.ScriptNext()
		go func() {
			for {
				select {
				case <-t.Context().Done():
					return
				case <-time.After(10 * time.Second):
				}
				for _, a := range []callmyway.Endpoint{ana, bea} {
					if !fake.Busy(a) {
						d.Release(a)
					}
				}
			}
		}()
		var last atomic.Value
		c, err := NewCampaign(d, []callmyway.Endpoint{ana, bea}, WithPace(6),
			WithDoNotCall(func(_ context.Context, n number.Number) (bool, error) { return n.E164 == "+50688880002", nil }),
			WithProgress(func(p Progress) { last.Store(p) }),
			WithCampaignMeta(map[string]string{"campaign": "nov"}))
		require.NoError(t, err)
		numbers := []string{"88880001", "88880002", "bad", "88880003", "88880004", "88880005"}
		start := time.Now()
		res, err := c.Run(t.Context(), numbers)
		require.NoError(t, err)
		require.Len(t, res, 6)
		statuses := []Status{}
		for _, r := range res {
			statuses = append(statuses, r.Status)
		}
		assert.Equal(t, []Status{Dialled, Skipped, Skipped, Dialled, Dialled, Dialled}, statuses)
		assert.Equal(t, "on the do-not-call list", res[1].Reason)
		assert.Contains(t, res[2].Reason, "invalid phone number")
		assert.Equal(t, Progress{Total: 6, Dialled: 4, Skipped: 2}, last.Load())
		assert.Equal(t, 4, fake.RequestCount(""))
		// Pace: 6 per minute, burst 1 → the 4th dial no sooner than 30 s in.
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Second)
		// No agent ever had two calls: the fake would have refused.
		for _, r := range res {
			if r.Status == Dialled {
				assert.Equal(t, "OK", r.Result.Raw)
				assert.Equal(t, "nov", r.Result.Meta["campaign"])
			}
		}
	})
}

func TestCampaignStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := newDialer(t, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
		defer cancel()
		c, err := NewCampaign(d, []callmyway.Endpoint{ana}, WithPace(60))
		require.NoError(t, err)
		res, err := c.Run(ctx, []string{"88880001", "88880002", "88880003"})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, Dialled, res[0].Status)
		assert.Equal(t, Pending, res[1].Status, "agent busy until the 5 min timeout: not reached")
		assert.Equal(t, Pending, res[2].Status)
	})
}

func TestCampaignValidates(t *testing.T) {
	_, d := newDialer(t, nil)
	_, err := NewCampaign(d, nil)
	assert.Error(t, err)
	_, err = NewCampaign(d, []callmyway.Endpoint{{ID: "5001"}})
	assert.Error(t, err, "an agent without a username cannot be dialled")
	for _, o := range []CampaignOption{WithPace(0), WithConcurrency(0), WithOrder(Order(3)), WithCampaignCallerID(""),
		WithCallingHours(CallingHours{Start: 9 * time.Hour, End: 8 * time.Hour}), WithDoNotCall(nil), WithProgress(nil), nil} {
		_, err := NewCampaign(d, []callmyway.Endpoint{ana}, o)
		assert.Error(t, err)
	}
}

func TestCallingHours(t *testing.T) {
	h := &CallingHours{Start: 8 * time.Hour, End: 20 * time.Hour, Days: []time.Weekday{time.Monday}}
	cr, _ := number.Parse("88887777", "CR")               // America/Costa_Rica, UTC-6
	mon := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC) // Monday 09:00 in Costa Rica
	assert.True(t, h.Allows(cr, mon))
	assert.False(t, h.Allows(cr, mon.Add(-2*time.Hour)), "07:00 local")
	assert.False(t, h.Allows(cr, mon.Add(24*time.Hour)), "Tuesday")

	// New York springs forward on 2026-03-08: 09:00 EDT is 13:00 UTC, eight
	// hours after a midnight that was EST.
	ny, _ := number.Parse("+12125550100", "CR")
	sun := &CallingHours{Start: 9 * time.Hour, End: 20 * time.Hour}
	assert.True(t, sun.Allows(ny, time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)), "09:00 EDT")
	assert.False(t, sun.Allows(ny, time.Date(2026, 3, 8, 12, 59, 0, 0, time.UTC)), "08:59 EDT")
	assert.False(t, sun.Allows(ny, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)), "20:00 EDT")
}

func BenchmarkDial(b *testing.B) {
	fake, agents := benchFake(b)
	client, err := callmyway.New(fake.Account(), fake.Password(), callmyway.WithBaseURL(fake.URL))
	if err != nil {
		b.Fatal(err)
	}
	d, err := New(client, WithDoubleClickWindow(0))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := agents[i%len(agents)]
		if _, err := d.Dial(ctx, Request{Agent: a, Number: "88887777"}); err != nil {
			b.Fatal(err)
		}
		d.Release(a)
	}
}

// BenchmarkDialBaseline is a plain http.Get of the same URL against the
// same local fake.
func BenchmarkDialBaseline(b *testing.B) {
	fake, agents := benchFake(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q := url.Values{"username": {fake.Account().Username}, "password": {fake.Password()}, "first_num": {agents[i%len(agents)].User}, "second_num": {"50688887777"}}
		resp, err := http.Get(fake.URL + callmyway.PathClickToDial + "?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// benchFake is a fake with many agents whose calls end at once.
func benchFake(b *testing.B) (*cmwtest.Server, []callmyway.Endpoint) {
	var eps []cmwtest.Endpoint
	var agents []callmyway.Endpoint
	for i := 0; i < 1000; i++ {
		u := fmt.Sprintf("70%03d00", i)
		e := callmyway.Endpoint{ID: fmt.Sprint(6000 + i), User: u}
		eps = append(eps, cmwtest.Endpoint{Endpoint: e, Password: "p"})
		agents = append(agents, e)
	}
	acct := cmwtest.DefaultAccount
	acct.Username = agents[0].User
	fake := cmwtest.NewServer(cmwtest.WithAccount(acct, "p"), cmwtest.WithEndpoints(eps...))
	fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script {
		return cmwtest.Script{Outcome: cmwtest.AgentNoAnswer, Ring: time.Microsecond}
	})
	b.Cleanup(fake.Close)
	return fake, agents
}
