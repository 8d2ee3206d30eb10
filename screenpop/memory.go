package screenpop

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
	"github.com/callmyway-go/sdk/number"
)

// MemoryDirectory is a Directory in memory, with dated assignments: a
// phone can pass from one agent to another and past calls stay credited
// to whoever had it then. The zero MemoryDirectory is an empty, usable
// directory; it is safe for concurrent use.
type MemoryDirectory struct {
	mu   sync.RWMutex
	asgs []assignment // ascending from
}

type assignment struct {
	ep    callmyway.Endpoint
	from  time.Time
	agent Agent
	ok    bool
}

// NewMemoryDirectory returns an empty directory.
func NewMemoryDirectory() *MemoryDirectory { return &MemoryDirectory{} }

// Assign maps the agent's phone (a.Endpoint, which must carry both names)
// to a from the given time on.
func (d *MemoryDirectory) Assign(a Agent, from time.Time) error {
	if a.Endpoint.ID == "" || a.Endpoint.User == "" {
		return fmt.Errorf("screenpop: Assign: agent %q's endpoint %s needs both its id and its username", a.ID, a.Endpoint)
	}
	if a.ID == "" {
		return errors.New("screenpop: Assign: agent without an id")
	}
	d.set(assignment{ep: a.Endpoint, from: from, agent: a, ok: true})
	return nil
}

// Unassign unmaps the phone ep (by either name) from the given time on.
func (d *MemoryDirectory) Unassign(ep callmyway.Endpoint, from time.Time) error {
	if ep.IsZero() {
		return errors.New("screenpop: Unassign: no endpoint")
	}
	d.set(assignment{ep: ep, from: from})
	return nil
}

func (d *MemoryDirectory) set(a assignment) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// Complete a phone named by one name with the other, so later lookups
	// by either name see this assignment.
	for i := len(d.asgs) - 1; i >= 0 && (a.ep.ID == "" || a.ep.User == ""); i-- {
		if e := d.asgs[i].ep; e.Same(a.ep) {
			a.ep = e
		}
	}
	d.asgs = append(d.asgs, a)
	sort.SliceStable(d.asgs, func(i, j int) bool { return d.asgs[i].from.Before(d.asgs[j].from) })
}

// AgentFor implements Directory: the latest assignment of the phone, by
// either name, made at or before at.
func (d *MemoryDirectory) AgentFor(_ context.Context, ep callmyway.Endpoint, at time.Time) (Agent, bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for i := len(d.asgs) - 1; i >= 0; i-- {
		if a := d.asgs[i]; a.ep.Same(ep) && !a.from.After(at) {
			return a.agent, a.ok, nil
		}
	}
	return Agent{}, false, nil
}

// Phone implements calls.PhoneBook: the phone e names, with both names,
// from the assignments.
func (d *MemoryDirectory) Phone(_ context.Context, e callmyway.Endpoint) (callmyway.Endpoint, bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for i := len(d.asgs) - 1; i >= 0; i-- {
		if a := d.asgs[i]; a.ep.Same(e) && a.ep.ID != "" && a.ep.User != "" {
			return a.ep, true, nil
		}
	}
	return e, false, nil
}

// MemoryContacts is a Contacts in memory, safe for concurrent use. Create
// it with NewMemoryContacts; the zero MemoryContacts reads numbers only in
// international form.
type MemoryContacts struct {
	mu       sync.RWMutex
	region   string
	contacts []Contact
	byNumber map[string][]int
}

// NewMemoryContacts returns an empty contact list reading numbers in the
// account's region.
func NewMemoryContacts(acct callmyway.Account) *MemoryContacts {
	return &MemoryContacts{region: acct.Region, byNumber: map[string][]int{}}
}

// Add adds a contact, indexing its numbers by E.164.
func (m *MemoryContacts) Add(c Contact) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byNumber == nil {
		m.byNumber = map[string][]int{}
	}
	i := len(m.contacts)
	m.contacts = append(m.contacts, c)
	for _, raw := range c.Numbers {
		if n, err := number.Parse(raw, m.region); err == nil && !n.Withheld {
			m.byNumber[n.E164] = append(m.byNumber[n.E164], i)
		}
	}
}

// Contact implements Contacts.
func (m *MemoryContacts) Contact(_ context.Context, id string) (Contact, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, c := range m.contacts {
		if c.ID == id {
			return c, true, nil
		}
	}
	return Contact{}, false, nil
}

// FindByNumber implements Contacts.
func (m *MemoryContacts) FindByNumber(_ context.Context, e164 string) ([]Contact, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Contact
	for _, i := range m.byNumber[e164] {
		out = append(out, m.contacts[i])
	}
	return out, nil
}

// Search implements Contacts: a case-insensitive substring of the name,
// customer name or a number.
func (m *MemoryContacts) Search(_ context.Context, q string, limit int) ([]Contact, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	q = strings.ToLower(strings.TrimSpace(q))
	var out []Contact
	for _, c := range m.contacts {
		hay := strings.ToLower(c.Name + " " + c.CustomerName + " " + strings.Join(c.Numbers, " "))
		if q != "" && strings.Contains(hay, q) {
			out = append(out, c)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}
