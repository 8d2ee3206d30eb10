// Package storetest checks that a calls.Store keeps the contract the
// Ledger relies on. Every Store implementation runs it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/calls"
	"github.com/callmyway-go/sdk/cdr"
	"github.com/callmyway-go/sdk/webhook"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func rec(id, number string, start time.Duration, state calls.State) calls.Record {
	return calls.Record{ID: id, Index: calls.Index{Number: number, Start: t0.Add(start), State: state,
		Agent: callmyway.Endpoint{ID: "5001", User: "8000001"}}, Doc: []byte(`{"id":"` + id + `"}`)}
}

func put(t *testing.T, s calls.Store, recs ...calls.Record) {
	t.Helper()
	require.NoError(t, s.Update(t.Context(), []string{"k"}, func(ctx context.Context, tx calls.Tx) error {
		return tx.Put(ctx, recs...)
	}))
}

// comparable strips what a store need not return as written.
func norm(r calls.Record) calls.Record {
	r.Seq = 0
	r.Index.ChargeKeys = nil
	r.Index.Start = r.Index.Start.UTC()
	if len(r.Index.Busy) == 0 {
		r.Index.Busy = nil
	}
	return r
}

// Run runs the contract tests on stores made by newStore, each empty.
func Run(t *testing.T, newStore func(t *testing.T) calls.Store) {
	t.Run("Webhook", func(t *testing.T) { runWebhook(t, newStore) })
	t.Run("OddCDRs", func(t *testing.T) { runOddCDRs(t, newStore) })
	t.Run("Archive", func(t *testing.T) { runArchive(t, newStore) })
	t.Run("EscapeLookalikes", func(t *testing.T) { runEscapeLookalikes(t, newStore) })
	t.Run("PutGetSeq", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		_, err := s.Get(ctx, "a")
		require.ErrorIs(t, err, calls.ErrNotFound)
		a := rec("a", "+50611111111", 0, calls.StateRinging)
		a.Index.Busy = []string{"i:5001", "u:8000001"}
		a.Index.Contact, a.Index.Case = "c1", "k1"
		put(t, s, a, calls.Record{ID: "dial:r", AliasOf: "a", Index: calls.Index{Start: t0}})
		got, err := s.Get(ctx, "a")
		require.NoError(t, err)
		assert.Equal(t, norm(a), norm(got))
		assert.NotZero(t, got.Seq)
		alias, err := s.Get(ctx, "dial:r")
		require.NoError(t, err)
		assert.Equal(t, "a", alias.AliasOf)
		assert.Greater(t, alias.Seq, got.Seq, "seq in put order")
		a.Doc = []byte(`{"v":2}`)
		put(t, s, a)
		again, err := s.Get(ctx, "a")
		require.NoError(t, err)
		assert.Greater(t, again.Seq, alias.Seq)
		assert.JSONEq(t, `{"v":2}`, string(again.Doc))
	})

	t.Run("Rollback", func(t *testing.T) {
		s := newStore(t)
		boom := errors.New("boom")
		err := s.Update(t.Context(), []string{"k"}, func(ctx context.Context, tx calls.Tx) error {
			require.NoError(t, tx.Put(ctx, rec("a", "+50611111111", 0, calls.StateRinging)))
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = s.Get(t.Context(), "a")
		require.ErrorIs(t, err, calls.ErrNotFound)
	})

	t.Run("TxSeesItsWrites", func(t *testing.T) {
		s := newStore(t)
		put(t, s, rec("a", "+50611111111", 0, calls.StateRinging), rec("far", "+50611111111", time.Hour, calls.StateRinging),
			rec("other", "+50622222222", 0, calls.StateRinging), calls.Record{ID: "al", AliasOf: "a", Index: calls.Index{Number: "+50611111111", Start: t0}})
		require.NoError(t, s.Update(t.Context(), []string{"n:+50611111111"}, func(ctx context.Context, tx calls.Tx) error {
			c, err := tx.Candidates(ctx, "+50611111111", t0.Add(-time.Minute), t0.Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, []string{"a"}, ids(c), "same number, in range, no aliases")
			require.NoError(t, tx.Put(ctx, rec("b", "+50611111111", time.Minute, calls.StateRinging)))
			c, err = tx.Candidates(ctx, "+50611111111", t0.Add(-time.Minute), t0.Add(time.Minute))
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"a", "b"}, ids(c), "bounds inclusive, own writes seen")
			got, err := tx.Get(ctx, "b", "a", "missing", "al")
			require.NoError(t, err)
			assert.ElementsMatch(t, []string{"a", "b", "al"}, ids(got))
			return nil
		}))
	})

	t.Run("Charges", func(t *testing.T) {
		s := newStore(t)
		a := rec("a", "+50611111111", 0, calls.StateEnded)
		a.Index.ChargeKeys = []string{"k1"}
		put(t, s, a)
		b := rec("b", "+50611111112", 0, calls.StateEnded)
		b.Index.ChargeKeys = []string{"k1", "k2"}
		require.NoError(t, s.Update(t.Context(), []string{"k:k1"}, func(ctx context.Context, tx calls.Tx) error {
			require.NoError(t, tx.Put(ctx, b))
			o, err := tx.ChargeOwners(ctx, "k1", "k2", "k3")
			require.NoError(t, err)
			assert.Equal(t, map[string]string{"k1": "a", "k2": "b"}, o, "the first owner stays")
			return nil
		}))
	})

	t.Run("Scan", func(t *testing.T) {
		s := newStore(t)
		var recs []calls.Record
		for i := range 250 {
			r := rec(fmt.Sprintf("c%03d", i), fmt.Sprintf("+506100%05d", i), time.Duration(i%50)*time.Minute, []calls.State{calls.StateRinging, calls.StateEnded}[i%2])
			if i%10 == 0 {
				r.Index.Agent = callmyway.Endpoint{ID: "5009"}
				r.Index.Busy = []string{"i:5009"}
				r.Index.Contact = "c9"
			}
			if i%25 == 0 {
				r.Index.Case = "k25"
			}
			recs = append(recs, r)
		}
		put(t, s, recs...)
		put(t, s, calls.Record{ID: "alias", AliasOf: "c000", Index: calls.Index{Start: t0}})
		scan := func(f calls.Filter) []string {
			var out []string
			for r, err := range s.Scan(t.Context(), f) {
				require.NoError(t, err)
				out = append(out, r.ID)
			}
			return out
		}
		var want []string
		for _, r := range recs {
			want = append(want, r.ID)
		}
		slices.SortFunc(want, func(a, b string) int {
			var ra, rb calls.Record
			for _, r := range recs {
				if r.ID == a {
					ra = r
				}
				if r.ID == b {
					rb = r
				}
			}
			if c := ra.Index.Start.Compare(rb.Index.Start); c != 0 {
				return c
			}
			return cmpStr(a, b)
		})
		assert.Equal(t, want, scan(calls.Filter{}), "all, by start then id, no aliases")
		assert.Equal(t, want[:7], scan(calls.Filter{Limit: 7}))
		// Newest first: start then id, both descending, across keyset
		// pages (250 records, pages of 200 in the SQL stores, five calls
		// per start time), and a Limit keeps the newest.
		newest := slices.Clone(want)
		slices.Reverse(newest)
		assert.Equal(t, newest, scan(calls.Filter{Newest: true}), "all, newest first")
		assert.Equal(t, newest[:7], scan(calls.Filter{Newest: true, Limit: 7}), "the 7 newest")
		assert.Equal(t, newest[:203], scan(calls.Filter{Newest: true, Limit: 203}), "the 203 newest: a page and a tie group")
		assert.Equal(t, []string{"c249", "c199", "c149", "c099", "c049", "c248"}, newest[:6], "ties on start broken by id, descending")
		filters := []calls.Filter{
			{Limit: 230},
			{From: t0.Add(10 * time.Minute), To: t0.Add(40 * time.Minute), Limit: 12},
			{From: t0.Add(10 * time.Minute), To: t0.Add(20 * time.Minute)},
			{Agent: callmyway.Endpoint{ID: "5009", User: "nobody"}},
			{Agent: callmyway.Endpoint{User: "8000001"}, States: []calls.State{calls.StateEnded}},
			{Busy: []string{"u:x", "i:5009"}},
			{Busy: []string{"i:500"}},
			{Contact: "c9", Case: "k25"},
			{Number: "+50610000007"},
			{Number: "+50610000010", From: t0.Add(10 * time.Minute)},
			{States: []calls.State{calls.StateRinging, calls.StateFinal}, Limit: 30},
			{NotStates: []calls.State{calls.StateRinging}, Case: "k25"},
			{NotStates: []calls.State{calls.StateRinging, calls.StateEnded}},
		}
		for _, f := range slices.Clone(filters) {
			f.Newest = true
			filters = append(filters, f)
		}
		for _, f := range filters {
			order := want
			if f.Newest {
				order = newest
			}
			var exp []string
			for _, id := range order {
				for _, r := range recs {
					if r.ID == id && f.Match(r.Index) {
						exp = append(exp, id)
					}
				}
			}
			if f.Limit > 0 && len(exp) > f.Limit {
				exp = exp[:f.Limit]
			}
			assert.Equal(t, exp, scan(f), "%+v", f)
			require.NoError(t, s.Update(t.Context(), []string{"k"}, func(ctx context.Context, tx calls.Tx) error {
				got, err := tx.Find(ctx, f)
				assert.Equal(t, append([]string{}, exp...), ids(got), "Tx.Find %+v", f)
				return err
			}))
		}
		// Find sees the transaction's own writes: a new record, one that
		// no longer matches, and one that now does.
		require.Error(t, s.Update(t.Context(), []string{"k"}, func(ctx context.Context, tx calls.Tx) error {
			fresh := rec("new", "+50699999999", -time.Minute, calls.StateRinging)
			fresh.Index.Case = "k25"
			gone := recs[25]
			gone.Index.Case = ""
			moved := recs[1]
			moved.Index.Case = "k25"
			require.NoError(t, tx.Put(ctx, fresh, gone, moved))
			got, err := tx.Find(ctx, calls.Filter{Case: "k25"})
			require.NoError(t, err)
			var exp []string
			for _, id := range want {
				if id == "c000" || id == "c001" || (id != "c025" && slices.Contains([]string{"c050", "c075", "c100", "c125", "c150", "c175", "c200", "c225"}, id)) {
					exp = append(exp, id)
				}
			}
			assert.Equal(t, append([]string{"new"}, exp...), ids(got), "Tx.Find with pending writes")
			got, err = tx.Find(ctx, calls.Filter{Case: "k25", Limit: 2})
			require.NoError(t, err)
			assert.Equal(t, append([]string{"new"}, exp...)[:2], ids(got))
			got, err = tx.Find(ctx, calls.Filter{Case: "k25", Newest: true, Limit: 3})
			require.NoError(t, err)
			assert.Equal(t, []string{exp[len(exp)-1], exp[len(exp)-2], exp[len(exp)-3]}, ids(got), "Tx.Find newest first with pending writes")
			return errors.New("roll back")
		}))
		n := 0
		for range s.Scan(t.Context(), calls.Filter{}) {
			n++
			if n == 3 {
				break
			}
		}
		assert.Equal(t, 3, n, "a scan stops when asked")
	})

	t.Run("Changes", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		put(t, s, rec("a", "+50611111111", 0, calls.StateRinging), rec("b", "+50611111112", 0, calls.StateRinging))
		put(t, s, rec("c", "+50611111113", 0, calls.StateRinging))
		put(t, s, rec("a", "+50611111111", 0, calls.StateEnded))
		ch, err := s.Changes(ctx, 0, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"b", "c", "a"}, ids(ch), "each record once, at its latest seq")
		assert.True(t, slices.IsSortedFunc(ch, func(x, y calls.Record) int { return int(x.Seq) - int(y.Seq) }))
		ch2, err := s.Changes(ctx, ch[0].Seq, 1)
		require.NoError(t, err)
		assert.Equal(t, []string{"c"}, ids(ch2))
		none, err := s.Changes(ctx, ch[2].Seq, 10)
		require.NoError(t, err)
		assert.Empty(t, none)

		require.NoError(t, s.Wait(ctx, ch[1].Seq), "a later change exists")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		assert.ErrorIs(t, s.Wait(cctx, ch[2].Seq), context.Canceled)
		done := make(chan error, 1)
		go func() { done <- s.Wait(ctx, ch[2].Seq) }()
		put(t, s, rec("d", "+50611111114", 0, calls.StateRinging))
		require.NoError(t, <-done)
	})

	t.Run("ConcurrentReadModifyWrite", func(t *testing.T) {
		s := newStore(t)
		const workers, each = 4, 10
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					err := s.Update(t.Context(), []string{"n:+50611111111"}, func(ctx context.Context, tx calls.Tx) error {
						got, err := tx.Get(ctx, "counter")
						if err != nil {
							return err
						}
						var v struct{ N int }
						if len(got) == 1 {
							if err := json.Unmarshal(got[0].Doc, &v); err != nil {
								return err
							}
						}
						v.N++
						r := rec("counter", "+50611111111", 0, calls.StateRinging)
						r.Doc, _ = json.Marshal(v)
						return tx.Put(ctx, r)
					})
					if err != nil {
						t.Errorf("worker %d update %d: %v", w, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
		got, err := s.Get(t.Context(), "counter")
		require.NoError(t, err)
		assert.JSONEq(t, fmt.Sprintf(`{"N":%d}`, workers*each), string(got.Doc), "no lost update")
	})
}

// runWebhook checks, on a Ledger over each store, that the webhook handler
// answers the same way whatever the store: 400 for an event the ledger can
// never store (never a 500 the sender retries for ever), 200 for odd but
// valid text, kept byte for byte (issue 16 #2 and #11).
func runWebhook(t *testing.T, newStore func(t *testing.T) calls.Store) {
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	l, err := calls.New(acct, newStore(t))
	require.NoError(t, err)
	h, err := webhook.NewHandler(acct, l, webhook.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	body := func(callid, endpoint, ani string) string {
		b, err := json.Marshal(map[string]any{"action": "callStart", "data": map[string]any{
			"callid": callid, "endpoint_id": endpoint, "ani": ani, "dnis": "8000001",
			"detect_time": "2026-03-02 15:00:00", "type": "in"}})
		require.NoError(t, err)
		return string(b)
	}
	post := func(b string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b)))
		return w.Code
	}
	for name, b := range map[string]string{
		"endpoint with a space":   body("w1", "50 01", "50688887777"),
		"endpoint over 128 bytes": body("w2", strings.Repeat("5", calls.MaxIDLen+1), "50688887777"),
		"endpoint with ESC":       body("w3", "50\x1b01", "50688887777"),
		"endpoint with NUL":       body("w4", "50\x0001", "50688887777"),
		"ani over 1024 bytes":     body("w5", "5001", strings.Repeat("8", 1025)),
		"ani with NUL":            body("w6", "5001", "8888\x007777"),
		"callid with NUL":         body("w7\x00", "5001", "50688887777"),
		"callid with a prefix":    body("dial:w8", "5001", "50688887777"),
		"callid not UTF-8":        `{"action":"callStart","data":{"callid":"w9` + "\xff" + `","endpoint_id":"5001"}}`,
	} {
		assert.Equal(t, http.StatusBadRequest, post(b), name)
		assert.Equal(t, http.StatusBadRequest, post(b), name+", again")
	}
	odd := body("w10 é☎", "5001é", "☎ +506 8888-7777 😀")
	require.Equal(t, http.StatusOK, post(odd))
	c, err := l.Get(t.Context(), "w10 é☎")
	require.NoError(t, err)
	assert.Equal(t, "5001é", c.Agent.ID)
	require.Len(t, c.Events, 1)
	assert.Equal(t, "☎ +506 8888-7777 😀", c.Events[0].ANI)

	// An event a router built by other means is refused the same way by
	// the ledger: an error matching both sentinels.
	err = l.HandleEvent(t.Context(), webhook.Event{Action: webhook.CallStart, Call: webhook.Call{ID: "w11", Endpoint: callmyway.Endpoint{ID: "50 01"}}})
	assert.ErrorIs(t, err, webhook.ErrInvalidEvent)
	assert.ErrorIs(t, err, calls.ErrInvalid)
}

