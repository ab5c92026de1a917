package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// Options choose what a report says beyond the results.
type Options struct {
	// Verbose adds the engine's count of events per run (also written
	// when the result has its wall-clock time).
	Verbose bool
}

// Write writes res, the result of running cfg, as a report for a
// terminal: what was simulated and over which window, a block per client
// group, a block per middlebox.
func Write(w io.Writer, cfg *sim.Config, res *sim.Result, opt Options) error {
	p := &printer{}
	p.header(cfg, res)
	p.sample(cfg, res)
	for i, g := range res.Groups {
		var cg *sim.Group
		if i < len(cfg.Groups) && cfg.Groups[i].Name == g.Name {
			cg = &cfg.Groups[i]
		}
		p.group(cfg, cg, g)
	}
	for i, b := range res.Middleboxes {
		var cb *sim.Middlebox
		if i < len(cfg.Path) && cfg.Path[i].Name == b.Name {
			cb = &cfg.Path[i]
		}
		p.box(cfg, cb, b)
	}
	if opt.Verbose || res.WallS != nil {
		s := Count(res.Events) + " events per run"
		if res.WallS != nil {
			s += ", " + Seconds(*res.WallS) + " of wall-clock time"
		}
		p.printf("\n%s\n", s)
	}
	_, err := io.WriteString(w, p.b.String())
	return err
}

// printer builds the report; a line is a label in a column of its own
// and its text.
type printer struct{ b strings.Builder }

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(&p.b, format, args...) }

// line writes "  label  text", the labels in one column.
func (p *printer) line(label, format string, args ...any) {
	fmt.Fprintf(&p.b, "  %-18s %s\n", label, fmt.Sprintf(format, args...))
}

func (p *printer) header(cfg *sim.Config, res *sim.Result) {
	reps := "one replication"
	if res.Replications != 1 {
		reps = Count(float64(res.Replications)) + " replications"
	}
	p.printf("scenario %s, seed %d: %s simulated, %s\n", res.Scenario, res.Seed, Seconds(res.DurationS), reps)
	if res.WarmupS > 0 {
		p.printf("counts start after the %s warmup and cover the last %s; entries held then count as held, not created\n",
			Seconds(res.WarmupS), Seconds(res.DurationS-res.WarmupS))
	} else {
		p.printf("counts cover the whole %s (no warmup)\n", Seconds(res.DurationS))
	}
	if res.Replications > 1 {
		p.printf("numbers are means over the %d replications; ± is the 95%% confidence half-width\n", res.Replications)
	}
	loss := "no loss"
	if cfg.Network.Loss > 0 {
		loss = Percent(cfg.Network.Loss) + " packet loss"
	}
	p.printf("network: RTT %s, %s\n", Duration(cfg.Network.RTT), loss)
}

// sample writes, for a sampled run, which clients were simulated, what
// that did to the shared tables, and the counts that matter scaled to
// the population (a count times the group's or box's scale).
func (p *printer) sample(cfg *sim.Config, res *sim.Result) {
	smp := res.Sample
	if smp == nil {
		return
	}
	p.printf("sample: %s of %s clients simulated (fraction %s asked for, salt %d); "+
		"the counts below are the sample's, rates and fractions need no scaling\n",
		Count(smp.Clients), Count(smp.Population), Number(smp.Fraction), smp.Salt)
	for i, g := range smp.Groups {
		s := fmt.Sprintf("%s of %s (%s)", Count(g.Clients), Count(g.Population), Percent(ratio(g.Clients, g.Population)))
		if i < len(res.Groups) && res.Groups[i].Name == g.Name {
			r := res.Groups[i]
			s += fmt.Sprintf("; in the population about %s breaks and %s reconnects", Count(math.Round(r.Breaks.Total*g.Scale)), Count(math.Round(r.Reconnects*g.Scale)))
		}
		p.line("group "+g.Name, "%s", s)
	}
	for i, b := range smp.Middleboxes {
		s := fmt.Sprintf("%s of the %s clients crossing it (%s)", Count(b.Clients), Count(b.Population), Percent(b.Fraction))
		perClient := i < len(cfg.Path) && cfg.Path[i].PerClient
		switch {
		case perClient:
			s += ", a box per client: capacity not scaled"
		case b.Capacity > 0:
			s += fmt.Sprintf(", capacity %s scaled to %s", Count(b.Capacity), Count(b.ScaledCapacity))
			if sim.SmallSampledTable(int(b.Capacity), b.Fraction) {
				s += fmt.Sprintf(" (fewer than about %s entries: the sample's error is larger than measured; sample more)", Count(sim.MinSampledTable))
			}
		}
		if i < len(res.Middleboxes) && res.Middleboxes[i].Name == b.Name {
			r := res.Middleboxes[i]
			s += fmt.Sprintf("; in the population about %s evictions and %s breaks", Count(math.Round(r.Evictions*b.Scale)), Count(math.Round(r.Breaks*b.Scale)))
		}
		p.line("middlebox "+b.Name, "%s", s)
	}
}

