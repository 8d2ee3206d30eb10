package policy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/internal/testclock"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/policy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable clock shared by a ledger and what reads it.
type clock = testclock.Clock

var (
	acct  = callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	agent = callmyway.Endpoint{ID: "5001", User: "8000001"}
	t0    = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) // 09:00 in Costa Rica, a Monday
)

// customers is an in-memory Customers.
type customers map[string]policy.Customer

func (c customers) Customer(_ context.Context, s policy.Subject) (policy.Customer, error) {
	return c[s.Key()], nil
}

func setup(t testing.TB, lim policy.Limits, opts ...policy.Option) (*calls.Ledger, *policy.Policy, *clock) {
	t.Helper()
	clk := testclock.New(t0)
	st, err := calls.NewMemoryStore(calls.WithStoreClock(clk.Now))
	require.NoError(t, err)
	l, err := calls.New(acct, st, calls.WithClock(clk.Now))
	require.NoError(t, err)
	p, err := policy.New(acct, l, lim, append([]policy.Option{policy.WithClock(clk.Now)}, opts...)...)
	require.NoError(t, err)
	return l, p, clk
}

var refs int

func attempt(t testing.TB, caseID, num string) click2dial.Attempt {
	t.Helper()
	n, err := number.Parse(num, "CR")
	require.NoError(t, err)
	refs++
	meta := map[string]string{}
	if caseID != "" {
		meta["case"] = caseID
	}
	return click2dial.Attempt{Ref: fmt.Sprintf("r%d", refs), Agent: agent, Number: n, Meta: meta}
}

func refusal(t testing.TB, err error) *policy.RefusalError {
	t.Helper()
	require.ErrorIs(t, err, policy.ErrRefused)
	require.ErrorIs(t, err, click2dial.ErrRefusedByPolicy)
	var re *policy.RefusalError
	require.ErrorAs(t, err, &re)
	return re
}

