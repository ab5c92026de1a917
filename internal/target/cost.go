package target

import "github.com/natsim/natsim/sim"

// Cost is a quantity that advise minimises, per unit of exposure (a
// client-hour unless Exposure says otherwise), pooled over every group
// and replication: the sum of the amounts divided by the sum of the
// exposures. A new cost is one row of Costs. Advise assumes a cost that
// falls as the tuned duration grows, and checks it.
type Cost struct {
	Name  string // as scenario files and --cost spell it
	Unit  string // of the amount per unit of exposure, for the output
	Words string // what it counts, for a chart's axis ("keepalive + reconnect bytes")
	// Per names the unit of exposure, for the output: "client-hour"
	// when empty.
	Per string
	// Amount is what one group spent in one run, in Unit times the
	// exposure's unit.
	Amount func(g sim.GroupResult) float64
	// Radio says the cost is only spent by groups with a radio: where
	// none has one it is 0 whatever the keepalive, and not worth showing.
	Radio bool
	// Requests likewise: only request-driven groups spend it.
	Requests bool
	// Exposure is what one group's amount is divided by, summed; nil is
	// its client-hours.
	Exposure func(g sim.GroupResult) float64
}

// Costs lists the costs advise can minimise; the first is the default.
var Costs = []Cost{
	// Keepalive bytes at their rate (each beat weighted by its gap's share
	// of the window: it does not jump with how many beats fit in the
	// window) and reconnect bytes.
	{Name: "cost_bytes_per_client_hour", Unit: "B", Words: "keepalive + reconnect bytes", Amount: func(g sim.GroupResult) float64 {
		return g.Overhead.CostBytesPerClientHour * g.ClientHours
	}},
	// The keepalive and reconnect bytes counted inside the window.
	{Name: "overhead_bytes_per_client_hour", Unit: "B", Words: "keepalive + reconnect bytes in the window", Amount: func(g sim.GroupResult) float64 {
		return g.Overhead.KeepaliveBytes + g.Overhead.ReconnectBytes
	}},
	{Name: "keepalive_packets_per_client_hour", Unit: "packets", Words: "keepalive packets", Amount: func(g sim.GroupResult) float64 {
		return g.Overhead.KeepalivePackets
	}},
	// The radios' energy (promotions, tails, bytes; not idle power);
	// groups without a radio spend none.
	{Name: "energy_j_per_client_hour", Unit: "J", Words: "radio energy, joules", Amount: func(g sim.GroupResult) float64 {
		return g.Radio.EnergyJPerClientHour * g.ClientHours
	}, Radio: true},
	// Of request-driven groups: the connections a pool opened (each a
	// handshake, and its round trip of added latency) per 1000 requests
	// finished. A longer idle timeout or lifetime keeps connections for
	// more requests, so it falls as they grow; groups without requests
	// add nothing.
	{Name: "new_connections_per_1000_requests", Unit: "connections", Words: "new pool connections", Per: "1000 requests",
		Amount: func(g sim.GroupResult) float64 {
			return g.NewConnectionsPer1000Requests * g.Requests / 1000
		},
		Exposure: func(g sim.GroupResult) float64 { return g.Requests / 1000 }, Requests: true},
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

// PerExposure is c pooled over groups (every group of every run): the
// amounts summed over the exposures summed; 0 without any exposure.
func (c Cost) PerExposure(groups []sim.GroupResult) float64 {
	var amount, exposure float64
	for _, g := range groups {
		amount += c.Amount(g)
		if c.Exposure == nil {
			exposure += g.ClientHours
		} else {
			exposure += c.Exposure(g)
		}
	}
	if exposure == 0 {
		return 0
	}
	return amount / exposure
}

// PerUnit names c's unit of exposure: "client-hour" by default.
func (c Cost) PerUnit() string {
	if c.Per == "" {
		return "client-hour"
	}
	return c.Per
}
