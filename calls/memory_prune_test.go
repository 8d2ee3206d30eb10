package calls

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryStorePrunesUndatedRecords: a record with no start time (a
// caller's event with no time at all) is pruned by when the store first
// saw it, and not before its retention has passed since then.
func TestMemoryStorePrunesUndatedRecords(t *testing.T) {
	clk := newClock()
	st, err := NewMemoryStore(WithStoreClock(clk.Now))
	require.NoError(t, err)
	ctx := t.Context()
	put := func(recs ...Record) {
		require.NoError(t, st.Update(ctx, []string{"k"}, func(ctx context.Context, tx Tx) error { return tx.Put(ctx, recs...) }))
	}
	put(Record{ID: "undated", Index: Index{Number: "+50611110000", ChargeKeys: []string{"k1"}}, Doc: []byte(`{}`)},
		Record{ID: "dial:u", AliasOf: "undated"})
	clk.Advance(DefaultRetention / 2)
	put(Record{ID: "undated", Index: Index{Number: "+50611110000"}, Doc: []byte(`{"v":2}`)}) // rewritten: still first seen then
	put(Record{ID: "later", Index: Index{Number: "+50611110001"}, Doc: []byte(`{}`)})
	st.Prune()
	_, err = st.Get(ctx, "undated")
	require.NoError(t, err, "within the retention")

	clk.Advance(DefaultRetention/2 + time.Minute)
	st.Prune()
	for _, id := range []string{"undated", "dial:u"} {
		_, err = st.Get(ctx, id)
		assert.ErrorIs(t, err, ErrNotFound, id)
	}
	_, err = st.Get(ctx, "later")
	assert.NoError(t, err, "first seen within the retention")
	st.mu.Lock()
	assert.Len(t, st.undated, 1)
	assert.Empty(t, st.charges)
	st.mu.Unlock()
}
