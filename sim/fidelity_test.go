package sim

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// The tests in this file pin edge semantics of the model, each against a
// value derived by hand in the test.

func TestQueueRefusesAPastInstant(t *testing.T) {
	q := newQueue(time.Second, 10, 10)
	q.push(event{At: 5 * sec})
	q.pop()
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "before the current instant") {
			t.Fatalf("push into the past: recovered %v, want a panic", r)
		}
	}()
	q.push(event{At: 4 * sec})
}

func TestRetransmitTimeoutShorterThanOneWayDelay(t *testing.T) {
	// The server's data meets a box that has forgotten the flow and drops
	// it; the server retransmits for retransmit_timeout (1 s), shorter
	// than the one-way delay (5 s): it has given up by the time it learns
	// of the drop, at once, and the run goes on in order.
	g := testGroup(10)
	g.RetransmitTimeout = sec
	g.Down = Traffic{Interval: Dist{Kind: Constant, A: 200 * sec}, Bytes: 100}
	cfg := testConfig(2*hour, testBox(120*sec, nat.Create, nat.Drop, true), g)
	cfg.Network.RTT = 10 * sec
	r := mustRun(t, cfg).Groups[0]
	// The handshake refreshes the entry at 10 s; it expires at 130 s. The
	// first down message (sent at 210 s) meets no entry at 215 s: the
	// server has already given up, so the orphan is a break that the
	// silent client never learns of, and its message is lost. The server
	// has closed its side: nothing more is sent.
	if r.Breaks.Total != 10 || r.Detection.Undetected != 10 || r.LostDown != 10 || r.SentDown != 10 {
		t.Fatalf("breaks %v undetected %v lost down %v of %v; want 10 of each", r.Breaks.Total, r.Detection.Undetected, r.LostDown, r.SentDown)
	}
}

func TestBackoffExponentSaturates(t *testing.T) {
	// One client holds the only entry of a refusing table for the whole
	// run (its timeout outlasts it); 20 others are refused at every
	// attempt. Attempt k waits U[0, min(max, backoff 2^k)); with backoff
	// 1 ms and max 1 s the first ten retries wait 0.5115 s on average in
	// all (sum of 2^k ms / 2, k = 0..9) and every later one 0.5 s, so in
	// one hour a refused client makes 1 + 10 + (3600 - 0.5115) / 0.5
	// attempts on average. The count of a renewal process has variance
	// t sigma^2 / mu^3 (sigma^2 = 1/12 s^2, mu = 0.5 s): 2400 per client.
	// A wrapping exponent would make ten quick retries every 256: +3.6%.
	const refused = 20
	b := testBox(10*hour, nat.Create, nat.Drop, true)
	b.Capacity, b.WhenFull = 1, nat.Refuse
	g := testGroup(refused + 1)
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = time.Millisecond, sec
	r := mustRun(t, testConfig(hour, b, g)).Groups[0]
	want := refused * (11 + (3600-0.5115)/0.5)
	within(t, "refused opens", r.RefusedOpens, want, 4*math.Sqrt(refused*2400), "4 sigma of a renewal count")
}

// withAppKeepalive sets an app (or server-app) heartbeat on g.
func withAppKeepalive(g Group, typ KeepaliveType, interval, jitter, timeout time.Duration, misses int) Group {
	g.Keepalive = Keepalive{Type: typ, Interval: interval, Jitter: jitter, Timeout: timeout, Misses: misses, RequestBytes: 40, ResponseBytes: 40}
	return g
}