// runOddCDRs checks, on a Ledger over each store, that a CDR page with
// odd callids commits (the Syncer never stops for good) and that two
// different callids never become one call (issue 16 #3 and #7): callids
// with NUL, control characters or bytes that are not UTF-8 are kept
// escaped (cdr.EscapedIDPrefix); a record with a field the ledger cannot
// store is repaired (the field cut or cleared) and logged; one whose id it
// cannot store is skipped and logged; the rest of the page is applied.
func runOddCDRs(t *testing.T, newStore func(t *testing.T) calls.Store) {
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	var logs strings.Builder
	var mu sync.Mutex
	l, err := calls.New(acct, newStore(t), calls.WithLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))))
	require.NoError(t, err)
	raws := []string{"c\x00", "a\xffb", "a\xfeb", "a\uFFFDb", "a\u0001b", "esc:1", "plain"}
	var page strings.Builder
	page.WriteString(`[`)
	for i, raw := range raws {
		id := strings.NewReplacer("\x00", `\u0000`, "\u0001", `\u0001`).Replace(raw)
		fmt.Fprintf(&page, `{"callid":"%s","original_callid":"%s","ref_callid":"0","ani":"50688887777","dnis":"8000001","dnis_user":"8000001","detect_time":"2026-11-20 10:00:0%d","disconnect_time":"2026-11-20 10:01:00","duration":50,"type":"incoming","cost":"0.05"},`, id, id, i)
	}
	// A record no store of the ledger keeps (an escaped id over MaxIDLen
	// bytes), and records it repairs: a duration over a year; an ANI of
	// 2,000 bytes and an agent phone with a space.
	long := strings.Repeat("\xff", 40)
	fmt.Fprintf(&page, `{"callid":"%s","ref_callid":"0","detect_time":"2026-11-20 10:00:00","type":"incoming"},`, long)
	page.WriteString(`{"callid":"too-long","ref_callid":"0","detect_time":"2026-11-20 10:00:00","duration":40000000,"type":"incoming"},`)
	fmt.Fprintf(&page, `{"callid":"odd-fields","ref_callid":"0","ani":"%s","dnis":"8000 001","dnis_user":"8000 001","detect_time":"2026-11-20 10:00:00","duration":30,"type":"incoming"}]`, strings.Repeat("7", 2000))
	recs, err := cdr.DecodePage([]byte(page.String()), time.UTC)
	require.NoError(t, err)
	require.Len(t, recs, len(raws)+3)
	for range 2 { // the page is applied, and applied again as the next poll's overlap
		require.NoError(t, l.ReconcileCDRs(t.Context(), recs), "the page commits")
	}
	seen := map[string]bool{}
	for c, err := range l.Calls(t.Context(), calls.Query{}) {
		require.NoError(t, err)
		raw, ok := cdr.UnescapeID(c.ID)
		require.True(t, ok, c.ID)
		seen[raw] = true
		assert.True(t, c.CDRSeen, c.ID)
	}
	want := map[string]bool{"c\x00": true, "a\xffb": true, "a\xfeb": true, "a\uFFFDb": true, "a\u0001b": true, "esc:1": true, "plain": true,
		"too-long": true, "odd-fields": true}
	assert.Equal(t, want, seen, "one call per callid, none merged, the repaired kept, the unstorable id skipped")
	odd, err := l.Get(t.Context(), "odd-fields")
	require.NoError(t, err)
	assert.True(t, odd.Agent.IsZero(), "an agent phone the ledger cannot store is left empty")
	assert.Equal(t, 30*time.Second, odd.Duration, "the rest of the record is kept")
	require.Len(t, odd.Legs, 1)
	assert.Len(t, odd.Legs[0].ANI, 1024, "an ANI cut to the ledger's limit")
	tooLong, err := l.Get(t.Context(), "too-long")
	require.NoError(t, err)
	assert.Zero(t, tooLong.Duration, "a duration over a year is left empty")
	mu.Lock()
	assert.Equal(t, 2, strings.Count(logs.String(), "CDR record skipped"), logs.String())
	assert.Equal(t, 4, strings.Count(logs.String(), "CDR record repaired"), logs.String())
	mu.Unlock()

	// A record built by hand (not decoded) is escaped the same way, so it
	// is the same call.
	require.NoError(t, l.ReconcileCDRs(t.Context(), []cdr.Record{{CallID: "a\xffb", RefCallID: "0", EndReason: "OK"}}))
	c, err := l.Get(t.Context(), cdr.EscapedIDPrefix+`a\xffb`)
	require.NoError(t, err)
	assert.Len(t, c.Legs, 1)
}

