package target

import "github.com/natsim/natsim/sim"

// Cost is a quantity that advise minimises, per client-hour, pooled over
// every group and replication: the sum of the amounts divided by the sum
// of the client-hours. A new cost is one row of Costs.
type Cost struct {
	Name string // as scenario files and --cost spell it
	Unit string // of the amount per client-hour, for the output
	// Amount is what one group spent in one run, in Unit times hours.
	Amount func(g sim.GroupResult) float64
	// Radio says the cost is only spent by groups with a radio: where
	// none has one it is 0 whatever the keepalive, and not worth showing.
	Radio bool
}

// Costs lists the costs advise can minimise; the first is the default.
var Costs = []Cost{
	// Keepalive bytes at their rate (each beat weighted by its gap's share
	// of the window: it does not jump with how many beats fit in the
	// window) and reconnect bytes.
	{Name: "cost_bytes_per_client_hour", Unit: "B", Amount: func(g sim.GroupResult) float64 {
		return g.Overhead.CostBytesPerClientHour * g.ClientHours
	}},
	// The keepalive and reconnect bytes counted inside the window.
	{Name: "overhead_bytes_per_client_hour", Unit: "B", Amount: func(g sim.GroupResult) float64 {
		return g.Overhead.KeepaliveBytes + g.Overhead.ReconnectBytes
	}},
	{Name: "keepalive_packets_per_client_hour", Unit: "packets", Amount: func(g sim.GroupResult) float64 {
		return g.Overhead.KeepalivePackets
	}},
	// The radios' energy (promotions, tails, bytes; not idle power);
	// groups without a radio spend none.
	{Name: "energy_j_per_client_hour", Unit: "J", Amount: func(g sim.GroupResult) float64 {
		return g.Radio.EnergyJPerClientHour * g.ClientHours
	}, Radio: true},
}

// CostNamed finds a cost of Costs by name.
func CostNamed(name string) (Cost, bool) {
	for _, c := range Costs {
		if c.Name == name {
			return c, true
		}
	}
	return Cost{}, false
}

// CostNames lists the names of Costs.
func CostNames() []string {
	names := make([]string, len(Costs))
	for i, c := range Costs {
		names[i] = c.Name
	}
	return names
}

// PerClientHour is c pooled over groups (every group of every run):
// the amounts summed over the client-hours summed; 0 without any.
func (c Cost) PerClientHour(groups []sim.GroupResult) float64 {
	var amount, hours float64
	for _, g := range groups {
		amount += c.Amount(g)
		hours += g.ClientHours
	}
	if hours == 0 {
		return 0
	}
	return amount / hours
}
