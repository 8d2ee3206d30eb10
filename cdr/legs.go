package cdr

import "sort"

// Call is the records of one call: the parent record and its legs (ring
// attempts to several endpoints share original_callid). It is a plain
// value; the zero Call has no records.
//
// It may be read concurrently.
type Call struct {
	ID     string   // the original callid
	Parent *Record  // the record with ref_callid "0" (or the only record)
	Legs   []Record // the other records, in detect order
}

// Answered returns the leg (or parent) that connected, if any.
func (c Call) Answered() (Record, bool) {
	for _, l := range c.Legs {
		if l.Connected() {
			return l, true
		}
	}
	if c.Parent != nil && c.Parent.Connected() {
		return *c.Parent, true
	}
	return Record{}, false
}

// GroupCalls groups records into calls by original callid, in the order
// the calls were first detected.
func GroupCalls(recs []Record) []Call {
	idx := map[string]int{}
	var calls []Call
	for _, r := range recs {
		k := r.CallKey()
		i, ok := idx[k]
		if !ok {
			i = len(calls)
			idx[k] = i
			calls = append(calls, Call{ID: k})
		}
		c := &calls[i]
		if !r.IsLeg() && c.Parent == nil {
			rr := r
			c.Parent = &rr
		} else {
			c.Legs = append(c.Legs, r)
		}
	}
	for i := range calls {
		legs := calls[i].Legs
		sort.SliceStable(legs, func(a, b int) bool { return legs[a].DetectTime.Time().Before(legs[b].DetectTime.Time()) })
	}
	return calls
}