// runEscapeLookalikes checks, on a Ledger over each store, that ids are
// escaped in one place (cdr.EscapeID, where a raw id becomes a key): a
// record built by hand whose callid is the literal text of another's
// escaped form ("esc:c\x00" written out) is a different call from the
// one with the raw bytes ("c\x00"), whether the records were decoded from
// the provider's JSON or built by hand; and a webhook and a CDR of the
// same call meet, a callid starting with "esc:" included. Both lookalikes
// used to become one call: the decoder escaped ids and LegOf left an id
// that looked escaped as it was.
func runEscapeLookalikes(t *testing.T, newStore func(t *testing.T) calls.Store) {
	acct := callmyway.Account{Username: "8000001", Location: time.UTC, Region: "CR"}
	l, err := calls.New(acct, newStore(t), calls.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	detect := callmyway.NewTime(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	rec := func(id string) cdr.Record {
		return cdr.Record{CallID: id, OriginalCallID: id, RefCallID: "0", ANI: "50688887777", DNIS: "8000001", DNISUser: "8000001",
			DetectTime: detect, DisconnectTime: callmyway.NewTime(detect.Time().Add(time.Minute)), Duration: 50 * time.Second,
			EndReason: "OK", Direction: callmyway.DirectionInbound, Type: "incoming"}
	}
	raws := []string{"c\x00", `esc:c\x00`, "a\xffb", `esc:a\xffb`, "esc:1", `esc:esc:1`, "plain"}
	var recs []cdr.Record
	for _, raw := range raws {
		recs = append(recs, rec(raw))
	}
	require.NoError(t, l.ReconcileCDRs(t.Context(), recs))
	// The same records decoded from the provider's JSON are the same
	// calls, not new ones.
	var page strings.Builder
	for i, r := range recs[:len(recs)-1] {
		b, err := json.Marshal(r.CallID)
		require.NoError(t, err)
		if !utf8.ValidString(r.CallID) {
			b = []byte(`"` + strings.ReplaceAll(r.CallID, `\`, `\\`) + `"`) // raw bytes, as the provider sends them
		}
		fmt.Fprintf(&page, `%s{"callid":%s,"original_callid":%s,"ref_callid":"0","detect_time":"2026-11-20 10:00:00","disconnect_time":"2026-11-20 10:01:00","duration":50,"type":"incoming","cost":"0.05"}`,
			map[bool]string{true: "[", false: ","}[i == 0], b, b)
	}
	page.WriteString("]")
	decoded, err := cdr.DecodePage([]byte(page.String()), time.UTC)
	require.NoError(t, err)
	for i, r := range decoded {
		require.Equal(t, raws[i], r.CallID, "decoded raw")
	}
	require.NoError(t, l.ReconcileCDRs(t.Context(), decoded))
	// A webhook of the plain "esc:1" call meets its CDR.
	ev, err := webhook.Parse(acct, []byte(`{"action":"callEnd","data":{"callid":"esc:1","type":"incoming","ani":"50688887777","dnis":"8000001","endpoint_id":"8000001",`+
		`"detect_time":"2026-11-20 10:00:00","disconnect_time":"2026-11-20 10:01:00","duration":"50","cost":"0.05"}}`))
	require.NoError(t, err, "a callid starting with esc: is a callid the ledger can keep")
	require.NoError(t, l.HandleEvent(t.Context(), ev))

	got := map[string]calls.Call{}
	for c, err := range l.Calls(t.Context(), calls.Query{}) {
		require.NoError(t, err)
		raw, ok := cdr.UnescapeID(c.ID)
		require.True(t, ok, c.ID)
		_, dup := got[raw]
		require.False(t, dup, "%q twice", raw)
		got[raw] = c
	}
	require.Len(t, got, len(raws), "one call per distinct raw callid: %q", slices.Sorted(maps.Keys(got)))
	for _, raw := range raws {
		c, ok := got[raw]
		if assert.True(t, ok, "%q has its call", raw) {
			assert.Equal(t, cdr.EscapeID(raw), c.ID)
			assert.Len(t, c.Legs, 1, "%q: one leg, decoded and hand-built alike", raw)
		}
	}
	assert.True(t, got["esc:1"].WebhookSeen, "the webhook met its CDR")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func ids(rs []calls.Record) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