func TestLatePongsDoNotCancelMisses(t *testing.T) {
	// rtt 3 s, timeout 2 s: every pong is late, every ping a miss.
	cfg := func(typ KeepaliveType) *Config {
		g := withAppKeepalive(testGroup(10), typ, 10*sec, 0, 2*sec, 2)
		c := testConfig(hour, testBox(10*hour, nat.Create, nat.Drop, true), g)
		c.Network.RTT = 3 * sec
		return c
	}
	// app: open at 3 s (one RTT); pings at +10 s and +20 s miss at +12 s
	// and +22 s: dead 22 s after each open, open again 3 s (and a backoff
	// under 1 ms) later. Deaths at 25 s, 50 s, ...: 143 in the hour.
	if r := mustRun(t, cfg(KeepaliveApp)).Groups[0]; r.SpuriousDisconnects != 10*143 || r.Breaks.Total != 0 {
		t.Errorf("app: spurious disconnects %v breaks %v, want 1430 and 0", r.SpuriousDisconnects, r.Breaks.Total)
	}
	// server-app: the server's pings at +10 s and +20 s miss at +12 s and
	// +22 s, and it gives up and closes; the client's late pong to the
	// second ping reaches it at +23 s and is answered with RST, which
	// reaches the client at +24.5 s. Deaths at 27.5 n s: 130 in the hour.
	if r := mustRun(t, cfg(KeepaliveServerApp)).Groups[0]; r.SpuriousDisconnects != 10*130 || r.Breaks.Total != 0 {
		t.Errorf("server-app: spurious disconnects %v breaks %v, want 1300 and 0", r.SpuriousDisconnects, r.Breaks.Total)
	}
}

func TestServerAppIdleOnlyKeepsBusyConnections(t *testing.T) {
	// A lossless path, an unlimited table that never expires: nothing can
	// die. With idle_only the server skips its pings while data flows; the
	// data must feed the client's watchdog instead.
	for _, tc := range []struct {
		name  string
		proto nat.Proto
		up    bool
	}{
		{"tcp, pushes", nat.TCP, false},
		{"tcp, uploads", nat.TCP, true},
		{"udp, uploads", nat.UDP, true},
	} {
		g := withAppKeepalive(testGroup(20), KeepaliveServerApp, 25*sec, 5*sec, 10*sec, 1)
		g.Proto, g.Keepalive.IdleOnly = tc.proto, true
		traffic := Traffic{Interval: Dist{Kind: Exponential, A: 10 * sec}, Bytes: 200}
		if tc.up {
			g.Up = traffic
		} else {
			g.Down = traffic
		}
		r := mustRun(t, testConfig(hour, testBox(10*hour, nat.Create, nat.Drop, true), g)).Groups[0]
		if r.SpuriousDisconnects != 0 || r.Reconnects != 0 {
			t.Errorf("%s: %v spurious disconnects, %v reconnects; want none", tc.name, r.SpuriousDisconnects, r.Reconnects)
		}
	}
}

func TestIdleOnlyPingIsDueAnIntervalAfterTheLastData(t *testing.T) {
	// idle_only puts a ping off until an interval (25 s ± 5 s) after the
	// last data, so no outbound silence is longer than 30 s and a 31 s
	// timeout never expires, however the uploads fall. (Skipping a ping
	// whenever data flowed during the interval would allow silences of
	// nearly two intervals.)
	g := withAppKeepalive(testGroup(50), KeepaliveApp, 25*sec, 5*sec, 10*sec, 1)
	g.Keepalive.IdleOnly = true
	g.Up = Traffic{Interval: Dist{Kind: Exponential, A: 20 * sec}, Bytes: 200}
	b := testBox(31*sec, nat.Create, nat.Drop, false)
	b.RefreshInbound = false
	r := mustRun(t, testConfig(2*hour, b, g)).Groups[0]
	if r.Breaks.Total != 0 || r.SpuriousDisconnects != 0 || r.Overhead.KeepalivePackets == 0 {
		t.Errorf("breaks %v, spurious %v, keepalive packets %v; want 0, 0 and some", r.Breaks.Total, r.SpuriousDisconnects, r.Overhead.KeepalivePackets)
	}
}

func TestExpiryDoesNotWaitForOtherClients(t *testing.T) {
	// Server pings every 60 s are lost (30%) before they reach the box,
	// whose 65 s timeout runs out before the client's 70 s watchdog: each
	// lost ping is a break (idle timeout), never a spurious disconnect,
	// whether or not other clients' packets cross the box meanwhile. The
	// first client draws the same numbers alone and among 300, so its
	// story must be the same in both.
	story := func(n int) []TraceEvent {
		g := withAppKeepalive(testGroup(n), KeepaliveServerApp, 60*sec, 0, 10*sec, 1)
		g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
		cfg := testConfig(5*hour, testBox(65*sec, nat.Create, nat.Drop, true), g)
		cfg.Network.Loss, cfg.Trace = 0.3, true
		run := mustRun(t, cfg)
		if r := run.Groups[0]; r.SpuriousDisconnects != 0 || r.Breaks.Total == 0 {
			t.Errorf("%d clients: %v spurious disconnects, %v breaks; want none and some", n, r.SpuriousDisconnects, r.Breaks.Total)
		}
		var first []TraceEvent
		for _, ev := range run.Trace {
			if ev.Client == 0 {
				first = append(first, ev)
			}
		}
		return first
	}
	alone, among := story(1), story(300)
	if !slices.Equal(alone, among) {
		t.Errorf("the first client's story differs alone (%d events) and among 300 (%d events)", len(alone), len(among))
	}
}

