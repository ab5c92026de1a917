package review

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/plots"
)

// TradePoint is one evaluated point of a trade-off: a point of a sweep,
// or of advise's search.
type TradePoint struct {
	Label  string     // beside the point: the tuned value as written
	At     string     // what it is, for the finding (key=value)
	Cost   float64    // the cost Tradeoff is given, per its unit of exposure
	Breaks sweep.Stat // breaks per 1000 client-hours, mean and 95% half-width
	// BreaksUpper is the upper confidence bound of the break rate, which
	// stands for it when no break was seen.
	BreaksUpper float64
	// UpperBar draws the bar from the mean up to BreaksUpper rather than
	// ± Breaks.CI95: advise judges on the bound and keeps no half-width.
	UpperBar bool
	Judged   []target.Judgement // the target's judgements, every limit's
}

// TradeLine is the points of one line of the trade-off chart (a client
// group, the other keys fixed; or a keepalive type of advise --compare).
type TradeLine struct {
	Name   string
	Points []TradePoint
	// Pick, when set, is the recommendation as its caller chose and
	// measured it (advise's pick, run again on fresh seeds): drawn as a
	// point of its own, ringed, instead of ringing target.Cheapest of
	// Points.
	Pick *TradePoint
}

const (
	tradeoffWhat = "what each unit of keepalive traffic buys"
	// Legend names shared by every line's parts: the points off its
	// front and its recommended point.
	beatenName  = "(unjoined: beaten on cost and breaks)"
	recommended = "ringed: cheapest meeting the target"
	verified    = "ringed: recommended, verified on fresh seeds"
)

func tradeoff(res *sweep.Result) (*Chart, error) {
	var ls []TradeLine
	for _, l := range lines(res) {
		tl := TradeLine{Name: l.name}
		for _, r := range l.rows {
			tl.Points = append(tl.Points, TradePoint{Label: l.label(r), At: pointName(res, l, r),
				Cost: r.Get(costKey).Mean, Breaks: r.Get(breaksKey), BreaksUpper: breaksUpper(res, r), Judged: res.Judge(r)})
		}
		ls = append(ls, tl)
	}
	return Tradeoff(title(res, tradeoffWhat), target.Costs[0], ls, res.TargetOrDefault())
}

// Front returns the indices of the points no other point beats on both
// cost and breaks (the Pareto front: none cheaper with as few breaks, or
// with fewer breaks at no more cost), in order of cost. Equal points are
// all on it.
func Front(ps []TradePoint) []int {
	var front []int
	for i, p := range ps {
		dominated := slices.ContainsFunc(ps, func(q TradePoint) bool {
			return q.Cost <= p.Cost && q.Breaks.Mean <= p.Breaks.Mean && (q.Cost < p.Cost || q.Breaks.Mean < p.Breaks.Mean)
		})
		if !dominated {
			front = append(front, i)
		}
	}
	slices.SortStableFunc(front, func(a, b int) int { return compare(ps[a].Cost, ps[b].Cost) })
	return front
}

