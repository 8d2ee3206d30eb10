package click2dial

import (
	"context"
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
				for _, a := range []string{"8000001", "8000002"} {
					if !fake.Busy(a) {
						d.Release(a)
					}
				}
			}
		}()
		var last atomic.Value
		c := &Campaign{
			Dialer: d, Agents: []string{"8000001", "8000002"}, PerMinute: 6,
			DoNotCall: func(_ context.Context, n callmyway.Number) (bool, error) { return n.E164 == "+50688880002", nil },
			Progress:  func(p Progress) { last.Store(p) },
		}
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
			}
		}
	})
}

func TestCampaignStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, d := newDialer(t, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
		defer cancel()
		c := &Campaign{Dialer: d, Agents: []string{"8000001"}, PerMinute: 60}
		res, err := c.Run(ctx, []string{"88880001", "88880002", "88880003"})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, Dialled, res[0].Status)
		assert.Equal(t, Pending, res[1].Status, "agent busy until the 5 min timeout: not reached")
		assert.Equal(t, Pending, res[2].Status)
	})
}

func TestCampaignValidates(t *testing.T) {
	_, d := newDialer(t, nil)
	for _, c := range []*Campaign{{}, {Dialer: d}, {Dialer: d, Agents: []string{"1"}}} {
		_, err := c.Run(context.Background(), nil)
		assert.Error(t, err)
	}
}

func TestCallingHours(t *testing.T) {
	h := &CallingHours{Start: 8 * time.Hour, End: 20 * time.Hour, Days: []time.Weekday{time.Monday}}
	cr, _ := callmyway.ParseNumber("88887777", "CR")      // America/Costa_Rica, UTC-6
	mon := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC) // Monday 09:00 in Costa Rica
	assert.True(t, h.Allows(cr, mon))
	assert.False(t, h.Allows(cr, mon.Add(-2*time.Hour)), "07:00 local")
	assert.False(t, h.Allows(cr, mon.Add(24*time.Hour)), "Tuesday")
}

func BenchmarkDial(b *testing.B) {
	fake, agents := benchFake(b)
	client, err := callmyway.New(fake.Username(), fake.Password(), callmyway.WithBaseURL(fake.URL))
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
		if _, err := d.Dial(ctx, Request{Agent: a, Contact: "88887777"}); err != nil {
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
		q := url.Values{"username": {fake.Username()}, "password": {fake.Password()}, "first_num": {agents[i%len(agents)]}, "second_num": {"50688887777"}}
		resp, err := http.Get(fake.URL + callmyway.PathClickToDial + "?" + q.Encode())
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// benchFake is a fake with many agents whose calls end at once.
func benchFake(b *testing.B) (*cmwtest.Server, []string) {
	var eps []cmwtest.Endpoint
	var agents []string
	for i := 0; i < 1000; i++ {
		u := "70" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "00"
		eps = append(eps, cmwtest.Endpoint{ID: u, Username: u, Password: "p"})
		agents = append(agents, u)
	}
	fake := cmwtest.NewServer(cmwtest.WithAccount("1", agents[0], "p"), cmwtest.WithEndpoints(eps...))
	fake.SetScript(func(cmwtest.DialRequest) cmwtest.Script {
		return cmwtest.Script{Outcome: cmwtest.AgentNoAnswer, Ring: time.Microsecond}
	})
	b.Cleanup(fake.Close)
	return fake, agents
}
