package sim

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// withTCPKeepalive sets Linux-style TCP keepalive on g.
func withTCPKeepalive(g Group, idle, interval time.Duration, count int) Group {
	g.Keepalive = Keepalive{Type: KeepaliveTCP, Idle: idle, Interval: interval, Count: count}
	return g
}

func TestTCPKeepaliveBelowTimeoutHolds(t *testing.T) {
	// Probes every 60 s against a 120 s timeout: nothing ever expires.
	g := withTCPKeepalive(testGroup(100), 60*sec, 10*sec, 3)
	cfg := testConfig(6*hour, testBox(120*sec, nat.Create, nat.Drop, false), g)
	r := mustRun(t, cfg).Groups[0]
	if r.Breaks.Total != 0 || r.Reconnects != 0 || r.Detection.Undetected != 0 {
		t.Fatalf("breaks %v reconnects %v", r.Breaks, r.Reconnects)
	}
	// A quiet client exchanges probe + ACK (2 x 52 B) every idle period:
	// 104 B x 3600 / 60 = 6240 B per client-hour, exactly (no warmup edge:
	// probes at 60 s, 120 s, ..., 6 h is not included).
	within(t, "keepalive bytes per client-hour", r.Overhead.KeepaliveBytesPerClientHour, 104*(6*60-1)/6.0, 1e-9, "exact count")
}

func TestTCPKeepaliveAboveTimeoutBreaksEachIdlePeriod(t *testing.T) {
	// Idle 300 s against a 120 s timeout, random ports: every probe meets
	// a missing entry, gets a new port, and the server answers RST.
	g := withTCPKeepalive(testGroup(50), 300*sec, 75*sec, 9)
	cfg := testConfig(5*hour, testBox(120*sec, nat.Create, nat.Drop, false), g)
	r := mustRun(t, cfg).Groups[0]
	// Each cycle: 300 s idle, RST back at once (rtt 0), reconnect after a
	// backoff < 1 ms: 60 probes per client in 5 h minus the last partial.
	perClient := r.Breaks.IdleTimeout / 50
	if perClient < 59 || perClient > 60 || r.Breaks.Total != r.Breaks.IdleTimeout {
		t.Fatalf("breaks per client %v (%+v), want 59-60 idle-timeout breaks", perClient, r.Breaks)
	}
	// Detection: the probe at 300 s after the last packet finds the entry
	// that expired at 120 s: 180 s, for every break.
	if r.Detection.P50 != 180 || r.Detection.Max != 180 {
		t.Fatalf("detection %+v, want 180 s for all", r.Detection)
	}
}

func TestTCPKeepaliveBlackholeDetection(t *testing.T) {
	// unknown_outbound drop: probes vanish; the client learns after
	// idle + count x interval from its last packet (Linux ETIMEDOUT).
	idle, intvl, count, T := 300*sec, 75*sec, 9, 120*sec
	g := withTCPKeepalive(testGroup(20), idle, intvl, count)
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = 5*sec, 5*sec
	cfg := testConfig(10*hour, testBox(T, nat.Drop, nat.Drop, false), g)
	r := mustRun(t, cfg).Groups[0]
	want := (idle + time.Duration(count)*intvl - T).Seconds() // 300 + 675 - 120 = 855 s
	if r.Breaks.Total == 0 || r.Detection.P50 != want || r.Detection.Max != want {
		t.Fatalf("breaks %v, detection %+v; want every latency = %v s", r.Breaks.Total, r.Detection, want)
	}
	if r.Overhead.KeepalivePackets == 0 || r.Remaps != 0 {
		t.Fatalf("keepalive packets %v remaps %v", r.Overhead.KeepalivePackets, r.Remaps)
	}
}

func TestTCPKeepaliveNewPortLearnsOneRTTAfterProbe(t *testing.T) {
	// create without port preservation and rtt 40 ms: the probe after idle
	// gets a new port, the server answers RST, the client learns one RTT
	// later: latency = idle - T + rtt.
	rtt := 40 * time.Millisecond
	g := withTCPKeepalive(testGroup(20), 300*sec, 75*sec, 9)
	cfg := testConfig(2*hour, testBox(120*sec, nat.Create, nat.Drop, false), g)
	cfg.Network.RTT = rtt
	r := mustRun(t, cfg).Groups[0]
	want := (300*sec - 120*sec + rtt).Seconds()
	if r.Breaks.Total == 0 || r.Detection.P50 != want || r.Detection.Max != want {
		t.Fatalf("breaks %v detection %+v, want all %v s", r.Breaks.Total, r.Detection, want)
	}
}