func TestUDPSessionEndsSilently(t *testing.T) {
	// Sessions of 100 s with 10 s of thinking, no traffic, behind a 30 s
	// box that keeps ports: every session's entry expires at 30 s and
	// the client sends nothing until its close at 100 s. Its 31 or 32
	// closes in an hour (at start + 100 + 110 k s, start uniform over the
	// first 110 s; 32 if it starts by 90 s) decide the orphan for TCP (the FIN re-creates the entry
	// with its port: a remap); a UDP session sends nothing, so nothing is
	// decided and nothing broke.
	for _, proto := range []nat.Proto{nat.TCP, nat.UDP} {
		g := testGroup(10)
		g.Proto, g.StartSpread = proto, 110*sec // others' opens make the box look
		g.Session = &Session{Lifetime: Dist{Kind: Constant, A: 100 * sec}, Think: Dist{Kind: Constant, A: 10 * sec}}
		r := mustRun(t, testConfig(hour, testBox(30*sec, nat.Create, nat.Drop, true), g)).Groups[0]
		lo, hi := 0.0, 0.0
		if proto == nat.TCP {
			lo, hi = 10*31, 10*32
		}
		if r.Breaks.Total != 0 || r.DowntimeFraction != 0 || r.Remaps < lo || r.Remaps > hi {
			t.Errorf("proto %d: breaks %v downtime %v remaps %v; want 0, 0 and %v to %v", proto, r.Breaks.Total, r.DowntimeFraction, r.Remaps, lo, hi)
		}
	}
}

// pushes sets constant or exponential down messages on g.
func pushes(g Group, kind DistKind, every time.Duration) Group {
	g.Down = Traffic{Interval: Dist{Kind: kind, A: every}, Bytes: 100}
	return g
}

func TestUDPDatagramsMeetingNoEntryAreLost(t *testing.T) {
	// Pings every 120 s re-create a 30 s binding that inbound packets do
	// not refresh: it exists a quarter of the time. Poisson pushes see the
	// time average (PASTA): each is lost with probability 3/4, and the
	// lost count is binomial.
	g := withAppKeepalive(testGroup(100), KeepaliveApp, 120*sec, 0, 10*sec, 3)
	g.Proto = nat.UDP
	g = pushes(g, Exponential, 10*sec)
	b := testBox(30*sec, nat.Create, nat.Drop, true)
	b.RefreshInbound = false
	r := mustRun(t, testConfig(hour, b, g)).Groups[0]
	n := r.SentDown
	within(t, "lost down", r.LostDown, 0.75*n, 4*math.Sqrt(n*0.75*0.25), "4 sigma of a binomial count")
	if r.HeldAtEnd != 0 {
		t.Errorf("held at end %v: a datagram is never held", r.HeldAtEnd)
	}
}

func TestHeldTCPMessagesAreOnTheBooksAtTheEnd(t *testing.T) {
	// A 60 s box that drops inbound strangers; pushes every 100 s to a
	// client that never speaks. Each push (at 100, 200, 300 and 400 s)
	// meets no entry and waits for the orphan's outcome; the server keeps
	// retransmitting past the end (retransmit_timeout 924.6 s): all four
	// are held at the end, none lost or delivered.
	g := pushes(testGroup(10), Constant, 100*sec)
	r := mustRun(t, testConfig(500*sec, testBox(60*sec, nat.Create, nat.Drop, true), g)).Groups[0]
	if r.SentDown != 40 || r.HeldAtEnd != 40 || r.LostDown != 0 || r.PushDelay.Max != 0 {
		t.Errorf("sent %v held %v lost %v push delay max %v; want 40, 40, 0, 0", r.SentDown, r.HeldAtEnd, r.LostDown, r.PushDelay.Max)
	}
}

