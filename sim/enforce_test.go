package sim

import (
	"testing"
	"time"
)

// pingGroup is one client pinging every interval against a server that
// enforces gRPC's default policy (5 min, 2 strikes), reconnecting 1 ns
// after a loss over a zero-RTT path.
func pingGroup(interval time.Duration) Group {
	g := testGroup(1)
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: interval, Timeout: 20 * sec, Misses: 1, RequestBytes: 17, ResponseBytes: 17}
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = 1, 1
	g.PingPolicy = &PingPolicy{MinInterval: 5 * time.Minute, MaxStrikes: 2}
	return g
}

// TestTooManyPings follows a client whose 60 s pings trip the server's
// too_many_pings, against the GOAWAY instants derived by hand: on each
// connection the first ping is never a strike (no previous one), the
// next three are (sooner than 5 min after the previous), and the third
// strike is more than 2: GOAWAY at the fourth ping. The client then
// doubles its interval: 60 s -> GOAWAY at 240 s; 120 s -> at 240 s + 1 ns
// + 480 s; 240 s -> 960 s later; at 480 s (>= 5 min) no ping strikes.
func TestTooManyPings(t *testing.T) {
	const ns = time.Nanosecond
	cfg := testConfig(4*hour, dropBox(2*hour), pingGroup(60*sec))
	cfg.Trace = true
	r := mustRun(t, cfg)
	var got []time.Duration
	for _, ev := range r.Trace {
		if ev.Kind == TraceServerGoAway {
			got = append(got, ev.At)
		}
	}
	want := []time.Duration{240 * sec, 720*sec + ns, 1680*sec + 2*ns}
	if len(got) != len(want) {
		t.Fatalf("GOAWAYs at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("GOAWAY %d at %v, want %v", i+1, got[i], want[i])
		}
	}
	g := r.Groups[0]
	if g.Server == nil || g.Server.GoAways != 3 || g.Reconnects != 3 || g.SpuriousDisconnects != 0 {
		t.Errorf("server %+v, %v reconnects, %v spurious; want 3 GOAWAYs and 3 reconnects, none spurious", g.Server, g.Reconnects, g.SpuriousDisconnects)
	}
	// After the third: pings every 480 s from 1680 s + 3 ns to the end.
	pings := 0
	for _, ev := range r.Trace {
		if ev.Kind == TraceKeepalive && ev.At > 1680*sec+2*ns {
			pings++
		}
	}
	if want := int((4*hour - 1680*sec - 3*ns) / (480 * sec)); pings != want {
		t.Errorf("%d pings after the last GOAWAY, want %d", pings, want)
	}
}

// TestDataClearsStrikes: a server that sends data before every ping
// (every 50 s, pings every 60 s) clears the strikes each time, as
// grpc-go's resetPingStrikes does, and never sends GOAWAY.
func TestDataClearsStrikes(t *testing.T) {
	g := pingGroup(60 * sec)
	g.Down = Traffic{Interval: Dist{Kind: Constant, A: 50 * sec}, Bytes: 100}
	r := mustRun(t, testConfig(2*hour, dropBox(2*hour), g))
	if n := r.Groups[0].Server.GoAways; n != 0 {
		t.Errorf("%v GOAWAYs, want none", n)
	}
}
