package cdr_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/cdr"
)

func memRec(i int) cdr.Record {
	return cdr.Record{CallID: fmt.Sprintf("c%03d", i), DetectTime: callmyway.NewTime(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute))}
}

// TestMemoryStoreIsBounded: beyond its cap a MemoryStore drops the
// records detected earliest (counted by Dropped); Prune drops by age; the
// zero value has the default cap.
func TestMemoryStoreIsBounded(t *testing.T) {
	ctx := context.Background()
	m := cdr.NewMemoryStore(cdr.WithMaxRecords(10))
	for i := range 25 {
		require.NoError(t, m.Commit(ctx, "a", []cdr.Record{memRec(i)}, cdr.Checkpoint{}))
		assert.LessOrEqual(t, m.Len(), 10)
	}
	recs := m.Records()
	assert.Equal(t, "c024", recs[len(recs)-1].CallID, "the newest kept")
	assert.Equal(t, 25-len(recs), m.Dropped())

	assert.Equal(t, 2, m.Prune(recs[2].DetectTime.Time()), "the two detected before")
	assert.Equal(t, len(recs)-2, m.Len())

	var zero cdr.MemoryStore
	require.NoError(t, zero.Commit(ctx, "a", []cdr.Record{memRec(1)}, cdr.Checkpoint{}))
	assert.Equal(t, 1, zero.Len())
	assert.Equal(t, 100_000, cdr.DefaultMemoryMaxRecords)
}
