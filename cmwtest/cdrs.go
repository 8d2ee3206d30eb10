package cmwtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// CDR is one call record as the fake stores it. Zero times are written as
// "1970-01-01 00:00:00".
//
// The zero CDR is an empty record. It is a plain value: safe to copy, and
// to read from several goroutines concurrently.
type CDR struct {
	CallID           string
	OriginalCallID   string
	RefCallID        string
	ANI              string
	DNIS             string
	ANIUser          string
	DNISUser         string
	DetectTime       time.Time
	ConnectTime      time.Time
	DisconnectTime   time.Time
	Duration         int // seconds
	RingTime         int // seconds, may be negative
	Cost             string
	AccessFee        string
	Rate             string
	RoutePattern     string
	RouteName        string
	EndReason        string
	NameEndpointANI  string
	NameEndpointDNIS string
	Type             string // incoming, outgoing, internal
}

// Shape is the form of a getCdrs answer. The real provider's is
// unverified, so clients must accept each.
//
// The zero Shape is the first listed. It is a plain value: safe to copy,
// and to read from several goroutines concurrently.
type Shape int

// Answer shapes.
const (
	ShapeArray  Shape = iota // a bare JSON array (default)
	ShapeObject              // {"cdrs": [...]}
	ShapeError               // {"error": "..."}
	ShapeEmpty               // an empty body
)

// CDRMode tunes how records are written.
//
// The zero CDRMode answers bare JSON arrays with numbers as JSON numbers.
// It is a plain value: safe to copy, and to read from several goroutines
// concurrently.
type CDRMode struct {
	Shape              Shape
	StringNumbers      bool // duration and ring_time as strings
	EmptyConnectTime   bool // "" instead of 1970-01-01 00:00:00 for not connected
	ErrorMessage       string
	OmitUnknownFields  bool // leave out the extra fields clients must keep
	WebhookTypeStrings bool // type as in/out/internal instead of incoming/outgoing
}

type cdrStore struct {
	recs   []CDR // sorted by DetectTime, CallID
	sorted bool
	mode   CDRMode
	// retention is how long records are kept after they were added (0:
	// for good), measured with now; log lists the records in the order
	// they were added, added counts records since the last prune, and
	// dropped the records pruned.
	retention time.Duration
	now       func() time.Time
	log       []addedCDR
	added     int
	dropped   int
}

// addedCDR is when a record was added, and which (by cdrKey).
type addedCDR struct {
	at  time.Time
	key string
}

func cdrKey(r CDR) string { return r.CallID + "\x00" + strconv.FormatInt(r.DetectTime.UnixNano(), 10) }

// cdrPruneEvery is how many records are added between two prunes of the
// fake's history.
const cdrPruneEvery = 1024

// add stores records with their times cut to whole seconds, the
// provider's precision, and prunes the history every cdrPruneEvery
// records.
func (st *cdrStore) add(recs ...CDR) {
	var at time.Time
	if st.now != nil {
		at = st.now()
	}
	for _, r := range recs {
		r.DetectTime = r.DetectTime.Truncate(time.Second)
		r.ConnectTime = r.ConnectTime.Truncate(time.Second)
		r.DisconnectTime = r.DisconnectTime.Truncate(time.Second)
		st.recs = append(st.recs, r)
		if st.retention > 0 {
			st.log = append(st.log, addedCDR{at, cdrKey(r)})
		}
	}
	st.sorted = false
	if st.added += len(recs); st.added >= cdrPruneEvery {
		st.prune()
	}
}

// prune drops the records added more than the retention ago, and
// returns how many.
func (st *cdrStore) prune() int {
	st.added = 0
	if st.retention <= 0 || st.now == nil {
		return 0
	}
	cutoff := st.now().Add(-st.retention)
	i := 0
	for i < len(st.log) && st.log[i].at.Before(cutoff) {
		i++
	}
	if i == 0 {
		return 0
	}
	gone := map[string]int{}
	for _, a := range st.log[:i] {
		gone[a.key]++
	}
	st.log = append([]addedCDR(nil), st.log[i:]...) // frees the old array
	kept := make([]CDR, 0, len(st.recs)-i)
	for _, r := range st.recs {
		if k := cdrKey(r); gone[k] > 0 {
			gone[k]--
			continue
		}
		kept = append(kept, r)
	}
	st.recs = kept
	st.dropped += i
	return i
}

