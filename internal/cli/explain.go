package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// explainNote is explain's help beyond its usage: how the client is
// chosen.
const explainNote = `The scenario runs as written: one replication with its seed (--seed
overrides; a sweep: block is ignored), so the story is the client's real one
in that run. Clients are numbered from 0 in each group. --first-break picks
the client whose break came first among the breaks counted (at or after the
warmup), in --group if given: one run traces only the breaks to find it, a
second traces that client alone.`

func cmdExplain(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	fs.MarkHidden("replications") // explain runs one
	group := fs.String("group", "", "the client's group (needed when the scenario has several)")
	client := fs.Int("client", 0, "the client's number in its group, from 0")
	first := fs.Bool("first-break", false, "explain the first client that broke (in --group if given)")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	switch {
	case *first && fs.Changed("client"):
		return usagef("--first-break and --client %d: give one or the other", *client)
	case !*first && !fs.Changed("client"):
		return usagef("natsim explain needs --client N (and --group G) or --first-break")
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return err
	}
	if _, err := lf.plan(sc, []scenarios.Point{{Scenario: sc}}, 1); err != nil {
		return err
	}
	cfg := sc.Config // a copy: the trace settings stay here
	gi, err := pickGroup(&cfg, *group, fs.Changed("group") || !*first)
	if err != nil {
		return err
	}
	runOnce := func(f sim.TraceFilter) (*sim.RunResult, error) {
		cfg.Trace, cfg.TraceOnly = true, f
		r, err := sim.Run(&cfg, 0, func(time.Duration) bool { return ctx.Err() == nil })
		if errors.Is(err, sim.ErrStopped) {
			return nil, fmt.Errorf("%w: no story", errInterrupted)
		}
		return r, err
	}
	var ci uint32
	var why string
	if *first {
		r, err := runOnce(sim.TraceFilter{Breaks: true})
		if err != nil {
			return err
		}
		var ok bool
		var at time.Duration
		if ci, at, ok = firstBreak(&cfg, r.Trace, gi); !ok {
			where := "no client"
			if gi >= 0 {
				where = fmt.Sprintf("no client of group %q", cfg.Groups[gi].Name)
			}
			return fmt.Errorf("%s broke at or after the warmup (%v) in this run (seed %d)", where, cfg.Warmup, cfg.Seed)
		}
		why = "the first break counted"
		if gi >= 0 {
			why += " in its group"
		}
		why += ", at " + span(at)
	} else {
		var ok bool
		if ci, ok = cfg.ClientIndex(cfg.Groups[gi].Name, *client); !ok {
			n := cfg.Groups[gi].Count
			return usagef("--client %d: group %q has %d client(s), numbered 0 to %d", *client, cfg.Groups[gi].Name, n, n-1)
		}
	}
	r, err := runOnce(sim.TraceFilter{One: true, Client: ci})
	if err != nil {
		return err
	}
	return writeStory(stdout, sc.File, &cfg, ci, why, r.Trace)
}

// pickGroup finds the group named by --group (-1 when none is named and
// none is needed); with one group, it is the one.
func pickGroup(cfg *sim.Config, name string, need bool) (int, error) {
	var names []string
	for gi, g := range cfg.Groups {
		if g.Name == name {
			return gi, nil
		}
		names = append(names, g.Name)
	}
	switch {
	case name != "":
		return 0, usagef("--group %q: no such group%s; the groups are %s", name, scenarios.DidYouMean(name, names), strings.Join(names, ", "))
	case !need:
		return -1, nil
	case len(cfg.Groups) == 1:
		return 0, nil
	}
	return 0, usagef("--group is needed: the scenario has %d groups (%s)", len(names), strings.Join(names, ", "))
}

// firstBreak is the client (and the instant) of the earliest break dated at or after the
// warmup, in group gi (any when gi < 0); a trace is in order of At, so
// the first such event is it (ties: the first recorded).
func firstBreak(cfg *sim.Config, trace []sim.TraceEvent, gi int) (uint32, time.Duration, bool) {
	for _, ev := range trace {
		if ev.Kind != sim.TraceBreak || ev.At < cfg.Warmup {
			continue
		}
		if g, _, _ := cfg.ClientOf(ev.Client); gi < 0 || g == gi {
			return ev.Client, ev.At, true
		}
	}
	return 0, 0, false
}

// writeStory tells client ci's trace as one line per step.
func writeStory(w io.Writer, file string, cfg *sim.Config, ci uint32, why string, trace []sim.TraceEvent) error {
	gi, n, _ := cfg.ClientOf(ci)
	g := &cfg.Groups[gi]
	proto := map[nat.Proto]string{nat.TCP: "tcp", nat.UDP: "udp"}[g.Proto]
	fmt.Fprintf(w, "Scenario %s (%s), seed %d, one run of %v; counts start at the warmup, %v.\n",
		cfg.Name, file, cfg.Seed, cfg.Duration, cfg.Warmup)
	fmt.Fprintf(w, "Client %d of group %s (%d client(s)): %s, keepalive %s, through %s, RTT %v.\n",
		n, g.Name, g.Count, proto, g.Keepalive.Type.Kind().Summary(g.Keepalive), cfg.PathText(g), cfg.Network.RTT)
	if why != "" {
		fmt.Fprintf(w, "Chosen as %s.\n", why)
	}
	fmt.Fprintln(w)
	st := story{cfg: cfg, g: g}
	lines := st.tell(trace)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t  %s\n", l.at, l.text)
	}
	return tw.Flush()
}