func TestPortPreservationRemapsInsteadOfBreaking(t *testing.T) {
	g := withTCPKeepalive(testGroup(20), 300*sec, 75*sec, 9)
	cfg := testConfig(2*hour, testBox(120*sec, nat.Create, nat.Drop, true), g)
	res := mustRun(t, cfg)
	r := res.Groups[0]
	if r.Breaks.Total != 0 || r.Remaps == 0 || res.Middleboxes[0].Remaps != r.Remaps {
		t.Fatalf("breaks %v remaps %v (box %v), want remaps only", r.Breaks.Total, r.Remaps, res.Middleboxes[0].Remaps)
	}
}

func TestServerFirstAfterExpiryGetsRSTFromTheBox(t *testing.T) {
	// The server pushes every 200 s into a 120 s table that answers RST:
	// the first push after expiry breaks the connection and the server
	// learns at once; the client learns when it next speaks (every 500 s):
	// the re-created entry reaches a server that has closed, which answers
	// RST one RTT later.
	rtt := 10 * time.Millisecond
	g := testGroup(10)
	g.Down = Traffic{Interval: Dist{Kind: Constant, A: 200 * sec}, Bytes: 100}
	g.Up = Traffic{Interval: Dist{Kind: Constant, A: 500 * sec}, Bytes: 100}
	cfg := testConfig(2*hour, testBox(120*sec, nat.Create, nat.SendReset, true), g)
	cfg.Network.RTT = rtt
	r := mustRun(t, cfg).Groups[0]
	// Connected at rtt; last packet then; expiry 120 s later; push at 200 s
	// after the handshake meets RST; the client speaks at 500 s and hears
	// RST one rtt later: 500 - 120 + rtt = 380.01 s.
	want := (380*sec + rtt).Seconds()
	if r.Breaks.IdleTimeout == 0 || r.Detection.P50 != want || r.Detection.Max != want || r.LostDown == 0 {
		t.Fatalf("breaks %+v detection %+v lost_down %v; want latency %v s", r.Breaks, r.Detection, r.LostDown, want)
	}
	if r.Remaps != 0 {
		t.Fatalf("remaps %v: a remap to a server that has closed is a break", r.Remaps)
	}
}

func TestResetOnExpireTellsBothEndsAtOnce(t *testing.T) {
	b := testBox(120*sec, nat.Create, nat.Drop, true)
	b.OnExpire = nat.ExpireReset
	g := testGroup(10)
	g.Up = Traffic{Interval: Dist{Kind: Constant, A: 500 * sec}, Bytes: 100}
	r := mustRun(t, testConfig(hour, b, g)).Groups[0]
	if r.Breaks.ResetOnExpire == 0 || r.Breaks.Total != r.Breaks.ResetOnExpire || r.Detection.Max != 0 {
		t.Fatalf("breaks %+v detection %+v: want reset_on_expire breaks learned at once", r.Breaks, r.Detection)
	}
}

func TestRefuseCountsRefusedOpens(t *testing.T) {
	b := testBox(hour, nat.Create, nat.Drop, true)
	b.Capacity, b.WhenFull = 5, nat.Refuse
	g := testGroup(8)
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
	res := mustRun(t, testConfig(10*sec, b, g))
	// 5 connect, 3 are refused and retry about once a second (full jitter
	// in [0, 1 s)): at least 3 refusals, all recorded by the box too.
	r := res.Groups[0]
	if r.RefusedOpens < 3 || res.Middleboxes[0].RefusedOpens != r.RefusedOpens || res.Middleboxes[0].MaxOccupancy != 5 {
		t.Fatalf("refused %v, box %+v", r.RefusedOpens, res.Middleboxes[0])
	}
}

func TestTwoMiddleboxesEachKeepTheirOwnTable(t *testing.T) {
	// A port-preserving box with a short timeout behind one that keeps the
	// flow: the short one remaps; the path's effective timeout is the
	// smaller, but only that box's table changes.
	long := testBox(hour, nat.Create, nat.Drop, false)
	long.Name = "long"
	short := testBox(60*sec, nat.Create, nat.Drop, true)
	short.Name = "short"
	g := testGroup(10)
	g.Up = Traffic{Interval: Dist{Kind: Constant, A: 100 * sec}, Bytes: 10}
	cfg := testConfig(hour, long, g)
	cfg.Path = []Middlebox{long, short}
	res := mustRun(t, cfg)
	if res.Groups[0].Breaks.Total != 0 || res.Middleboxes[0].Expiries != 0 || res.Middleboxes[1].Remaps == 0 {
		t.Fatalf("groups %+v boxes %+v", res.Groups[0].Breaks, res.Middleboxes)
	}
}

