package kernel

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// Plan is a scenario mapped onto the lab: the box, the flows, the
// simulated flows that mirror them, and what could not be mapped.
type Plan struct {
	Middlebox  string
	Scale      float64 // lab seconds per scenario second
	Box        Box
	Window     time.Duration // how long the flows run, on the lab's clock
	Flows      []Flow
	Groups     []sim.Group // the scaled group of each flow, for the simulation
	NotChecked []string
}

// labWindow caps how long a check runs.
const labWindow = 30 * time.Second

// MaxFlows bounds the real flows of one lab: each is a socket pair, a
// conntrack entry and a port from 7000, and they open one stagger apart,
// so 100 flows add 10 s to the lab's time.
const MaxFlows = 100

// LabTime is how long the lab runs its flows: the window after the last
// flow has opened.
func (p *Plan) LabTime() time.Duration { return p.Window + time.Duration(len(p.Flows))*stagger }

// NewPlan maps one middlebox of cfg (by name; "" for the first) and its
// client groups onto the lab. scale 0 picks one that makes the longest
// timeout 5 s. flows is the number of real flows in all.
func NewPlan(cfg *sim.Config, middlebox string, scale float64, flows int) (*Plan, error) {
	if flows < 1 || flows > MaxFlows {
		return nil, fmt.Errorf("kernel: --flows must be from 1 to %d (got %d)", MaxFlows, flows)
	}
	bi := 0
	if middlebox != "" {
		bi = -1
		for i, m := range cfg.Path {
			if m.Name == middlebox {
				bi = i
			}
		}
		if bi < 0 {
			return nil, fmt.Errorf("kernel: no middlebox named %q", middlebox)
		}
	}
	m := cfg.Path[bi]
	p := &Plan{Middlebox: m.Name}
	note := func(format string, args ...any) { p.NotChecked = append(p.NotChecked, fmt.Sprintf(format, args...)) }
	var tcp, udp bool
	for _, g := range cfg.Groups {
		tcp, udp = tcp || g.Proto == nat.TCP, udp || g.Proto == nat.UDP
	}
	if scale == 0 {
		longest := time.Duration(0)
		if tcp {
			longest = max(longest, m.Timeouts.TCPEstablished)
		}
		if udp {
			longest = max(longest, m.Timeouts.UDP, m.Timeouts.UDPStream)
		}
		scale = float64(5*time.Second) / float64(longest)
	}
	p.Scale = scale
	sc := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	secs := func(d time.Duration) int { return max(1, int(math.Round(sc(d).Seconds()))) }
	p.Box = Box{Established: secs(m.Timeouts.TCPEstablished), UDP: secs(m.Timeouts.UDP), UDPStream: secs(m.Timeouts.UDPStream),
		Loose: m.UnknownOutbound == nat.Create, FullyRandom: !m.PortPreservation}
	p.Window = min(sc(cfg.Duration), labWindow)
	if sc(cfg.Duration) > labWindow {
		note("duration: the check runs %v of lab time, not the scaled %v", labWindow, sc(cfg.Duration))
	}
	for i, other := range cfg.Path {
		if i != bi {
			note("middlebox %s: the lab has one NAT (check it with --middlebox %s)", other.Name, other.Name)
		}
	}
	switch {
	case m.Capacity > 0 && udp:
		note("capacity %d: checked through nft ct count for TCP only, and this scenario has UDP groups: not checked", m.Capacity)
	case m.Capacity > 0:
		p.Box.Capacity = m.Capacity
		note("capacity %d: checked through nft ct count, which unlike the real table limit (host-wide nf_conntrack_max, which a namespace cannot set) does not count closing entries; the kernel refuses when full, so when_full %v is checked as refuse", m.Capacity, m.WhenFull)
	}
	if !m.RefreshInbound || !m.RefreshOnKeepalive {
		note("refresh_inbound/refresh_on_keepalive false: conntrack refreshes on every packet; checked as true")
	}
	if m.OnExpire != nat.ExpireSilent {
		note("on_expire reset: conntrack expires silently; checked as silent")
	}
	if m.UnknownInbound != nat.SendReset {
		note("unknown_inbound drop: the kernel answers a late inbound packet with RST (TCP) or ICMP (UDP); checked as reset")
	}
	if m.UnknownOutbound == nat.Drop && udp {
		note("unknown_outbound drop for UDP: the kernel always creates UDP entries (tcp_loose is TCP only)")
	}
	note("tcp_transitory (%v): flows neither open nor close during the check", m.Timeouts.TCPTransitory)
	if cfg.Network.RTT > 0 || cfg.Network.Loss > 0 {
		note("network rtt and loss: the lab's veth path has neither")
	}
	// Only the groups whose path crosses the box meet it in the lab.
	var groups []sim.Group
	for i, g := range cfg.Groups {
		if slices.Contains(cfg.PathOf(&cfg.Groups[i]), bi) {
			groups = append(groups, g)
		} else {
			note("%s: its path does not cross middlebox %s: not checked here", g.Name, m.Name)
		}
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("kernel: no client group's path crosses middlebox %s", m.Name)
	}
	per := max(1, flows/len(groups))
	for _, g := range groups {
		f, sg := flowOf(g, sc, note)
		for i := range per {
			f.Name = fmt.Sprintf("%s/%d", g.Name, i+1)
			f.Port = 7000 + len(p.Flows)
			// Flows open one after another, in the same order on both sides,
			// so that a full table refuses the same ones.
			f.Start = time.Duration(len(p.Flows)) * stagger
			sg.Name, sg.StartDelay = f.Name, f.Start
			p.Flows = append(p.Flows, f)
			p.Groups = append(p.Groups, sg)
		}
	}
	if len(p.Flows) > MaxFlows {
		return nil, fmt.Errorf("kernel: %d client groups need a flow each, more than %d", len(cfg.Groups), MaxFlows)
	}
	return p, nil
}

