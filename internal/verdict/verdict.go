package verdict

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// The verdicts of a group.
const (
	Pass      = "PASS"      // every limit of the target met
	Fail      = "FAIL"      // a limit missed
	Undecided = "UNDECIDED" // no limit missed, one not shown: the run was too short
	Survives  = "SURVIVES"  // no target, no break
	Breaks    = "BREAKS"    // no target, breaks
	Fails     = "FAILS"     // no target, no break, but requests failed for good (a request-driven group)
)

// Verdict is a run's answer, group by group and, for a group that mixes
// paths, path by path.
type Verdict struct {
	// Target is the target judged, nil when there is none.
	Target *target.Target `json:"target,omitempty"`
	// Met says whether every group, and every path of a group that mixes
	// paths, met the target; nil without one.
	Met    *bool   `json:"met,omitempty"`
	Groups []Group `json:"groups"`
}

// Group is one group's verdict.
type Group struct {
	Name    string  `json:"name"`
	Verdict string  `json:"verdict"`
	Clients float64 `json:"clients"` // for turning client-hours into simulated time
	// Breaks is the break rate per 1000 client-hours with its bound,
	// judged or not.
	Breaks Limit `json:"breaks"`
	// Failed is, for a request-driven group (one that issued requests),
	// the failed requests per million with their bound, judged or not;
	// absent for other groups.
	Failed *Limit `json:"failed_per_million_requests,omitempty"`
	// Limits are the target's judgements, in the order of target.Metrics.
	Limits  []Limit  `json:"limits,omitempty"`
	Binding *Binding `json:"binding,omitempty"`
	Cost    Cost     `json:"cost"`
	// Paths are, for a group that mixes paths, the verdicts of each path
	// some client drew, judged as the group is on those clients alone:
	// the exposure is their client-hours.
	Paths []Path `json:"paths,omitempty"`
}

// Path is the verdict of one path of a group that mixes paths; its Name
// is that of its results, GROUP.paths.I, and Clients the mean number of
// clients that drew it.
type Path struct {
	Via   []string `json:"via"`   // middleboxes, client side first
	Share float64  `json:"share"` // of the group's clients, the mean over replications
	Group
}

// Limit is a judged (or merely bounded) metric.
type Limit struct {
	Metric string `json:"metric"`
	// Status is met, missed or undecided; empty when nothing limits it.
	Status   string   `json:"status,omitempty"`
	Limit    *float64 `json:"limit,omitempty"`
	Estimate float64  `json:"estimate"`
	// Upper is the upper confidence bound; absent when the data bound
	// nothing (too few delays for a p99).
	Upper    *float64 `json:"upper,omitempty"`
	Events   float64  `json:"events"`
	Exposure float64  `json:"exposure"`
	// NeededClientHours is, when undecided, the client-hours that would
	// show the limit met if the estimate held; absent otherwise.
	NeededClientHours *float64 `json:"needed_client_hours,omitempty"`
}

// Binding is the middlebox that decides a group's fate.
type Binding struct {
	Middlebox string `json:"middlebox"`
	// Why is "breaks" (the box caused the most breaks on the path) or
	// "nearest timeout" (the smallest timeout at or above the keepalive's
	// gap, or the smallest of all when none is).
	Why string `json:"why"`
	// Cause is, with Why "breaks", the cause of most of the group's
	// breaks (idle_timeout, lru_eviction, early_drop, reset_on_expire):
	// after lru_eviction or early_drop the table's room, not its timeout,
	// is what binds.
	Cause        string `json:"cause,omitempty"`
	TimeoutClass string `json:"timeout_class"` // tcp_established or udp_stream
	// TimeoutS is the box's timeout, seconds; for a timeout drawn per
	// instance (Drawn), the least a draw can be: the instances that bind
	// first, not the mean.
	TimeoutS float64 `json:"timeout_s"`
	Drawn    bool    `json:"drawn,omitempty"`
	// GapS is the keepalive's idle gap and MarginS the timeout minus it,
	// seconds; both absent for a group without keepalive.
	GapS    *float64 `json:"keepalive_gap_s,omitempty"`
	MarginS *float64 `json:"margin_s,omitempty"`
}

