package sim

import (
	"math"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/radio"
)

// perWakeup is one isolated wakeup (promotion plus whole tail) of each
// preset, joules, typed from the published figures (docs/radio.md), not
// read from package radio:
//
//	lte:   0.2601 s x 1.2107 W + 0.1 s x 1.06 W + 0.02 s x (1.06 + 0.6202/20) W + 11.456 s x (1.06 + 0.6202/40) W
//	umts:  2 s x 0.51 W + 4 s x 1.02 W + 10 s x 0.40 W
//	wifi:  0.0791 s x 0.1244 W + 0.2381 s x 0.1193 W
//	nr-sa: 0.2601 s x 1.2107 W + 10.2 s x (1.06 + 0.6202/40) W + 4.8 s x 0.5943 W x 43.2/1280
var perWakeup = map[string]float64{"lte": 12.76370855, "umts": 9.1, "wifi": 0.03824537, "nr-sa": 11.38133067}

// heartbeatRun runs n clients on radio preset name that all connect at
// t = 0 over a zero-RTT path and ping every interval (no jitter), with a
// window of k whole intervals that opens half an interval in: every beat
// of the window, its whole tail included, lies inside it, and the
// connection's set-up before it.
func heartbeatRun(t *testing.T, name string, interval time.Duration, k int, edit func(*Config)) RadioResult {
	t.Helper()
	p, ok := radio.Preset(name)
	if !ok {
		t.Fatalf("no preset %s", name)
	}
	g := testGroup(10)
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: interval, Timeout: 10 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 40}
	g.Radio = &p
	cfg := testConfig(interval/2+time.Duration(k)*interval, testBox(3*hour, nat.Create, nat.Drop, true), g)
	cfg.Warmup = interval / 2
	if edit != nil {
		edit(cfg)
	}
	return mustRun(t, cfg).Groups[0].Radio
}

// TestIsolatedHeartbeatsClosedForm: with heartbeats further apart than
// the tail, each costs one promotion and one whole tail, so energy per
// client-hour is beats per hour x the energy of one wakeup. The window
// holds whole beats only, so the one error is float rounding: the test
// asks for 1e-9, far inside the 0.5% the model is held to.
func TestIsolatedHeartbeatsClosedForm(t *testing.T) {
	for _, name := range []string{"lte", "umts", "wifi", "nr-sa"} {
		for _, iv := range []time.Duration{60 * sec, 5 * time.Minute, 28 * time.Minute} {
			r := heartbeatRun(t, name, iv, 3, nil)
			beats := time.Hour.Seconds() / iv.Seconds()
			want := beats * perWakeup[name]
			if math.Abs(r.EnergyJPerClientHour-want) > 1e-9*want || math.Abs(r.WakeupsPerClientHour-beats) > 1e-9*beats {
				t.Errorf("%s every %v: %g J and %g wakeups per client-hour, want %g J and %g", name, iv, r.EnergyJPerClientHour, r.WakeupsPerClientHour, want, beats)
			}
			// Nothing but keepalives in the window: they cost it all.
			if r.KeepaliveEnergyJPerClientHour != r.EnergyJPerClientHour {
				t.Errorf("%s every %v: keepalive energy %g J, total %g J", name, iv, r.KeepaliveEnergyJPerClientHour, r.EnergyJPerClientHour)
			}
		}
	}
}

// TestPongInsideTheTail: over a 5 s RTT on umts the pong arrives 5 s
// after the ping, 3 s into the DCH phase (the promotion takes 2 s): one
// promotion (2 s x 0.51 W), 3 s of DCH (1.02 W), then a whole tail
// (4 s x 1.02 W + 10 s x 0.40 W), 12.16 J per beat, not two wakeups.
func TestPongInsideTheTail(t *testing.T) {
	r := heartbeatRun(t, "umts", 5*time.Minute, 2, nil)
	rtt := heartbeatRun(t, "umts", 5*time.Minute, 2, func(c *Config) { c.Network.RTT = 5 * sec })
	const want = 12 * (2*0.51 + 3*1.02 + 4*1.02 + 10*0.40) // 12 beats per hour
	if math.Abs(rtt.EnergyJPerClientHour-want) > 1e-9*want || math.Abs(rtt.WakeupsPerClientHour-12) > 1e-9 {
		t.Errorf("%g J, %g wakeups per client-hour; want %g J, 12", rtt.EnergyJPerClientHour, rtt.WakeupsPerClientHour, want)
	}
	if r.EnergyJPerClientHour >= rtt.EnergyJPerClientHour {
		t.Errorf("zero RTT %g J, 5 s RTT %g J: the later pong must cost more", r.EnergyJPerClientHour, rtt.EnergyJPerClientHour)
	}
}