func TestPushDelay(t *testing.T) {
	// A push at 100 s meets the 60 s box's missing entry and is held; the
	// client's upload at 150 s re-creates the entry with its port (a
	// remap). The server retransmitted at 101, 103, 107, 115 and 131 s
	// (RTO 1 s, doubling) and next at 163 s, which gets through: 63 s.
	g := pushes(testGroup(1), Constant, 100*sec)
	g.Up = Traffic{Interval: Dist{Kind: Constant, A: 150 * sec}, Bytes: 100}
	r := mustRun(t, testConfig(160*sec, testBox(60*sec, nat.Create, nat.Drop, true), g)).Groups[0]
	if r.Remaps != 1 || r.PushDelay != (Delay{63, 63, 63}) {
		t.Errorf("remaps %v push delay %+v; want 1 and 63 s throughout", r.Remaps, r.PushDelay)
	}
	// An open path: the one-way delay (40 ms), or one RTO more for the 5%
	// lost once and resent.
	g = pushes(testGroup(100), Exponential, 10*sec)
	cfg := testConfig(hour, testBox(10*hour, nat.Create, nat.Drop, true), g)
	cfg.Network.RTT, cfg.Network.Loss = 80*time.Millisecond, 0.05
	if d := mustRun(t, cfg).Groups[0].PushDelay; d != (Delay{0.04, 1.04, 1.04}) {
		t.Errorf("push delay %+v; want p50 0.04 s, p99 and max 1.04 s", d)
	}
}

func TestTwoBoxesTheDecidingBoxTakesTheBreak(t *testing.T) {
	// A home router that gives new ports (45 s) in front of a CGNAT that
	// keeps them (35 s); app pings every P s, rtt 0, 10 clients, one hour.
	run := func(P time.Duration) *RunResult {
		router := testBox(45*sec, nat.Create, nat.Drop, false)
		router.Name = "router"
		cgnat := testBox(35*sec, nat.Create, nat.Drop, true)
		cgnat.Name = "cgnat"
		g := withAppKeepalive(testGroup(10), KeepaliveApp, P, 0, 10*sec, 1)
		cfg := testConfig(hour, router, g)
		cfg.Path = append(cfg.Path, cgnat)
		return mustRun(t, cfg)
	}
	// Every 40 s: only the CGNAT has forgotten the flow, and it re-creates
	// it with its port: a remap at each ping (pings at 40 k s: 89 in the
	// hour per client), no break.
	r := run(40 * sec)
	if g := r.Groups[0]; g.Breaks.Total != 0 || g.Remaps != 890 || r.Middleboxes[1].Remaps != 890 || r.Middleboxes[0].Remaps != 0 {
		t.Errorf("every 40 s: breaks %v, remaps %v (router %v, cgnat %v); want 0 and 890 at the CGNAT", g.Breaks.Total, g.Remaps, r.Middleboxes[0].Remaps, r.Middleboxes[1].Remaps)
	}
	// Every 50 s: the router has forgotten it too and gives it a new port,
	// so it is a new flow at the CGNAT (no remap there) and the server
	// answers RST: a break dated at the router's expiry, 45 s after the
	// last ping, learned 5 s later. The client reconnects at once, so
	// pings come at 50 s + (50 s + under 1 ms) k: 71 breaks per client.
	r = run(50 * sec)
	g := r.Groups[0]
	if g.Breaks.IdleTimeout != 710 || r.Middleboxes[0].Breaks != 710 || r.Middleboxes[1].Breaks != 0 {
		t.Errorf("every 50 s: breaks %+v (router %v, cgnat %v); want 710, all the router's", g.Breaks, r.Middleboxes[0].Breaks, r.Middleboxes[1].Breaks)
	}
	if g.Detection.P50 != 5 || g.Detection.Max != 5 || r.Middleboxes[1].Remaps != 0 || g.Remaps != 0 {
		t.Errorf("every 50 s: detection %+v, remaps %v (cgnat %v); want 5 s and none", g.Detection, g.Remaps, r.Middleboxes[1].Remaps)
	}
}

// udpPings is 100 UDP clients pinging every 60 s (10 s timeout, one
// miss) through a 30 s box that gives a re-created flow a new port, with
// the server's rebinding rule.
func udpPings(rule Rebinding) (*Config, Group) {
	g := withAppKeepalive(testGroup(100), KeepaliveApp, 60*sec, 0, 10*sec, 1)
	g.Proto, g.UDPRebinding = nat.UDP, rule
	return testConfig(hour, testBox(30*sec, nat.Create, nat.Drop, false), g), g
}

