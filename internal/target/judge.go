package target

import (
	"encoding/json"
	"math"
	"time"

	"github.com/natsim/natsim/sim"
)

// Status is the outcome of one limit for one group.
type Status int

// The outcomes of a limit.
const (
	Met       Status = iota // the upper bound is at or below the limit
	Missed                  // the estimate itself is above the limit
	Undecided               // the estimate is below the limit, its bound above: too short to show it
)

func (s Status) String() string {
	return [...]string{"met", "missed", "undecided"}[s]
}

// MarshalText writes the status as String does, for JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Judgement is one limit judged for one group.
type Judgement struct {
	Group string `json:"group"`
	// Path names, for a judgement of one path of a group that mixes
	// paths, that path (Variant.Path); empty for the group as a whole.
	Path     string  `json:"path,omitempty"`
	Metric   Metric  `json:"metric"`
	Status   Status  `json:"status"`
	Limit    float64 `json:"limit"`
	Estimate float64 `json:"estimate"` // pooled over replications: the mean, or the rate of the summed counts
	// Upper is the upper confidence bound judged; +Inf when the data
	// bound nothing (too few delays for a p99), written as null.
	Upper float64 `json:"upper"`
	// Events and Exposure are the pooled count behind a rate (breaks and
	// client-hours, lost and sent messages, delivered delays): the
	// numbers that "0 in 153 client-hours" is written from.
	Events   float64 `json:"events"`
	Exposure float64 `json:"exposure"`
	// Needed is, when undecided, the exposure (in Exposure's unit) that
	// would show the limit met if the estimate held; 0 otherwise, +Inf
	// (null) when no exposure would under this bound.
	Needed float64 `json:"needed"`
	// NeededClientHours is Needed as client-hours of the group (equal to
	// Needed for breaks and downtime; lost messages and delays are
	// converted at the rate the run sent them); 0 when not undecided.
	NeededClientHours float64 `json:"needed_client_hours"`
}

// ExposureUnit names the unit of a metric's Events / Exposure.
func ExposureUnit(m Metric) (events, exposure string) {
	switch m {
	case Lost:
		return "lost", "messages"
	case PushDelayP99:
		return "delays", "delays"
	case FailedRequests:
		return "failed", "requests"
	}
	return "breaks", "client-hours"
}

// Scale is the exposure a counted metric is given per: 1000 client-hours
// or messages, a million requests.
func Scale(m Metric) float64 {
	if m == FailedRequests {
		return 1e6
	}
	return 1000
}

// MarshalJSON writes j with infinite numbers as null.
func (j Judgement) MarshalJSON() ([]byte, error) {
	type plain Judgement
	return json.Marshal(struct {
		plain
		Upper             *float64 `json:"upper"`
		Needed            *float64 `json:"needed"`
		NeededClientHours *float64 `json:"needed_client_hours"`
	}{plain(j), finite(j.Upper), finite(j.Needed), finite(j.NeededClientHours)})
}

// finite is x for JSON: nil (null) when infinite.
func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

// Judge judges every limit of t for one group and each of its paths
// (Variants), given the group's results in each replication (at least
// one) and the measured window (duration minus warmup): the group's
// judgements first, in the order of Metrics, then each path's likewise,
// with Path set. A target is met only when all of them are.
func Judge(t Target, window time.Duration, reps []sim.GroupResult) []Judgement {
	var out []Judgement
	for _, v := range Variants(reps) {
		out = append(out, v.judged(pool(v.Reps).judge(t, window))...)
	}
	return out
}

// JudgeAggregate is Judge for a group's result aggregated over n
// replications (sim.Aggregate: means, with 95% half-widths in CI95), as
// a sweep keeps it, its paths' likewise. The counts are pooled back from
// the means; the spread between replications is known for breaks and
// downtime (from CI95), not for lost messages (their bound is then
// Poisson alone); a mean of largest delays bounds no p99, so push delay
// is bounded only for n = 1.
func JudgeAggregate(t Target, window time.Duration, g sim.GroupResult, n int) []Judgement {
	var out []Judgement
	for _, v := range Variants([]sim.GroupResult{g}) {
		out = append(out, v.judged(poolAggregate(v.Reps[0], n).judge(t, window))...)
	}
	return out
}