// TestNoKeepaliveNoKeepaliveEnergy: data every 5 min and no keepalive:
// the keepalives cost nothing, and each message (with its ACK at the
// same instant) is one isolated wakeup, whatever its size when the
// radio has no transfer coefficients.
func TestNoKeepaliveNoKeepaliveEnergy(t *testing.T) {
	for _, bytes := range []int{40, 1 << 20} {
		r := heartbeatRun(t, "lte", 5*time.Minute, 3, func(c *Config) {
			c.Groups[0].Keepalive = Keepalive{}
			c.Groups[0].Up = Traffic{Interval: Dist{Kind: Constant, A: 5 * time.Minute}, Bytes: bytes}
		})
		want := 12 * perWakeup["lte"]
		if r.KeepaliveEnergyJPerClientHour != 0 || math.Abs(r.EnergyJPerClientHour-want) > 1e-9*want {
			t.Errorf("%d B: keepalive %g J, total %g J per client-hour; want 0 and %g", bytes, r.KeepaliveEnergyJPerClientHour, r.EnergyJPerClientHour, want)
		}
	}
}

// TestRadioBattery: idle power fills the time not active, and the
// battery share is a day of both: lte every 28 min, 60/28 beats per hour.
func TestRadioBattery(t *testing.T) {
	r := heartbeatRun(t, "lte", 28*time.Minute, 3, nil)
	beats := 60.0 / 28
	active := beats * (0.2601 + 11.576)
	idle := (3600 - active) * 0.5943 * 43.2 / 1280
	battery := 100 * 24 * (beats*perWakeup["lte"] + idle) / (11.55 * 3600)
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"active s", r.ActiveSPerClientHour, active}, {"idle J", r.IdleEnergyJPerClientHour, idle}, {"battery %/day", r.BatteryPercentPerDay, battery}} {
		if math.Abs(c.got-c.want) > 1e-9*c.want {
			t.Errorf("%s: %g, want %g", c.what, c.got, c.want)
		}
	}
}

// TestNoRadioNoResult: a group without a radio reports none.
func TestNoRadioNoResult(t *testing.T) {
	g := testGroup(5)
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: time.Minute, Timeout: 10 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 40}
	r := mustRun(t, testConfig(time.Hour, testBox(hour, nat.Create, nat.Drop, true), g))
	if r.Groups[0].Radio != (RadioResult{}) {
		t.Errorf("radio result %+v for a group without a radio", r.Groups[0].Radio)
	}
}

// TestRadioOfAGroupThatMixesPaths: a group whose clients draw one of two
// paths through identical boxes runs as one engine group per path, after
// a group without a radio; its radios are still its own, so the closed
// form of isolated heartbeats holds for it as a whole.
func TestRadioOfAGroupThatMixesPaths(t *testing.T) {
	iv := 5 * time.Minute
	p, _ := radio.Preset("lte")
	plain := testGroup(5)
	plain.Name, plain.Path = "plain", []int{0}
	g := testGroup(10)
	g.Name = "phones"
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: iv, Timeout: 10 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 40}
	g.Radio = &p
	g.Paths = []WeightedPath{{Via: []int{0}, Weight: 1}, {Via: []int{1}, Weight: 1}}
	box := testBox(3*hour, nat.Create, nat.Drop, true)
	cfg := testConfig(iv/2+3*iv, box, plain)
	box.Name = "twin"
	cfg.Path = append(cfg.Path, box)
	cfg.Groups = append(cfg.Groups, g)
	cfg.Warmup = iv / 2
	res := mustRun(t, cfg)
	if r := res.Groups[0].Radio; r != (RadioResult{}) {
		t.Errorf("the group without a radio has radio results %+v", r)
	}
	beats := time.Hour.Seconds() / iv.Seconds()
	want := beats * perWakeup["lte"]
	if r := res.Groups[1].Radio; math.Abs(r.EnergyJPerClientHour-want) > 1e-9*want {
		t.Errorf("%g J per client-hour, want %g", r.EnergyJPerClientHour, want)
	}
}