// ratio is a / b, 0 when b is.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// group writes one client group's block; cg is its configuration, or nil
// when cfg does not match the result.
func (p *printer) group(cfg *sim.Config, cg *sim.Group, g sim.GroupResult) {
	var ci sim.CI95
	if g.CI95 != nil {
		ci = *g.CI95
	}
	pm := func(v, hw float64, u unit) string { return withCI(v, hw, g.CI95 != nil, u) }

	p.printf("\ngroup %s: %s\n", g.Name, simulated(cfg, cg, g))
	p.groupBody(cfg, cg, g, ci, pm)
	for i, pr := range g.Paths {
		p.printf("\ngroup %s, path %d (%s): %s clients, %s of the group\n", g.Name, i, strings.Join(pr.Via, " then "),
			Number(pr.Clients), Percent(pr.Share))
		var pci sim.CI95
		if pr.CI95 != nil {
			pci = *pr.CI95
		}
		p.groupBody(cfg, cg, pr.GroupResult, pci, func(v, hw float64, u unit) string { return withCI(v, hw, pr.CI95 != nil, u) })
	}
}

// groupBody writes the lines of a group's block, or of one of its
// paths', after its first: ci holds the half-widths and pm writes a
// number with its own.
func (p *printer) groupBody(cfg *sim.Config, cg *sim.Group, g sim.GroupResult, ci sim.CI95, pm func(v, hw float64, u unit) string) {
	p.line("client-hours", "%s", Number(g.ClientHours))

	b := g.Breaks
	switch {
	case b.Total == 0 && cg != nil && cg.Requests != nil: // its connections are the pool's: the request counts say it
	case b.Total == 0:
		p.line("breaks", "none")
	default:
		p.line("breaks", "%s (%s per 1,000 client-hours), %s", Count(b.Total),
			pm(g.BreaksPer1000ClientHours, ci.BreaksPer1000ClientHours, plain), causes(b))
		d := g.Detection
		switch {
		case d.Max == 0 && d.Undetected > 0:
			p.line("noticed after", "none noticed by the end")
		case d.Undetected > 0:
			p.line("noticed after", "p50 %s, p90 %s, p99 %s, max %s; %s not noticed by the end",
				Seconds(d.P50), Seconds(d.P90), Seconds(d.P99), Seconds(d.Max), Count(d.Undetected))
		default:
			p.line("noticed after", "p50 %s, p90 %s, p99 %s, max %s", Seconds(d.P50), Seconds(d.P90), Seconds(d.P99), Seconds(d.Max))
		}
		p.line("downtime", "%s of client time", pm(g.DowntimeFraction, ci.DowntimeFraction, percent))
	}

	if cg != nil && cg.Requests != nil {
		p.requests(g)
	}
	if s := messages(g); s != "" {
		p.line("messages", "%s", s)
	}
	if g.SentDown > g.LostDown {
		pd := g.PushDelay
		if pd.P50 == pd.Max {
			p.line("push delay", "%s (p50, p99 and max)", Seconds(pd.P50))
		} else {
			p.line("push delay", "p50 %s, p99 %s, max %s", Seconds(pd.P50), Seconds(pd.P99), Seconds(pd.Max))
		}
	}
	if g.RefusedOpens > 0 {
		p.line("opens refused", "%s: %s", Count(g.RefusedOpens), refusedHow(cfg, cg))
	}
	if g.Remaps > 0 {
		p.line("remaps", "%s orphans saved by an entry re-created with the same port", Count(g.Remaps))
	}
	if g.Rebindings > 0 {
		p.line("rebindings", "%s UDP flows given a new port that the server followed: they survived", Count(g.Rebindings))
	}
	conns := nonzero(
		counted{g.Reconnects, "reconnects"},
		counted{g.SpuriousDisconnects, "spurious disconnects (declared dead with no entry lost)"},
		counted{g.OrphanedAtEnd, "orphaned at the end, fate undecided"})
	if len(conns) > 0 {
		p.line("connections", "%s", strings.Join(conns, ", "))
	}

	if a := g.Adaptive; a != nil {
		iv := a.Interval
		p.line("learned interval", "p10 %s, p50 %s, p90 %s at the end; %s on average over the window",
			Seconds(iv.P10), Seconds(iv.P50), Seconds(iv.P90), Seconds(iv.Mean))
		p.line("failed heartbeats", "%s (no pong in time, or the connection found dead with one in flight), %s reconnects after them", Count(a.Failures), Count(a.FailureReconnects))
	}

	if sv := g.Server; sv != nil {
		p.line("GOAWAYs", "%s too_many_pings from the server (each closed its connection; the client doubled its ping interval)", Count(sv.GoAways))
	}

	o := g.Overhead
	perHour := func(x float64) float64 { return x / max(g.ClientHours, 1e-300) }
	hasKeepalive := cg == nil || cg.Keepalive.Type != sim.KeepaliveNone
	switch {
	case o.KeepalivePackets > 0:
		p.line("keepalive traffic", "%s and %s packets per client-hour (%s, %s packets in all)",
			pm(o.KeepaliveBytesPerClientHour, ci.KeepaliveBytesPerClientHour, bytes), Number(perHour(o.KeepalivePackets)),
			Bytes(o.KeepaliveBytes), Count(o.KeepalivePackets))
	case hasKeepalive:
		p.line("keepalive traffic", "none sent")
	}
	if o.ReconnectPackets > 0 {
		p.line("reconnect traffic", "%s and %s packets per client-hour (%s, %s packets in all)",
			Bytes(perHour(o.ReconnectBytes)), Number(perHour(o.ReconnectPackets)), Bytes(o.ReconnectBytes), Count(o.ReconnectPackets))
	}
	if o.KeepalivePackets > 0 && o.ReconnectPackets > 0 {
		p.line("overhead in all", "%s and %s packets per client-hour",
			pm(o.OverheadBytesPerClientHour, ci.OverheadBytesPerClientHour, bytes), Number(perHour(o.KeepalivePackets+o.ReconnectPackets)))
	}
	p.radio(cg, g, ci.Radio)
}

