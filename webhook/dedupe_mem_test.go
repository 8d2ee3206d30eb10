package webhook

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// After a burst the window holds every key of the burst: a key must cost
// tens of bytes, not the 160 its string, entry and pointer took (issue 16).
func TestMemoryDeduperCompact(t *testing.T) {
	const n = 50_000
	ctx := context.Background()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("1700000000.%06d-abcdef@pbx|callEnd", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := NewMemoryDeduper(0, 0)
	for _, k := range keys {
		if _, err := d.Acquire(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := d.Release(ctx, k, true); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if d.Len() != n {
		t.Fatalf("Len %d, want %d", d.Len(), n)
	}
	perKey := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d bytes a key", perKey)
	if perKey > 100 {
		t.Errorf("%d bytes a key, want at most 100", perKey)
	}
	runtime.KeepAlive(keys)
	for _, k := range keys[:10] {
		if done, _ := d.Acquire(ctx, k); !done {
			t.Errorf("%s forgotten", k)
		}
	}
}