func TestUDPRebindingFollow(t *testing.T) {
	// Every ping (at 60 k s: 59 in the hour) finds the binding gone and
	// gets a new port; the server follows it. Nothing breaks.
	cfg, g := udpPings(RebindFollow)
	r := mustRun(t, cfg).Groups[0]
	if r.Rebindings != 100*59 || r.Breaks.Total != 0 || r.Reconnects != 0 || r.SpuriousDisconnects != 0 {
		t.Errorf("rebindings %v breaks %v reconnects %v spurious %v; want 5900, 0, 0, 0", r.Rebindings, r.Breaks.Total, r.Reconnects, r.SpuriousDisconnects)
	}
	// Uploads instead of pings, every 60 s: each one brings a new port,
	// and the server takes it: none is lost.
	g.Keepalive = Keepalive{}
	g.Up = Traffic{Interval: Dist{Kind: Constant, A: 60 * sec}, Bytes: 100}
	cfg.Groups[0] = g
	if r := mustRun(t, cfg).Groups[0]; r.Rebindings != 100*59 || r.LostUp != 0 || r.SentUp != 100*59 {
		t.Errorf("uploads: rebindings %v, lost %v of %v; want 5900, none of 5900", r.Rebindings, r.LostUp, r.SentUp)
	}
	cfg, g = udpPings(RebindFollow)
	// With rtt 4 s and a binding that inbound packets do not refresh, a
	// ping at P gives the new port at P, the server takes it at P + 2 s,
	// and what it sent before that to the old address is lost at the box
	// until P + 4 s; the binding is gone again from P + 30 s. Poisson
	// pushes are delivered in [P + 4, P + 30): 26 s of each 60 s. With a
	// warmup ending at a ping, the messages sent in the window arrive over
	// whole cycles but for 2 s in which they are lost either way.
	g = pushes(g, Exponential, 5*sec)
	cfg.Groups[0] = g
	cfg.Network.RTT, cfg.Path[0].RefreshInbound = 4*sec, false
	cfg.Warmup, cfg.Duration = 64*sec, 64*sec+hour
	r = mustRun(t, cfg).Groups[0]
	n := r.SentDown
	within(t, "lost down", r.LostDown, n*34/60, 4*math.Sqrt(n*34/60*26/60), "4 sigma of a binomial count")
	if r.Breaks.Total != 0 {
		t.Errorf("breaks %v, want none", r.Breaks.Total)
	}
}

func TestUDPRebindingReject(t *testing.T) {
	// The server drops datagrams from the new port: the ping at 60 s after
	// each open is a break (dated at the expiry, 30 s after the open), and
	// its missed pong tells the client 10 s later. Opens at 70 k s: 51
	// pings in the hour, each a break learned 40 s after it.
	cfg, g := udpPings(RebindReject)
	r := mustRun(t, cfg).Groups[0]
	if r.Breaks.IdleTimeout != 100*51 || r.Rebindings != 0 || r.Detection.P50 != 40 || r.Detection.Max != 40 {
		t.Errorf("breaks %+v rebindings %v detection %+v; want 5100 idle-timeout breaks, none, 40 s", r.Breaks, r.Rebindings, r.Detection)
	}
	// Uploads every 60 s instead, and no keepalive: each comes from a new
	// port and the server drops it; the client never learns. Each of the
	// 59 per client is lost, and counted once.
	g.Keepalive = Keepalive{}
	g.Up = Traffic{Interval: Dist{Kind: Constant, A: 60 * sec}, Bytes: 100}
	cfg.Groups[0] = g
	if r := mustRun(t, cfg).Groups[0]; r.LostUp != 100*59 || r.SentUp != 100*59 {
		t.Errorf("uploads: lost %v of %v; want all 5900, each once", r.LostUp, r.SentUp)
	}
}