// Tradeoff draws each line's breaks against its cost (cost names the x
// axis and the data's column): the Pareto front joined, the points it
// beats as markers alone, the recommended point ringed (the line's Pick,
// else target.Cheapest), the target's break limit as a line, and the
// breaks on a symmetric-log axis (linear up to the limit, or 1 per 1000
// client-hours, log beyond). A point without breaks is drawn and
// labelled as its upper bound. It does not apply when no line has two
// points: one point shows no trade-off.
func Tradeoff(title string, cost target.Cost, ls []TradeLine, t target.Target) (*Chart, error) {
	if !slices.ContainsFunc(ls, func(l TradeLine) bool { return len(l.Points) > 1 }) {
		return nil, fmt.Errorf("%w: each line has one point, and one point shows no trade-off (sweep the keepalive to see one)", ErrNotApplicable)
	}
	lin := breaksLinear(t)
	limit, hasLimit := t.Limit(target.Breaks)
	bars := "± 95% CI"
	if slices.ContainsFunc(ls, func(l TradeLine) bool {
		return slices.ContainsFunc(l.Points, func(p TradePoint) bool { return p.UpperBar })
	}) {
		bars = "bar to its " + fmtNum(100*t.Confidence) + "% bound"
	}
	c := plots.Chart{Title: title, LogX: true, SymLogY: lin,
		XLabel: "cost: " + cost.Words + " per " + cost.PerUnit() + " (log scale)",
		YLabel: fmt.Sprintf("breaks per 1000 client-hours (%s)\nlinear to %s, log above", bars, fmtNum(lin))}
	if hasLimit {
		c.Levels = append(c.Levels, plots.Level{Y: limit, Label: "target: " + fmtNum(limit) + " per 1000 client-hours"})
	}
	data := [][]string{{"line", "point", cost.Name, string(breaksKey), "ci95", "upper_bound", "target", "front", "recommended"}}
	row := func(l TradeLine, p TradePoint, front, rec bool) {
		ci := fmtNum(p.Breaks.CI95)
		if p.Breaks.Mean == 0 || p.UpperBar {
			ci = "" // no events, or no half-width: the bound says it, not 0 ± 0
		}
		status := ""
		if len(p.Judged) > 0 {
			status = target.Overall(p.Judged).String()
		}
		data = append(data, []string{l.Name, p.Label, fmtNum(p.Cost), fmtNum(p.Breaks.Mean), ci, fmtNum(p.BreaksUpper), status, yesNo(front), yesNo(rec)})
	}
	var findings []string
	for _, l := range ls {
		front := Front(l.Points)
		best, ok := target.Cheapest(targetPoints(l))
		ok = ok && l.Pick == nil
		joined := plots.Series{Name: l.Name}
		beaten := plots.Series{Name: beatenName, NoLine: true, Same: true}
		for i, p := range l.Points {
			onFront := slices.Contains(front, i)
			if !onFront {
				beaten.Points = append(beaten.Points, tradePlot(p))
			}
			row(l, p, onFront, ok && i == best)
		}
		for _, i := range front {
			joined.Points = append(joined.Points, tradePlot(l.Points[i]))
		}
		c.Series = append(c.Series, joined)
		if len(beaten.Points) > 0 {
			c.Series = append(c.Series, beaten)
		}
		switch {
		case l.Pick != nil:
			// The ring first, so that the legend shows it; the point
			// itself, with its bar and label, in the line's marker.
			p := tradePlot(*l.Pick)
			ring := p
			ring.Label = ""
			c.Series = append(c.Series, plots.Series{Name: verified, Ring: true, Same: true, Points: []plots.Point{ring}},
				plots.Series{Name: verified, NoLine: true, Same: true, Points: []plots.Point{p}})
			row(l, *l.Pick, false, true)
			findings = append(findings, pickFinding(l, cost, t))
			continue
		case ok:
			p := tradePlot(l.Points[best])
			p.Label = "" // its label is on the front already
			c.Series = append(c.Series, plots.Series{Name: recommended, Ring: true, Same: true, Points: []plots.Point{p}})
		}
		findings = append(findings, cheapestFinding(l, cost, t))
	}
	return &Chart{Name: "tradeoff", Figure: c, Data: data, Finding: strings.Join(findings, "; ") + "."}, nil
}

// pickFinding says where a line's Pick lies: its cost and break rate as
// measured on its own runs, and the bound.
func pickFinding(l TradeLine, cost target.Cost, t target.Target) string {
	p := l.Pick
	return fmt.Sprintf("%s: recommended %s, verified on fresh seeds at %s %s; there %s",
		l.Name, p.At, fmtNum(sigFig(p.Cost)), unitWords(cost), boundsText(p.Judged, t.Confidence))
}

// unitWords names a cost's unit in a finding: "bytes per client-hour",
// "connections per 1000 requests".
func unitWords(cost target.Cost) string {
	unit := cost.Unit
	if unit == "B" {
		unit = "bytes"
	}
	return unit + " per " + cost.PerUnit()
}