// story turns a client's trace into lines, remembering what the
// wording of a step depends on: the last break and learning, the
// keepalive numbers.
type story struct {
	cfg       *sim.Config
	g         *sim.Group
	lines     []line
	breakAt   time.Duration // the undetected break's instant, or -1
	learnedAt time.Duration // when the client last learned its connection was dead, or -1
	closed    bool          // the last connection ended by choice
	connected int
	warmed    bool // the warmup line is written
}

type line struct{ at, text string }

func (s *story) add(at time.Duration, format string, args ...any) {
	if !s.warmed && at >= s.cfg.Warmup && s.cfg.Warmup > 0 {
		s.warmed = true
		s.lines = append(s.lines, line{at: span(s.cfg.Warmup), text: "(warmup over: breaks from here on are counted)"})
	}
	s.lines = append(s.lines, line{at: span(at), text: fmt.Sprintf(format, args...)})
}

func (s *story) tell(trace []sim.TraceEvent) []line {
	s.breakAt, s.learnedAt = -1, -1
	for i := 0; i < len(trace); i++ {
		ev := trace[i]
		// A keepalive answered before anything else happened is one step;
		// a run of them is told as its first, a count and its last.
		if j := s.keepaliveRun(trace, i); j > i+2*3 {
			s.cycle(trace[i], trace[i+1])
			k := (j - i) / 2
			s.lines = append(s.lines, line{text: fmt.Sprintf("... %d more %ss, each answered ...", k-2, packetWord(ev.Packet))})
			s.cycle(trace[j-2], trace[j-1])
			i = j - 1
			continue
		} else if j > i {
			s.cycle(trace[i], trace[i+1])
			i++
			continue
		}
		s.event(ev)
	}
	end := s.cfg.Duration
	s.add(end, "end of the run")
	return s.lines
}

// keepaliveRun returns the end (exclusive) of the run of answered
// keepalives starting at trace[i], or i when trace[i] does not start one.
// A run does not cross the end of the warmup, whose line goes between.
func (s *story) keepaliveRun(trace []sim.TraceEvent, i int) int {
	j := i
	for j+1 < len(trace) && isCycle(trace[j], trace[j+1]) {
		if j > i && (trace[j].At >= s.cfg.Warmup) != (trace[i].At >= s.cfg.Warmup) {
			break
		}
		j += 2
	}
	return j
}

// isCycle reports whether a and b are a keepalive and its answer (for
// TCP, a first probe: later ones follow unanswered probes).
func isCycle(a, b sim.TraceEvent) bool {
	return a.Kind == sim.TraceKeepalive && b.Kind == sim.TraceAnswered && a.Packet == b.Packet && a.Seq == b.Seq &&
		(a.Packet != "probe" || a.Seq == 1)
}

// cycle is a keepalive sent and answered, told in one line.
func (s *story) cycle(sent, answer sim.TraceEvent) {
	rtt := span(answer.At - sent.At)
	switch sent.Packet {
	case "probe":
		s.add(sent.At, "keepalive probe sent (%v without hearing from the server); its ACK is back %s later", s.g.Keepalive.Idle, rtt)
	case "ping":
		s.add(sent.At, "ping #%d sent; its pong is back %s later", sent.Seq, rtt)
	default:
		s.add(sent.At, "the server sends ping #%d; the client's pong reaches it %s later", sent.Seq, rtt)
	}
}

func packetWord(p string) string {
	if p == "probe" {
		return "keepalive probe"
	}
	return p
}