// Whole keeps the judgements of groups as a whole, leaving out those of
// their paths.
func Whole(js []Judgement) []Judgement {
	var out []Judgement
	for _, j := range js {
		if j.Path == "" {
			out = append(out, j)
		}
	}
	return out
}

// Bound computes the estimate and upper bound of m for one group over
// its replications, at confidence c, as documented in the package;
// Status, Limit and Needed are left for the caller.
func Bound(m Metric, window time.Duration, reps []sim.GroupResult, c float64) Judgement {
	return pool(reps).bound(m, window, c)
}

// pooled is what bounds are computed from: one group's sums over
// replications, and the spread between them where known.
type pooled struct {
	name                                string
	hours, breaks, downtime, lost, sent float64                                   // downtime in client-hours
	requests, failed                    float64                                   // finished requests, those failed for good
	delays, p99Sum, biggest             float64                                   // p99Sum: p99 x delays, summed
	biggestKnown                        bool                                      // biggest is the largest delay of all
	spread                              func(m Metric, c float64) (float64, bool) // the t bound of a per-replication value
}

// pool sums a group's replications.
func pool(reps []sim.GroupResult) pooled {
	p := pooled{name: reps[0].Name, biggestKnown: true}
	for _, g := range reps {
		p.add(g, 1)
		p.biggest = math.Max(p.biggest, g.PushDelay.Max)
	}
	p.spread = func(m Metric, c float64) (float64, bool) {
		xs := make([]float64, len(reps))
		for i, g := range reps {
			switch m {
			case Breaks:
				xs[i] = g.BreaksPer1000ClientHours
			case Downtime:
				xs[i] = g.DowntimeFraction
			case Lost:
				xs[i] = 1000 * (g.LostDown + g.LostUp) / nonzero(g.SentDown+g.SentUp)
			case FailedRequests:
				xs[i] = 1e6 * g.RequestsFailed.Total / nonzero(g.Requests)
			default:
				return 0, false
			}
		}
		return TUpper(xs, c)
	}
	return p
}

// poolAggregate pools back a result aggregated over n replications.
func poolAggregate(g sim.GroupResult, n int) pooled {
	p := pooled{name: g.Name, biggestKnown: n == 1, biggest: g.PushDelay.Max}
	p.add(g, float64(n))
	p.spread = func(m Metric, c float64) (float64, bool) {
		if n < 2 || g.CI95 == nil {
			return 0, false
		}
		// The half-width is t(0.975; n-1) s / sqrt(n).
		mean, hw := g.BreaksPer1000ClientHours, g.CI95.BreaksPer1000ClientHours
		switch m {
		case Breaks:
		case Downtime:
			mean, hw = g.DowntimeFraction, g.CI95.DowntimeFraction
		default:
			return 0, false
		}
		return mean + sim.TQuantile(c, n-1)/sim.TQuantile(0.975, n-1)*hw, true
	}
	return p
}

// add adds w replications' worth of g (w = n for a mean over n).
func (p *pooled) add(g sim.GroupResult, w float64) {
	p.hours += w * g.ClientHours
	p.breaks += w * g.Breaks.Total
	p.downtime += w * g.DowntimeFraction * g.ClientHours
	p.lost += w * (g.LostDown + g.LostUp)
	p.sent += w * (g.SentDown + g.SentUp)
	p.requests += w * g.Requests
	p.failed += w * g.RequestsFailed.Total
	n := w * delivered(g)
	p.delays += n
	p.p99Sum += g.PushDelay.P99 * n
}

