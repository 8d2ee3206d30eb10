package callmyway

import "strings"

// Endpoint is one CallMyWay phone (a SIP endpoint) by both of its names.
// CallMyWay uses two: webhooks name the phone by endpoint id ("5001", the
// endpoint_id field), while click to dial (first_num) and CDRs (ani_user,
// dnis_user) use its username ("8000001"). One Endpoint carries both, so
// no code has to map one to the other.
//
// Either name may be empty when it is not known; an Endpoint with neither
// is the zero Endpoint, "no phone". Endpoint is a comparable value, safe to
// copy and to use concurrently.
type Endpoint struct {
	ID   string `json:"id,omitempty"`   // endpoint_id in webhooks
	User string `json:"user,omitempty"` // username: first_num, ani_user, dnis_user
}

// IsZero reports whether e names no phone.
func (e Endpoint) IsZero() bool { return e.ID == "" && e.User == "" }

// Has reports whether name is one of e's names (its id or its username).
// The empty name matches nothing.
func (e Endpoint) Has(name string) bool {
	name = strings.TrimSpace(name)
	return name != "" && (name == e.ID || name == e.User)
}

// Same reports whether e and o are the same phone: they share an id or a
// username. Two zero Endpoints are not the same phone.
func (e Endpoint) Same(o Endpoint) bool {
	return (e.ID != "" && e.ID == o.ID) || (e.User != "" && e.User == o.User)
}

// String returns "id/username", or the one name that is known.
func (e Endpoint) String() string {
	switch {
	case e.ID != "" && e.User != "":
		return e.ID + "/" + e.User
	case e.ID != "":
		return e.ID
	}
	return e.User
}
