package sim

import (
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// FuzzRun builds small random configurations (every policy, protocol,
// keepalive type, loss and RTT, sessions, one to three middleboxes) and
// checks that a run never panics and that its metrics keep their
// invariants: counts are non-negative, fractions stay in [0, 1], breaks
// by cause add up, quantiles are ordered, tables respect their capacity.
func FuzzRun(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{255, 0, 128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7})
	for unit := range byte(5) { // nanoseconds to a century
		f.Add([]byte{2, 3, 200, 9, 250, 60, 7, 1, 11, 0, 29, 99, 19, 0, 3, 255, unit})
		f.Add([]byte{255, 0, 128, 64, 32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0, 0, unit})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 16 {
			return
		}
		b := func(i int) int { return int(data[i]) }
		// A 17th byte scales every span, so that nanosecond and
		// decade-long timers are tried as well as second-sized ones.
		unit := time.Second
		if len(data) > 16 {
			unit = []time.Duration{time.Second, time.Nanosecond, time.Microsecond, time.Hour, 100 * time.Hour}[b(16)%5]
		}
		sec := func(i, lo, span int) time.Duration { return time.Duration(lo+b(i)%span) * unit }
		var path []Middlebox
		for i := range 1 + b(0)%3 {
			x := b(1 + i)
			path = append(path, Middlebox{Name: string(rune('a' + i)), Config: nat.Config{
				Capacity: []int{0, 5, 20}[x%3], WhenFull: nat.WhenFull(x / 3 % 3),
				Timeouts:       nat.Timeouts{TCPEstablished: sec(4, 5, 200), TCPTransitory: sec(5, 2, 60), UDP: sec(6, 2, 60), UDPStream: sec(7, 5, 200)},
				RefreshInbound: x&8 != 0, RefreshOnKeepalive: x&16 != 0, OnExpire: nat.OnExpire(x >> 5 & 1),
				UnknownOutbound: []nat.Unknown{nat.Create, nat.Drop}[x>>6&1], UnknownInbound: []nat.Unknown{nat.Drop, nat.SendReset}[x>>7&1],
				PortPreservation: x&1 != 0,
			}})
		}
		g := Group{Name: "g", Count: 1 + b(8)%12, Proto: nat.Proto(b(9) % 2), StartSpread: sec(10, 0, 30),
			RetransmitTimeout: sec(11, 5, 100),
			Reconnect:         Reconnect{Backoff: unit, MaxBackoff: sec(12, 1, 20), HandshakePackets: 3, HandshakeBytes: 172}}
		if b(13)%2 == 0 {
			g.Up = Traffic{Interval: Dist{Kind: Exponential, A: sec(14, 1, 120)}, Bytes: 10}
		}
		if b(13)%3 == 0 {
			g.Down = Traffic{Interval: Dist{Kind: Pareto, A: sec(15, 1, 60), Shape: 1.5}, Bytes: 10}
		}
		switch k := b(14) % 4; {
		case k == 1 && g.Proto == nat.TCP:
			g.Keepalive = Keepalive{Type: KeepaliveTCP, Idle: sec(15, 1, 200), Interval: sec(12, 1, 30), Count: 1 + b(13)%5}
		case k >= 2:
			iv := sec(15, 5, 200)
			g.Keepalive = Keepalive{Type: KeepaliveType(k), Interval: iv, Jitter: iv / 4, Timeout: sec(12, 1, 10), Misses: 1 + b(13)%3,
				RequestBytes: 40, ResponseBytes: 40, IdleOnly: b(11)%2 == 0}
		}
		if b(10)%3 == 0 {
			g.Session = &Session{Lifetime: Dist{Kind: Exponential, A: sec(4, 5, 100)}, Think: Dist{Kind: Uniform, A: unit, B: sec(5, 2, 30)}}
		}
		cfg := &Config{Name: "fuzz", Seed: uint64(b(3)), Duration: 20 * 60 * unit, Warmup: sec(6, 0, 120),
			SampleEvery: 60 * unit, Path: path, Groups: []Group{g},
			Network: Network{RTT: time.Duration(b(7)%3) * 20 * time.Millisecond, Loss: float64(b(2)%4) * 0.05}}
		r, err := Run(cfg, 0, nil)
		if err != nil {
			t.Fatalf("%v (%+v)", err, cfg)
		}
		gr := r.Groups[0]
		br := gr.Breaks
		d := gr.Detection
		switch {
		case br.Total != br.IdleTimeout+br.LRUEviction+br.EarlyDrop+br.ResetOnExpire:
			t.Fatalf("breaks by cause do not add up: %+v", br)
		case gr.DowntimeFraction < 0 || gr.DowntimeFraction > 1+1e-9:
			t.Fatalf("downtime fraction %v", gr.DowntimeFraction)
		case d.P50 > d.P90 || d.P90 > d.P99 || d.P99 > d.Max || d.P50 < 0:
			t.Fatalf("latency quantiles out of order: %+v", d)
		case d.Undetected > br.Total || gr.LostUp > gr.SentUp || gr.LostDown > gr.SentDown:
			t.Fatalf("counts inconsistent: %+v", gr)
		}
		for i, m := range r.Middleboxes {
			if c := cfg.Path[i].Capacity; c > 0 && m.MaxOccupancy > float64(c) {
				t.Fatalf("box %d over capacity: %+v", i, m)
			}
			if m.MeanOccupancy < 0 || m.MeanOccupancy > m.MaxOccupancy+1e-9 {
				t.Fatalf("box %d occupancy: %+v", i, m)
			}
		}
	})
}
