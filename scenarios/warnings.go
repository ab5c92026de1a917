package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// HouseholdClients is the most clients that one shared box of a home
// gateway preset may carry before Warnings calls it a mistake: a
// household has a handful of devices, so more than 64 behind one home
// router is a population that was given one router to share.
const HouseholdClients = 64

// Warnings lists what in the scenario is legal but probably a mistake,
// each as FILE:LINE:COL: warning: ... naming the box, the group and the
// numbers, and what to do:
//
//   - a shared box that evicts the least recently used entry when full,
//     crossed by more clients than its capacity with a keepalive: every
//     keepalive then finds its entry evicted (the cyclic collapse);
//   - a shared box of a home gateway preset with a capacity, crossed by
//     more than HouseholdClients clients: one household's table shared by
//     a population;
//   - TCP keepalive through a box that keepalive probes do not refresh:
//     no probe can hold the entry;
//   - sampling that leaves a shared box's table fewer than
//     sim.MinSampledTable entries, where the sample's error grows.
func (sc *Scenario) Warnings() []string { return sc.warningsOf(sc) }

// warningsOf is the warnings of p, a point of sc's sweep (or sc itself),
// placed where sc's file writes the box or group.
func (sc *Scenario) warningsOf(p *Scenario) []string {
	cfg := &p.Config
	var out []string
	warn := func(field, format string, args ...any) {
		p := sc.Refuse(Point{}, field, "warning: "+fmt.Sprintf(format, args...), "")
		p.Field = ""
		out = append(out, p.String())
	}
	for bi := range cfg.Path {
		m := &cfg.Path[bi]
		field := m.Name
		if bi < len(p.boxes) {
			field = p.boxes[bi].field
		}
		crossing, kept, names := crossers(cfg, bi)
		if crossing == 0 || m.Capacity == 0 || m.PerClient { // a per-client box's capacity is each client's own
			continue
		}
		if m.WhenFull == nat.LRU && crossing > float64(m.Capacity) && len(kept) > 0 {
			warn(field, "middlebox %s: %s clients cross it (%s), more than its capacity of %d entries, and when full it evicts "+
				"the least recently used entry: each keepalive then finds its entry evicted, the cyclic collapse, and most connections break. "+
				"Give it a capacity above the clients, or when_full: refuse to turn away only those that do not fit",
				m.Name, clientsText(crossing), strings.Join(kept, "; "), m.Capacity)
		}
		if smp := cfg.Sampling; smp.On() && !m.PerClient && sim.SmallSampledTable(m.Capacity, smp.Fraction) {
			warn("sampling.fraction", "middlebox %s: sampling %g of the clients leaves its table of %d entries about %d, "+
				"fewer than about %d: below that the sample's error grows past the few per cent measured in docs/sampling.md. "+
				"Sample at least %.3g of the clients, or run them all",
				m.Name, smp.Fraction, m.Capacity, sim.ScaleCapacity(m.Capacity, smp.Fraction), sim.MinSampledTable,
				min(1, float64(sim.MinSampledTable)/float64(m.Capacity)))
		}
		if bi < len(p.boxes) && p.boxes[bi].household && crossing > HouseholdClients {
			warn(field, "middlebox %s: its preset is one household's home gateway, but this one box is shared by %s clients (%s): "+
				"its %d entries and its when_full policy (%s) apply to all of them at once, as if every household shared one router. "+
				"Give each household its own instance (instances: per-client), or set capacity: 0 so that only its timeouts apply",
				m.Name, clientsText(crossing), strings.Join(names, ", "), m.Capacity, m.WhenFull)
		}
	}
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		if g.Keepalive.Type != sim.KeepaliveTCP {
			continue
		}
		for _, bi := range cfg.PathOf(g) {
			if m := &cfg.Path[bi]; !m.RefreshOnKeepalive {
				warn("clients."+g.Name+".keepalive.type", "group %s keeps its connections alive with TCP keepalive (%s), "+
					"but middlebox %s does not refresh its entries on keepalive probes (refresh_on_keepalive: false): "+
					"no probe holds an entry past its TCP idle timeout of %v, only data does. "+
					"Use an app keepalive (type: app) more often than every %v, or send data",
					g.Name, g.Keepalive.Type.Kind().Summary(g.Keepalive), m.Name, m.Timeouts.TCPEstablished, m.Timeouts.TCPEstablished)
			}
		}
	}
	if _, ok := p.Target.Limit(target.FailedRequests); ok && !slices.ContainsFunc(cfg.Groups, func(g sim.Group) bool { return g.Requests != nil }) {
		warn("target."+string(target.FailedRequests), "the target limits %s, but no group issues requests (requests: and pool:): "+
			"the limit judges nothing", target.FailedRequests)
	}
	return out
}

// crossers returns how many clients cross box bi (the expected number
// for a group that mixes paths), the groups among them with a keepalive,
// described, and the names of all of them.
func crossers(cfg *sim.Config, bi int) (clients float64, kept, names []string) {
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		share := 0.0
		if len(g.Paths) > 0 {
			var sum, on float64
			for _, p := range g.Paths {
				sum += p.Weight
				if slices.Contains(p.Via, bi) {
					on += p.Weight
				}
			}
			share = on / sum
		} else if slices.Contains(cfg.PathOf(g), bi) {
			share = 1
		}
		if share == 0 {
			continue
		}
		n := share * float64(g.Count)
		clients += n
		names = append(names, "group "+g.Name)
		if g.Keepalive.Type != sim.KeepaliveNone {
			kept = append(kept, fmt.Sprintf("group %s, %s clients with keepalive %s", g.Name, clientsText(n), g.Keepalive.Type.Kind().Summary(g.Keepalive)))
		}
	}
	return clients, kept, names
}

// clientsText writes a number of clients: whole, or "about N" for an
// expected number.
func clientsText(n float64) string {
	if n == math.Trunc(n) {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("about %.0f", n)
}

// PointWarnings lists the warnings of the points of sc's sweep, each
// message once, naming the points where it applies (a point of no swept
// key names none).
func (sc *Scenario) PointWarnings(points []Point) []string {
	var msgs []string
	where := map[string][]string{}
	for _, p := range points {
		for _, w := range sc.warningsOf(p.Scenario) {
			if _, seen := where[w]; !seen {
				msgs = append(msgs, w)
			}
			if label := p.Label(); label != "" {
				where[w] = append(where[w], label)
			} else {
				where[w] = where[w][:0:0]
			}
		}
	}
	for i, w := range msgs {
		switch labels := where[w]; {
		case len(labels) == 1:
			msgs[i] += " (at the sweep point " + labels[0] + ")"
		case len(labels) > 3:
			msgs[i] += fmt.Sprintf(" (at the sweep points %s and %d more)", strings.Join(labels[:3], "; "), len(labels)-3)
		case len(labels) > 1:
			msgs[i] += " (at the sweep points " + strings.Join(labels, "; ") + ")"
		}
	}
	return msgs
}
