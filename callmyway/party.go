package callmyway

// Customer returns the customer's side of a call going direction d: the
// called number (DNIS) of an outbound call, the caller (ANI) otherwise.
// Inbound, internal and unknown calls all give the ANI, so a call whose
// direction is not known is matched as if it came in. Pass the numbers
// (ani, dnis) or the endpoint usernames (ani_user, dnis_user) alike.
func (d Direction) Customer(ani, dnis string) string {
	if d == DirectionOutbound {
		return dnis
	}
	return ani
}

// Agent returns the agent's side of a call going direction d, the side
// Customer does not return: the caller (ANI) of an outbound call, the
// called side (DNIS) otherwise.
func (d Direction) Agent(ani, dnis string) string {
	if d == DirectionOutbound {
		return ani
	}
	return dnis
}
