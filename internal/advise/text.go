package advise

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/sim"
)

// WriteJSON writes r as indented JSON (advise --json).
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WithWall adds each phase's wall seconds to r (advise --timing).
func (r *Result) WithWall() {
	for _, rs := range append([]*Result{r}, r.Compare...) {
		for i := range rs.Phases {
			s := rs.Phases[i].wall.Seconds()
			rs.Phases[i].WallS = &s
		}
	}
}

// WriteText writes r for people: the verdict line first, then (with
// --compare) the table of keepalive types, the evaluated values, the
// notes, and where the time went.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(r.Headline() + "\n")
	b.WriteString(r.targetText() + "\n")
	if len(r.Compare) > 0 {
		b.WriteString("\ncheapest setting of each keepalive type (from its verification runs):\n")
		r.writeCompare(&b)
		for _, c := range r.Compare {
			fmt.Fprintf(&b, "\n%s: %s\n", c.Keepalive, c.Headline())
			c.writeDetail(&b)
		}
	} else {
		r.writeDetail(&b)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCompare writes the table of advise --compare: per keepalive type
// its setting, every cost, its break rate and bound, the cliff, and
// whether it met the target. A type that ran but missed is shown with
// its figures: they say by how much.
func (r *Result) writeCompare(b *strings.Builder) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	var costs []CostValue
	for _, c := range r.Compare {
		if len(c.Costs) > len(costs) {
			costs = c.Costs
		}
	}
	head := "  keepalive\tsetting"
	for _, c := range costs {
		head += "\t" + c.Metric // by name: two costs may share a unit
	}
	fmt.Fprintln(tw, head+"\tbreaks/1000 ch\tbound\tcliff\tmet")
	for _, c := range r.Compare {
		set, cliff := "-", "-"
		if c.Setting != "" {
			set = c.Setting
		}
		if c.CliffS != nil {
			cliff = seconds(*c.CliffS)
		}
		line := fmt.Sprintf("  %s\t%s", c.Keepalive, set)
		for i := range costs {
			x := "-"
			if i < len(c.Costs) {
				x = report.Number(c.Costs[i].Value)
			}
			line += "\t" + x
		}
		br, upper := "-", "-"
		if c.Breaks != nil {
			br = report.Number(c.Breaks.Mean)
			if c.Breaks.Upper != nil {
				upper = report.Number(*c.Breaks.Upper)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", line, br, upper, cliff, c.Met)
	}
	tw.Flush()
}

// targetText says what the target was, and at which confidence.
func (r *Result) targetText() string {
	every := "every group"
	if r.mixed {
		every += " and every path of a group that mixes paths"
	}
	return fmt.Sprintf("target: %s for %s, on %s upper bounds; minimising %s",
		report.TargetLimits(r.Target), every, report.Percent(r.Target.Confidence), r.Cost.Metric)
}

// Headline is the verdict line: RECOMMEND ... or NOTHING MEETS ....
func (r *Result) Headline() string {
	if r.pick == nil {
		text := "the search found no value"
		if r.Diagnosis != nil {
			text = r.Diagnosis.Text
		}
		return fmt.Sprintf("NOTHING MEETS the target: no value of %s in the range does (%s)", strings.Join(r.Tune, ", "), text)
	}
	word := "RECOMMEND"
	switch {
	case len(r.Tune) == 0 && !r.Met:
		word = "MISSES the target:"
	case !r.Met:
		word = "NOT VERIFIED"
	}
	s := fmt.Sprintf("%s %s: %s, %s", word, r.Setting, r.breaksText(), r.costText())
	switch {
	case len(r.Tune) == 0:
		s += "; run as configured, nothing to tune"
	case r.CliffS != nil:
		s += fmt.Sprintf("; cliff at %s", seconds(*r.CliffS))
		if r.CliffMetric != "" && r.CliffMetric != target.Breaks {
			s += " on " + string(r.CliffMetric)
		}
		if r.BindingMiddlebox != "" {
			s += fmt.Sprintf(" (%s, %s", r.BindingMiddlebox, r.CliffTimeout)
			if r.BindingAt.Path != "" {
				s += ", on " + r.BindingAt.String()
			}
			s += ")"
		}
		s += fmt.Sprintf("; margin %s", seconds(*r.MarginS))
	default:
		s += "; no value of the range missed the target"
	}
	return s
}

// describe names the recommended setting in the keepalive's words.
func (r *Result) describe() string {
	cfg := &r.pick.sc.Config
	v := r.pick.value
	k := cfg.Groups[0].Keepalive
	same := true
	for _, g := range cfg.Groups {
		same = same && g.Keepalive.Type == k.Type
		k.Jitter = max(k.Jitter, g.Keepalive.Jitter) // the largest, as the margin takes it
	}
	all := func(suffix string) bool { // every key tuned, and at least one, ends so
		return len(r.Tune) > 0 && !slices.ContainsFunc(r.Tune, func(key string) bool { return !strings.HasSuffix(key, suffix) })
	}
	tail := func(suffix string) bool { return all(".keepalive."+suffix) && same }
	groups := Plural(len(r.Tune), "group")
	switch {
	case all(".pool.idle_timeout"):
		return fmt.Sprintf("pool idle timeout %v (%s)", v, groups)
	case all(".pool.max_lifetime"):
		return fmt.Sprintf("pool max lifetime %v (%s)", v, groups)
	case tail("interval") && k.Type == sim.KeepaliveApp:
		return fmt.Sprintf("app heartbeat every %v (jitter ±%v)", v, k.Jitter)
	case tail("interval") && k.Type == sim.KeepaliveServerApp:
		return fmt.Sprintf("server heartbeat every %v (jitter ±%v)", v, k.Jitter)
	case tail("idle") && k.Type == sim.KeepaliveTCP:
		return fmt.Sprintf("TCP keepalive idle %v (probes every %v, %d of them)", v, k.Interval, k.Count)
	case len(r.Tune) == 0 && same && k.Type == sim.KeepaliveAdaptive:
		return fmt.Sprintf("adaptive heartbeat %v (within [%v, %v])", k.Adaptive.Preset, k.Adaptive.Min, k.Adaptive.Max)
	case len(r.Tune) == 0:
		return "the keepalives as configured"
	}
	return fmt.Sprintf("%s = %v", strings.Join(r.Tune, ", "), v)
}

// metricWords name the metrics in the verdict line.
var metricWords = map[target.Metric]string{
	target.Breaks:         "breaks per 1000 client-hours",
	target.Downtime:       "of the time down",
	target.Lost:           "lost per 1000 messages",
	target.PushDelayP99:   "s push delay p99",
	target.FailedRequests: "failed per million requests",
}

// breaksText is the verified break rate (unless every group is
// request-driven and the target does not limit it) and every limit of
// the target, each of the group (or path of a group that mixes paths)
// that reported picks, as the tables quote it, with the bound and the
// limit.
func (r *Result) breaksText() string {
	e := r.pick
	c := e.sc.Target.Confidence
	requestsOnly := !slices.ContainsFunc(e.sc.Config.Groups, func(g sim.Group) bool { return g.Requests == nil })
	var parts []string
	for _, m := range target.Metrics {
		l, limited := e.sc.Target.Limit(m)
		if !limited && (m != target.Breaks || requestsOnly) {
			continue
		}
		worst := reported(e, m)
		upper := "none"
		if !math.IsInf(worst.Upper, 1) {
			upper = report.Number(worst.Upper)
		}
		s := fmt.Sprintf("%s %s (%s bound %s", report.Number(worst.Estimate), metricWords[m], report.Percent(c), upper)
		if limited {
			op := "<="
			if !(worst.Upper <= l) {
				op = ">"
			}
			s += fmt.Sprintf(" %s %s", op, report.Number(l))
		}
		parts = append(parts, s+")")
	}
	return strings.Join(parts, ", ")
}

// costText is the cost at the recommendation.
func (r *Result) costText() string {
	if r.Cost.Unit == "B" {
		return report.Bytes(r.Cost.Value) + " per " + r.Cost.Per
	}
	return report.Number(r.Cost.Value) + " " + r.Cost.Unit + " per " + r.Cost.Per
}

// writeDetail writes the evaluated values, the notes and the phases.
func (r *Result) writeDetail(b *strings.Builder) {
	switch {
	case len(r.Tune) == 0 && r.Verification != nil:
		fmt.Fprintf(b, "\nnothing to tune: run as configured with seed %d, %s\n", r.Verification.Seeds[0], Plural(r.Verification.Replications, "replication"))
	case r.Verification != nil:
		fmt.Fprintf(b, "\nevaluated (search runs, seed %d; the recommendation was verified with seed %d, %s):\n",
			r.searchSeed, r.Verification.Seeds[0], Plural(r.Verification.Replications, "replication"))
	default:
		fmt.Fprintf(b, "\nevaluated (search runs, seed %d):\n", r.searchSeed)
	}
	if len(r.Tune) > 0 {
		r.writeEvaluated(b)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "note: %s\n", n)
	}
	if r.BudgetOut {
		b.WriteString("note: the budget ran out; this is what the runs so far show\n")
	}
	b.WriteString("\nwhere the time went:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	wall := len(r.Phases) > 0 && r.Phases[0].WallS != nil
	head := "  phase\truns\tclient-hours\t"
	if wall {
		head += "wall\t"
	}
	fmt.Fprintln(tw, head)
	total := Phase{Name: "total", WallS: new(float64)}
	for _, p := range r.Phases {
		total.Runs += p.Runs
		total.ClientHours += p.ClientHours
		if wall {
			*total.WallS += *p.WallS
		}
	}
	for _, p := range append(slices.Clone(r.Phases), total) {
		line := fmt.Sprintf("  %s\t%d\t%s\t", p.Name, p.Runs, report.Count(p.ClientHours))
		if wall {
			line += report.Seconds(*p.WallS) + "\t"
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// columnWords head the table's columns of each metric.
var columnWords = map[target.Metric]string{
	target.Breaks:         "breaks/1000 ch",
	target.Downtime:       "downtime",
	target.Lost:           "lost/1000 msg",
	target.PushDelayP99:   "push p99 s",
	target.FailedRequests: "failed/1M requests",
}

// writeEvaluated writes the table of the values the search ran: for
// each metric shown, its mean and upper bound.
func (r *Result) writeEvaluated(b *strings.Builder) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := fmt.Sprintf("  value\truns\t%s/%s\t", r.Cost.Unit, r.Cost.Per)
	for _, m := range r.shown {
		head += columnWords[m] + "\tbound\t"
	}
	fmt.Fprintln(tw, head+"target\t")
	for _, e := range r.Evaluated {
		line := fmt.Sprintf("  %s\t%d\t%s\t", e.Value, e.Runs, report.Number(e.Cost))
		for _, m := range r.shown {
			mean, upper := "-", "-"
			if x := e.Limit(m); x != nil {
				mean = report.Number(x.Mean)
				if x.Upper != nil {
					upper = report.Number(*x.Upper)
				}
			}
			line += mean + "\t" + upper + "\t"
		}
		fmt.Fprintln(tw, line+e.Status+"\t")
	}
	tw.Flush()
}

// Plural is n things, "1 replication", "2 replications".
func Plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// seconds writes seconds as a duration such as 4m30s.
func seconds(s float64) string {
	return (time.Duration(math.Round(s*1000)) * time.Millisecond).String()
}

// Overall is the answer of advise --compare: the cheapest of the
// searches that met the target, with every search in Compare and the
// runs, client-hours and phases of all of them; when none met it, the
// first search's answer and diagnosis.
func Overall(rs []*Result) *Result {
	best := 0
	for i, r := range rs {
		if r.Met && (!rs[best].Met || r.Cost.Value < rs[best].Cost.Value) {
			best = i
		}
	}
	o := *rs[best]
	o.Compare, o.Runs, o.ClientHours, o.Phases = rs, 0, 0, nil
	for _, r := range rs {
		o.Runs += r.Runs
		o.ClientHours += r.ClientHours
		for _, p := range r.Phases {
			i := slices.IndexFunc(o.Phases, func(q Phase) bool { return q.Name == p.Name })
			if i < 0 {
				o.Phases = append(o.Phases, Phase{Name: p.Name})
				i = len(o.Phases) - 1
			}
			o.Phases[i].Runs += p.Runs
			o.Phases[i].ClientHours += p.ClientHours
			o.Phases[i].wall += p.wall
		}
	}
	return &o
}