// Cost is what a group's keepalives and reconnects cost, per client-hour
// over all replications: BytesPerClientHour is the cost that targets
// minimise (the keepalive rate, which does not jump with how many beats
// fit in the window, plus reconnects); the other two are the counts
// inside the window.
type Cost struct {
	OverheadBytesPerClientHour    float64 `json:"overhead_bytes_per_client_hour"`
	KeepalivePacketsPerClientHour float64 `json:"keepalive_packets_per_client_hour"`
	BytesPerClientHour            float64 `json:"cost_bytes_per_client_hour"`
}

// Of judges the runs (replications) of cfg against t (an empty target:
// none).
func Of(cfg *sim.Config, t target.Target, runs []*sim.RunResult) Verdict {
	var v Verdict
	if !t.Empty() {
		v.Target = &t
		met := true
		v.Met = &met
	}
	window := cfg.Duration - cfg.Warmup
	c := t.Confidence
	if c == 0 {
		c = target.DefaultConfidence
	}
	boxBreaks := make([]float64, len(cfg.Path))
	for _, run := range runs {
		for i, b := range run.Middleboxes {
			boxBreaks[i] += b.Breaks
		}
	}
	for gi := range cfg.Groups {
		reps := make([]sim.GroupResult, len(runs))
		for i, run := range runs {
			reps[i] = run.Groups[gi]
		}
		cg := &cfg.Groups[gi]
		var g Group
		for _, vr := range target.Variants(reps) {
			if vr.Index < 0 {
				g = judge(t, window, c, vr.Reps, binding(cfg, cg, cfg.PathOf(cg), mainCause(vr.Reps), boxBreaks))
				g.Name, g.Clients = cg.Name, float64(cg.Count)
			} else {
				p := Path{Via: vr.Via, Share: vr.Share,
					Group: judge(t, window, c, vr.Reps, binding(cfg, cg, cg.Paths[vr.Index].Via, mainCause(vr.Reps), boxBreaks))}
				p.Name = vr.Reps[0].Name
				for _, r := range vr.Reps {
					p.Clients += r.Clients / float64(len(vr.Reps))
				}
				g.Paths = append(g.Paths, p)
			}
		}
		if v.Target != nil {
			ok := g.Verdict == Pass
			for _, p := range g.Paths {
				ok = ok && p.Verdict == Pass
			}
			*v.Met = *v.Met && ok
		}
		v.Groups = append(v.Groups, g)
	}
	return v
}

// judge gives the verdict of a group, or of one of its paths, from its
// results in each replication: its break bound, and against t (unless
// empty) every limit; b is its binding box.
func judge(t target.Target, window time.Duration, c float64, reps []sim.GroupResult, b *Binding) Group {
	br := target.Bound(target.Breaks, window, reps, c)
	g := Group{Breaks: LimitOf(br, false), Verdict: Survives, Binding: b, Cost: costOf(reps)}
	if fr := target.Bound(target.FailedRequests, window, reps, c); fr.Exposure > 0 {
		l := LimitOf(fr, false)
		g.Failed = &l
		if fr.Events > 0 {
			g.Verdict = Fails
		}
	}
	if br.Events > 0 {
		g.Verdict = Breaks
	}
	if t.Empty() {
		return g
	}
	// Its own judgements: a group's paths have verdicts of their own.
	js := target.Whole(target.Judge(t, window, reps))
	for _, j := range js {
		g.Limits = append(g.Limits, LimitOf(j, true))
	}
	switch target.Overall(js) {
	case target.Met:
		g.Verdict = Pass
	case target.Missed:
		g.Verdict = Fail
	default:
		g.Verdict = Undecided
	}
	return g
}

// limitOf is a judgement as the verdict gives it; judged says whether
// it was judged against a limit or only bounded.
func LimitOf(j target.Judgement, judged bool) Limit {
	l := Limit{Metric: string(j.Metric), Estimate: j.Estimate, Events: j.Events, Exposure: j.Exposure}
	if up := j.Upper; !math.IsInf(up, 1) {
		l.Upper = &up
	}
	if judged {
		l.Status, l.Limit = j.Status.String(), &j.Limit
		if j.Status == target.Undecided && !math.IsInf(j.NeededClientHours, 1) {
			l.NeededClientHours = &j.NeededClientHours
		}
	}
	return l
}

// costOf is the pooled cost of a group's replications, each figure as
// advise's cost of that name (target.Costs) defines it.
func costOf(reps []sim.GroupResult) Cost {
	per := func(name string) float64 {
		c, ok := target.CostNamed(name)
		if !ok {
			panic("verdict: no cost " + name) // a name below out of step with target.Costs
		}
		return c.PerExposure(reps)
	}
	return Cost{OverheadBytesPerClientHour: per("overhead_bytes_per_client_hour"),
		KeepalivePacketsPerClientHour: per("keepalive_packets_per_client_hour"), BytesPerClientHour: per("cost_bytes_per_client_hour")}
}

