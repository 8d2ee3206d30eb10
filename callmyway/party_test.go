package callmyway

import "testing"

func TestDirectionParties(t *testing.T) {
	for _, tc := range []struct {
		d               Direction
		customer, agent string
	}{
		{DirectionInbound, "ani", "dnis"},
		{DirectionOutbound, "dnis", "ani"},
		{DirectionInternal, "ani", "dnis"},
		{DirectionUnknown, "ani", "dnis"},
	} {
		if got := tc.d.Customer("ani", "dnis"); got != tc.customer {
			t.Errorf("%v.Customer = %q, want %q", tc.d, got, tc.customer)
		}
		if got := tc.d.Agent("ani", "dnis"); got != tc.agent {
			t.Errorf("%v.Agent = %q, want %q", tc.d, got, tc.agent)
		}
	}
}
