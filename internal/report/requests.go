package report

import (
	"strings"

	"github.com/natsim/natsim/sim"
)

// requests writes a request-driven group's outcomes: how its requests
// fared, why the failed ones failed, how long hung ones hung, and what
// new connections and retries cost.
func (p *printer) requests(g sim.GroupResult) {
	if g.Requests == 0 {
		p.line("requests", "none finished in the window")
		return
	}
	f := g.RequestsFailed
	p.line("requests", "%s: %s", Count(g.Requests), strings.Join(nonzero(
		counted{g.RequestsOKReused, "ok on a pooled connection"},
		counted{g.RequestsOKNew, "ok on a new connection"},
		counted{g.RequestsRetriedOK, "ok after a retry"},
		counted{f.Total, "failed"}), ", "))
	if f.Total > 0 {
		p.line("failed", "%s per million requests: %s", Number(g.FailedPerMillionRequests), strings.Join(nonzero(
			counted{f.ResetOnReuse, "reset on reuse"},
			counted{f.ClosedOnReuse, "closed on reuse"},
			counted{f.LB502, "answered 502 by the L7 box"},
			counted{f.TimedOutHung, "hung until timed out"},
			counted{f.RefusedOpen, "refused a new connection"}), ", "))
	}
	if f.TimedOutHung > 0 {
		p.line("hung", "p50 %s, p99 %s, max %s", Seconds(g.Hung.P50), Seconds(g.Hung.P99), Seconds(g.Hung.Max))
	}
	p.line("added latency", "p50 %s, p99 %s (new connections, validation, retries)", Seconds(g.AddedLatency.P50), Seconds(g.AddedLatency.P99))
	p.line("pool", "%s new connections per 1,000 requests, %s idle per client on average, %s found closed at borrow",
		Number(g.NewConnectionsPer1000Requests), Number(g.PoolMeanIdle), Count(g.PoolDiscarded))
}