// stagger is the time between the openings of two flows.
const stagger = 100 * time.Millisecond

// flowOf scales a group into a lab flow and the simulated group that
// mirrors it exactly (same rounding, same simplifications).
func flowOf(g sim.Group, sc func(time.Duration) time.Duration, note func(string, ...any)) (Flow, sim.Group) {
	if g.Requests != nil {
		return pooledFlowOf(g, sc, note)
	}
	f := Flow{UDP: g.Proto == nat.UDP, Rebinding: g.UDPRebinding}
	k := g.Keepalive
	switch k.Type.Kind().Driver {
	case sim.DriveTCPOption:
		whole := func(d time.Duration) time.Duration { return max(time.Second, sc(d).Round(time.Second)) }
		k.Idle, k.Interval = whole(k.Idle), whole(k.Interval)
		if k.Idle != sc(g.Keepalive.Idle) || k.Interval != sc(g.Keepalive.Interval) {
			note("%s: TCP keepalive idle/interval rounded to whole seconds (%v/%v), as the socket options take them", g.Name, k.Idle, k.Interval)
		}
	case sim.DriveClientPing, sim.DriveServerPing:
		k.Interval, k.Timeout = sc(k.Interval), sc(k.Timeout)
		if k.Jitter > 0 {
			note("%s: keepalive jitter: the lab pings at a fixed interval; checked without jitter", g.Name)
			k.Jitter = 0
		}
		if k.IdleOnly {
			note("%s: idle_only: checked as off", g.Name)
			k.IdleOnly = false
		}
	}
	f.Keepalive = k
	constant := func(t sim.Traffic, dir string) time.Duration {
		switch {
		case t.Interval.IsZero():
			return 0
		case t.Interval.Kind != sim.Constant:
			note("%s: %s traffic: only constant intervals are driven; checked without it", g.Name, dir)
			return 0
		}
		return sc(t.Interval.A)
	}
	f.Up, f.Down = constant(g.Up, "up"), constant(g.Down, "down")
	if f.UDP && f.Down > 0 {
		note("%s: down traffic over UDP: not driven; checked without it", g.Name)
		f.Down = 0
	}
	if g.Session != nil {
		note("%s: sessions: flows stay open for the whole check", g.Name)
	}
	sg := mirror(g)
	sg.Keepalive, sg.UDPRebinding = k, g.UDPRebinding
	if f.Up > 0 {
		sg.Up = sim.Traffic{Interval: sim.Dist{Kind: sim.Constant, A: f.Up}, Bytes: 5}
	}
	if f.Down > 0 {
		sg.Down = sim.Traffic{Interval: sim.Dist{Kind: sim.Constant, A: f.Down}, Bytes: 5}
	}
	return f, sg
}

