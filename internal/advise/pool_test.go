package advise

import (
	"context"
	"io/fs"
	"math"
	"testing"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/scenarios"
)

// TestPoolIdleTimeoutByHand: one silent box with timeout T = 5 s (a
// forgotten flow comes back on a new port, which the server answers with
// RST), a server whose keep-alive (2 min) outlasts it, 100 clients with
// Poisson requests of mean gap 1/λ = 5 s over a pool of one idle
// connection, no validation, no retry; advise tunes the pool's idle
// timeout P against at most 100 failed per million requests, minimising
// new connections per 1000 requests.
//
// By hand: the gap a from a connection's return to the next request is
// Exp(λ) (memoryless; the round trip and service time, 3 ms, shift it by
// 0.06% of a share). After a success the next request reuses the
// connection iff a < P and meets the forgotten flow iff T <= a < P,
// q = e^(-λT) - e^(-λP) (0 for P <= T), the reuse share
// (e^(-λT) - e^(-λP)) / (1 - e^(-λP)) times the share of reuses. A
// failure discards the connection, so the request after it opens a new
// one and cannot fail: the chain success -> failure (q), failure ->
// success (1) gives the failed share q / (1 + q). For P <= T it is
// exactly 0; above T it grows by λ e^(-λT) = 73,576 per million per
// second of P, so the 100 per million allowed are passed 1.4 ms above
// T, less than the margin kept (the declared uncertainty, the round trip
// of 2 ms; no jitter). The pick lies below T, and not more than the
// search's resolution (1% of the value) and the margin below it.
func TestPoolIdleTimeoutByHand(t *testing.T) {
	res := search(t, "name: pool\nduration: 1h10m\nwarmup: 10m\npath:\n"+box("nat", "5s")+
		"clients:\n  - name: api\n    count: 100\n    start_spread: 1m\n"+
		"    requests: {interval: {exponential: 5s}, service: 1ms}\n"+
		"    pool: {max_idle: 1, idle_timeout: 90s, reuse: lifo, validate: none, retry: none}\n"+
		"server: {keepalive_timeout: 2m}\nnetwork: {rtt: 2ms}\ntarget: {failed_per_million_requests: 100}\n"+
		"advise:\n  tune: clients.api.pool.idle_timeout\n  range: [1s, 1m]\n  cost: new_connections_per_1000_requests\n")
	const T, rtt, lambda = 5.0, 0.002, 0.2
	if !res.Met || res.RecommendedS == nil {
		t.Fatalf("no recommendation: %+v %v", res.Diagnosis, res.Notes)
	}
	if res.UncertaintyS != rtt || !res.Monotone {
		t.Errorf("uncertainty %v (want the round trip %v), monotone %v", res.UncertaintyS, rtt, res.Monotone)
	}
	// lo (met) > hi (missed, so above T) - 1% of lo; the pick is lo
	// minus the margin, truncated to the millisecond.
	if pick, low := *res.RecommendedS, T-0.01*T-rtt-0.001; pick >= T || pick < low {
		t.Errorf("pick %vs, want in [%v, %v)", pick, low, T)
	}
	if res.CliffS == nil || *res.CliffS <= T || res.BindingMiddlebox != "nat" {
		t.Errorf("cliff %v at %q, want above %v at nat", res.CliffS, res.BindingMiddlebox, T)
	}
	if res.Cost.Metric != "new_connections_per_1000_requests" || res.Cost.Per != "1000 requests" {
		t.Errorf("cost %+v", res.Cost)
	}
	for _, e := range res.Evaluated {
		failed := e.Limit(target.FailedRequests)
		if failed == nil {
			t.Fatalf("%s: no failed requests", e.Value)
		}
		if e.ValueS <= T {
			if failed.Mean != 0 {
				t.Errorf("%s: %v failed per million at or below T, want none", e.Value, failed.Mean)
			}
			continue
		}
		// About 100 x 3600 / 5 = 72,000 requests per run: 4 sigma of a
		// binomial share (its count varies by 0.4%, far less).
		q := math.Exp(-lambda*T) - math.Exp(-lambda*e.ValueS)
		p, n := q/(1+q), 72000.0*float64(e.Runs)
		if tol := 4 * math.Sqrt(p*(1-p)/n); math.Abs(failed.Mean/1e6-p) > tol {
			t.Errorf("%s: %v failed per million, want %v +- %v", e.Value, failed.Mean, 1e6*p, 1e6*tol)
		}
	}
}

// TestALBRaceThreshold: in the ALB example each client connection has
// its own backend connection at the ALB, idle exactly as long (the box
// sits at the client's end of the round trip). Node (K = 5 s) closes the
// backend connection K after its last response; that response left the
// ALB for the client at the same instant. A request forwarded after an
// idle gap a reaches Node RTT/2 later and its FIN the ALB RTT/2 after
// the close, so the request meets the close, a 502, iff
// K - RTT <= a < K (after K the ALB has the FIN and opens a new one;
// the ALB's own 60 s does not come into it). A pool that drops
// connections idle for P never reuses one idle for P or more: with
// P <= K - RTT = 4.998 s no 502 can happen, in any group, at any load;
// with P = K the whole window is open and the example's loads give
// many.
func TestALBRaceThreshold(t *testing.T) {
	data, err := fs.ReadFile(scenarios.Examples, "go-alb-node-502.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("go-alb-node-502.yaml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	const K, rtt = 5 * time.Second, 2 * time.Millisecond
	for _, tc := range []struct {
		P    time.Duration
		none bool
	}{{K - rtt, true}, {K, false}} {
		at, err := sc.At(tc.P)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := batch.Run(context.Background(), []batch.Job{{Config: &at.Config}}, 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		var lb502, total float64
		for _, g := range runs[0].Groups {
			lb502 += g.RequestsFailed.LB502
			total += g.RequestsFailed.Total
		}
		if tc.none && total != 0 || !tc.none && lb502 == 0 {
			t.Errorf("idle timeout %v: %v failed, %v of them 502s; want none iff P <= K - RTT", tc.P, total, lb502)
		}
	}
}
