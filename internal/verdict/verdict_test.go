package verdict

import (
	"math"
	"testing"
	"time"

	"github.com/natsim/natsim/internal/target"
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
		cause     string // the main cause of the group's own breaks; "": none
		breaks    []float64
		box, why  string
		timeout   float64
		gap, marg float64 // seconds; gap -1: no keepalive, so neither
	}{
		// 4m: b's 5m is the nearest timeout at or above it (c's 3m is below).
		{"nearest above", tcp(4 * time.Minute), "", []float64{0, 0, 0}, "b", "nearest timeout", 300, 240, 60},
		// 11m: no timeout is at or above it; the smallest binds.
		{"none above", tcp(11 * time.Minute), "", []float64{0, 0, 0}, "c", "nearest timeout", 180, 660, -480},
		// Breaks decide: a caused the most.
		{"breaks", tcp(4 * time.Minute), "idle_timeout", []float64{7, 3, 0}, "a", "breaks", 600, 240, 360},
		// The boxes broke other groups' connections, not this group's:
		// the nearest timeout binds it, as with no breaks at all.
		{"others' breaks", tcp(4 * time.Minute), "", []float64{7, 3, 0}, "b", "nearest timeout", 300, 240, 60},
		// App pings: the gap is interval + jitter = 4m50s; UDP meets
		// udp_stream (20m, 10m, 6m here), of which c's 6m is nearest above.
		{"udp app", sim.Group{Proto: nat.UDP, Keepalive: sim.Keepalive{Type: sim.KeepaliveApp, Interval: 4 * time.Minute, Jitter: 50 * time.Second}},
			"", []float64{0, 0, 0}, "c", "nearest timeout", 360, 290, 70},
		// Adaptive: the gap is the longest interval it may learn, max
		// 6m; a's 10m is the only timeout at or above it.
		{"adaptive", sim.Group{Proto: nat.TCP, Keepalive: sim.Keepalive{Type: sim.KeepaliveAdaptive, Adaptive: sim.Adaptive{Min: time.Minute, Max: 6 * time.Minute}}},
			"", []float64{0, 0, 0}, "a", "nearest timeout", 600, 360, 240},
		{"no keepalive", sim.Group{Proto: nat.TCP}, "", []float64{0, 0, 0}, "c", "nearest timeout", 180, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := binding(cfg, &tc.g, cfg.PathOf(&tc.g), tc.cause, tc.breaks)
			wantCause := "" // a cause only when the group's breaks chose the box
			if tc.why == "breaks" {
				wantCause = tc.cause
			}
			if b.Middlebox != tc.box || b.Why != tc.why || b.TimeoutS != tc.timeout || b.Cause != wantCause {
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

// TestRequestVerdicts: without a target a request-driven group with
// failed requests and no break FAILS, with its failed requests and their
// bound (2 of 400,000: U(2) = chi2(0.95; 6) / 2 = 6.2958 from the table,
// / 400,000 x 10^6 = 15.74 per million); one without failures SURVIVES;
// a keepalive group has no failed-requests line. Against a target of
// 20 per million the first group passes. Tolerance: the table's last digit.
func TestRequestVerdicts(t *testing.T) {
	box := sim.Middlebox{Name: "alb", Config: nat.Config{Timeouts: nat.Timeouts{TCPEstablished: time.Minute}}}
	cfg := &sim.Config{Path: []sim.Middlebox{box}, Duration: 2 * time.Hour, Warmup: time.Hour,
		Groups: []sim.Group{{Name: "api", Count: 10}, {Name: "quiet", Count: 10}, {Name: "push", Count: 10}}}
	run := &sim.RunResult{Middleboxes: []sim.BoxResult{{}}, Groups: []sim.GroupResult{
		{Name: "api", ClientHours: 10, Requests: 400000, RequestsFailed: sim.RequestsFailed{Total: 2, LB502: 2}},
		{Name: "quiet", ClientHours: 10, Requests: 1000},
		{Name: "push", ClientHours: 10},
	}}
	v := Of(cfg, target.Target{}, []*sim.RunResult{run})
	api, quiet, push := v.Groups[0], v.Groups[1], v.Groups[2]
	if api.Verdict != Fails || api.Failed == nil || api.Failed.Events != 2 || api.Failed.Exposure != 400000 ||
		api.Failed.Estimate != 5 || math.Abs(*api.Failed.Upper-15.7395) > 1e-3 {
		t.Errorf("api: %s %+v, want FAILS, 2 in 400,000, bound 15.74", api.Verdict, api.Failed)
	}
	if quiet.Verdict != Survives || quiet.Failed == nil || push.Verdict != Survives || push.Failed != nil {
		t.Errorf("quiet %s %+v, push %s %+v", quiet.Verdict, quiet.Failed, push.Verdict, push.Failed)
	}
	lim := 20.0
	v = Of(cfg, target.Target{FailedPerMillionRequests: &lim, Confidence: 0.95}, []*sim.RunResult{run})
	if v.Groups[0].Verdict != Pass || len(v.Groups[0].Limits) != 1 || v.Groups[2].Verdict != Pass || len(v.Groups[2].Limits) != 0 {
		t.Errorf("against 20 per million: %+v", v.Groups)
	}
}

// TestMainCause: the cause of most of a group's breaks, summed over its
// replications by hand: 2+0 idle timeouts, 1+3 LRU evictions.
func TestMainCause(t *testing.T) {
	reps := []sim.GroupResult{{Breaks: sim.Breaks{Total: 3, IdleTimeout: 2, LRUEviction: 1}}, {Breaks: sim.Breaks{Total: 3, LRUEviction: 3}}}
	if got := mainCause(reps); got != "lru_eviction" {
		t.Errorf("mainCause = %q, want lru_eviction (4 of 6 breaks)", got)
	}
	if got := mainCause([]sim.GroupResult{{}, {}}); got != "" {
		t.Errorf("mainCause without breaks = %q, want \"\"", got)
	}
}

// TestBindingDrawnTimeout: a box whose timeout is drawn per instance
// binds by the least a draw can be, not by its mean: a choice of 30s,
// 60s or 180s (weights 2, 5, 3; mean 90s) binds a 28s gap by its 30s
// (margin 2s) ahead of a fixed 35s box; a weight of 0 takes 30s out, so
// the fixed 35s binds. The uniform's least is its lower bound, the
// exponential's and lognormal's 0, the Pareto's its scale.
func TestBindingDrawnTimeout(t *testing.T) {
	choice := func(w0 float64) sim.Dist {
		return sim.Dist{Kind: sim.Empirical, Choice: &sim.Choice{
			Values: []time.Duration{30 * time.Second, time.Minute, 3 * time.Minute}, Weights: []float64{w0, 5, 3}}}
	}
	udpBox := func(name string, stream time.Duration, d sim.Dist) sim.Middlebox {
		m := sim.Middlebox{Name: name, Config: nat.Config{Timeouts: nat.Timeouts{UDPStream: stream}}}
		m.Draws.UDPStream = d
		return m
	}
	g := sim.Group{Proto: nat.UDP, Keepalive: sim.Keepalive{Type: sim.KeepaliveApp, Interval: 25 * time.Second, Jitter: 3 * time.Second}}
	for _, tc := range []struct {
		name    string
		d       sim.Dist
		box     string
		timeout float64
		drawn   bool
	}{
		{"choice", choice(2), "home", 30, true},
		{"choice without 30s", choice(0), "cgnat", 35, false},
		{"uniform", sim.Dist{Kind: sim.Uniform, A: 31 * time.Second, B: time.Hour}, "home", 31, true},
		{"exponential", sim.Dist{Kind: sim.Exponential, A: time.Hour}, "cgnat", 35, false},
		{"pareto", sim.Dist{Kind: sim.Pareto, A: 29 * time.Second, Shape: 2}, "home", 29, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &sim.Config{Path: []sim.Middlebox{udpBox("home", 90*time.Second, tc.d), udpBox("cgnat", 35*time.Second, sim.Dist{})}}
			b := binding(cfg, &g, []int{0, 1}, "", []float64{0, 0})
			if b.Middlebox != tc.box || b.TimeoutS != tc.timeout || b.Drawn != tc.drawn || *b.MarginS != tc.timeout-28 {
				t.Errorf("got %+v margin %v, want %s at %v s (drawn %v), margin %v", b, *b.MarginS, tc.box, tc.timeout, tc.drawn, tc.timeout-28)
			}
		})
	}
}
