package kernel

import (
	"fmt"
	"slices"
	"time"

	"github.com/natsim/natsim/sim"
)

// Request-driven groups in the lab: each flow is a Go net/http client
// whose Transport keeps its connections alive in a pool, issuing
// requests at a constant gap to a Go net/http server. What the lab's
// client is fixes the pool's behaviour: LIFO reuse, a background read
// that sees a FIN or RST before reuse (peek), Go's retry rule, no
// maximum lifetime. The simulated mirror is given exactly that.

// pooledFlowOf scales a request-driven group into a lab flow and its
// simulated mirror, noting what the lab's Go client cannot follow.
func pooledFlowOf(g sim.Group, sc func(time.Duration) time.Duration, note func(string, ...any)) (Flow, sim.Group) {
	rq, pl := g.Requests, g.Pool
	p := &PoolFlow{Gap: sc(rq.Interval.A), Idempotent: rq.Idempotent, Timeout: sc(rq.Timeout), Service: sc(rq.Service),
		MaxIdle: pl.MaxIdle, IdleTimeout: sc(pl.IdleTimeout), ServerKeepalive: sc(g.ServerKeepalive)}
	if rq.Interval.Kind != sim.Constant {
		p.Gap = sc(time.Duration(rq.Interval.Mean()))
		note("%s: requests.interval: the lab issues requests at a constant gap; checked with its mean, %v", g.Name, p.Gap)
	}
	if p.Gap < minGap {
		note("%s: requests.interval %v scales to %v: the lab issues at most one request per %v per flow; checked at that gap", g.Name, rq.Interval.A, p.Gap, minGap)
		p.Gap = minGap
	}
	if p.Timeout == 0 {
		p.Timeout = labWindow
		note("%s: requests.timeout none: the lab cannot wait for TCP to give up; checked with a timeout of %v", g.Name, labWindow)
	}
	if pl.Reuse != sim.ReuseLIFO || pl.Validate != sim.ValidatePeek || pl.Retry.Kind != sim.RetryGo || pl.MaxLifetime > 0 {
		note("%s: pool reuse %v, validate %v, retry %v, max_lifetime %v: the lab's client is Go's net/http Transport; checked as lifo, peek, retry go, no max_lifetime",
			g.Name, pl.Reuse, pl.Validate, pl.Retry.Kind, pl.MaxLifetime)
	}
	if g.Keepalive.Type != sim.KeepaliveNone {
		note("%s: TCP keepalive on pooled connections: not driven (the Transport's dialer keepalive is off); checked without it", g.Name)
	}
	sg := mirror(g)
	sg.ServerKeepalive = p.ServerKeepalive
	sg.Requests = &sim.Requests{Interval: sim.Dist{Kind: sim.Constant, A: p.Gap}, Service: p.Service, Timeout: p.Timeout,
		RequestBytes: rq.RequestBytes, ResponseBytes: rq.ResponseBytes, Idempotent: p.Idempotent}
	sg.Pool = &sim.Pool{MaxIdle: p.MaxIdle, IdleTimeout: p.IdleTimeout, Reuse: sim.ReuseLIFO, Validate: sim.ValidatePeek,
		Retry: sim.Retry{Kind: sim.RetryGo}}
	return Flow{Pool: p}, sg
}

// minGap is the shortest gap between a lab flow's requests: shorter
// ones would make thousands of requests, each a goroutine, in a window.
const minGap = 100 * time.Millisecond

// mirror is the simulated group that stands for one lab flow of g:
// one client, and what the lab does not scale.
func mirror(g sim.Group) sim.Group {
	return sim.Group{Name: g.Name, Count: 1, Proto: g.Proto,
		// Linux gives up on unacknowledged data after tcp_retries2 (about
		// 924.6 s), which the lab does not scale.
		RetransmitTimeout: 924600 * time.Millisecond,
		Reconnect:         sim.Reconnect{Backoff: time.Hour, MaxBackoff: time.Hour, HandshakePackets: 3, HandshakeBytes: 172}}
}

// outcomes names natsim's trace outcomes (sim.TraceRequest's Cause) as
// the comparison does.
var outcomes = map[string]string{
	"ok_reused": OKReused, "ok_new": OKNew, "retried_ok": RetriedOK,
	"reset_on_reuse": FailedReset, "closed_on_reuse": FailedClosed, "timed_out_hung": Hung,
}

