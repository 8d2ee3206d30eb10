package calls

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Disposition is what an agent recorded about one call: a result code,
// notes, the next action, and charges to the customer's case file.
//
// Dispositions are append-only. To correct one, record a new Disposition
// whose Amends names it; the original is never rewritten, and both stay
// on the call with who wrote them and when.
//
// Disposition is a plain value, safe to copy and to read from several
// goroutines. The zero value is not a valid disposition: By is required.
//
// Copies may be read from several goroutines concurrently.
type Disposition struct {
	// ID identifies the disposition on its call. Leave it empty to have
	// Dispose make one; set it to make a retried submission idempotent.
	ID string `json:"id"`
	// Amends is the ID of the disposition this one corrects, if any.
	Amends string `json:"amends,omitempty"`
	// By is the id of the user who recorded it (required).
	By string `json:"by"`
	// Contact and Case are the CRM contact and case file the call is
	// about, when the agent chose them (an inbound call from a number
	// several contacts share, an unknown caller linked to a customer).
	// The call's Contact and Case are the dial's metadata, else those of
	// its latest disposition that names them.
	Contact string `json:"contact,omitempty"`
	Case    string `json:"case,omitempty"`
	// At is when it was recorded; Dispose sets it from the ledger's clock.
	At         time.Time `json:"at"`
	Result     string    `json:"result,omitempty"` // result code, such as "promise-to-pay"
	Notes      string    `json:"notes,omitempty"`
	NextAction string    `json:"next_action,omitempty"`
	NextAt     time.Time `json:"next_at,omitzero"` // when the next action is due
	Charges    []Charge  `json:"charges,omitempty"`
}

// Charge is money posted to the customer's case file for a call.
//
// Key makes it idempotent: posting the same key again on the same call is
// a no-op, and on another call it is an error (ErrChargeConflict).
//
// Charge is a plain value, safe to copy; its zero value is not a valid
// charge (Key and Currency are required).
//
// The zero Charge is invalid (no key). Copies may be read from several
// goroutines concurrently.
type Charge struct {
	Key         string          `json:"key"`      // idempotency key (required)
	Amount      decimal.Decimal `json:"amount"`   // positive or negative, never float
	Currency    string          `json:"currency"` // ISO 4217 code, such as "CRC" or "USD"
	Description string          `json:"description,omitempty"`
	// DispositionID is the disposition that posted the charge (set by the
	// ledger).
	DispositionID string `json:"disposition_id,omitempty"`
}

func newDispositionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return "d" + hex.EncodeToString(b[:])
}

// normDisposition validates d for callID and returns it normalised.
func normDisposition(d Disposition) (Disposition, error) {
	if err := checkID("Disposition.ID", d.ID, false); err != nil {
		return d, err
	}
	if err := checkID("Disposition.Amends", d.Amends, false); err != nil {
		return d, err
	}
	if err := checkID("Disposition.By", d.By, true); err != nil {
		return d, err
	}
	if err := checkID("Disposition.Contact", d.Contact, false); err != nil {
		return d, err
	}
	if err := checkID("Disposition.Case", d.Case, false); err != nil {
		return d, err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"Disposition.Result", d.Result, maxText}, {"Disposition.Notes", d.Notes, maxNotes}, {"Disposition.NextAction", d.NextAction, maxText}} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return d, err
		}
	}
	if err := normTime("Disposition.NextAt", &d.NextAt); err != nil {
		return d, err
	}
	if d.Result == "" && d.Notes == "" && d.NextAction == "" && len(d.Charges) == 0 {
		return d, invalid("Disposition", "empty: no result, notes, next action or charges")
	}
	if len(d.Charges) > maxMeta {
		return d, invalid("Disposition.Charges", "%d charges, more than %d", len(d.Charges), maxMeta)
	}
	seen := map[string]bool{}
	cs := make([]Charge, len(d.Charges))
	for i, c := range d.Charges {
		f := "Disposition.Charges[" + strconv.Itoa(i) + "]"
		if err := checkID(f+".Key", c.Key, true); err != nil {
			return d, err
		}
		if seen[c.Key] {
			return d, invalid(f+".Key", "%q appears twice", c.Key)
		}
		seen[c.Key] = true
		if err := checkAmount(f+".Amount", c.Amount); err != nil {
			return d, err
		}
		if !isCurrency(c.Currency) {
			return d, invalid(f+".Currency", "%q is not an ISO 4217 code such as CRC or USD", c.Currency)
		}
		if err := checkText(f+".Description", c.Description, maxText); err != nil {
			return d, err
		}
		c.DispositionID = ""
		cs[i] = c
	}
	d.Charges = cs
	if len(cs) == 0 {
		d.Charges = nil
	}
	return d, nil
}