func (s *story) event(ev sim.TraceEvent) {
	ka := s.g.Keepalive
	switch ev.Kind {
	case sim.TraceConnected:
		s.connected++
		switch {
		case s.learnedAt >= 0:
			s.add(ev.At, "connected again, %s after learning (backoff, then the handshake's round trip)", span(ev.At-s.learnedAt))
		case s.closed:
			s.add(ev.At, "connected: a new session")
		case s.connected == 1:
			s.add(ev.At, "connected (the handshake's round trip done)")
		default:
			s.add(ev.At, "connected")
		}
		s.learnedAt, s.closed = -1, false
	case sim.TraceRefused:
		s.add(ev.At, "the connection attempt failed: a full table had no room; the client backs off and retries")
	case sim.TraceKeepalive:
		switch {
		case ev.Packet == "probe" && ev.Seq <= 1:
			s.add(ev.At, "keepalive probe sent (%v without hearing from the server)", ka.Idle)
		case ev.Packet == "probe":
			s.add(ev.At, "keepalive probe %d of %d sent (%d unanswered so far)", ev.Seq, ka.Count, ev.Seq-1)
		case ev.Packet == "ping":
			s.add(ev.At, "ping #%d sent", ev.Seq)
		default:
			s.add(ev.At, "the server sends ping #%d", ev.Seq)
		}
	case sim.TraceAnswered:
		switch ev.Packet {
		case "probe":
			s.add(ev.At, "the probe's ACK is back")
		case "ping":
			s.add(ev.At, "pong #%d is back", ev.Seq)
		default:
			s.add(ev.At, "the server gets pong #%d", ev.Seq)
		}
	case sim.TraceMissed:
		who := "the client"
		if ev.Packet == "server ping" {
			who = "the server"
		}
		s.add(ev.At, "no pong within %v: %s counts a miss (%d in a row of %d allowed)", ka.Timeout, who, ev.Seq, ka.Misses)
	case sim.TraceRemoved:
		s.add(ev.At, "%s removes the connection's entry: %s", ev.Box, s.removal(ev))
	case sim.TraceBreak:
		s.breakAt = ev.At
		s.add(ev.At, "-> that removal is the break (%s at %s), found at %s", causeText(ev.Cause), ev.Box, span(ev.Decided))
	case sim.TraceMet:
		s.add(ev.At, "the %s meets %s: %s", ev.Packet, ev.Box, metText(ev))
	case sim.TraceRemap:
		s.add(ev.At, "the entry is made again with the same port: a remap, the connection lives on")
	case sim.TraceRebinding:
		s.add(ev.At, "the server follows the flow to its new port (UDP rebinding): the flow lives on")
	case sim.TraceServerReset:
		s.add(ev.At, "the server does not know this connection (any more) and answers RST")
	case sim.TraceServerGaveUp:
		s.add(ev.At, "the server gives up on the connection and closes its side")
	case sim.TraceClosed:
		s.closed = true
		s.add(ev.At, "session over: the client closes the connection")
	case sim.TraceLearned:
		text := "the client learns the connection is dead: " + howText(ev.How, ka)
		if s.breakAt >= 0 {
			text += fmt.Sprintf(", %s after the break", span(ev.At-s.breakAt))
		} else {
			text += " (no entry was lost: a spurious disconnect)"
		}
		s.add(ev.At, "%s", text)
		s.breakAt, s.learnedAt = -1, ev.At
	}
}

// removal says why a box removed an entry; for an idle timeout of a TCP
// connection's entry, since when it was idle.
func (s *story) removal(ev sim.TraceEvent) string {
	text := causeText(ev.Cause)
	if ev.Cause == "idle_timeout" && s.g.Proto == nat.TCP {
		for _, mb := range s.cfg.Path {
			if mb.Name == ev.Box {
				t := mb.Timeouts.TCPEstablished
				text += fmt.Sprintf(", %v (tcp_established) after its last refresh at %s", t, span(ev.At-t))
			}
		}
	}
	return text
}

func causeText(cause string) string {
	switch cause {
	case "idle_timeout":
		return "idle timeout"
	case "lru_eviction":
		return "evicted, least recently used, to make room in a full table"
	case "early_drop":
		return "early drop: a full table dropped it to make room"
	case "reset_on_expire":
		return "idle timeout, and the box resets both ends (on_expire: reset)"
	}
	return cause
}

func metText(ev sim.TraceEvent) string {
	switch ev.Met {
	case sim.MetNewPort:
		return "no entry, so a new one with another external port (the server cannot know it)"
	case sim.MetDropped:
		return "no entry: dropped"
	case sim.MetRefused:
		return "the table is full: refused"
	case sim.MetReset:
		return "no entry: the box drops it and answers the server with RST"
	}
	return ev.Met.String()
}

func howText(h sim.How, ka sim.Keepalive) string {
	switch h {
	case sim.HowReset:
		return "an RST"
	case sim.HowKeepalive:
		return fmt.Sprintf("%d probes unanswered (keepalive timeout)", ka.Count)
	case sim.HowMissedPongs:
		return fmt.Sprintf("%d pongs missed in a row", ka.Misses)
	case sim.HowWatchdog:
		return "no ping from the server for too long"
	case sim.HowRetransmit:
		return "data unacknowledged past the retransmission timeout"
	}
	return h.String()
}

// span writes a simulated instant or span to the millisecond, as
// 21m17s.250 (whole seconds as Go writes them, then the milliseconds).
func span(d time.Duration) string {
	d = d.Round(time.Millisecond)
	whole := d.Truncate(time.Second)
	ms := (d - whole) / time.Millisecond
	if ms < 0 {
		ms = -ms
	}
	if ms == 0 {
		return whole.String()
	}
	if d < 0 && whole == 0 {
		return fmt.Sprintf("-0s.%03d", ms)
	}
	return fmt.Sprintf("%v.%03d", whole, ms)
}
