package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/internal/verdict"
)

// WriteVerdict writes a run's verdict, a block per group and one per
// path of a group that mixes paths, to come before
// the report: the answer first, then the detail. A bound is written as
// one ("0 breaks in 153 client-hours: < 19.6 per 1,000 at 95%"), never
// as a mean with a half-width. With several replications the verdict
// counts their breaks and client-hours together (the report after it
// gives means), and its first line says so.
func WriteVerdict(w io.Writer, v verdict.Verdict, confidence float64, replications int) error {
	p := &printer{}
	together := ""
	if replications > 1 {
		together = fmt.Sprintf("; breaks and client-hours of the %d replications together", replications)
	}
	if v.Target != nil {
		confidence = v.Target.Confidence
		p.printf("verdict against the target %s%s\n", TargetText(*v.Target), together)
	} else {
		p.printf("verdict (no target: does each group break?), bounds at %s confidence%s\n", exactPercent(confidence), together)
	}
	for _, g := range v.Groups {
		p.printf("  group %s: %s\n", g.Name, g.Verdict)
		p.verdictBody(g, confidence)
		for _, pv := range g.Paths {
			p.printf("  group %s, path %s (share %s): %s\n", g.Name, target.PathName(pv.Via), Percent(pv.Share), pv.Verdict)
			p.verdictBody(pv.Group, confidence)
		}
	}
	p.printf("\n")
	_, err := io.WriteString(w, p.b.String())
	return err
}

// verdictBody writes the lines of a group's verdict, or of one of its
// paths', after its first: each limit's bound, the binding box, the cost.
func (p *printer) verdictBody(g verdict.Group, confidence float64) {
	judged, failJudged := false, false
	for _, l := range g.Limits {
		judged = judged || l.Metric == string(target.Breaks)
		failJudged = failJudged || l.Metric == string(target.FailedRequests)
		p.line("  "+shortName(l.Metric), "%s", BoundText(l, confidence)+judgement(l, g.Clients))
	}
	if !judged {
		p.line("  breaks", "%s", BoundText(g.Breaks, confidence))
	}
	if g.Failed != nil && !failJudged {
		p.line("  "+shortName(g.Failed.Metric), "%s", BoundText(*g.Failed, confidence))
	}
	if b := g.Binding; b != nil {
		timeout := Seconds(b.TimeoutS)
		if b.Drawn {
			timeout += " (the least drawn)"
		}
		s := fmt.Sprintf("%s, %s timeout %s", b.Middlebox, b.TimeoutClass, timeout)
		full := b.Cause == "lru_eviction" || b.Cause == "early_drop"
		switch {
		case full:
			// The table's room broke them: a margin to its timeout
			// would read as safety it does not give.
			s = fmt.Sprintf("%s (caused the most breaks, mostly by %s: its table is full, its %s timeout %s is not what binds)",
				b.Middlebox, strings.ReplaceAll(b.Cause, "_", " "), b.TimeoutClass, timeout)
		case b.Why == "breaks":
			s += " (caused the most breaks)"
		}
		switch {
		case full && b.GapS != nil:
			s += fmt.Sprintf("; keepalive gap %s", Seconds(*b.GapS))
		case b.GapS != nil:
			s += fmt.Sprintf("; keepalive gap %s, margin %s", Seconds(*b.GapS), signedSeconds(*b.MarginS))
		default:
			s += "; no keepalive"
		}
		p.line("  binding", "%s", s)
	}
	p.line("  cost", "%s per client-hour (keepalive rate and reconnects)", Bytes(g.Cost.BytesPerClientHour))
	p.line("  in the window", "%s overhead and %s keepalive packets per client-hour",
		Bytes(g.Cost.OverheadBytesPerClientHour), Number(g.Cost.KeepalivePacketsPerClientHour))
}

// TargetText writes a target's limits and confidence:
// "breaks_per_1000_client_hours <= 1, at 95% confidence"; "none" for an
// empty one.
func TargetText(t target.Target) string {
	lims := TargetLimits(t)
	if lims == "" {
		return "none"
	}
	return lims + ", at " + exactPercent(t.Confidence) + " confidence"
}

