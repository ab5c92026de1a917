package sim

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"time"
)

// poolMetrics are a request-driven group's raw counters over the
// measured window. A request counts when it was issued inside the
// window and finished (succeeded or failed for good) by the end.
type poolMetrics struct {
	okReused, okNew, retriedOK uint64 // succeeded: first try on a pooled connection, first try on a new one, after a retry
	failed                     [numReqCauses]uint64
	newConns                   uint64 // connections opened (in the window)
	discarded                  uint64 // idle connections found closed at borrow and dropped
	hung                       tally  // how long failed requests hung in a blackhole
	added                      tally  // latency of successful requests beyond one round trip and the service time
	// idle is the group's idle connections now; idleArea integrates it
	// over the window (connection-seconds), from idleSince on.
	idle      int
	idleSince time.Duration
	idleArea  float64
}

// tally is a sample of durations kept as counts of equal values: a
// request's added latency or hang is one of few values (none, a
// handshake, a validation timeout, a request timeout), so a busy run's
// sample costs no memory per request.
type tally map[time.Duration]uint64

// add records one value.
func (t *tally) add(d time.Duration) { t.addN(d, 1) }

// addN records n equal values.
func (t *tally) addN(d time.Duration, n uint64) {
	if *t == nil {
		*t = tally{}
	}
	(*t)[d] += n
}

// quantiles returns the nearest-rank q-quantiles of the sample in
// seconds (0 if empty).
func (t tally) quantiles(qs ...float64) []float64 {
	out := make([]float64, len(qs))
	keys := slices.SortedFunc(maps.Keys(t), cmp.Compare[time.Duration])
	var n uint64
	for _, k := range keys {
		n += t[k]
	}
	if n == 0 {
		return out
	}
	for i, q := range qs {
		rank := uint64(max(1, math.Ceil(q*float64(n))))
		for _, k := range keys {
			if rank <= t[k] {
				out[i] = k.Seconds()
				break
			}
			rank -= t[k]
		}
	}
	return out
}

// newConn counts a pooled connection opened, and its handshake as
// overhead.
func (r *recorder) newConn(c *client, rc Reconnect) {
	if r.inWindow() {
		m := &r.groups[c.group]
		m.pool.newConns++
		m.rcPackets += uint64(rc.HandshakePackets)
		m.rcBytes += uint64(rc.HandshakeBytes)
	}
}

// discarded counts an idle connection that validation found closed.
func (r *recorder) discarded(c *client) {
	if r.inWindow() {
		r.groups[c.group].pool.discarded++
	}
}

// requestOK counts a request that succeeded, and its added latency.
func (r *recorder) requestOK(c *client, retried, reused bool, added time.Duration) {
	m := &r.groups[c.group].pool
	switch {
	case retried:
		m.retriedOK++
	case reused:
		m.okReused++
	default:
		m.okNew++
	}
	m.added.add(added)
}

// requestFailed counts a request that failed for good, and how long it
// hung (hung < 0: it did not).
func (r *recorder) requestFailed(c *client, why reqCause, hung time.Duration) {
	m := &r.groups[c.group].pool
	m.failed[why]++
	if hung >= 0 {
		m.hung.add(hung)
	}
}

// reqCauseNames name the causes of failure as the trace and the metrics
// (requests_failed.NAME) do.
var reqCauseNames = [numReqCauses]string{"reset_on_reuse", "closed_on_reuse", "lb_502", "timed_out_hung", "refused_open"}

// traceRequest notes a pooled request's attempt failing or the request
// ending, with its outcome (trace only; callers check r.trace first).
func (r *recorder) traceRequest(ci uint32, kind TraceKind, outcome string, rq *request) {
	r.add(ci, TraceEvent{At: *r.now, Kind: kind, Cause: outcome, Issued: rq.issued, Idempotent: rq.idempotent})
}

// idleChanged notes that group g's idle connections changed by delta.
func (r *recorder) idleChanged(g uint16, delta int) {
	m := &r.groups[g].pool
	r.idleUpTo(m, *r.now)
	m.idle += delta
}

// idleUpTo adds the idle connections' time up to now to the window's
// integral.
func (r *recorder) idleUpTo(m *poolMetrics, now time.Duration) {
	if from := max(m.idleSince, r.warmup); now > from && r.inWindow() {
		m.idleArea += float64(m.idle) * (now - from).Seconds()
	}
	m.idleSince = now
}

// merge adds the metrics of other clients, o, to m.
func (m *poolMetrics) merge(o *poolMetrics) {
	m.okReused += o.okReused
	m.okNew += o.okNew
	m.retriedOK += o.retriedOK
	for c := range m.failed {
		m.failed[c] += o.failed[c]
	}
	m.newConns += o.newConns
	m.discarded += o.discarded
	for _, t := range []struct{ dst, src *tally }{{&m.hung, &o.hung}, {&m.added, &o.added}} {
		for d, n := range *t.src {
			t.dst.addN(d, n)
		}
	}
	m.idleArea += o.idleArea
}

// result fills a request-driven group's numbers into g: its clients
// over a window of windowHours.
func (m *poolMetrics) result(g *GroupResult, clients int, windowHours float64) {
	var failed uint64
	for _, n := range m.failed {
		failed += n
	}
	n := m.okReused + m.okNew + m.retriedOK + failed
	per := func(x uint64, k float64) float64 {
		if n == 0 {
			return 0
		}
		return k * float64(x) / float64(n)
	}
	hung := m.hung.quantiles(0.5, 0.99, 1)
	added := m.added.quantiles(0.5, 0.99)
	g.Requests = float64(n)
	g.RequestsOKReused, g.RequestsOKNew, g.RequestsRetriedOK = float64(m.okReused), float64(m.okNew), float64(m.retriedOK)
	g.RequestsFailed = RequestsFailed{
		Total: float64(failed), ResetOnReuse: float64(m.failed[failResetOnReuse]),
		ClosedOnReuse: float64(m.failed[failClosedOnReuse]), LB502: float64(m.failed[failLB502]),
		TimedOutHung: float64(m.failed[failTimedOutHung]), RefusedOpen: float64(m.failed[failRefusedOpen]),
	}
	g.FailedPerMillionRequests = per(failed, 1e6)
	g.Hung = Delay{P50: hung[0], P99: hung[1], Max: hung[2]}
	g.AddedLatency = Spread{P50: added[0], P99: added[1]}
	g.NewConnectionsPer1000Requests = per(m.newConns, 1000)
	g.PoolDiscarded = float64(m.discarded)
	if windowHours > 0 && clients > 0 {
		g.PoolMeanIdle = m.idleArea / (3600 * windowHours) / float64(clients)
	}
}
