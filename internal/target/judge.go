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
	Group    string  `json:"group"`
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
	}
	return "breaks", "client-hours"
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

// Judge judges every limit of t for one group, given its results in each
// replication (at least one) and the measured window (duration minus
// warmup). Judgements come in the order of Metrics.
func Judge(t Target, window time.Duration, reps []sim.GroupResult) []Judgement {
	c := t.Confidence
	if c == 0 {
		c = DefaultConfidence
	}
	var out []Judgement
	for _, m := range Metrics {
		limit, ok := t.Limit(m)
		if !ok {
			continue
		}
		j := Bound(m, window, reps, c)
		j.Limit = limit
		j.decide(m, window, reps, c)
		out = append(out, j)
	}
	return out
}

// Bound computes the estimate and upper bound of m for one group over
// its replications, at confidence c, as documented in the package;
// Status, Limit and Needed are left for the caller.
func Bound(m Metric, window time.Duration, reps []sim.GroupResult, c float64) Judgement {
	j := Judgement{Group: reps[0].Name, Metric: m}
	var hours, breaks, downtime float64
	for _, g := range reps {
		hours += g.ClientHours
		breaks += g.Breaks.Total
		downtime += g.DowntimeFraction * g.ClientHours
	}
	perRep := func(f func(sim.GroupResult) float64) []float64 {
		xs := make([]float64, len(reps))
		for i, g := range reps {
			xs[i] = f(g)
		}
		return xs
	}
	// count sets a Poisson-counted rate per scale units of exposure,
	// widened to the t bound over replications.
	count := func(events, exposure, scale float64, rate func(sim.GroupResult) float64) {
		j.Events, j.Exposure = events, exposure
		j.Estimate = scale * events / nonzero(exposure)
		j.Upper = scale * PoissonUpper(events, c) / nonzero(exposure)
		if t, ok := TUpper(perRep(rate), c); ok {
			j.Upper = math.Max(j.Upper, t)
		}
	}
	switch m {
	case Breaks:
		count(breaks, hours, 1000, func(g sim.GroupResult) float64 { return g.BreaksPer1000ClientHours })
	case Lost:
		var lost, sent float64
		for _, g := range reps {
			lost += g.LostDown + g.LostUp
			sent += g.SentDown + g.SentUp
		}
		count(lost, sent, 1000, func(g sim.GroupResult) float64 {
			return 1000 * (g.LostDown + g.LostUp) / nonzero(g.SentDown+g.SentUp)
		})
	case Downtime:
		j.Events, j.Exposure = breaks, hours
		j.Estimate = downtime / nonzero(hours)
		outage := window.Hours() // no break seen: the longest an outage can last
		if breaks > 0 {
			outage = downtime / breaks
		}
		j.Upper = math.Min(1, PoissonUpper(breaks, c)/nonzero(hours)*outage)
		if t, ok := TUpper(perRep(func(g sim.GroupResult) float64 { return g.DowntimeFraction }), c); ok {
			j.Upper = math.Max(j.Upper, t)
		}
	case PushDelayP99:
		var delays, p99, biggest float64
		for _, g := range reps {
			n := delivered(g)
			delays += n
			p99 += g.PushDelay.P99 * n
			biggest = math.Max(biggest, g.PushDelay.Max)
		}
		j.Events, j.Exposure = delays, delays
		j.Estimate = p99 / nonzero(delays)
		j.Upper = math.Inf(1)
		if MaxIsQuantileBound(delays, 0.99, c) {
			j.Upper = biggest
		}
	}
	return j
}

// decide sets the status and, when undecided, the exposure needed.
func (j *Judgement) decide(m Metric, window time.Duration, reps []sim.GroupResult, c float64) {
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
	case Lost:
		j.Needed = ExposureFor(j.Estimate/1000, j.Limit/1000, c)
		hoursPerUnit = clientHours(reps) / nonzero(j.Exposure)
	case Downtime:
		// The break rate must fall so that rate x outage is at most the limit.
		outage := j.Estimate * j.Exposure / nonzero(j.Events)
		if j.Events == 0 {
			outage = window.Hours()
		}
		j.Needed = ExposureFor(j.Events/nonzero(j.Exposure), j.Limit/nonzero(outage), c)
	case PushDelayP99:
		j.Needed = DrawsForQuantileBound(0.99, c)
		if j.Upper < math.Inf(1) {
			j.Needed = math.Inf(1) // enough delays, but the largest is above the limit
		}
		hoursPerUnit = clientHours(reps) / nonzero(j.Exposure)
	}
	j.NeededClientHours = j.Needed * hoursPerUnit
}

// delivered is how many down messages had a delivery delay measured.
func delivered(g sim.GroupResult) float64 {
	return math.Max(0, g.SentDown-g.LostDown-g.HeldAtEnd)
}

func clientHours(reps []sim.GroupResult) float64 {
	var h float64
	for _, g := range reps {
		h += g.ClientHours
	}
	return h
}

// nonzero keeps a division by an empty exposure finite: the rate of
// nothing over nothing is 0.
func nonzero(x float64) float64 { return math.Max(x, math.SmallestNonzeroFloat64) }