func TestMaxAttemptsWindowEdges(t *testing.T) {
	l, p, clk := setup(t, policy.Limits{MaxAttempts: 2, Window: time.Hour})
	ctx := t.Context()
	require.NoError(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	clk.Advance(10 * time.Minute)
	require.NoError(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	// Another customer is not affected.
	require.NoError(t, p.Admit(ctx, attempt(t, "k2", "88882222")))

	clk.Advance(10 * time.Minute)
	re := refusal(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	assert.Equal(t, policy.RuleMaxAttempts, re.Rule)
	assert.Equal(t, "case:k1", re.Subject)
	assert.True(t, re.NextAllowed.Equal(t0.Add(time.Hour)), "the first dial leaves the window at t0+1h: %v", re.NextAllowed)
	assert.Contains(t, re.Error(), "max-attempts")

	// One microsecond before the edge: still refused; refusals do not
	// count, so the next allowed time does not move.
	clk.Set(t0.Add(time.Hour - time.Microsecond))
	re = refusal(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	assert.True(t, re.NextAllowed.Equal(t0.Add(time.Hour)))
	// At the edge the first dial no longer counts.
	clk.Set(t0.Add(time.Hour))
	require.NoError(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	// Now the second (t0+10m) and third (t0+1h) count: next at t0+1h10m.
	re = refusal(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	assert.True(t, re.NextAllowed.Equal(t0.Add(70*time.Minute)), "%v", re.NextAllowed)

	// Refusals are in the ledger, left out of the call history.
	var n, refused int
	for c, err := range l.Calls(ctx, calls.Query{Case: "k1"}) {
		require.NoError(t, err)
		n++
		assert.NotEqual(t, calls.StateRefused, c.State)
	}
	for c, err := range l.Calls(ctx, calls.Query{Case: "k1", State: calls.StateRefused}) {
		require.NoError(t, err)
		refused++
		assert.Equal(t, "max-attempts", c.Admission.Rule)
		assert.False(t, c.Live)
	}
	assert.Equal(t, 3, n)
	assert.Equal(t, 3, refused)
}

func TestNotPlacedDoesNotCount(t *testing.T) {
	_, p, clk := setup(t, policy.Limits{MaxAttempts: 1, Window: time.Hour})
	ctx := t.Context()
	a := attempt(t, "k1", "88881111")
	require.NoError(t, p.Admit(ctx, a))
	refusal(t, p.Admit(ctx, attempt(t, "k1", "88881111")))
	require.NoError(t, p.NotPlaced(ctx, a.Ref, errors.New("ERROR: not an endpoint")))
	clk.Advance(time.Second)
	require.NoError(t, p.Admit(ctx, attempt(t, "k1", "88881111")), "a dial CallMyWay refused is no attempt")
}

func TestSameRefTwiceIsOneAttempt(t *testing.T) {
	l, p, _ := setup(t, policy.Limits{MaxAttempts: 1, Window: time.Hour})
	ctx := t.Context()
	a := attempt(t, "k1", "88881111")
	require.NoError(t, p.Admit(ctx, a))
	require.NoError(t, p.Admit(ctx, a), "the same attempt again is the attempt first recorded")
	n := 0
	for _, err := range l.Calls(ctx, calls.Query{Case: "k1", Refusals: true}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n)
}

func TestCooldown(t *testing.T) {
	l, p, clk := setup(t, policy.Limits{Cooldown: 30 * time.Minute})
	ctx := t.Context()
	// An inbound call from the customer, connected, ended at t0+5m.
	_, err := l.ApplyEvent(ctx, calls.Event{CallID: "in1", Action: calls.ActionStart, Endpoint: callmyway.Endpoint{ID: "5001"},
		Direction: callmyway.DirectionInbound, Number: "+50688881111", Detect: t0, Connect: t0.Add(10 * time.Second)})
	require.NoError(t, err)
	// Still connected: refused.
	clk.Advance(time.Minute)
	re := refusal(t, p.Admit(ctx, attempt(t, "", "88881111")))
	assert.Equal(t, policy.RuleCooldown, re.Rule)
	assert.Equal(t, "number:+50688881111", re.Subject)
	_, err = l.ApplyEvent(ctx, calls.Event{CallID: "in1", Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: "5001"},
		Direction: callmyway.DirectionInbound, Number: "+50688881111", Detect: t0, Connect: t0.Add(10 * time.Second),
		Disconnect: t0.Add(5 * time.Minute), Duration: 290 * time.Second})
	require.NoError(t, err)
	clk.Set(t0.Add(35*time.Minute - time.Microsecond))
	re = refusal(t, p.Admit(ctx, attempt(t, "", "88881111")))
	assert.Equal(t, policy.RuleCooldown, re.Rule)
	assert.True(t, re.NextAllowed.Equal(t0.Add(35*time.Minute)), "%v", re.NextAllowed)
	clk.Set(t0.Add(35 * time.Minute))
	require.NoError(t, p.Admit(ctx, attempt(t, "", "88881111")))
	// A call that never connected starts no cool-down.
	_, err = l.ApplyEvent(ctx, calls.Event{CallID: "in2", Action: calls.ActionEnd, Endpoint: callmyway.Endpoint{ID: "5001"},
		Direction: callmyway.DirectionInbound, Number: "+50688882222", Detect: t0, Disconnect: t0.Add(time.Minute)})
	require.NoError(t, err)
	require.NoError(t, p.Admit(ctx, attempt(t, "", "88882222")))
}

func TestDoNotCallAndOverride(t *testing.T) {
	l, p, clk := setup(t, policy.Limits{MaxAttempts: 1, Window: time.Hour},
		policy.WithCustomers(customers{"case:dnc": {DoNotCall: true}}))
	ctx := t.Context()
	re := refusal(t, p.Admit(ctx, attempt(t, "dnc", "88881111")))
	assert.Equal(t, policy.RuleDoNotCall, re.Rule)
	assert.True(t, re.NextAllowed.IsZero(), "no next attempt for do-not-call")

	// A supervisor overrides, with a reason: admitted, and kept.
	clk.Advance(time.Second)
	a := attempt(t, "dnc", "88881111")
	a.Override = click2dial.Override{By: "sup1", Reason: "customer asked to be called back"}
	require.NoError(t, p.Admit(ctx, a))
	c, err := l.Get(ctx, calls.DialPrefix+a.Ref)
	require.NoError(t, err)
	assert.Equal(t, "do-not-call", c.Admission.Rule)
	assert.Equal(t, "sup1", c.Admission.OverrideBy)
	assert.True(t, c.Admission.Overridden())
	assert.Equal(t, calls.StateRequested, c.State)

	clk.Advance(time.Minute)
	rep, err := p.Report(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	require.NoError(t, err)
	require.Len(t, rep, 1)
	assert.Equal(t, "case:dnc", rep[0].Subject)
	assert.Equal(t, 1, rep[0].Refused)
	assert.Equal(t, 1, rep[0].Dialled)
	assert.Equal(t, 1, rep[0].Overridden)
	require.Len(t, rep[0].Attempts, 2)
	assert.True(t, rep[0].Attempts[0].Refused)
	assert.Equal(t, policy.RuleDoNotCall, rep[0].Attempts[0].Rule)
	assert.Equal(t, "customer asked to be called back", rep[0].Attempts[1].OverrideReason)
	var buf bytes.Buffer
	require.NoError(t, policy.WriteReportCSV(&buf, rep))
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(buf.String(), "\ufeff"), "\n"), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, "subject,at,call,agent,number,result,rule,next_allowed,detail,override_by,override_reason,campaign", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "case:dnc,2026-03-02T15:00:00Z,refusal:"), lines[1])
	assert.Contains(t, lines[1], ",refused,do-not-call,,the customer is on the do-not-call list,,,")
	assert.Contains(t, lines[2], ",overridden,do-not-call,,the customer is on the do-not-call list,sup1,customer asked to be called back,")

	// An override needs a reason (the Dialer checks it too).
	b := attempt(t, "dnc", "88881111")
	b.Override = click2dial.Override{By: "sup1"}
	require.ErrorIs(t, p.Admit(ctx, b), calls.ErrInvalid)
}

func TestPerCustomerLimits(t *testing.T) {
	_, p, clk := setup(t, policy.Limits{MaxAttempts: 3, Window: time.Hour},
		policy.WithCustomers(customers{"case:vip": {Limits: &policy.Limits{MaxAttempts: 1, Window: 24 * time.Hour}}}))
	ctx := t.Context()
	require.NoError(t, p.Admit(ctx, attempt(t, "vip", "88881111")))
	clk.Advance(2 * time.Hour)
	re := refusal(t, p.Admit(ctx, attempt(t, "vip", "88881111")))
	assert.Equal(t, policy.RuleMaxAttempts, re.Rule)
	assert.True(t, re.NextAllowed.Equal(t0.Add(24*time.Hour)))
	d, err := p.Check(ctx, policy.Subject{Case: "vip"})
	require.NoError(t, err)
	assert.False(t, d.Allowed)
	assert.Equal(t, 1, d.Attempts)
	d, err = p.Check(ctx, policy.Subject{Case: "other"})
	require.NoError(t, err)
	assert.True(t, d.Allowed)
}

func TestNewValidates(t *testing.T) {
	l, _, _ := setup(t, policy.Limits{})
	for _, lim := range []policy.Limits{
		{MaxAttempts: -1},
		{MaxAttempts: 2},
		{Cooldown: -time.Second},
		{Hours: policy.Hours{Start: 20 * time.Hour, End: 8 * time.Hour}},
		{Hours: policy.Hours{Start: 8 * time.Hour, End: 25 * time.Hour}},
		{Hours: policy.Hours{Start: 8 * time.Hour, End: 9 * time.Hour, Days: []time.Weekday{9}}},
	} {
		_, err := policy.New(acct, l, lim)
		assert.Error(t, err, "%+v", lim)
	}
	_, err := policy.New(acct, nil, policy.Limits{})
	assert.Error(t, err)
	_, err = policy.New(acct, l, policy.Limits{}, nil)
	assert.Error(t, err)
	var zero *policy.Policy
	assert.ErrorIs(t, zero.Admit(t.Context(), click2dial.Attempt{}), policy.ErrNoPolicy)
}
