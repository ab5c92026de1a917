package sim

import (
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// adaptiveGroup is one client with an adaptive keepalive of a preset,
// reconnecting 1 ns after a loss, over a zero-RTT path.
func adaptiveGroup(p AdaptivePreset, n int) Group {
	g := testGroup(n)
	g.Keepalive = Keepalive{Type: KeepaliveAdaptive, Timeout: 8 * sec, RequestBytes: 40, ResponseBytes: 40, Adaptive: AdaptiveDefaults(p)}
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = 1, 1
	return g
}

// dropBox is a 300 s box that drops a packet without an entry: an
// expired entry breaks the connection silently, so a heartbeat sent
// after it gets no pong.
func dropBox(T time.Duration) Middlebox { return testBox(T, nat.Drop, nat.Drop, false) }

// beats returns the instants of client 0's heartbeats in a trace.
func beats(r *RunResult) []time.Duration {
	var at []time.Duration
	for _, ev := range r.Trace {
		if ev.Kind == TraceKeepalive && ev.Client == 0 {
			at = append(at, ev.At)
		}
	}
	return at
}

// TestMarsSequence follows one Mars client through a box whose 300 s
// idle timeout breaks the connection, beat by beat, against the sequence
// derived by hand from smart_heartbeat.cc (the derivation is in
// docs/adaptive.md):
//
//   - connection 1 at 0: a beat at once, then 8 gaps of 210 s (3 warm-up
//     beats, 5 counted successes, and the beat after the step whose
//     interval was already chosen), then 6 of 270 s (the first success
//     at 270 s does not count: the beat before it used 210 s), then
//     330 s: the beat at 3630 s meets no entry (expired at 3600 s) and
//     fails at its 8 s ack timeout, 3638 s: failure 1 of 2.
//   - connection 2, 1 ns later (T): warm-up beats at 210 s (3 gaps),
//     then 330 s again (the count of failures survived): fails at
//     T + 960 + 8 s: failure 2, back off to 330 - 60 - 20 = 250 s, stable.
//   - connection 3, 1 ns later (U): 3 gaps of 210 s, then 250 s for good.
func TestMarsSequence(t *testing.T) {
	const ns = time.Nanosecond
	var want []time.Duration
	add := func(from time.Duration, gaps ...time.Duration) time.Duration {
		t := from
		want = append(want, t)
		for _, g := range gaps {
			t += g
			want = append(want, t)
		}
		return t
	}
	rep := func(d time.Duration, n int) []time.Duration {
		out := make([]time.Duration, n)
		for i := range out {
			out[i] = d
		}
		return out
	}
	end := 3 * hour
	last := add(0, append(append(rep(210*sec, 8), rep(270*sec, 6)...), 330*sec)...)
	if last != 3630*sec {
		t.Fatalf("hand sequence: failing beat at %v, want 3630s", last)
	}
	T := last + 8*sec + ns
	last = add(T, append(rep(210*sec, 3), 330*sec)...)
	U := last + 8*sec + ns
	var tail []time.Duration
	for at := U + 630*sec; at+250*sec < end; at += 250 * sec {
		tail = append(tail, 250*sec)
	}
	add(U, append(rep(210*sec, 3), tail...)...)

	cfg := testConfig(end, dropBox(300*sec), adaptiveGroup(PresetMars, 1))
	cfg.Trace = true
	r := mustRun(t, cfg)
	got := beats(r)
	if len(got) != len(want) {
		t.Errorf("%d beats, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("beat %d at %v, want %v (gap %v)", i, got[i], want[i], got[i]-got[max(i-1, 0)])
		}
	}
	a := r.Groups[0].Adaptive
	if a == nil || a.Failures != 2 || a.FailureReconnects != 2 {
		t.Fatalf("adaptive result %+v, want 2 failures and 2 reconnects", a)
	}
	// The interval in force, by hand: 210 s until the beat at 1680 s,
	// 270 s until 3300 s, 330 s until the reconnect T, 210 s for 630 s,
	// 330 s until U, 210 s for 630 s, then 250 s.
	pieces := []struct{ iv, d time.Duration }{
		{210 * sec, 1680 * sec}, {270 * sec, 1620 * sec}, {330 * sec, T - 3300*sec},
		{210 * sec, 630 * sec}, {330 * sec, U - T - 630*sec}, {210 * sec, 630 * sec}, {250 * sec, end - U - 630*sec},
	}
	var sum, span float64
	for _, p := range pieces {
		sum += p.iv.Seconds() * p.d.Seconds()
		span += p.d.Seconds()
	}
	// Exact up to floating-point sums of a few terms.
	within(t, "time-weighted mean interval", a.Interval.Mean, sum/span, 1e-9, "exact: one client, floating-point rounding only")
	within(t, "interval at the end", a.Interval.P50, 250, 0, "exact")
}

// TestMarsPopulation runs clients that start spread over the first
// minute: each follows the one-client sequence shifted by its start, so
// the population's mean interval over a window that starts once all of
// them are stable is the stable 250 s, and every client failed twice.
func TestMarsPopulation(t *testing.T) {
	g := adaptiveGroup(PresetMars, 50)
	g.StartSpread = time.Minute
	cfg := testConfig(3*hour, dropBox(300*sec), g)
	cfg.Warmup = 5700 * sec // the last client is stable by 60 + 4606 + 630 s
	r := mustRun(t, cfg)
	a := r.Groups[0].Adaptive
	within(t, "mean interval", a.Interval.Mean, 250, 1e-9, "exact: every client holds 250 s in the window")
	within(t, "p10", a.Interval.P10, 250, 0, "exact")
	within(t, "failures in the window", a.Failures, 0, 0, "exact: both failures happen before 4700 s")
}

// TestAdaptiveConverges checks that courier and composite settle within
// their resolution below a known idle timeout, and that eas stays within
// its bounds and freezes after its first drop.
func TestAdaptiveConverges(t *testing.T) {
	const timeout = 430 * sec
	for _, tc := range []struct {
		p        AdaptivePreset
		lo, hi   time.Duration // where the learned interval must end
		failures float64       // at most
	}{
		// courier: 1, 3, 5, 7 min succeed (420 s < 430 s), 9 fails
		// (ceiling 8, step 1), 8 fails (ceiling 7 = the last success):
		// converged at 7 min, within its 1 min unit below the timeout.
		{PresetCourier, 7 * time.Minute, 7 * time.Minute, 2},
		// composite: 60, 120, 240, 480 fails; bisect 360, 420, 450
		// fails, 435 fails, 427.5 ok: gap 7.5 s <= 10 s; run at 417.5 s.
		{PresetComposite, timeout - 2*10*sec, timeout - 10*sec, 3},
		// eas: 470 fails (> 430): drop to 290 and freeze.
		{PresetEAS, 290 * sec, 290 * sec, 1},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			cfg := testConfig(24*hour, dropBox(timeout), adaptiveGroup(tc.p, 1))
			r := mustRun(t, cfg)
			a := r.Groups[0].Adaptive
			if iv := time.Duration(a.Interval.P50 * float64(time.Second)); iv < tc.lo || iv > tc.hi {
				t.Errorf("learned %v, want within [%v, %v]", iv, tc.lo, tc.hi)
			}
			if a.Failures > tc.failures || a.Failures < 1 {
				t.Errorf("%v failures, want 1 to %v", a.Failures, tc.failures)
			}
		})
	}
}