// DefaultCDRRetention is how long the fake keeps a call record after it
// was added (a simulated call's when the call ended): 7 days
// (WithCDRRetention).
const DefaultCDRRetention = 7 * 24 * time.Hour

// WithCDRRetention sets how long the fake keeps its call history: records
// added (by a simulated call, AddCDRs or GenerateHistory) longer ago than
// d on the fake's clock are dropped, every 1,024 records added and when
// PruneCDRs is called; 0 keeps every record. d must be 0 or at least 24
// hours, the window of the recent query (default DefaultCDRRetention, 7
// days). Measured from when a record was added, not from its detect
// time, so a history loaded for a test (say 60 days for a backfill) stays
// whole for the retention. The real provider keeps its history for good:
// a fake left running longer than d answers range queries without what
// it dropped; pass 0 to keep everything.
func WithCDRRetention(d time.Duration) Option {
	return func(s *Server) error {
		if d != 0 && d < 24*time.Hour {
			return fmt.Errorf("cmwtest: WithCDRRetention: %v is shorter than the 24 h of the recent query", d)
		}
		s.cdrs.retention = d
		return nil
	}
}

// PruneCDRs drops the records older than the retention now
// (WithCDRRetention), and returns how many it dropped.
func (s *Server) PruneCDRs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cdrs.prune()
}

// PrunedCDRs returns how many records the retention dropped since the
// fake started.
func (s *Server) PrunedCDRs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cdrs.dropped
}

func (st *cdrStore) sort() {
	if st.sorted {
		return
	}
	sort.SliceStable(st.recs, func(i, j int) bool {
		a, b := st.recs[i], st.recs[j]
		if !a.DetectTime.Equal(b.DetectTime) {
			return a.DetectTime.Before(b.DetectTime)
		}
		return a.CallID < b.CallID
	})
	st.sorted = true
}

// AddCDRs stores records as if calls had happened (for example records
// that "arrive late", with a detect time in the past).
func (s *Server) AddCDRs(recs ...CDR) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdrs.add(recs...)
}

// CDRs returns every stored record, in detect-time order.
func (s *Server) CDRs() []CDR {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdrs.sort()
	return append([]CDR(nil), s.cdrs.recs...)
}

// SetCDRMode changes how getCdrs answers.
func (s *Server) SetCDRMode(m CDRMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cdrs.mode = m
}

// Violations returns how many getCdrs queries of the account came less
// than 4 s after the previous one: each one the real provider would have
// penalised.
func (s *Server) Violations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.penalty.violations
}

type penaltyState struct {
	last       map[string]time.Time
	debt       map[string]time.Duration
	violations int
}

// penalise records a query by user at now and returns how long the fake
// delays it: the delays of consecutive early queries accumulate.
func (p *penaltyState) penalise(user string, now time.Time) time.Duration {
	if p.last == nil {
		p.last, p.debt = map[string]time.Time{}, map[string]time.Duration{}
	}
	last, seen := p.last[user]
	p.last[user] = now
	if seen && now.Sub(last) < callmyway.QueryInterval {
		p.violations++
		p.debt[user] += callmyway.QueryInterval
		return p.debt[user]
	}
	p.debt[user] = 0
	return 0
}

