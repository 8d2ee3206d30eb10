package calls

import "sync"

// docCache keeps the decoded facts of recently read records by id and
// Seq: a record's document never changes without its Seq changing, and
// facts are never modified once decoded (merge copies), so they can be
// shared. Decoding is most of the cost of a read.
type docCache struct {
	mu sync.Mutex
	m  map[docKey]facts
}

type docKey struct {
	id  string
	seq uint64
}

const docCacheSize = 4096

// decode returns the facts of r, from the cache when it can.
func (c *docCache) decode(r Record) (facts, error) {
	if c == nil || r.Seq == 0 {
		return decodeFacts(r.Doc)
	}
	k := docKey{r.ID, r.Seq}
	c.mu.Lock()
	f, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := decodeFacts(r.Doc)
	if err != nil {
		return f, err
	}
	c.mu.Lock()
	if len(c.m) >= docCacheSize {
		clear(c.m)
	}
	c.m[k] = f
	c.mu.Unlock()
	return f, nil
}