// breaksLinear is where a break-rate axis turns from linear to log: at
// the target's limit on breaks, else at 1 per 1000 client-hours.
func breaksLinear(t target.Target) float64 {
	if limit, ok := t.Limit(target.Breaks); ok && limit > 0 {
		return limit
	}
	return 1
}

// tradePlot is a point as the chart draws it: with its 95% bar (or,
// UpperBar, a bar up to its bound), or without breaks at 0 with a bar up
// to its bound, labelled so.
func tradePlot(p TradePoint) plots.Point {
	if p.UpperBar && p.Breaks.Mean > 0 {
		return plots.Point{X: p.Cost, Y: p.Breaks.Mean, YErr: p.BreaksUpper - p.Breaks.Mean, Bound: true, Label: p.Label}
	}
	if p.Breaks.Mean == 0 {
		return plots.Point{X: p.Cost, Y: 0, YErr: p.BreaksUpper, Bound: true, Label: p.Label + " (< " + fmtNum(sigFig(p.BreaksUpper)) + ")"}
	}
	return plots.Point{X: p.Cost, Y: p.Breaks.Mean, YErr: p.Breaks.CI95, Label: p.Label}
}

// sigFig rounds x to three significant figures, for labels.
func sigFig(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	p := math.Pow(10, 2-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// targetPoints is a line's points as target.Cheapest takes them.
func targetPoints(l TradeLine) []target.Point {
	points := make([]target.Point, len(l.Points))
	for i, p := range l.Points {
		points[i] = target.Point{Label: p.Label, Cost: p.Cost, Judgements: p.Judged}
	}
	return points
}

// cheapestFinding says which point of a line is the cheapest that meets
// the target (target.Cheapest), and when none does, why: a limit missed
// everywhere, or runs too short to show it.
func cheapestFinding(l TradeLine, cost target.Cost, t target.Target) string {
	what := report.TargetText(t)
	if i, ok := target.Cheapest(targetPoints(l)); ok {
		p := l.Points[i]
		return fmt.Sprintf("%s: the cheapest point meeting the target (%s) is %s, at %s %s; there %s",
			l.Name, what, p.At, fmtNum(math.Round(p.Cost)), unitWords(cost), boundsText(p.Judged, t.Confidence))
	}
	// Nothing meets it: the point closest to showing it, the undecided one
	// that needs the least exposure, else the one of fewest breaks.
	best := -1
	for i, p := range l.Points {
		if target.Overall(p.Judged) == target.Undecided && (best < 0 || needed(p.Judged) < needed(l.Points[best].Judged)) {
			best = i
		}
	}
	if best >= 0 {
		p := l.Points[best]
		return fmt.Sprintf("%s: no point shows the target (%s): the runs are too short; at %s %s, and about %s client-hours would show it",
			l.Name, what, p.At, boundsText(p.Judged, t.Confidence), fmtNum(math.Round(needed(p.Judged))))
	}
	for i, p := range l.Points {
		if best < 0 || better(p, l.Points[best]) {
			best = i
		}
	}
	p := l.Points[best]
	return fmt.Sprintf("%s: no point meets the target (%s); the fewest breaks, %s per 1000 client-hours, come with %s at %s %s",
		l.Name, what, fmtNum(p.Breaks.Mean), p.At, fmtNum(math.Round(p.Cost)), unitWords(cost))
}

// needed is the most client-hours any undecided judgement needs.
func needed(js []target.Judgement) float64 {
	var n float64
	for _, j := range js {
		if j.Status == target.Undecided {
			n = math.Max(n, j.NeededClientHours)
		}
	}
	return n
}

// boundsText writes each judgement's bound: "breaks: 0 in 58,333
// client-hours, < 0.0514 per 1,000 at 95%".
func boundsText(js []target.Judgement, confidence float64) string {
	var parts []string
	for _, j := range js {
		parts = append(parts, report.JudgementText(j, confidence))
	}
	return strings.Join(parts, "; ")
}

// better orders points by breaks, then by cost.
func better(a, b TradePoint) bool {
	if a.Breaks.Mean != b.Breaks.Mean {
		return a.Breaks.Mean < b.Breaks.Mean
	}
	return a.Cost < b.Cost
}