func (p pooled) judge(t Target, window time.Duration) []Judgement {
	c := t.Confidence
	if c == 0 {
		c = DefaultConfidence
	}
	var out []Judgement
	for _, m := range Metrics {
		limit, ok := t.Limit(m)
		if !ok || (m == FailedRequests && p.requests == 0) {
			continue // a group that issued no requests has none to fail
		}
		j := p.bound(m, window, c)
		j.Limit = limit
		j.decide(m, window, p.hours, c)
		out = append(out, j)
	}
	return out
}

func (p pooled) bound(m Metric, window time.Duration, c float64) Judgement {
	j := Judgement{Group: p.name, Metric: m}
	// count sets a Poisson-counted rate per scale units of exposure.
	count := func(events, exposure, scale float64) {
		j.Events, j.Exposure = events, exposure
		j.Estimate = scale * events / nonzero(exposure)
		j.Upper = scale * PoissonUpper(events, c) / nonzero(exposure)
	}
	switch m {
	case Breaks:
		count(p.breaks, p.hours, 1000)
	case Lost:
		count(p.lost, p.sent, 1000)
	case FailedRequests:
		count(p.failed, p.requests, 1e6)
	case Downtime:
		j.Events, j.Exposure = p.breaks, p.hours
		j.Estimate = p.downtime / nonzero(p.hours)
		outage := window.Hours() // no break seen: the longest an outage can last
		if p.breaks > 0 {
			outage = p.downtime / p.breaks
		}
		j.Upper = math.Min(1, PoissonUpper(p.breaks, c)/nonzero(p.hours)*outage)
	case PushDelayP99:
		j.Events, j.Exposure = p.delays, p.delays
		j.Estimate = p.p99Sum / nonzero(p.delays)
		j.Upper = math.Inf(1)
		if p.biggestKnown && MaxIsQuantileBound(p.delays, 0.99, c) {
			j.Upper = p.biggest
		}
	}
	// Never narrower than the spread between replications says.
	if t, ok := p.spread(m, c); ok {
		j.Upper = math.Max(j.Upper, t)
	}
	return j
}

// decide sets the status and, when undecided, the exposure needed; hours
// are the pooled client-hours.
func (j *Judgement) decide(m Metric, window time.Duration, hours, c float64) {
	switch {
	case j.Upper <= j.Limit:
		j.Status = Met
		return
	case j.Estimate > j.Limit:
		j.Status = Missed
		return
	}
	j.Status = Undecided
	hoursPerUnit := 1.0 // client-hours per unit of exposure
	switch m {
	case Breaks:
		j.Needed = ExposureFor(j.Estimate/1000, j.Limit/1000, c)
	case Lost, FailedRequests:
		j.Needed = ExposureFor(j.Estimate/Scale(m), j.Limit/Scale(m), c)
		hoursPerUnit = hours / nonzero(j.Exposure)
	case Downtime:
		// The break rate must fall so that rate x outage is at most the limit.
		outage := j.Estimate * j.Exposure / nonzero(j.Events)
		if j.Events == 0 {
			outage = window.Hours()
		}
		j.Needed = ExposureFor(j.Events/nonzero(j.Exposure), j.Limit/nonzero(outage), c)
	case PushDelayP99:
		j.Needed = DrawsForQuantileBound(0.99, c)
		if j.Events >= j.Needed {
			j.Needed = math.Inf(1) // enough delays, but their largest is above the limit (or unknown)
		}
		hoursPerUnit = hours / nonzero(j.Exposure)
	}
	j.NeededClientHours = j.Needed * hoursPerUnit
}

// delivered is how many down messages had a delivery delay measured.
func delivered(g sim.GroupResult) float64 {
	return math.Max(0, g.SentDown-g.LostDown-g.HeldAtEnd)
}

// nonzero keeps a division by an empty exposure finite: the rate of
// nothing over nothing is 0.
func nonzero(x float64) float64 { return math.Max(x, math.SmallestNonzeroFloat64) }
