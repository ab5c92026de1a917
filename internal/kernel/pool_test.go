package kernel

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/scenarios"
)

// TestSimulatePooledFlows: natsim's side of the two pooled kernel
// scenarios, without a lab, against a hand count. On the lab's clock
// (5 s for the box's 300 s) the entry dies 5 s after a connection's last
// packet; requests come every 2 s or 7 s from 0 over a 25 s window, and
// time out after 1.5 s (90 s). The path has no delay, so an RST is back
// at once.
//   - every 2 s: the first opens a connection, the other 12 reuse it;
//   - every 7 s (at 0, 7, 14, 21) on a connection idle 7 s, whose entry
//     died at 5 s: a blackhole hangs it until its timeout (never
//     retried), and the next opens a new connection; a new port makes
//     the server answer RST at once: Go retries a GET on a new
//     connection (which the next request reuses, and finds dead again)
//     but not a written POST, whose connection is gone;
//   - the pool (idle timeout 4 s) or the server (keep-alive 4 s, whose
//     FIN the pool sees) closes it first: every request opens a new one.
func TestSimulatePooledFlows(t *testing.T) {
	often := append([]string{OKNew}, slices.Repeat([]string{OKReused}, 12)...)
	fresh := []string{OKNew, OKNew, OKNew, OKNew}
	for _, tc := range []struct {
		file string
		want [][]string
	}{
		{"pool-go-drop", [][]string{often, {OKNew, Hung, OKNew, Hung}, {OKNew, Hung, OKNew, Hung}, nil, fresh, fresh}},
		{"pool-go-reset", [][]string{often, {OKNew, RetriedOK, RetriedOK, RetriedOK}, {OKNew, FailedReset, OKNew, FailedReset}, nil, fresh, fresh}},
	} {
		p, seen := simulate(t, "../../scenarios/kernel/"+tc.file+".yaml", 6)
		// The mixed flow's methods are natsim's draws: its outcomes follow
		// from them by the rules above.
		mixed := p.Flows[3].Pool.Methods
		tc.want[3] = afterExpiry(mixed, tc.file == "pool-go-drop")
		if !slices.Contains(mixed, "GET") || !slices.Contains(mixed, "POST") {
			t.Errorf("%s: the mixed flow drew %v: not a mix", tc.file, mixed)
		}
		if len(seen) != len(tc.want) {
			t.Fatalf("%s: %d flows", tc.file, len(seen))
		}
		for i, s := range seen {
			gap := p.Flows[i].Pool.Gap
			if len(s.Requests) != len(tc.want[i]) {
				t.Errorf("%s %s: %d requests, want %d", tc.file, p.Flows[i].Name, len(s.Requests), len(tc.want[i]))
				continue
			}
			for n, r := range s.Requests {
				wantAt := time.Duration(0)
				if r.Outcome == Hung {
					wantAt = 1500 * time.Millisecond
				}
				if r.Method != p.Flows[i].Pool.Method(n) {
					t.Errorf("%s %s request %d: method %s, the lab sends %s", tc.file, p.Flows[i].Name, n+1, r.Method, p.Flows[i].Pool.Method(n))
				}
				if r.Outcome != tc.want[i][n] || r.At != wantAt || r.Issued != time.Duration(n)*gap {
					t.Errorf("%s %s request %d: %+v, want %s at +%v, issued at %v", tc.file, p.Flows[i].Name, n+1, r, tc.want[i][n], wantAt, time.Duration(n)*gap)
				}
			}
		}
	}
}

// afterExpiry is a reference model of requests that each meet their
// pooled connection's entry gone: the first opens a connection; a later
// one on a pooled connection hangs (blackhole) or meets RST (new port),
// where a GET is retried on a new connection, which stays pooled, and a
// POST fails; any failure leaves the pool empty, and the next request
// opens a new connection.
func afterExpiry(methods []string, blackhole bool) []string {
	var out []string
	pooled := false
	for _, m := range methods {
		switch {
		case !pooled:
			out, pooled = append(out, OKNew), true
		case blackhole:
			out, pooled = append(out, Hung), false
		case m == "GET":
			out = append(out, RetriedOK)
		default:
			out, pooled = append(out, FailedReset), false
		}
	}
	return out
}

// TestPooledPlan: a request-driven group becomes a Go client flow, with
// what Go's Transport cannot follow noted.
func TestPooledPlan(t *testing.T) {
	p := plan(t, "../../scenarios/go-nat-gateway-idle-conn-timeout.yaml", "", 1)
	f := p.Flows[0].Pool
	// Scale 5 s / 350 s; the 5 min exponential gap is checked as its mean.
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * 5 / 350) }
	if f == nil || f.Gap != scale(5*time.Minute) || f.IdleTimeout != scale(600*time.Second) || f.MaxIdle != 2 || f.Idempotent != 0.7 || f.Timeout != labWindow {
		t.Fatalf("pooled flow %+v", f)
	}
	all := strings.Join(p.NotChecked, "\n")
	for _, want := range []string{"constant gap", "timeout none"} {
		if !strings.Contains(all, want) {
			t.Errorf("not-checked list lacks %q:\n%s", want, all)
		}
	}
	// At 10 minutes per lab second, a 1 s gap would be 1.7 ms: floored.
	sc, err := scenarios.Load("../../scenarios/go-nat-gateway-idle-conn-timeout.yaml", []string{"clients.api.requests.interval=1s"})
	if err != nil {
		t.Fatal(err)
	}
	p, err = NewPlan(&sc.Config, "", 1.0/600, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g := p.Flows[0].Pool.Gap; g != minGap || p.Groups[0].Requests.Interval.A != minGap {
		t.Errorf("a 1 s gap at 1/600 is checked at %v (natsim %v), want %v", g, p.Groups[0].Requests.Interval.A, minGap)
	}
}

// TestCompareRequests: requests match only with the same outcome, times
// within requestTolerance, and both sides having issued them.
func TestCompareRequests(t *testing.T) {
	hung := func(at time.Duration) Request { return Request{Issued: 7 * time.Second, Outcome: Hung, At: at} }
	for _, tc := range []struct {
		kernel, natsim []Request
		match          []bool
	}{
		{[]Request{{Outcome: OKNew}, hung(1540 * time.Millisecond)}, []Request{{Outcome: OKNew}, hung(1500 * time.Millisecond)}, []bool{true, true}},
		{[]Request{hung(1700 * time.Millisecond)}, []Request{hung(1500 * time.Millisecond)}, []bool{false}},
		{[]Request{{Outcome: OKReused}}, []Request{{Outcome: OKNew}}, []bool{false}},
		{[]Request{{Issued: 7 * time.Second, Outcome: FailedReset}}, []Request{{Issued: 7 * time.Second, Outcome: RetriedOK}}, []bool{false}},
		{[]Request{{Outcome: OKNew}}, []Request{{Outcome: OKNew}, {Issued: 7 * time.Second, Outcome: OKNew}}, []bool{true, false}},
	} {
		rows, all := compareRequests(tc.kernel, tc.natsim)
		var got []bool
		for _, r := range rows {
			got = append(got, r.Match)
		}
		if !slices.Equal(got, tc.match) || all != !slices.Contains(tc.match, false) {
			t.Errorf("kernel %v, natsim %v: %v (all %v), want %v", tc.kernel, tc.natsim, got, all, tc.match)
		}
	}
}