// Simulate runs natsim on each flow's mirror and reports what its client
// saw: the first time it learned its connection was dead, or alive; for
// a pooled flow, each request. It sets each pooled flow's methods to
// natsim's draws, which the lab then sends.
func (p *Plan) Simulate() ([]Seen, error) {
	box := sim.Middlebox{Name: p.Middlebox, Config: nat.Config{
		Capacity: p.Box.Capacity, WhenFull: nat.Refuse,
		Timeouts: nat.Timeouts{TCPEstablished: time.Duration(p.Box.Established) * time.Second, TCPTransitory: 120 * time.Second,
			UDP: time.Duration(p.Box.UDP) * time.Second, UDPStream: time.Duration(p.Box.UDPStream) * time.Second},
		RefreshInbound: true, RefreshOnKeepalive: true, UnknownInbound: nat.SendReset,
		UnknownOutbound: map[bool]nat.Unknown{true: nat.Create, false: nat.Drop}[p.Box.Loose], PortPreservation: !p.Box.FullyRandom,
	}}
	// All flows in one run, each its own one-client group, so that they
	// share the table as the real flows share the kernel's.
	// A pooled flow's last request may end up to its timeout after the
	// window (the lab waits for it too).
	end := p.LabTime()
	for _, f := range p.Flows {
		if f.Pool != nil {
			end = max(end, p.LabTime()+2*f.Pool.Timeout)
		}
	}
	cfg := &sim.Config{Name: "kernel-check", Seed: 1, Duration: end,
		Path: []sim.Middlebox{box}, Groups: p.Groups, Trace: true}
	r, err := sim.Run(cfg, 0, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Seen, len(p.Flows))
	connected := make([]time.Duration, len(p.Flows))
	done := make([]bool, len(p.Flows))
	for i, f := range p.Flows {
		out[i] = Seen{Alive: true}
		if f.Pool != nil {
			out[i], done[i] = Seen{Requests: simRequests(r.Trace, uint32(i), f.Start, p.Window)}, true
			f.Pool.Methods = nil // the lab sends natsim's draws
			for _, q := range out[i].Requests {
				f.Pool.Methods = append(f.Pool.Methods, q.Method)
			}
		}
	}
	for _, ev := range r.Trace {
		i := ev.Client
		switch {
		case done[i]:
		case ev.Kind == sim.TraceConnected:
			connected[i] = ev.At
		case ev.Kind == sim.TraceRefused:
			out[i], done[i] = Seen{Refused: true}, true
		case ev.At >= connected[i]+p.Window:
			done[i] = true // past the flow's window, where the real flow stops
		case ev.Kind == sim.TraceRemap:
			out[i].Remapped = true
		case ev.Kind == sim.TraceRebinding:
			out[i].Rebound = true
		case ev.Kind == sim.TraceLearned:
			out[i], done[i] = Seen{At: ev.At - connected[i], How: ev.How}, true
		}
	}
	return out, nil
}

// Row is one flow's comparison.
type Row struct {
	Flow     Flow
	Kernel   Seen
	Sim      Seen
	Match    bool
	Tolerate time.Duration
	Requests []RequestRow // a pooled flow's requests
}

// tolerance allows for the kernel's timer granularity and scheduling:
// half a second, plus 5% of the time.
func tolerance(at time.Duration) time.Duration { return 500*time.Millisecond + at/20 }

// Compare pairs each flow's kernel and simulated outcomes.
func Compare(flows []Flow, kernel, simulated []Seen) []Row {
	var rows []Row
	for i, f := range flows {
		k, s := kernel[i], simulated[i]
		r := Row{Flow: f, Kernel: k, Sim: s, Tolerate: tolerance(max(k.At, s.At))}
		switch {
		case f.Pool != nil:
			r.Requests, r.Match = compareRequests(k.Requests, s.Requests)
		case k.Refused || s.Refused:
			r.Match = k.Refused == s.Refused
		case k.Alive || s.Alive:
			r.Match = k.Alive == s.Alive && k.Remapped == s.Remapped && k.Rebound == s.Rebound // their entries re-created alike
		default:
			d := k.At - s.At
			r.Match = k.How == s.How && d <= r.Tolerate && -d <= r.Tolerate
		}
		rows = append(rows, r)
	}
	return rows
}

