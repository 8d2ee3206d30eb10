package callmyway

import (
	"fmt"
	"strings"
)

// Direction is which way a call went. Webhooks say in/out/internal, CDRs
// incoming/outgoing/internal; both parse to the same Direction.
//
// The zero Direction is DirectionUnknown. It is a plain value: safe to
// copy, and to read from several goroutines concurrently.
type Direction string

// Directions.
const (
	DirectionUnknown  Direction = ""
	DirectionInbound  Direction = "in"
	DirectionOutbound Direction = "out"
	DirectionInternal Direction = "internal"
)

// ParseDirection reads a provider call type. The empty string gives
// DirectionUnknown; anything unrecognised is an error quoting it.
func ParseDirection(s string) (Direction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return DirectionUnknown, nil
	case "in", "incoming", "inbound", "entrante":
		return DirectionInbound, nil
	case "out", "outgoing", "outbound", "saliente":
		return DirectionOutbound, nil
	case "internal", "interna", "interno":
		return DirectionInternal, nil
	}
	return DirectionUnknown, fmt.Errorf("callmyway: unknown call type %q (want in, out or internal)", s)
}

// String returns "in", "out", "internal" or "unknown".
func (d Direction) String() string {
	if d == DirectionUnknown {
		return "unknown"
	}
	return string(d)
}