// refusedHow says what a group's refused opens are, by what the full
// tables on its path do: refuse, drop an entry early, or evict one.
func refusedHow(cfg *sim.Config, cg *sim.Group) string {
	if cg == nil {
		return "attempts that met a full table"
	}
	var refuse, early, lru bool
	for _, bi := range cfg.PathOf(cg) {
		if b := &cfg.Path[bi]; b.Capacity > 0 {
			refuse = refuse || b.WhenFull != nat.LRU // early drop refuses when nothing can go
			early = early || b.WhenFull == nat.EarlyDrop
			lru = lru || b.WhenFull == nat.LRU
		}
	}
	var how []string
	if refuse {
		how = append(how, `had no room ("no room for" below)`)
	}
	if early {
		how = append(how, `dropped the entry early before the answer came ("dropped early" below)`)
	}
	if lru {
		how = append(how, `evicted the entry before the answer came ("evicted" below)`)
	}
	return "a full table " + strings.Join(how, ", or ")
}

// simulated says in one line what a group is: its clients, keepalive and
// path.
func simulated(cfg *sim.Config, cg *sim.Group, g sim.GroupResult) string {
	if cg == nil {
		return Count(g.Clients) + " clients"
	}
	proto := "TCP"
	if cg.Proto == nat.UDP {
		proto = "UDP"
	}
	s := fmt.Sprintf("%s %s clients, keepalive %s", Count(float64(cg.Count)), proto, cg.Keepalive.Type.Kind().Summary(cg.Keepalive))
	if rq := cg.Requests; rq != nil {
		s += fmt.Sprintf(", requests every %s (mean) over a pool of %d idle (%s, validate %s, retry %s)",
			Duration(time.Duration(rq.Interval.Mean())), cg.Pool.MaxIdle, cg.Pool.Reuse, cg.Pool.Validate, cg.Pool.Retry.Kind)
	}
	if cg.Session != nil {
		s += ", sessions of " + Duration(cg.Session.Lifetime.A) + " then " + Duration(cg.Session.Think.A) + " apart"
	}
	if len(cg.Paths) > 0 {
		return s + fmt.Sprintf(", each through one of %d paths drawn by weight (each path's clients below)", len(cg.Paths))
	}
	var boxes []string
	for _, bi := range cfg.PathOf(cg) {
		boxes = append(boxes, cfg.Path[bi].Name)
	}
	if len(boxes) == 0 {
		return s + ", through no middlebox"
	}
	return s + ", through " + strings.Join(boxes, " then ")
}