func (f Flow) settings() string {
	if f.Pool != nil {
		return f.Pool.settings()
	}
	var parts []string
	if f.UDP {
		parts = append(parts, "udp", "udp_rebinding "+f.Rebinding.String())
	} else {
		parts = append(parts, "tcp")
	}
	k := f.Keepalive
	switch k.Type.Kind().Driver {
	case sim.DriveTCPOption:
		parts = append(parts, fmt.Sprintf("keepalive %v+%dx%v", k.Idle, k.Count, k.Interval))
	case sim.DriveClientPing, sim.DriveServerPing:
		parts = append(parts, fmt.Sprintf("%v every %v, timeout %v, %d misses", k.Type, k.Interval.Round(time.Millisecond), k.Timeout.Round(time.Millisecond), k.Misses))
	}
	if f.Up > 0 {
		parts = append(parts, fmt.Sprintf("up every %v", f.Up))
	}
	if f.Down > 0 {
		parts = append(parts, fmt.Sprintf("push every %v", f.Down))
	}
	return strings.Join(parts, ", ")
}

// WriteTable prints the comparison and what it does not cover.
func WriteTable(w io.Writer, p *Plan, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "middlebox %s in a Linux namespace: tcp established %ds, udp %ds, udp stream %ds, tcp_loose %v, masquerade%s; time scale %.4g (lab seconds per scenario second); %v per flow\n\n",
		p.Middlebox, p.Box.Established, p.Box.UDP, p.Box.UDPStream, p.Box.Loose, map[bool]string{true: " fully-random", false: ""}[p.Box.FullyRandom], p.Scale, p.Window)
	fmt.Fprintln(tw, "flow\tsettings (lab clock)\tkernel\tnatsim\tverdict")
	for _, r := range rows {
		v := "match"
		if !r.Match {
			v = "MISMATCH"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\n", r.Flow.Name, r.Flow.settings(), r.Kernel, r.Sim, v)
		for _, q := range r.Requests {
			v := "match"
			if !q.Match {
				v = "MISMATCH"
			}
			fmt.Fprintf(tw, "  request %d\t%s issued at %.3fs\t%v\t%v\t%s\n", q.N, q.Sim.Method, q.Kernel.Issued.Seconds(), q.Kernel, q.Sim, v)
		}
	}
	fmt.Fprintln(tw)
	if !all(rows, func(r Row) bool { return r.Flow.Pool != nil }) {
		fmt.Fprintf(tw, "Times are from the flow's start to its client learning the connection was dead; they match within 0.5 s + 5%% (kernel timer granularity and scheduling) and by the same cause.\n")
		fmt.Fprintf(tw, "An alive flow whose entry was re-created is remapped (on the same port) or rebound (on a new port, which the UDP server followed): conntrack's NEW events say so in the kernel, the trace in natsim.\n")
	}
	if !all(rows, func(r Row) bool { return r.Flow.Pool == nil }) {
		fmt.Fprintf(tw, "A pooled flow's requests match by outcome and, for a failed attempt, by when its client learned it (since the request was issued: the first failure of a retried request), within %v (Go's timers and the scheduling of a shared machine; see VALIDATION.md).\n", requestTolerance)
	}
	if len(p.NotChecked) > 0 {
		fmt.Fprintln(tw, "\nNot checked against the kernel:")
		for _, n := range p.NotChecked {
			fmt.Fprintf(tw, "  - %s\n", n)
		}
	}
	return tw.Flush()
}

// all reports whether every row is so.
func all(rows []Row, so func(Row) bool) bool {
	return !slices.ContainsFunc(rows, func(r Row) bool { return !so(r) })
}

func joinLines(xs []string) string { return strings.Join(xs, "\n  - ") }
