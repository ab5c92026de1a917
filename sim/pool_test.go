package sim

import (
	"math"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// poolGroup returns a request-driven group of n clients issuing Poisson
// requests of mean gap m over a pool of one idle connection with idle
// timeout P, no validation and no retry.
func poolGroup(n int, m, P time.Duration) Group {
	g := testGroup(n)
	g.StartSpread = time.Minute
	g.Requests = &Requests{Interval: Dist{Kind: Exponential, A: m}, Service: time.Millisecond, RequestBytes: 800, ResponseBytes: 4000}
	g.Pool = &Pool{MaxIdle: 1, IdleTimeout: P}
	return g
}

// poolRun runs cfg and returns its only group, checking that its
// outcomes add up to its requests.
func poolRun(t *testing.T, cfg *Config) GroupResult {
	t.Helper()
	g := mustRun(t, cfg).Groups[0]
	f := g.RequestsFailed
	if sum := g.RequestsOKReused + g.RequestsOKNew + g.RequestsRetriedOK + f.Total; sum != g.Requests {
		t.Errorf("outcomes add up to %v, not requests %v", sum, g.Requests)
	}
	if causes := f.ResetOnReuse + f.ClosedOnReuse + f.LB502 + f.TimedOutHung + f.RefusedOpen; causes != f.Total {
		t.Errorf("failure causes add up to %v, not %v", causes, f.Total)
	}
	return g
}

// share checks a binomial share k/n against p, within 4 standard
// deviations of a binomial proportion (sqrt(p(1-p)/n)), and at least one
// count's worth when p is 0 or 1.
func share(t *testing.T, what string, k, n, p float64) {
	t.Helper()
	if n < 100 {
		t.Fatalf("%s: only %v trials", what, n)
	}
	within(t, what, k/n, p, max(zTol*math.Sqrt(p*(1-p)/n), 0.5/n), "4 sigma of a binomial share")
}

// TestSilentBoxDeadShare: a pooled connection is idle until the next
// request, a gap a. By memorylessness a ~ Exp(λ) from the instant the
// connection returns to the pool, which is also the instant its last
// packet refreshed the box. The pool closes it at P, so a request
// reuses it iff a < P; the box forgot it at T, so the reuse meets a
// dead connection iff T <= a < P:
//
//	P(dead | reuse) = (e^(-λT) - e^(-λP)) / (1 - e^(-λP)),
//
// and 0 when P <= T. The box gives a re-created flow a new port, so the
// server answers RST: reset_on_reuse, and (no retry) a failed request.
func TestSilentBoxDeadShare(t *testing.T) {
	const m = 60 * sec
	for _, tc := range []struct{ T, P time.Duration }{
		{30 * sec, 90 * sec},
		{60 * sec, 90 * sec},
		{350 * sec, 90 * sec}, // P < T: never
	} {
		g := poolGroup(200, m, tc.P)
		cfg := testConfig(4*hour, testBox(tc.T, nat.Create, nat.Drop, false), g)
		cfg.Network.RTT = 10 * time.Millisecond
		cfg.Warmup = 10 * time.Minute
		r := poolRun(t, cfg)
		l := 1 / m.Seconds()
		p := max(0, math.Exp(-l*tc.T.Seconds())-math.Exp(-l*tc.P.Seconds())) / (1 - math.Exp(-l*tc.P.Seconds()))
		reuses := r.RequestsOKReused + r.RequestsFailed.Total
		share(t, "dead share (T="+tc.T.String()+", P="+tc.P.String()+")", r.RequestsFailed.ResetOnReuse, reuses, p)
		// Every request that did not reuse opened a connection.
		within(t, "new connections per 1000", r.NewConnectionsPer1000Requests, 1000*r.RequestsOKNew/r.Requests, 1e-9, "one per request on a new connection")
	}
}

// TestServerFinRace: the server closes a connection idle for K with a
// FIN, which reaches the client a one-way delay later. A request sent a
// gap a after the response arrived reaches the server RTT + a after its
// last activity (service time 0 here), so it meets the close iff
// a >= K - RTT. Without validation every such reuse fails
// (closed_on_reuse): P = (e^(-λ(K-RTT)) - e^(-λP)) / (1 - e^(-λP)) of
// the reuses. With peek validation the pool sees the FIN once it has
// arrived (a >= K) and opens a new connection instead, so only the
// window K - RTT <= a < K fails: (e^(-λ(K-RTT)) - e^(-λK)) /
// (1 - e^(-λP)) of the borrows (reuses plus discards).
func TestServerFinRace(t *testing.T) {
	const m, K, P, rtt = 5 * sec, 5 * sec, 90 * sec, 400 * time.Millisecond
	l := 1 / m.Seconds()
	e := func(d time.Duration) float64 { return math.Exp(-l * d.Seconds()) }
	for _, v := range []Validation{ValidateNone, ValidatePeek} {
		g := poolGroup(100, m, P)
		g.Requests.Service = 0
		g.Pool.Validate = v
		g.ServerKeepalive = K
		b := testBox(hour, nat.Create, nat.Drop, true)
		b.Timeouts.TCPTransitory = 10 * sec // closed connections leave the table soon, as on real boxes
		cfg := testConfig(2*hour, b, g)
		cfg.Network.RTT = rtt
		r := poolRun(t, cfg)
		borrows := r.RequestsOKReused + r.RequestsFailed.Total + r.PoolDiscarded
		want := (e(K-rtt) - e(P)) / (1 - e(P))
		if v == ValidatePeek {
			want = (e(K-rtt) - e(K)) / (1 - e(P))
		}
		share(t, "closed on reuse ("+v.String()+")", r.RequestsFailed.ClosedOnReuse, borrows, want)
		if r.RequestsFailed.Total != r.RequestsFailed.ClosedOnReuse {
			t.Errorf("failures by other causes: %+v", r.RequestsFailed)
		}
	}
}

// TestGoRetryRule: as in TestSilentBoxDeadShare, a share of reuses meets
// a connection the box forgot, and the server answers RST after the
// request was written. Go retries it on a new connection (the pool holds
// no other) only when it is idempotent: those succeed, the POSTs fail.
// With a box that resets both ends at expiry the RST is there before
// the request is written: nothing was written, so Go retries POSTs too.
func TestGoRetryRule(t *testing.T) {
	const m, T, P = 60 * sec, 30 * sec, 90 * sec
	l := 1 / m.Seconds()
	dead := (math.Exp(-l*T.Seconds()) - math.Exp(-l*P.Seconds())) / (1 - math.Exp(-l*P.Seconds()))

	g := poolGroup(200, m, P)
	g.Requests.Idempotent = 0.5
	g.Pool.Retry = Retry{Kind: RetryGo}
	cfg := testConfig(4*hour, testBox(T, nat.Create, nat.Drop, false), g)
	cfg.Network.RTT = 10 * time.Millisecond
	r := poolRun(t, cfg)
	met := r.RequestsRetriedOK + r.RequestsFailed.Total
	share(t, "dead share", met, r.RequestsOKReused+met, dead)
	share(t, "retried share of the dead meets", r.RequestsRetriedOK, met, 0.5)
	if r.RequestsFailed.Total != r.RequestsFailed.ResetOnReuse {
		t.Errorf("failures by other causes: %+v", r.RequestsFailed)
	}
	// A retried request paid its failed attempt's round trip and a new
	// connection's handshake: 2 RTT, and retries are over 1% of the
	// requests (about half of the ~27% that met a dead connection).
	if r.AddedLatency.P99 != 0.02 {
		t.Errorf("added latency p99 = %v s, want two round trips, 0.02 s", r.AddedLatency.P99)
	}

	g = poolGroup(200, m, P)
	g.Pool.Retry = Retry{Kind: RetryGo}
	b := testBox(T, nat.Create, nat.Drop, false)
	b.OnExpire = nat.ExpireReset
	cfg = testConfig(4*hour, b, g)
	cfg.Network.RTT = 10 * time.Millisecond
	r = poolRun(t, cfg)
	if r.RequestsFailed.Total != 0 || r.RequestsRetriedOK == 0 {
		t.Errorf("with RST before the write: %v failed, %v retried, want 0 and > 0", r.RequestsFailed.Total, r.RequestsRetriedOK)
	}
	share(t, "dead share (reset at expiry)", r.RequestsRetriedOK, r.RequestsOKReused+r.RequestsRetriedOK, dead)
}

// TestReuseOrderHandCount: one client whose pool starts with three idle
// connections, requests every 25 s held 10 s each, a box that forgets a
// connection idle for 60 s (new port: RST), pool idle timeout 200 s, no
// retry. Extra requests at 1 s and 2 s overlap the first (at 0 s), so
// three connections open and return at 10, 11 and 12 s.
//
// LIFO takes the most recently returned each time: one hot connection,
// idle 15 s between requests; the other two die unused. No failure,
// three connections.
//
// FIFO takes the longest idle: at 25 s c0 (idle 15 s), at 50 s c1 (39 s),
// at 75 s c2 (63 s: dead), at 100 s c0 (65 s: dead), at 125 s c1 (65 s:
// dead), at 150 s none is left: a new one, c3, then reused every 25 s.
// Three failures, four connections. Requests: 0, 25, ..., 975 s and the
// two extras, 42.
func TestReuseOrderHandCount(t *testing.T) {
	for _, tc := range []struct {
		order          Reuse
		failed, opened float64
	}{{ReuseLIFO, 0, 3}, {ReuseFIFO, 3, 4}} {
		g := testGroup(1)
		g.Requests = &Requests{Interval: Dist{Kind: Constant, A: 25 * sec}, Service: 10 * sec}
		g.Pool = &Pool{MaxIdle: 3, IdleTimeout: 200 * sec, Reuse: tc.order}
		cfg := testConfig(1000*sec, testBox(60*sec, nat.Create, nat.Drop, false), g)
		s, err := newSim(cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []time.Duration{sec, 2 * sec} {
			s.pool.reqs = append(s.pool.reqs, request{client: 0, conn: -1, issued: at, counted: true})
			s.q.push(event{At: at, Kind: evReqAcquire, Arg: uint32(len(s.pool.reqs) - 1)})
		}
		res, err := s.run(0, nil)
		if err != nil {
			t.Fatal(err)
		}
		r := res.Groups[0]
		if r.Requests != 42 || r.RequestsFailed.ResetOnReuse != tc.failed || r.RequestsOKNew != tc.opened ||
			r.NewConnectionsPer1000Requests != 1000*tc.opened/42 {
			t.Errorf("%v: %v requests, %v failed, %v on new connections; want 42, %v, %v",
				tc.order, r.Requests, r.RequestsFailed.ResetOnReuse, r.RequestsOKNew, tc.failed, tc.opened)
		}
	}
}

// TestL7BackendRace: an L7 box forwards over its own backend connection,
// which the server closes after K idle. A request that reaches the box
// (at the client's end) a gap a after the response it last forwarded
// meets the server's close iff its forward arrives after it and the FIN
// has not yet come back: K - RTT <= a < K; the box answers 502. After K
// the box opens a new backend connection (one round trip added). The
// box closes the client's side after T = 60 s with a FIN, which the
// pool sees (peek), so borrows (reuses, 502s, discards) are the gaps
// under the pool's idle timeout P:
//
//	P(502 | borrow) = (e^(-λ(K-RTT)) - e^(-λK)) / (1 - e^(-λP)).
func TestL7BackendRace(t *testing.T) {
	const m, K, P, rtt = 5 * sec, 5 * sec, 90 * sec, 400 * time.Millisecond
	l := 1 / m.Seconds()
	e := func(d time.Duration) float64 { return math.Exp(-l * d.Seconds()) }
	g := poolGroup(100, m, P)
	g.Requests.Service = 0
	g.Pool.Validate = ValidatePeek
	g.Pool.Retry = Retry{Kind: RetryGo} // a 502 is an answer: never retried
	g.Requests.Idempotent = 1
	g.ServerKeepalive = K
	b := testBox(60*sec, nat.Create, nat.Drop, false)
	b.OnExpire = nat.ExpireFin
	b.BackendKeepalive = hour
	cfg := testConfig(2*hour, b, g)
	cfg.Network.RTT = rtt
	r := poolRun(t, cfg)
	borrows := r.RequestsOKReused + r.RequestsFailed.Total + r.PoolDiscarded
	share(t, "502 share of borrows", r.RequestsFailed.LB502, borrows, (e(K-rtt)-e(K))/(1-e(P)))
	if r.RequestsFailed.Total != r.RequestsFailed.LB502 || r.RequestsRetriedOK != 0 {
		t.Errorf("failures by other causes, or retries: %+v, %v retried", r.RequestsFailed, r.RequestsRetriedOK)
	}
}

// TestBlackholeHangsAndPing: as in TestSilentBoxDeadShare, but the box
// drops what it has no entry for (unknown_outbound drop): a request on a
// forgotten connection hangs until its timeout (20 s, sent at once, so
// every hang is exactly 20 s) and fails as timed_out_hung. With ping
// validation (no bypass) the pool pings first: a forgotten connection's
// ping goes unanswered, the pool discards it after the validation
// timeout (5 s) and opens a new one, so nothing fails and such requests
// pay 5 s and a handshake round trip beyond the base; reuses pay the
// ping's round trip.
//
// The share of pings that fail is the dead share of first borrows. A
// request whose ping failed borrows again 5 s later; if a request arrived
// meanwhile (probability 1 - e^(-5λ)) it opened a connection that is now
// idle, and that second borrow succeeds, counted as a reuse: so first
// borrows are reuses + discards x e^(-5λ), in expectation.
func TestBlackholeHangsAndPing(t *testing.T) {
	const m, T, P, rtt = 60 * sec, 30 * sec, 90 * sec, 10 * time.Millisecond
	l := 1 / m.Seconds()
	dead := (math.Exp(-l*T.Seconds()) - math.Exp(-l*P.Seconds())) / (1 - math.Exp(-l*P.Seconds()))
	for _, v := range []Validation{ValidateNone, ValidatePing} {
		g := poolGroup(200, m, P)
		g.Requests.Timeout = 20 * sec
		g.Pool.Validate, g.Pool.ValidationTimeout = v, 5*sec
		cfg := testConfig(4*hour, testBox(T, nat.Drop, nat.Drop, false), g)
		cfg.Network.RTT = rtt
		r := poolRun(t, cfg)
		if v == ValidateNone {
			share(t, "hung share", r.RequestsFailed.TimedOutHung, r.RequestsOKReused+r.RequestsFailed.Total, dead)
			if r.Hung != (Delay{P50: 20, P99: 20, Max: 20}) {
				t.Errorf("hung_s = %+v, want 20 s throughout", r.Hung)
			}
			continue
		}
		if r.RequestsFailed.Total != 0 {
			t.Errorf("ping: %v failed, want 0", r.RequestsFailed.Total)
		}
		first := r.RequestsOKReused + r.PoolDiscarded*math.Exp(-5*l)
		share(t, "ping discard share", r.PoolDiscarded, first, dead)
		if want := (5*sec + rtt).Seconds(); r.AddedLatency.P99 != want {
			t.Errorf("ping: added latency p99 = %v, want %v", r.AddedLatency.P99, want)
		}
	}
}
