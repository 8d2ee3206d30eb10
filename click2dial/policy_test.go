package click2dial

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cmwtest"
)

// fakePolicy records what the Dialer asks, and refuses numbers in refuse.
type fakePolicy struct {
	mu        sync.Mutex
	attempts  []Attempt
	notPlaced []string
	refuse    map[string]error
}

func (p *fakePolicy) Admit(_ context.Context, a Attempt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attempts = append(p.attempts, a)
	return p.refuse[a.Number.E164]
}

func (p *fakePolicy) NotPlaced(_ context.Context, ref string, cause error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notPlaced = append(p.notPlaced, ref)
	return nil
}

func TestPolicyIsAskedBeforeSending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("ledger down")
		p := &fakePolicy{refuse: map[string]error{
			"+50688880002": fmt.Errorf("refused by max-attempts: %w", ErrRefusedByPolicy),
			"+50688880003": boom,
		}}
		fake, d := newDialer(t, nil, WithPolicy(p))

		res, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88880001", Meta: map[string]string{"case": "k1"},
			Override: Override{By: " sup ", Reason: " asked "}})
		require.NoError(t, err)
		require.Len(t, p.attempts, 1)
		assert.Equal(t, res.Ref, p.attempts[0].Ref, "the policy's record and the accepted dial are one call")
		assert.Equal(t, "k1", p.attempts[0].Meta["case"])
		assert.Equal(t, Override{By: "sup", Reason: "asked"}, p.attempts[0].Override)
		assert.Equal(t, "+50688880001", p.attempts[0].Number.E164)

		_, err = d.Dial(t.Context(), Request{Agent: bea, Number: "88880002"})
		require.ErrorIs(t, err, ErrRefusedByPolicy)
		assert.False(t, d.Busy(bea), "a refused dial does not hold the agent")
		_, err = d.Dial(t.Context(), Request{Agent: bea, Number: "88880003"})
		require.ErrorIs(t, err, boom)
		assert.NotErrorIs(t, err, ErrRefusedByPolicy)
		assert.Contains(t, err.Error(), "contact policy")
		assert.Equal(t, 1, fake.RequestCount(""), "nothing sent for a refusal or an undecided policy")

		_, err = d.Dial(t.Context(), Request{Agent: bea, Number: "88880004", Override: Override{By: "sup"}})
		require.Error(t, err, "an override needs a reason")
		assert.Len(t, p.attempts, 3)
	})
}

func TestPolicyToldWhenCallMyWayRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &fakePolicy{}
		fake, d := newDialer(t, nil, WithPolicy(p))
		fake.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultWrongCredentials})
		_, err := d.Dial(t.Context(), Request{Agent: ana, Number: "88880001"})
		require.ErrorIs(t, err, callmyway.ErrUnauthorized)
		require.Len(t, p.attempts, 1)
		assert.Equal(t, []string{p.attempts[0].Ref}, p.notPlaced, "a dial CallMyWay refused was not placed")

		// The request may have reached CallMyWay: the call may be ringing,
		// so the attempt stays.
		fake.FailNext(1, cmwtest.Fault{Kind: cmwtest.FaultReset})
		_, err = d.Dial(t.Context(), Request{Agent: bea, Number: "88880001"})
		require.Error(t, err)
		assert.Len(t, p.notPlaced, 1)
	})
}

func TestWithPolicyNil(t *testing.T) {
	_, err := New(nil)
	require.Error(t, err)
	fake := cmwtest.NewServer(cmwtest.InProcess())
	defer fake.Close()
	c, err := fake.NewClient()
	require.NoError(t, err)
	_, err = New(c, WithPolicy(nil))
	require.Error(t, err)
}
