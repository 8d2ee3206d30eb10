package calls

import (
	"fmt"
	"testing"
)

// TestDocCacheIsBounded: decoding three times the cache's size of
// distinct records keeps at most docCacheSize entries, and a record read
// again while cached comes from the cache (the same facts), while a new
// Seq of it is decoded afresh.
func TestDocCacheIsBounded(t *testing.T) {
	c := &docCache{m: map[docKey]facts{}}
	doc := func(i int) []byte {
		return encodeFacts(facts{Events: map[string]Event{"start": {CallID: fmt.Sprint("c", i), Action: ActionStart}}})
	}
	for i := range 3 * docCacheSize {
		if _, err := c.decode(Record{ID: fmt.Sprint("c", i), Seq: uint64(i + 1), Doc: doc(i)}); err != nil {
			t.Fatal(err)
		}
		if n := len(c.m); n > docCacheSize {
			t.Fatalf("after %d records the cache holds %d, above %d", i+1, n, docCacheSize)
		}
	}
	last := 3*docCacheSize - 1
	r := Record{ID: fmt.Sprint("c", last), Seq: uint64(last + 1), Doc: []byte(`{}`)} // a wrong doc: must not be read
	f, err := c.decode(r)
	if err != nil || f.Events["start"].CallID != r.ID {
		t.Fatalf("cached record decoded again: %+v, %v", f.Events, err)
	}
	r.Seq++
	if f, err = c.decode(r); err != nil || len(f.Events) != 0 {
		t.Fatalf("a new Seq came from the cache: %+v, %v", f.Events, err)
	}
}