// causes lists the causes of the breaks that had any.
func causes(b sim.Breaks) string {
	cs := []counted{
		{b.IdleTimeout, "at idle timeout"},
		{b.LRUEviction, "evicted (LRU)"},
		{b.EarlyDrop, "dropped early"},
		{b.ResetOnExpire, "reset at expiry"},
	}
	for _, c := range cs {
		if c.n == b.Total {
			return "all " + c.what
		}
	}
	return strings.Join(nonzero(cs...), ", ")
}

// counted is a count and what it counts.
type counted struct {
	n    float64
	what string
}

// nonzero writes the counts that are not zero, each with what it counts.
func nonzero(cs ...counted) []string {
	var out []string
	for _, c := range cs {
		if c.n != 0 {
			out = append(out, Count(c.n)+" "+c.what)
		}
	}
	return out
}

// messages says how many messages went each way and how many were lost.
func messages(g sim.GroupResult) string {
	var dirs []string
	for _, d := range []struct {
		name       string
		sent, lost float64
	}{{"up", g.SentUp, g.LostUp}, {"down", g.SentDown, g.LostDown}} {
		switch {
		case d.sent == 0:
		case d.lost == 0:
			dirs = append(dirs, d.name+" "+Count(d.sent)+" sent")
		default:
			dirs = append(dirs, fmt.Sprintf("%s %s sent, %s lost (%s)", d.name, Count(d.sent), Count(d.lost), Percent(d.lost/d.sent)))
		}
	}
	if len(dirs) == 0 {
		return ""
	}
	s := strings.Join(dirs, "; ")
	if g.LostUp == 0 && g.LostDown == 0 {
		s += "; none lost"
	}
	if g.HeldAtEnd > 0 {
		s += "; " + Count(g.HeldAtEnd) + " held up at the end"
	}
	return s
}

// box writes one middlebox's block; cb is its configuration, or nil when
// cfg does not match the result.
func (p *printer) box(cfg *sim.Config, cb *sim.Middlebox, b sim.BoxResult) {
	p.printf("\nmiddlebox %s: %s\n", b.Name, boxSetting(cfg, cb, b))
	if b.MaxOccupancy == 0 && b.StartOccupancy == 0 {
		p.line("entries", "none held")
		return
	}
	if cb != nil && cb.PerClient {
		p.line("instances", "%s, one per client crossing it: the entries held are per instance (at most: the most any one held)", Count(b.Instances))
	}
	mean := Number(b.MeanOccupancy)
	if b.CI95 != nil {
		mean = withCI(b.MeanOccupancy, b.CI95.MeanOccupancy, true, plain)
	}
	p.line("entries held", "%s on average, %s at most; %s when counting began, %s at the end",
		mean, Count(b.MaxOccupancy), Count(b.StartOccupancy), Count(b.EndOccupancy))
	if b.Inserts == 0 {
		p.line("entries created", "none after the warmup")
	} else {
		p.line("entries created", "%s", Count(b.Inserts))
	}
	removed := nonzero(
		counted{b.Expiries, "at idle timeout"},
		counted{b.Evictions, "evicted (LRU) to make room"},
		counted{b.EarlyDrops, "dropped early to make room (entries with no answer yet: an opening connection's is an open refused)"})
	if len(removed) > 0 {
		s := strings.Join(removed, ", ")
		if b.MeanEntryLifetimeS > 0 {
			s += "; entries lived " + Seconds(b.MeanEntryLifetimeS) + " on average"
		}
		p.line("entries removed", "%s", s)
	}
	var refused []string
	if b.RefusedOpens > 0 {
		refused = append(refused, Count(b.RefusedOpens)+" opens (refused)")
	}
	if b.RefusedPackets > 0 {
		refused = append(refused, Count(b.RefusedPackets)+" packets of flows whose entry was gone")
	}
	if len(refused) > 0 {
		p.line("no room for", "%s", strings.Join(refused, ", "))
	}
	if b.Remaps > 0 {
		p.line("remaps", "%s entries re-created with their old port", Count(b.Remaps))
	}
	if b.Breaks > 0 {
		p.line("breaks caused", "%s", Count(b.Breaks))
	}
}