func isCurrency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// MaxDispositions is the most dispositions (amendments included) a call
// keeps: Dispose refuses another with an *InvalidError. It bounds a call's
// record, which every write of the call rewrites, against a stuck form or
// script resubmitting without an ID; a disposition whose ID is already on
// the call is still accepted (it changes nothing).
const MaxDispositions = 1000

// maxDispositions is MaxDispositions, lowered by tests.
var maxDispositions = MaxDispositions

// Dispose appends d to the call callID (or an alias of it) and posts its
// charges exactly once, and returns the call. It sets d.At from the
// ledger's clock and d.ID when empty.
//
// A charge whose key was already posted on this call is skipped (the
// call keeps the first); a key posted on another call fails the whole
// disposition with a *ChargeConflictError. A disposition whose ID is
// already on the call changes nothing. d.Amends must name a disposition
// of the call: the original is kept as it was.
func (l *Ledger) Dispose(ctx context.Context, callID string, d Disposition) (Call, error) {
	if err := l.ok(); err != nil {
		return Call{}, err
	}
	if err := checkID("callID", callID, true); err != nil {
		return Call{}, err
	}
	d, err := normDisposition(d)
	if err != nil {
		return Call{}, err
	}
	if d.ID == "" {
		d.ID = newDispositionID()
	}
	d.At = l.now()
	cur, err := l.Get(ctx, callID)
	if err != nil {
		return Call{}, err
	}
	keys := []string{"c:" + callID, "c:" + cur.ID}
	if cur.Number != "" {
		keys = append(keys, "n:"+cur.Number)
	}
	for _, ch := range d.Charges {
		keys = append(keys, "k:"+ch.Key)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var out Call
	var changed *change
	err = l.store.Update(ctx, keys, func(ctx context.Context, tx Tx) error {
		found := map[string]node{}
		if _, err := l.resolve(ctx, tx, []string{callID}, found); err != nil {
			return err
		}
		if len(found) == 0 {
			return ErrNotFound
		}
		var n node
		for _, v := range found { // exactly one: callID's call
			n = v
		}
		if _, ok := n.f.Disps[d.ID]; ok {
			out = derive(n.rec.ID, n.rec.Seq, n.f, l.view(l.now()))
			return nil
		}
		if len(n.f.Disps) >= maxDispositions {
			return invalid("Disposition", "call %q already has %d dispositions, the most a call keeps", n.rec.ID, maxDispositions)
		}
		if _, ok := n.f.Disps[d.Amends]; d.Amends != "" && !ok {
			return invalid("Disposition.Amends", "%q is not a disposition of call %q", d.Amends, n.rec.ID)
		}
		dd := d
		dd.Charges = nil
		if len(d.Charges) > 0 {
			ks := make([]string, len(d.Charges))
			for i, ch := range d.Charges {
				ks[i] = ch.Key
			}
			owners, err := tx.ChargeOwners(ctx, ks...)
			if err != nil {
				return err
			}
			for _, ch := range d.Charges {
				owner, ok := owners[ch.Key]
				if !ok {
					dd.Charges = append(dd.Charges, ch)
					continue
				}
				if owner != n.rec.ID {
					of := map[string]node{}
					if _, err := l.resolve(ctx, tx, []string{owner}, of); err != nil {
						return err
					}
					if _, same := of[n.rec.ID]; !same {
						return &ChargeConflictError{Key: ch.Key, CallID: owner, Other: n.rec.ID}
					}
				}
			}
		}
		if dd.Result == "" && dd.Notes == "" && dd.NextAction == "" && len(dd.Charges) == 0 {
			// Only charges already posted on this call: nothing to add.
			out = derive(n.rec.ID, n.rec.Seq, n.f, l.view(l.now()))
			return nil
		}
		u := merge(n.f, facts{Disps: map[string]Disposition{dd.ID: dd}})
		c, ch, err := l.write(ctx, tx, u, found, nil, nil, l.now())
		out, changed = c, ch
		return err
	})
	if err != nil {
		return Call{}, fmt.Errorf("calls: dispose %q: %w", callID, err)
	}
	if changed != nil {
		l.notify(ctx, []change{*changed})
	}
	return out, nil
}