// Gap is the longest a connection of a group with keepalive k stays
// silent while the keepalive works; ok is false without keepalive. An
// adaptive keepalive may learn any interval up to its max, so max is
// the longest gap it tries.
func Gap(k sim.Keepalive) (gap time.Duration, ok bool) {
	switch k.Type {
	case sim.KeepaliveTCP:
		return k.Idle, true
	case sim.KeepaliveApp, sim.KeepaliveServerApp:
		return k.Interval + k.Jitter, true
	case sim.KeepaliveAdaptive:
		return k.Adaptive.Max, true
	}
	return 0, false
}

// mainCause is the cause of most breaks of the clients of reps (a
// group's, or one path's of it, in each replication), named as in the
// result's breaks; "" when they had none.
func mainCause(reps []sim.GroupResult) string {
	var sum sim.Breaks
	for _, r := range reps {
		sum.IdleTimeout += r.Breaks.IdleTimeout
		sum.LRUEviction += r.Breaks.LRUEviction
		sum.EarlyDrop += r.Breaks.EarlyDrop
		sum.ResetOnExpire += r.Breaks.ResetOnExpire
	}
	cause, most := "", 0.0
	for _, c := range []struct {
		n    float64
		name string
	}{{sum.IdleTimeout, "idle_timeout"}, {sum.LRUEviction, "lru_eviction"}, {sum.EarlyDrop, "early_drop"}, {sum.ResetOnExpire, "reset_on_expire"}} {
		if c.n > most {
			cause, most = c.name, c.n
		}
	}
	return cause
}

// binding finds the box that decides the fate of g's connections along
// path (indexes into cfg.Path: the group's, or one of its paths'): when
// those clients broke (cause, the main cause of their breaks, is not
// ""), of its boxes the one that caused the most breaks (boxBreaks, per
// box of cfg.Path, counted over every group), or else the one whose
// timeout is nearest at or above the gap. A box's breaks of other groups
// say nothing of a group that had none.
func binding(cfg *sim.Config, g *sim.Group, path []int, cause string, boxBreaks []float64) *Binding {
	if len(path) == 0 {
		return nil
	}
	class, timeoutOf := "tcp_established", func(m *sim.Middlebox) (time.Duration, bool) {
		if d := m.Draws.TCPEstablished; !d.IsZero() {
			return d.Least(), true
		}
		return m.Timeouts.TCPEstablished, false
	}
	if g.Proto == nat.UDP {
		class, timeoutOf = "udp_stream", func(m *sim.Middlebox) (time.Duration, bool) {
			if d := m.Draws.UDPStream; !d.IsZero() {
				return d.Least(), true
			}
			return m.Timeouts.UDPStream, false
		}
	}
	gap, hasGap := Gap(g.Keepalive)
	best, why := -1, "breaks"
	for _, bi := range path {
		if cause != "" && boxBreaks[bi] > 0 && (best < 0 || boxBreaks[bi] > boxBreaks[best]) {
			best = bi
		}
	}
	if best < 0 {
		why = "nearest timeout"
		// The smallest timeout at or above the gap; failing that, the
		// smallest of all.
		score := func(bi int) (above bool, t time.Duration) {
			t, _ = timeoutOf(&cfg.Path[bi])
			return t >= gap, t
		}
		for _, bi := range path {
			if best < 0 {
				best = bi
				continue
			}
			a, t := score(bi)
			ba, bt := score(best)
			if (a && !ba) || (a == ba && t < bt) {
				best = bi
			}
		}
	}
	timeout, drawn := timeoutOf(&cfg.Path[best])
	b := &Binding{Middlebox: cfg.Path[best].Name, Why: why, TimeoutClass: class, TimeoutS: timeout.Seconds(), Drawn: drawn}
	if why == "breaks" {
		b.Cause = cause
	}
	if hasGap {
		gs, ms := gap.Seconds(), (timeout - gap).Seconds()
		b.GapS, b.MarginS = &gs, &ms
	}
	return b
}

// Result is the result object of natsim run --json: the run's result
// with its verdict.
type Result struct {
	*sim.Result
	Verdict *Verdict `json:"verdict,omitempty"`
}

// WriteJSON writes r as indented JSON.
func (r Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
