package policy_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/calls/pgstore"
	"github.com/callmyway-go/sdk/calls/sqlitestore"
	"github.com/callmyway-go/sdk/click2dial"
	"github.com/callmyway-go/sdk/internal/pgtest"
	"github.com/callmyway-go/sdk/internal/testclock"
	"github.com/callmyway-go/sdk/number"
	"github.com/callmyway-go/sdk/policy"
)

// raceCap runs rounds of concurrent dials to one customer each, through
// policies over the given ledgers (replicas sharing one store), and
// checks that exactly one dial per customer passes a cap of 1.
func raceCap(t *testing.T, ledgers []*calls.Ledger, perReplica, rounds int) {
	clk := testclock.New(t0)
	var ps []*policy.Policy
	for _, l := range ledgers {
		p, err := policy.New(acct, l, policy.Limits{MaxAttempts: 1, Window: time.Hour}, policy.WithClock(clk.Now))
		require.NoError(t, err)
		ps = append(ps, p)
	}
	n, err := number.Parse("88881111", "CR")
	require.NoError(t, err)
	for round := range rounds {
		caseID := fmt.Sprintf("k%d", round)
		var admitted, refused atomic.Int32
		var wg sync.WaitGroup
		for i, p := range ps {
			for j := range perReplica {
				wg.Go(func() {
					a := click2dial.Attempt{Ref: fmt.Sprintf("%s-%d-%d", caseID, i, j), Agent: agent, Number: n, Meta: map[string]string{"case": caseID}}
					err := p.Admit(t.Context(), a)
					switch {
					case err == nil:
						admitted.Add(1)
					case assert.ErrorIs(t, err, policy.ErrRefused):
						refused.Add(1)
					}
				})
			}
		}
		wg.Wait()
		assert.Equal(t, int32(1), admitted.Load(), "round %d: exactly one dial passes a cap of 1", round)
		assert.Equal(t, int32(len(ps)*perReplica-1), refused.Load())
		// Every replica reads the same history.
		for _, l := range ledgers {
			var st []calls.State
			for c, err := range l.Calls(t.Context(), calls.Query{Case: caseID, Refusals: true}) {
				require.NoError(t, err)
				st = append(st, c.State)
			}
			assert.Len(t, st, len(ps)*perReplica)
		}
	}
	// ReportSeq, reading each customer by its case, finds what Report
	// finds in one pass, on every store.
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	rep, err := ps[0].Report(t.Context(), from, to)
	require.NoError(t, err)
	require.Len(t, rep, rounds)
	var seq []policy.CustomerAttempts
	for c, err := range ps[len(ps)-1].ReportSeq(t.Context(), from, to) {
		require.NoError(t, err)
		seq = append(seq, c)
	}
	assert.Equal(t, rep, seq)
}

// TestTwoReplicasCapOfOnePostgres: two Ledgers, each over its own pool,
// on one PostgreSQL database dial the same customer at once.
func TestTwoReplicasCapOfOnePostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	var ledgers []*calls.Ledger
	for range 2 {
		s, err := pgstore.Open(t.Context(), dsn)
		require.NoError(t, err)
		t.Cleanup(s.Close)
		l, err := calls.New(acct, s)
		require.NoError(t, err)
		ledgers = append(ledgers, l)
	}
	raceCap(t, ledgers, 4, 10)
}

func TestTwoReplicasCapOfOneSQLite(t *testing.T) {
	path := t.TempDir() + "/ledger.db"
	var ledgers []*calls.Ledger
	for range 2 {
		s, err := sqlitestore.Open(t.Context(), path)
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		l, err := calls.New(acct, s)
		require.NoError(t, err)
		ledgers = append(ledgers, l)
	}
	raceCap(t, ledgers, 4, 5)
}

func TestConcurrentCapOfOneMemory(t *testing.T) {
	s, err := calls.NewMemoryStore()
	require.NoError(t, err)
	l, err := calls.New(acct, s)
	require.NoError(t, err)
	raceCap(t, []*calls.Ledger{l, l}, 8, 10)
}