func TestDeterminism(t *testing.T) {
	g := testGroup(300)
	g.Up = Traffic{Interval: Dist{Kind: Exponential, A: 90 * sec}, Bytes: 100}
	g.Down = Traffic{Interval: Dist{Kind: Lognormal, A: 60 * sec, Shape: 1}, Bytes: 100}
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: 100 * sec, Jitter: 20 * sec, Timeout: 5 * sec, Misses: 2, RequestBytes: 40, ResponseBytes: 40}
	g.StartSpread = time.Minute
	b := testBox(110*sec, nat.Create, nat.Drop, false)
	b.Capacity = 250
	cfg := testConfig(2*hour, b, g)
	cfg.Network = Network{RTT: 30 * time.Millisecond, Loss: 0.01}
	cfg.SampleEvery = 10 * time.Minute
	render := func(seed uint64) []byte {
		c := *cfg
		c.Seed = seed
		var runs []*RunResult
		for rep := range 2 {
			r, err := Run(&c, rep, nil)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		var buf bytes.Buffer
		if err := Aggregate(&c, runs).WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if err := WriteSeriesCSV(&buf, &c, runs[0]); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b2, other := render(1), render(1), render(2)
	if !bytes.Equal(a, b2) {
		t.Fatal("same scenario and seed gave different output")
	}
	if bytes.Equal(a, other) {
		t.Fatal("a different seed gave the same output")
	}
}

func TestAppPingBlackholeDetection(t *testing.T) {
	// Pings every 60 s (no jitter) into a 45 s blackhole table: the ping at
	// 60 s is dropped (the break, dated 45 s), its pong is missed at 65 s,
	// the next at 125 s: with misses 2 the client learns then, 80 s after
	// the break (misses x interval + timeout - T).
	g := testGroup(10)
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: 60 * sec, Timeout: 5 * sec, Misses: 2, RequestBytes: 40, ResponseBytes: 40}
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
	r := mustRun(t, testConfig(hour, testBox(45*sec, nat.Drop, nat.Drop, false), g)).Groups[0]
	if r.Breaks.Total == 0 || r.Detection.P50 != 80 || r.Detection.Max != 80 {
		t.Fatalf("breaks %v detection %+v, want all 80 s", r.Breaks.Total, r.Detection)
	}
}

func TestServerAppWatchdog(t *testing.T) {
	// The server pings every 60 s into a table that forgets after 45 s and
	// drops inbound packets without an entry: the server misses two pongs
	// and gives up at 125 s (a break dated 45 s); the client, hearing no
	// ping for misses x interval + jitter + timeout = 125 s, gives up too.
	g := testGroup(10)
	g.Keepalive = Keepalive{Type: KeepaliveServerApp, Interval: 60 * sec, Timeout: 5 * sec, Misses: 2, RequestBytes: 40, ResponseBytes: 40}
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
	r := mustRun(t, testConfig(hour, testBox(45*sec, nat.Create, nat.Drop, false), g)).Groups[0]
	if r.Breaks.IdleTimeout == 0 || r.Detection.P50 != 80 || r.Detection.Max != 80 || r.Overhead.KeepalivePackets == 0 {
		t.Fatalf("breaks %+v detection %+v", r.Breaks, r.Detection)
	}
}

func TestLossMakesSpuriousDisconnectsNotBreaks(t *testing.T) {
	// With 20% loss and misses 1, pings are missed although no entry is
	// ever lost (timeout 1 h): those deaths are spurious, not breaks.
	g := testGroup(50)
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: 30 * sec, Timeout: 5 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 40}
	cfg := testConfig(hour, testBox(hour, nat.Create, nat.Drop, true), g)
	cfg.Network.Loss = 0.2
	r := mustRun(t, cfg).Groups[0]
	// A ping or its pong is lost with probability q = 1 - 0.8^2 = 0.36;
	// such a cycle lasts 30 s + the 5 s timeout (reconnecting is instant),
	// so a client sends 3600 / (30 + 5q) pings an hour.
	q := 0.36
	want := q * 50 * 3600 / (30 + 5*q)
	within(t, "spurious disconnects", r.SpuriousDisconnects, want, 4*math.Sqrt(want*(1-q))+50, "4 sigma of a binomial count, plus a partial cycle per client")
	if r.Breaks.Total != 0 {
		t.Fatalf("breaks %+v", r.Breaks)
	}
}

