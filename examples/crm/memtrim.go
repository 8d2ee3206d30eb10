package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Returning memory after a burst. The Go runtime keeps freed heap mapped
// up to about its heap goal, and the goal only falls at the next
// collection, which an idle server does not need: after a load spike the
// CRM's resident memory would stay near its peak for minutes. trimMemory
// looks every interval and, when more than above bytes of heap are free
// or unused, collects and returns them to the system (debug.FreeOSMemory:
// one collection, about as long as a regular one). Under steady load the
// free heap stays small and nothing happens.

// trimEvery and trimAbove are the CRM's settings: within a minute of a
// burst, resident memory is back near its idle baseline.
const (
	trimEvery = 15 * time.Second
	trimAbove = 8 << 20
)

// trimMemory runs until ctx is done.
func trimMemory(ctx context.Context, every time.Duration, above uint64) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if reclaimable() > above {
			debug.FreeOSMemory()
		}
	}
}

// reclaimable is the heap memory a collection and a scavenge would give
// back: free pages not yet returned, and space in spans with no live
// objects.
func reclaimable() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	var n uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			n += v.Value.Uint64()
		}
	}
	return n
}