func (s *Server) serveCDRs(w http.ResponseWriter, r *http.Request, q map[string]string) {
	s.mu.Lock()
	delay := s.penalty.penalise(q["username"], s.clock.Now())
	var fault Fault
	if len(s.queryFaults) > 0 {
		fault, s.queryFaults = s.queryFaults[0], s.queryFaults[1:]
	}
	s.mu.Unlock()
	s.sleep(r.Context(), delay)
	if fault.Kind != FaultNone && s.applyFault(w, r, fault) {
		return
	}

	if _, ok := s.checkCredentials(q); !ok {
		writeError(w, r, "Invalid username or password")
		return
	}
	s.mu.Lock()
	mode := s.cdrs.mode
	var recs []CDR
	var err error
	switch {
	case q["live"] == "1":
		recs = s.liveRecords(q["username"], q["fullAccount"] == "1")
	case q["recent"] == "1":
		now := s.clock.Now()
		recs = s.visible(s.between(now.Add(-24*time.Hour), now))
	default:
		recs, err = s.rangeQuery(q)
	}
	recs = append([]CDR(nil), recs...) // the store may be re-sorted once unlocked
	s.mu.Unlock()
	if err != nil {
		writeError(w, r, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch mode.Shape {
	case ShapeEmpty:
		return
	case ShapeError:
		msg := mode.ErrorMessage
		if msg == "" {
			msg = "Internal error"
		}
		fmt.Fprintf(w, `{"error":%q}`, msg)
		return
	}
	var buf bytes.Buffer
	if mode.Shape == ShapeObject {
		buf.WriteString(`{"cdrs":`)
	}
	buf.WriteByte('[')
	for i, rec := range recs {
		if i > 0 {
			buf.WriteByte(',')
		}
		s.writeRecord(&buf, rec, mode)
	}
	buf.WriteByte(']')
	if mode.Shape == ShapeObject {
		buf.WriteByte('}')
	}
	w.Write(buf.Bytes())
}

// between returns records with from <= detect_time <= to. s.mu held.
func (s *Server) between(from, to time.Time) []CDR {
	s.cdrs.sort()
	recs := s.cdrs.recs
	i := sort.Search(len(recs), func(i int) bool { return !recs[i].DetectTime.Before(from) })
	j := sort.Search(len(recs), func(i int) bool { return recs[i].DetectTime.After(to) })
	if i >= j {
		return nil
	}
	return recs[i:j]
}

// rangeQuery answers dateStart/dateEnd with ini/cant paging. The range is
// inclusive at both ends (unverified: the provider's is not documented).
func (s *Server) rangeQuery(q map[string]string) ([]CDR, error) {
	if q["dateStart"] == "" || q["dateEnd"] == "" {
		return nil, fmt.Errorf("missing dateStart/dateEnd or recent=1")
	}
	from, err := callmyway.ParseTime(q["dateStart"], s.acct.Location)
	if err != nil || from.IsZero() {
		return nil, fmt.Errorf("invalid dateStart")
	}
	to, err := callmyway.ParseTime(q["dateEnd"], s.acct.Location)
	if err != nil || to.IsZero() {
		return nil, fmt.Errorf("invalid dateEnd")
	}
	recs := s.visible(s.between(from.Time(), to.Time()))
	ini, cant := 0, 0
	if v := q["ini"]; v != "" {
		if ini, err = strconv.Atoi(v); err != nil || ini < 0 {
			return nil, fmt.Errorf("invalid ini")
		}
	}
	if v := q["cant"]; v != "" {
		if cant, err = strconv.Atoi(v); err != nil || cant < 0 {
			return nil, fmt.Errorf("invalid cant")
		}
	}
	if ini >= len(recs) {
		return nil, nil
	}
	recs = recs[ini:]
	if cant > 0 && cant < len(recs) {
		recs = recs[:cant]
	}
	return recs, nil
}

// liveRecords are the calls in progress, as a live query shows them.
func (s *Server) liveRecords(user string, full bool) []CDR {
	var out []CDR
	for _, c := range s.calls {
		if !full && c.rec.ANIUser != user && c.rec.DNISUser != user {
			continue
		}
		rec := c.rec
		rec.Duration = 0
		rec.DisconnectTime = time.Time{}
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CallID < out[j].CallID })
	return out
}

func (s *Server) writeRecord(buf *bytes.Buffer, r CDR, m CDRMode) {
	t := func(v time.Time) string {
		if v.IsZero() {
			if m.EmptyConnectTime {
				return ""
			}
			return "1970-01-01 00:00:00"
		}
		return v.In(s.acct.Location).Format(callmyway.TimeLayout)
	}
	num := func(n int) any {
		if m.StringNumbers {
			return strconv.Itoa(n)
		}
		return n
	}
	typ := r.Type
	if m.WebhookTypeStrings {
		typ = map[string]string{"incoming": "in", "outgoing": "out", "internal": "internal"}[typ]
	}
	rec := map[string]any{
		"callid": r.CallID, "original_callid": r.OriginalCallID, "ref_callid": r.RefCallID,
		"ani": r.ANI, "dnis": r.DNIS, "ani_user": r.ANIUser, "dnis_user": r.DNISUser,
		"detect_time": t(r.DetectTime), "connect_time": t(r.ConnectTime), "disconnect_time": t(r.DisconnectTime),
		"duration": num(r.Duration), "ring_time": num(r.RingTime),
		"cost": r.Cost, "access_fee": r.AccessFee, "rate": r.Rate,
		"route_pattern": r.RoutePattern, "route_name": r.RouteName, "end_reason": r.EndReason,
		"name_endpoint_ani": r.NameEndpointANI, "name_endpoint_dnis": r.NameEndpointDNIS, "type": typ,
	}
	if !m.OmitUnknownFields {
		rec["x_trunk"] = "T1"
		rec["billing_group"] = 3
	}
	b, _ := json.Marshal(rec)
	buf.Write(b)
}

// GenerateHistory adds n realistic records with detect times spread evenly
// over [from, to), deterministic for a seed. It returns the records added.
// 50,000 records take well under a second.
func (s *Server) GenerateHistory(n int, from, to time.Time, seed uint64) []CDR {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s.mu.Lock()
	defer s.mu.Unlock()
	step := to.Sub(from) / time.Duration(max(n, 1))
	recs := make([]CDR, 0, n)
	eps := s.endpoints
	reasons := []string{"NO_ANSWER", "CANCELLED", "TEMPORARILY_UNAVAILABLE", "NOT_FOUND", "DECLINE", "SERVICE_UNAVAILABLE"}
	for i := 0; i < n; i++ {
		ep := eps[rng.IntN(len(eps))]
		detect := from.Add(time.Duration(i) * step).Truncate(time.Second)
		id := s.nextID()
		number := fmt.Sprintf("506%d%07d", 6+rng.IntN(3), rng.IntN(10_000_000))
		r := CDR{CallID: id, OriginalCallID: id, RefCallID: "0", DetectTime: detect, AccessFee: "0.0000"}
		switch rng.IntN(10) {
		case 0, 1, 2, 3, 4:
			r.Type, r.ANI, r.DNIS, r.ANIUser, r.NameEndpointANI = "outgoing", ep.User, number, ep.User, ep.Name
		case 5, 6, 7, 8:
			r.Type, r.ANI, r.DNIS, r.DNISUser, r.NameEndpointDNIS = "incoming", number, ep.User, ep.User, ep.Name
		default:
			other := eps[rng.IntN(len(eps))]
			r.Type, r.ANI, r.DNIS, r.ANIUser, r.DNISUser = "internal", ep.User, other.User, ep.User, other.User
			r.NameEndpointANI, r.NameEndpointDNIS = ep.Name, other.Name
		}
		ring := 2 + rng.IntN(20)
		r.RingTime = ring
		if rng.IntN(4) == 0 {
			r.EndReason = reasons[rng.IntN(len(reasons))]
			r.DisconnectTime = detect.Add(time.Duration(ring) * time.Second)
		} else {
			r.EndReason = "OK"
			r.ConnectTime = detect.Add(time.Duration(ring) * time.Second)
			r.Duration = 5 + rng.IntN(900)
			r.DisconnectTime = r.ConnectTime.Add(time.Duration(r.Duration) * time.Second)
		}
		r.Rate, r.RoutePattern, r.RouteName = routeFor(r)
		r.Cost = costOf(r.Rate, r.Duration)
		recs = append(recs, r)
	}
	s.cdrs.add(recs...)
	return recs
}
