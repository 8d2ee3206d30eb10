package screenpop

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/callmyway-go/sdk/callmyway"
)

// MemoryDirectory is a Directory in memory, with dated assignments: an
// endpoint can pass from one agent to another and past calls stay
// credited to whoever had it then.
type MemoryDirectory struct {
	mu   sync.RWMutex
	asgs map[string][]assignment // by endpoint id, ascending from
}

type assignment struct {
	from  time.Time
	agent Agent
	ok    bool
}

// NewMemoryDirectory returns an empty directory.
func NewMemoryDirectory() *MemoryDirectory { return &MemoryDirectory{asgs: map[string][]assignment{}} }

// Assign maps endpointID to agent from the given time on.
func (d *MemoryDirectory) Assign(endpointID string, a Agent, from time.Time) {
	d.set(endpointID, assignment{from: from, agent: a, ok: true})
}

// Unassign unmaps endpointID from the given time on.
func (d *MemoryDirectory) Unassign(endpointID string, from time.Time) {
	d.set(endpointID, assignment{from: from})
}

func (d *MemoryDirectory) set(id string, a assignment) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := append(d.asgs[id], a)
	sort.SliceStable(l, func(i, j int) bool { return l[i].from.Before(l[j].from) })
	d.asgs[id] = l
}

// AgentFor implements Directory.
func (d *MemoryDirectory) AgentFor(_ context.Context, endpointID string, at time.Time) (Agent, bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	l := d.asgs[endpointID]
	for i := len(l) - 1; i >= 0; i-- {
		if !l[i].from.After(at) {
			return l[i].agent, l[i].ok, nil
		}
	}
	return Agent{}, false, nil
}

// MemoryContacts is a Contacts in memory.
type MemoryContacts struct {
	mu       sync.RWMutex
	region   string
	contacts []Contact
	byNumber map[string][]int
}

// NewMemoryContacts returns an empty contact list reading numbers in region.
func NewMemoryContacts(region string) *MemoryContacts {
	return &MemoryContacts{region: region, byNumber: map[string][]int{}}
}

// Add adds a contact, indexing its numbers by E.164.
func (m *MemoryContacts) Add(c Contact) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := len(m.contacts)
	m.contacts = append(m.contacts, c)
	for _, raw := range c.Numbers {
		if n, err := callmyway.ParseNumber(raw, m.region); err == nil && !n.Withheld {
			m.byNumber[n.E164] = append(m.byNumber[n.E164], i)
		}
	}
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