func TestClientHoursCountTheTimeClientsExist(t *testing.T) {
	// 100 clients that start 30 min into a 1 h run exist for half of it.
	g := testGroup(100)
	g.StartDelay = 30 * time.Minute
	r := mustRun(t, testConfig(hour, testBox(10*hour, nat.Create, nat.Drop, true), g)).Groups[0]
	if r.ClientHours != 50 {
		t.Errorf("client-hours %v, want 50", r.ClientHours)
	}
	// Starts uniform over [10 min, 50 min] of a run with 20 min of warmup:
	// a client starting at u exists in the window for 60 - max(u, 20) min.
	// The mean over u is (1/40) (10 x 40 + integral from 20 to 50 of
	// (60 - u) du) min = (400 + 750) / 40 = 28.75 min, the spread that of
	// a clipped uniform: below (50 - 10) / sqrt(12) min per client.
	g.StartDelay, g.StartSpread = 10*time.Minute, 40*time.Minute
	cfg := testConfig(hour, testBox(10*hour, nat.Create, nat.Drop, true), g)
	cfg.Warmup = 20 * time.Minute
	r = mustRun(t, cfg).Groups[0]
	within(t, "client-hours", r.ClientHours, 100*28.75/60, 4*10*(40/math.Sqrt(12))/60, "4 sigma of a sum of 100 clipped uniforms")
}

func TestRefusedOpensAndPacketsAreCountedApart(t *testing.T) {
	// A one-entry table that refuses. The pinger opens at 0; its entry
	// expires at 60 s, and the holder, pinging every 30 s, takes the only
	// entry at 70 s for good. The pinger's ping at 100 s is refused (a
	// packet of a flow that lost its entry); its deadline tells it 10 s
	// later, and from then on every reconnect is a refused open.
	b := testBox(60*sec, nat.Create, nat.Drop, true)
	b.Capacity, b.WhenFull = 1, nat.Refuse
	pinger := withAppKeepalive(testGroup(1), KeepaliveApp, 100*sec, 0, 10*sec, 1)
	pinger.Name = "pinger"
	holder := withAppKeepalive(testGroup(1), KeepaliveApp, 30*sec, 0, 10*sec, 1)
	holder.Name, holder.StartDelay = "holder", 70*sec
	cfg := testConfig(hour, b, pinger)
	cfg.Groups = append(cfg.Groups, holder)
	r := mustRun(t, cfg)
	box, p := r.Middleboxes[0], r.Groups[0]
	if box.RefusedPackets != 1 || box.RefusedOpens == 0 || box.RefusedOpens != p.RefusedOpens || p.Breaks.Total != 1 {
		t.Errorf("box refused %v opens and %v packets, pinger %v refused opens and %v breaks; want 1 packet, 1 break and the same opens",
			box.RefusedOpens, box.RefusedPackets, p.RefusedOpens, p.Breaks.Total)
	}
}

func TestGroupsOnTheirOwnPaths(t *testing.T) {
	// Two boxes, 120 s and 600 s, each on the path of one group; pings
	// every 300 s. The first group's entries expire before each ping,
	// which gets a new port and an RST: a break every 300 s (and under
	// 1 ms of backoff), 11 in the hour per client, all the first box's.
	// The second group never breaks, and neither group's flows ever
	// reach the other's box.
	short := testBox(120*sec, nat.Create, nat.Drop, false)
	short.Name = "short"
	long := testBox(600*sec, nat.Create, nat.Drop, false)
	long.Name = "long"
	a := withAppKeepalive(testGroup(10), KeepaliveApp, 300*sec, 0, 10*sec, 1)
	a.Name, a.Path = "a", []int{0}
	b := a
	b.Name, b.Path = "b", []int{1}
	cfg := testConfig(hour, short, a)
	cfg.Path, cfg.Groups = []Middlebox{short, long}, []Group{a, b}
	r := mustRun(t, cfg)
	if r.Groups[0].Breaks.Total != 110 || r.Groups[1].Breaks.Total != 0 {
		t.Errorf("breaks %v and %v, want 110 and 0", r.Groups[0].Breaks.Total, r.Groups[1].Breaks.Total)
	}
	if r.Middleboxes[0].Breaks != 110 || r.Middleboxes[1].Breaks != 0 || r.Middleboxes[1].Inserts != 10 {
		t.Errorf("boxes: breaks %v and %v, inserts of the long one %v; want 110, 0, 10", r.Middleboxes[0].Breaks, r.Middleboxes[1].Breaks, r.Middleboxes[1].Inserts)
	}
	cfg.Groups[1].Path = []int{1, 1}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a box twice on a path: %v", err)
	}
}