// TestEASBounds: under a timeout above the maximum eas climbs 470, 650,
// 830, 1010 s and stays at its 1010 s cap, never failing.
func TestEASBounds(t *testing.T) {
	cfg := testConfig(6*hour, dropBox(2*hour), adaptiveGroup(PresetEAS, 1))
	cfg.Trace = true
	r := mustRun(t, cfg)
	got := beats(r)
	want := []time.Duration{470 * sec, 1120 * sec, 1950 * sec, 2960 * sec, 3970 * sec}
	for i, w := range want {
		if got[i] != w {
			t.Fatalf("beat %d at %v, want %v", i, got[i], w)
		}
	}
	if a := r.Groups[0].Adaptive; a.Failures != 0 || a.Interval.P50 != 1010 {
		t.Errorf("%+v, want no failure and 1010 s", a)
	}
}

// TestMarsSeries: the mean interval's time series of one Mars client is
// its interval in force at each sample, read off the hand-derived
// sequence of TestMarsSequence: 210 s until the beat at 1680 s, 270 s
// until 3300 s, 330 s until the reconnect at 3638 s, then 210 s.
func TestMarsSeries(t *testing.T) {
	cfg := testConfig(3700*sec, dropBox(300*sec), adaptiveGroup(PresetMars, 1))
	cfg.SampleEvery = 100 * sec
	r := mustRun(t, cfg)
	if len(r.Intervals) != 1 {
		t.Fatalf("%d interval series, want 1", len(r.Intervals))
	}
	want := func(at time.Duration) float64 {
		switch {
		case at < 1680*sec:
			return 210
		case at < 3300*sec:
			return 270
		case at < 3638*sec:
			return 330
		}
		return 210
	}
	got := r.Intervals[0].Samples
	if len(got) != 38 { // 0, 100 s, ..., 3600 s, and the end
		t.Errorf("%d samples, want 38", len(got))
	}
	for _, p := range got {
		if p.MeanS != want(p.At) {
			t.Errorf("at %v: mean %v, want %v", p.At, p.MeanS, want(p.At))
		}
	}
}
