package sim

import (
	"math"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// Breaks are a thinned renewal process: each gap (or heartbeat interval)
// breaks independently with probability p, so the count N over a run has
// variance at most its mean. The tests accept |N - mean| <= 4 sqrt(mean)
// (a false alarm once in about 16,000 seeds).
const zTol = 4

// TestExponentialGapsAgainstTimeout: clients whose packets are a Poisson
// process of mean gap m, no keepalive, unlimited table, idle timeout T,
// new ports on re-creation. A gap breaks iff it is longer than T, so per
// connected hour the break rate is (1/m) e^(-T/m). After each break the
// client is away for its reconnect backoff B (uniform in [0, b)), so per
// client-hour the rate is p / (m + p E[B]) with p = e^(-T/m). A break is
// dated at its removal but decided by the next packet, so the removals of
// the run's last gaps are reported as orphaned_at_end: the closed form
// counts both.
func TestExponentialGapsAgainstTimeout(t *testing.T) {
	for _, tc := range []struct{ m, T time.Duration }{
		{60 * sec, 120 * sec}, // p = e^-2
		{60 * sec, 60 * sec},  // p = e^-1
		{30 * sec, 150 * sec}, // p = e^-5, a rare event
	} {
		const n, d = 2000, 3 * hour
		g := testGroup(n)
		g.Up = Traffic{Interval: Dist{Kind: Exponential, A: tc.m}, Bytes: 100}
		g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
		cfg := testConfig(d, testBox(tc.T, nat.Create, nat.Drop, false), g)
		cfg.Warmup = 10 * time.Minute
		r := mustRun(t, cfg).Groups[0]
		p := math.Exp(-tc.T.Seconds() / tc.m.Seconds())
		perHour := p / (tc.m.Hours() + p*(sec/2).Hours())
		mean := perHour * r.ClientHours
		within(t, "breaks+orphans (m="+tc.m.String()+", T="+tc.T.String()+")", r.Breaks.IdleTimeout+r.OrphanedAtEnd, mean, zTol*math.Sqrt(mean), "4 sigma of a thinned renewal count")
		if r.Breaks.Total != r.Breaks.IdleTimeout {
			t.Errorf("breaks by other causes: %+v", r.Breaks)
		}
	}
}

// TestJitteredHeartbeatsAgainstTimeout: app pings every I ± J (uniform)
// against an idle timeout T; a ping finds its entry gone iff its interval
// is at least T (the entry is gone at exactly last refresh + T), so
// p = P(U >= T) = (I + J - T) / 2J, clipped to [0, 1]. Per client-hour the
// rate is p / (I + p E[B]) (the backoff of each break adds to its cycle).
// As above, removals still undecided at the end count too.
func TestJitteredHeartbeatsAgainstTimeout(t *testing.T) {
	const I, J = 60 * sec, 10 * sec
	for _, T := range []time.Duration{75 * sec, 65 * sec, 60 * sec, 52 * sec, 45 * sec} {
		const n, d = 1000, 4 * hour
		g := testGroup(n)
		g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: I, Jitter: J, Timeout: 5 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 40}
		g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
		g.StartSpread = time.Minute
		cfg := testConfig(d, testBox(T, nat.Create, nat.Drop, false), g)
		cfg.Warmup = 10 * time.Minute
		r := mustRun(t, cfg).Groups[0]
		p := min(max(float64(I+J-T)/float64(2*J), 0), 1)
		mean := p / (I.Hours() + p*(sec/2).Hours()) * r.ClientHours
		tol := zTol * math.Sqrt(mean*(1-p))
		if p == 1 { // every ping breaks: the count is fixed by the timing, up to one cycle per client
			tol = float64(n)
		}
		within(t, "breaks+orphans (I=60s±10s, T="+T.String()+")", r.Breaks.Total+r.OrphanedAtEnd, mean, max(tol, 0), "4 sigma of a binomial count")
	}
}