// simRequests reads the requests of a pooled flow (client i of the run,
// started at start) from natsim's trace: those issued within the window,
// in the order issued.
func simRequests(trace []sim.TraceEvent, i uint32, start, window time.Duration) []Request {
	out := []Request{}
	at := map[time.Duration]int{} // by instant issued
	for _, ev := range trace {
		if ev.Client != i || (ev.Kind != sim.TraceAttemptFailed && ev.Kind != sim.TraceRequest) || ev.Issued-start >= window {
			continue
		}
		k, ok := at[ev.Issued]
		if !ok {
			k = len(out)
			at[ev.Issued] = k
			out = append(out, Request{Issued: ev.Issued - start, Method: map[bool]string{true: "GET", false: "POST"}[ev.Idempotent], At: -1})
		}
		r := &out[k]
		switch {
		case ev.Kind == sim.TraceAttemptFailed && r.At < 0:
			r.At = ev.At - ev.Issued // the first failed attempt
		case ev.Kind == sim.TraceRequest:
			r.Outcome = outcomes[ev.Cause]
			if r.Outcome == "" {
				r.Outcome = "failed " + ev.Cause
			}
			if r.Outcome != RetriedOK {
				r.At = ev.At - ev.Issued // the last attempt's failure
			}
		}
	}
	for k := range out {
		if !out[k].Failed() {
			out[k].At = 0
		}
	}
	slices.SortFunc(out, func(a, b Request) int { return int(a.Issued - b.Issued) })
	return out
}

// requestTolerance is how far the kernel's and natsim's times of a
// request may differ. The times measured are a Go timer (the client's
// timeout: Go's runtime timers fire within about 1 ms on Linux) and an
// RST crossing two veth pairs (well under 1 ms); conntrack's timeouts,
// kept in jiffies (1 to 10 ms), decide outcomes, not times. A goroutine
// on a busy 2-core machine shared with other work can start tens of
// milliseconds late, so 100 ms is allowed. The scenarios keep each gap
// a second or more from the box's timeout, so no outcome hangs on that
// granularity.
const requestTolerance = 100 * time.Millisecond

// RequestRow is one pooled request's comparison.
type RequestRow struct {
	N           int // its number in the flow, from 1
	Kernel, Sim Request
	Match       bool
}

// compareRequests pairs a pooled flow's requests in the order issued:
// they match when both sides issued it (at the same instant of the
// schedule), it had the same outcome, and a failure was learned at the
// same time, within requestTolerance (and, as a check of the schedule,
// with the same method at the same instant).
func compareRequests(kernel, simulated []Request) ([]RequestRow, bool) {
	all := true
	var rows []RequestRow
	for n := range max(len(kernel), len(simulated)) {
		r := RequestRow{N: n + 1, Kernel: Request{Outcome: "not issued"}, Sim: Request{Outcome: "not issued"}}
		if n < len(kernel) {
			r.Kernel = kernel[n]
		}
		if n < len(simulated) {
			r.Sim = simulated[n]
		}
		near := func(a, b time.Duration) bool { return a-b <= requestTolerance && b-a <= requestTolerance }
		r.Match = n < len(kernel) && n < len(simulated) && r.Kernel.Outcome == r.Sim.Outcome && r.Kernel.Method == r.Sim.Method &&
			near(r.Kernel.Issued, r.Sim.Issued) && near(r.Kernel.At, r.Sim.At)
		all = all && r.Match
		rows = append(rows, r)
	}
	return rows, all
}

// settings describes a pooled flow's client for the table.
func (p *PoolFlow) settings() string {
	method := p.Method(len(p.Methods))
	if p.Idempotent > 0 && p.Idempotent < 1 {
		method = fmt.Sprintf("GET (%g) or POST, as natsim drew,", p.Idempotent)
	}
	s := fmt.Sprintf("tcp, Go net/http %s every %v, timeout %v, MaxIdleConnsPerHost %d, IdleConnTimeout %v",
		method, p.Gap.Round(time.Millisecond), p.Timeout.Round(time.Millisecond), p.MaxIdle, p.IdleTimeout.Round(time.Millisecond))
	if p.ServerKeepalive > 0 {
		s += fmt.Sprintf(", server IdleTimeout %v", p.ServerKeepalive.Round(time.Millisecond))
	}
	if p.Service > 0 {
		s += fmt.Sprintf(", service %v", p.Service.Round(time.Millisecond))
	}
	return s
}