// TargetLimits lists a target's limits, "breaks_per_1000_client_hours
// <= 1, lost_per_1000_messages <= 0.5" ("" for none).
func TargetLimits(t target.Target) string {
	var lims []string
	for _, m := range target.Metrics {
		if x, ok := t.Limit(m); ok {
			lims = append(lims, string(m)+" <= "+exact(x))
		}
	}
	return strings.Join(lims, ", ")
}

// shortName is a metric's label in the verdict.
func shortName(m string) string {
	switch target.Metric(m) {
	case target.Breaks:
		return "breaks"
	case target.Downtime:
		return "downtime"
	case target.Lost:
		return "lost messages"
	case target.FailedRequests:
		return "failed requests"
	}
	return "push delay p99"
}

// JudgementText writes a judgement's bound, without its status, naming
// its metric: "0 breaks in 153 client-hours: < 19.6 per 1,000 at 95%",
// "downtime: 0.1% of client time, < 0.3% at 95%"; one of a path says
// so first: "path carrier-a: 2 breaks in ...".
func JudgementText(j target.Judgement, confidence float64) string {
	s := BoundText(verdict.LimitOf(j, false), confidence)
	if j.Metric == target.Downtime || j.Metric == target.PushDelayP99 {
		s = shortName(string(j.Metric)) + ": " + s
	}
	if j.Path != "" {
		s = "path " + j.Path + ": " + s
	}
	return s
}

// BoundText writes a metric's estimate and upper bound in words: counts
// as "K events in E exposure: R per 1,000, < U at 95%", with no events
// only the bound.
func BoundText(l verdict.Limit, confidence float64) string {
	at := " at " + exactPercent(confidence)
	upper := func(f func(float64) string) string {
		if l.Upper == nil {
			return ""
		}
		return "< " + f(*l.Upper) + at
	}
	switch target.Metric(l.Metric) {
	case target.Downtime:
		return Percent(l.Estimate) + " of client time, " + upper(Percent)
	case target.PushDelayP99:
		s := fmt.Sprintf("%s (p99 of %s delays)", Seconds(l.Estimate), Count(l.Events))
		if l.Upper == nil {
			return s + "; too few delays to bound it"
		}
		return s + ", " + upper(Seconds) + " (the largest delay)"
	}
	events, exposure := target.ExposureUnit(target.Metric(l.Metric))
	per := " per 1,000"
	if target.Scale(target.Metric(l.Metric)) == 1e6 {
		per = " per million"
	}
	s := fmt.Sprintf("%s %s in %s %s: ", Count(l.Events), events, amount(l.Exposure), exposure)
	if l.Events > 0 {
		s += Number(l.Estimate) + per + ", "
	}
	return s + upper(func(x float64) string { return Number(x) + per })
}

// judgement says how a limit was judged, and when undecided what would
// decide it.
func judgement(l verdict.Limit, clients float64) string {
	s := fmt.Sprintf(" (limit %s: %s", exact(*l.Limit), l.Status)
	if l.NeededClientHours != nil && clients > 0 {
		s += fmt.Sprintf("; about %s client-hours would show it, %s simulated at this population",
			Number(*l.NeededClientHours), Seconds(*l.NeededClientHours/clients*3600))
	}
	return s + ")"
}

// exact writes a number as given (a limit, a confidence): 0.001, 30.
func exact(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// exactPercent writes a confidence as a percentage as given: 95%, 99.5%.
func exactPercent(x float64) string { return strconv.FormatFloat(100*x, 'g', 6, 64) + "%" }

// amount writes an exposure: whole as a count, else as a measure.
func amount(x float64) string {
	if x == math.Trunc(x) {
		return Count(x)
	}
	return Number(x)
}

// signedSeconds writes a span that may be negative.
func signedSeconds(s float64) string {
	if s < 0 {
		return "-" + Seconds(-s)
	}
	return Seconds(s)
}
