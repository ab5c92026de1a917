package verdict

import (
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// TestBinding: the box that binds a group, worked by hand on a path of
// three boxes with established-TCP timeouts of 10m, 5m and 3m.
func TestBinding(t *testing.T) {
	box := func(name string, tcp time.Duration) sim.Middlebox {
		return sim.Middlebox{Name: name, Config: nat.Config{Timeouts: nat.Timeouts{TCPEstablished: tcp, UDPStream: 2 * tcp}}}
	}
	cfg := &sim.Config{Path: []sim.Middlebox{box("a", 10*time.Minute), box("b", 5*time.Minute), box("c", 3*time.Minute)}}
	tcp := func(idle time.Duration) sim.Group {
		return sim.Group{Proto: nat.TCP, Keepalive: sim.Keepalive{Type: sim.KeepaliveTCP, Idle: idle}}
	}
	for _, tc := range []struct {
		name      string
		g         sim.Group
		breaks    []float64
		box, why  string
		timeout   float64
		gap, marg float64 // seconds; gap -1: no keepalive, so neither
	}{
		// 4m: b's 5m is the nearest timeout at or above it (c's 3m is below).
		{"nearest above", tcp(4 * time.Minute), []float64{0, 0, 0}, "b", "nearest timeout", 300, 240, 60},
		// 11m: no timeout is at or above it; the smallest binds.
		{"none above", tcp(11 * time.Minute), []float64{0, 0, 0}, "c", "nearest timeout", 180, 660, -480},
		// Breaks decide: a caused the most.
		{"breaks", tcp(4 * time.Minute), []float64{7, 3, 0}, "a", "breaks", 600, 240, 360},
		// App pings: the gap is interval + jitter = 4m50s; UDP meets
		// udp_stream (20m, 10m, 6m here), of which c's 6m is nearest above.
		{"udp app", sim.Group{Proto: nat.UDP, Keepalive: sim.Keepalive{Type: sim.KeepaliveApp, Interval: 4 * time.Minute, Jitter: 50 * time.Second}},
			[]float64{0, 0, 0}, "c", "nearest timeout", 360, 290, 70},
		{"no keepalive", sim.Group{Proto: nat.TCP}, []float64{0, 0, 0}, "c", "nearest timeout", 180, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := binding(cfg, &tc.g, cfg.PathOf(&tc.g), tc.breaks)
			if b.Middlebox != tc.box || b.Why != tc.why || b.TimeoutS != tc.timeout {
				t.Fatalf("got %+v, want %s (%s) at %v s", b, tc.box, tc.why, tc.timeout)
			}
			if tc.gap < 0 {
				if b.GapS != nil || b.MarginS != nil {
					t.Errorf("a group without keepalive has a gap or margin: %+v", b)
				}
				return
			}
			if b.GapS == nil || *b.GapS != tc.gap || *b.MarginS != tc.marg {
				t.Errorf("gap %v margin %v, want %v %v", b.GapS, b.MarginS, tc.gap, tc.marg)
			}
		})
	}
}
