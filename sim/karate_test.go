package sim

import (
	"math"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// TestKeepaliveRateOfPeriodicBeats: clients that ping every I with no
// jitter, no data and an entry that never times out send one ping of q
// bytes and get one pong of a bytes back every I, so that each costs
// exactly (q + a) x 3600 s / I bytes per client-hour, whatever the
// window. The clients start within 30 s of each other (in phase), so the
// packets counted inside a window are n or n+1 cycles per client: the
// count-based rate jumps with the window length, the keepalive rate must
// not. The only error allowed is float rounding (1e-9 relative).
func TestKeepaliveRateOfPeriodicBeats(t *testing.T) {
	const I, q, a = 4 * time.Minute, 40, 60
	want := float64(q+a) * 3600 / I.Seconds() // 1500 B per client-hour
	for _, tc := range []struct {
		kind           KeepaliveType
		warmup, window time.Duration
	}{
		{KeepaliveApp, 10 * time.Minute, time.Hour},
		{KeepaliveApp, 10 * time.Minute, 50 * time.Minute},
		{KeepaliveApp, 10 * time.Minute, 37*time.Minute + 30*time.Second},
		{KeepaliveApp, 7 * time.Minute, 2*time.Hour + 3*time.Minute},
		{KeepaliveApp, 0, 45 * time.Minute}, // clients start inside the window
		{KeepaliveServerApp, 10 * time.Minute, time.Hour},
	} {
		g := testGroup(50)
		g.StartSpread = 30 * time.Second
		g.Keepalive = Keepalive{Type: tc.kind, Interval: I, Timeout: 5 * sec, Misses: 1, RequestBytes: q, ResponseBytes: a}
		cfg := testConfig(tc.warmup+tc.window, testBox(time.Hour, nat.Create, nat.Drop, false), g)
		cfg.Warmup = tc.warmup
		r := mustRun(t, cfg).Groups[0]
		name := tc.kind.Kind().Name + " window " + tc.window.String()
		within(t, name+": keepalive rate", r.Overhead.KeepaliveRateBytesPerClientHour, want, want*1e-9, "float rounding only")
		within(t, name+": cost", r.Overhead.CostBytesPerClientHour, want, want*1e-9, "no reconnects: the keepalive rate")
		if r.Breaks.Total != 0 || r.Overhead.ReconnectBytes != 0 {
			t.Errorf("%s: breaks %v, reconnect bytes %v: the entry should never time out", name, r.Breaks.Total, r.Overhead.ReconnectBytes)
		}
		// The count is whole beats: (q + a) times the beats inside the window.
		if beats := r.Overhead.KeepaliveBytes / (q + a); beats != math.Trunc(beats) {
			t.Errorf("%s: %v keepalive bytes are not whole beats", name, r.Overhead.KeepaliveBytes)
		}
	}
}

// TestKeepaliveRateHandCount: one client, warmup 10m, window 1 h, pings
// every 4m from its start at 0 (no spread): beats at 4m, 8m, ..., 68m.
// Counted in [10m, 70m): 12m ... 68m, 15 beats, 1500 B, 1500 B/h. The
// rate charges the gap [8m, 12m]
// 2/4 for the beat at 12m, the gaps up to 68m whole, and the gap after
// 68m, not closed by a beat before the end, is closed with the 4m before
// it: 2/4 of it inside. With [10m, 71m], 3/4 of it. With [10m, 73m] the
// count takes 16 beats (1600 B over 63 min, 1523.8 B/h, the jump) while
// the rate charges 0.5 + 15 + 1/4 beats and stays at 1500.
func TestKeepaliveRateHandCount(t *testing.T) {
	for _, tc := range []struct {
		end            time.Duration
		countedBytes   float64
		rateBytesTotal float64 // the keepalive bytes the rate charges to the window
	}{
		{70 * time.Minute, 1500, 100 * (0.5 + 14 + 0.5)},
		{73 * time.Minute, 1600, 100 * (0.5 + 15 + 0.25)},
		{71 * time.Minute, 1500, 100 * (0.5 + 14 + 0.75)},
	} {
		g := testGroup(1)
		g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: 4 * time.Minute, Timeout: 5 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 60}
		cfg := testConfig(tc.end, testBox(time.Hour, nat.Create, nat.Drop, false), g)
		cfg.Warmup = 10 * time.Minute
		r := mustRun(t, cfg).Groups[0]
		hours := (tc.end - cfg.Warmup).Hours()
		within(t, "keepalive bytes to "+tc.end.String(), r.Overhead.KeepaliveBytes, tc.countedBytes, 0, "a hand count")
		within(t, "keepalive rate to "+tc.end.String(), r.Overhead.KeepaliveRateBytesPerClientHour, tc.rateBytesTotal/hours, 1e-9, "a hand count")
		within(t, "keepalive rate to "+tc.end.String()+" against the beat", r.Overhead.KeepaliveRateBytesPerClientHour, 1500, 1e-9, "100 B every 4m")
	}
}