// boxSetting says in one line what a middlebox is: its room and what it
// does when full, its idle timeouts for the protocols that cross it, and
// the settings that decide whether a connection survives.
func boxSetting(cfg *sim.Config, cb *sim.Middlebox, b sim.BoxResult) string {
	if cb == nil {
		if b.Capacity == 0 {
			return "unlimited"
		}
		return "capacity " + Count(b.Capacity)
	}
	var parts []string
	if cb.PerClient {
		parts = append(parts, "one per client")
	}
	// value is a setting as written, or, drawn per instance, its mean.
	value := func(shown string, d sim.Dist) string {
		if d.IsZero() {
			return shown
		}
		return "drawn per instance, mean " + shown
	}
	if cb.Capacity == 0 && cb.Draws.Capacity.IsZero() {
		parts = append(parts, "unlimited")
	} else {
		parts = append(parts, fmt.Sprintf("capacity %s, %s when full", value(Count(b.Capacity), cb.Draws.Capacity), cb.WhenFull))
	}
	var tcp, udp, tcpKeepalive bool
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		for _, bi := range cfg.PathOf(g) {
			if &cfg.Path[bi] != cb {
				continue
			}
			tcp = tcp || g.Proto == nat.TCP
			udp = udp || g.Proto == nat.UDP
			tcpKeepalive = tcpKeepalive || g.Keepalive.Type == sim.KeepaliveTCP
		}
	}
	t := cb.Timeouts
	if tcp {
		parts = append(parts, "TCP idle timeout "+value(Duration(t.TCPEstablished), cb.Draws.TCPEstablished))
	}
	if udp {
		parts = append(parts, "UDP idle timeout "+value(Duration(t.UDP), cb.Draws.UDP)+" ("+value(Duration(t.UDPStream), cb.Draws.UDPStream)+" once answered)")
	}
	if tcpKeepalive && !cb.RefreshOnKeepalive {
		parts = append(parts, "TCP keepalive probes do not refresh")
	}
	if !cb.RefreshInbound {
		parts = append(parts, "inbound packets do not refresh")
	}
	if cb.OnExpire == nat.ExpireReset {
		parts = append(parts, "resets both ends at expiry")
	}
	if cb.OnExpire == nat.ExpireFin {
		parts = append(parts, "closes both ends with FIN at expiry")
	}
	if cb.UnknownInbound == nat.SendReset {
		parts = append(parts, "answers packets of unknown flows with RST")
	}
	return strings.Join(parts, ", ")
}

// unit is how a number with a confidence interval is written.
type unit uint8

const (
	plain   unit = iota // Number
	percent             // Percent
	bytes               // Bytes
)

// withCI writes a mean and, when there is one, its 95% half-width in the
// mean's unit: "1,935 ± 6.82", "82.4 ± 0.0908%", "1.04 ± 0.00164 kB".
func withCI(v, hw float64, has bool, u unit) string {
	switch {
	case has && hw == 0: // the replications agreed
		return withCI(v, 0, false, u)
	case u == percent && has:
		return Number(100*v) + " ± " + Number(100*hw) + "%"
	case u == percent:
		return Percent(v)
	case u == bytes:
		n, name := scaleBytes(v)
		if has {
			return Number(v/n) + " ± " + Number(hw/n) + " " + name
		}
		return Number(v/n) + " " + name
	case has:
		return Number(v) + " ± " + Number(hw)
	}
	return Number(v)
}