func TestTraceTellsOneClientsStory(t *testing.T) {
	// One client, TCP keepalive 300 s against a 120 s blackhole table:
	// connected at 0; the box removes the entry at 120 s (idle timeout);
	// the first probe, at 300 s, is dropped for want of an entry, which
	// decides the break (dated 120 s); the nine probes (300 + k x 75 s)
	// all meet the drop, and the client learns by keepalive timeout at
	// 300 + 9 x 75 = 975 s.
	g := withTCPKeepalive(testGroup(1), 300*sec, 75*sec, 9)
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = hour, hour
	cfg := testConfig(30*time.Minute, testBox(120*sec, nat.Drop, nat.Drop, false), g)
	cfg.Trace = true
	r := mustRun(t, cfg)
	want := []TraceEvent{
		{At: 0, Kind: TraceConnected},
		{At: 120 * sec, Kind: TraceRemoved, Cause: "idle_timeout", Box: "box"},
		{At: 120 * sec, Kind: TraceBreak, Cause: "idle_timeout", Box: "box", Decided: 300 * sec},
	}
	for k := range 9 {
		at := 300*sec + time.Duration(k)*75*sec
		want = append(want, TraceEvent{At: at, Kind: TraceKeepalive, Packet: "probe", Seq: uint32(k + 1)},
			TraceEvent{At: at, Kind: TraceMet, Box: "box", Packet: "probe", Met: MetDropped})
	}
	want = append(want, TraceEvent{At: 975 * sec, Kind: TraceLearned, How: HowKeepalive})
	if len(r.Trace) < len(want) { // a reconnect may follow (backoff uniform in [0, 1 h))
		t.Fatalf("trace %+v", r.Trace)
	}
	for i := range want {
		if r.Trace[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, r.Trace[i], want[i])
		}
	}
}

func TestTraceFilterKeepsOneClientOrBreaks(t *testing.T) {
	// Ten clients alike in the blackhole of TestTraceTellsOneClientsStory:
	// the filtered traces are the full trace's events of client 3, and
	// its breaks, and the metrics do not depend on the trace.
	g := withTCPKeepalive(testGroup(10), 300*sec, 75*sec, 9)
	cfg := testConfig(time.Hour, testBox(120*sec, nat.Drop, nat.Drop, false), g)
	plain := mustRun(t, cfg)
	cfg.Trace = true
	all := mustRun(t, cfg)
	for _, f := range []TraceFilter{{One: true, Client: 3}, {Breaks: true}, {One: true, Client: 3, Breaks: true}} {
		cfg.TraceOnly = f
		got := mustRun(t, cfg)
		var want []TraceEvent
		for _, ev := range all.Trace {
			if f.keeps(ev.Client, ev.Kind) {
				want = append(want, ev)
			}
		}
		if len(want) == 0 || !slices.Equal(got.Trace, want) {
			t.Errorf("filter %+v: %d events, want the %d of the full trace it keeps", f, len(got.Trace), len(want))
		}
		if !reflect.DeepEqual(got.Groups, plain.Groups) {
			t.Errorf("filter %+v: the metrics differ from an untraced run's", f)
		}
	}
	for i := 1; i < len(all.Trace); i++ {
		if all.Trace[i].At < all.Trace[i-1].At {
			t.Fatalf("trace not in order of At at %d: %+v after %+v", i, all.Trace[i], all.Trace[i-1])
		}
	}
}

// TestStaleRemovalKeepsOrphan: removals of a client's entries arrive in
// any order of connections; one of a stale connection's entries must not
// hide the earlier removal of the live connection's (a single deferred
// record per client once let it).
func TestStaleRemovalKeepsOrphan(t *testing.T) {
	s := &sim{clients: make([]client, 1), boxes: make([]box, 2), ports: make([]uint32, 1), hops: 2,
		groups: []groupRun{{path: []int{0, 1}, hopOf: []int8{0, 1}}}}
	c := &s.clients[0]
	c.state, c.conn, c.port = stOpen, 2, 7
	// At the second box the flow is known by the first box's port, 7.
	s.removed(1, nat.Removal{Key: nat.Key{Client: 0, Conn: 7}, At: 10, Reason: nat.Expired})
	s.removed(0, nat.Removal{Key: nat.Key{Client: 0, Conn: 1}, At: 12, Reason: nat.Evicted})
	s.removed(0, nat.Removal{Key: nat.Key{Client: 0, Conn: 2}, At: 11, Reason: nat.Evicted})
	if !c.is(fOrphan) || c.orphanAt != 10 || c.cause != causeIdleTimeout || c.box != 1 {
		t.Fatalf("orphan %v at %v, cause %v, box %d; want the live connection's first removal (10, idle timeout, box 1)",
			c.is(fOrphan), c.orphanAt, c.cause, c.box)
	}
}
