package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/advise"
	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/review"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// adviseNote is advise's help beyond its usage.
const adviseNote = `advise finds the value of one duration (the file's advise: block, or
--tune KEY=A..B; keys joined by ';' take one value) that costs least while
every group meets the target (target: block, --target). It brackets the
range on a log grid, refines the cliff (the smallest value that misses the
target), adds replications only where the bounds do not decide, and keeps
the recommendation below the cliff by the scenario's jitter and round trip
and the block's margin. The recommendation is verified with a seed whose
client streams the search never used; those are the figures printed.

--budget bounds the search: a number of runs (default 40) or a wall time
such as 2m (then the result depends on the machine's speed). --compare
tcp,app,server-app searches each keepalive type and picks the cheapest;
it also takes the adaptive presets mars, courier, eas and composite
(adaptive: all four), which have nothing to tune: each is run as
configured, as many replications as its target needs, and compared.

Exit status: 0 a recommendation; 3 nothing in the range meets the target
(the output names the cause); 1 failure; 2 bad input.`

func cmdAdvise(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	lf.registerSample(fs)
	fs.MarkHidden("replications") // advise chooses them; refused below
	lf.registerTarget(fs)
	tune := fs.String("tune", "", "the duration to tune and its range: KEY=A..B (keys tied to one value joined by ';'); replaces advise.tune and advise.range")
	cost := fs.String("cost", "", "what to minimise: "+strings.Join(target.CostNames(), " or ")+" (replaces advise.cost)")
	compare := fs.String("compare", "", "search each of these keepalive types and pick the cheapest: a list of tcp, app, server-app, and adaptive presets mars, courier, eas, composite (adaptive: all four)")
	budgetText := fs.String("budget", strconv.Itoa(advise.DefaultBudget), "stop the search after this many runs, or this wall time (such as 2m)")
	asJSON := fs.Bool("json", false, "print the result object as JSON")
	outDir := fs.String("out", "", "also write advise.json, evaluated.csv, scenario.yaml (at the recommendation), charts and report.md into this directory")
	timing := fs.Bool("timing", false, "include each phase's wall time; the output then differs run to run")
	jobs := jobsFlag(fs, "runs")
	quiet := quietFlag(fs)
	force := forceFlag(fs)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.Changed("replications") {
		return usagef("advise chooses the replications of each value itself: --replications does not apply (--budget bounds the runs)")
	}
	budget, err := parseBudget(*budgetText)
	if err != nil {
		return err
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return err
	}
	if err := adviseFlags(sc, *tune, *cost); err != nil {
		return err
	}
	lf.warn(sc.Warnings())
	if sc.Target.Empty() {
		sc.Target.Set(target.Breaks, advise.DefaultBreaks)
	}
	bases := []*scenarios.Scenario{sc}
	kinds := []string{""}
	if *compare != "" {
		bases, kinds = nil, compareKinds(*compare)
		for _, k := range kinds {
			b, err := sc.Retyped(k)
			if err != nil {
				return err
			}
			bases = append(bases, b)
		}
	}
	// Every value is checked before any run: both ends of the range.
	for _, b := range bases {
		for _, v := range []time.Duration{b.Advise.Lo, b.Advise.Hi} {
			at, err := b.At(v)
			if err != nil {
				return err
			}
			if *jobs, err = lf.plan(at, []scenarios.Point{{Scenario: at}}, *jobs); err != nil {
				return err
			}
		}
	}
	var out *outdir.Writer
	if *outDir != "" {
		if out, err = outdir.Create(*outDir, outdir.Options{Scenario: sc.Config.Name, Force: *force}); err != nil {
			return err
		}
		defer out.Abort()
	}
	batch.TuneGC(lf.limit, 2, *jobs)
	ran := 0 // runs so far, for the progress lines
	runner := func(ctx context.Context, phase string, js []batch.Job) ([]*sim.RunResult, error) {
		ran += len(js)
		if !*quiet {
			fmt.Fprintf(stderr, "natsim: advise %s: %s (%d so far)\n", phase, advise.Plural(len(js), "run"), ran)
		}
		prog := newProgress(stderr, *quiet, jobSpans(js))
		runs, err := batch.Run(ctx, js, *jobs, prog)
		prog.done()
		return runs, err
	}
	var results []*advise.Result
	for i, b := range bases {
		res, err := advise.Search(ctx, advise.Settings{Scenario: b, Run: runner, Budget: budget, Now: time.Now})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w: no recommendation", errInterrupted)
			}
			return err
		}
		res.Keepalive = kinds[i]
		results = append(results, res)
	}
	res := results[0]
	if *compare != "" {
		res = advise.Overall(results)
	}
	if *timing {
		res.WithWall()
	}
	write := res.WriteText
	if *asJSON {
		write = res.WriteJSON
	}
	if err := write(stdout); err != nil {
		return err
	}
	if out != nil {
		if err := writeAdvise(out, res, &sc.Config, stderr); err != nil {
			return err
		}
	}
	if !res.Met {
		return exitStatus(exitMissed)
	}
	return nil
}

// compareKinds reads --compare: names separated by commas, adaptive
// standing for every adaptive preset.
func compareKinds(text string) []string {
	var kinds []string
	for _, k := range strings.Split(text, ",") {
		if k = strings.TrimSpace(k); k == "adaptive" {
			kinds = append(kinds, sim.AdaptivePresetNames()...)
		} else {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// adviseFlags applies --tune and --cost to the scenario's advise, and
// refuses a scenario that says nothing to tune.
func adviseFlags(sc *scenarios.Scenario, tune, cost string) error {
	if tune != "" {
		keys, lo, hi, err := scenarios.ParseTune(tune)
		if err == nil {
			err = sc.SetTune("--tune "+tune, keys, lo, hi)
		}
		if err != nil {
			return err
		}
	}
	if cost != "" {
		c, ok := target.CostNamed(cost)
		if !ok {
			return usagef("--cost must be one of %s (got %q)", strings.Join(target.CostNames(), ", "), cost)
		}
		sc.Advise.Cost = c
	}
	if len(sc.Advise.Tune) == 0 {
		return usagef("%s has no advise: block: give --tune KEY=A..B, such as clients.NAME.keepalive.interval=30s..30m", sc.File)
	}
	return nil
}

// parseBudget reads --budget: runs, or a wall time.
func parseBudget(text string) (advise.Budget, error) {
	if n, err := strconv.Atoi(text); err == nil && n > 0 {
		return advise.Budget{Runs: n}, nil
	}
	if d, err := time.ParseDuration(text); err == nil && d > 0 {
		return advise.Budget{Wall: d}, nil
	}
	return advise.Budget{}, usagef("--budget must be a number of runs (such as 40) or a wall time (such as 2m) (got %q)", text)
}

// writeAdvise writes the folder of --out: advise.json, evaluated.csv,
// the trade-off of the evaluated values, scenario.yaml at the
// recommendation, its charts and report.md; setup is the scenario as
// written, before any value was tried.
func writeAdvise(out *outdir.Writer, res *advise.Result, setup *sim.Config, stderr io.Writer) error {
	err := out.Write(func(dir string) error {
		err := outfile.Write(filepath.Join(dir, "advise.json"), res.WriteJSON)
		if err == nil {
			err = outfile.Write(filepath.Join(dir, "evaluated.csv"), func(w io.Writer) error { return writeEvaluated(w, res) })
		}
		if err != nil {
			return err
		}
		var written []review.Written
		trade, err := adviseTradeoff(res)
		switch {
		case err == nil:
			if err = review.Save(trade, filepath.Join(dir, trade.Name+".png")); err != nil {
				return err
			}
			written = append(written, review.Written{Chart: trade, File: trade.Name + ".png"})
		case !errors.Is(err, review.ErrNotApplicable):
			return err
		}
		sc, runs := res.Pick()
		if sc != nil {
			if err = writeResolved(dir, sc, nil); err != nil {
				return err
			}
			occ, err := review.WriteRun(dir, &sc.Config, runs[0], "png")
			if err != nil {
				return err
			}
			written = append(written, occ...)
		}
		return outfile.Write(filepath.Join(dir, "report.md"), func(w io.Writer) error { return adviseReport(w, res, setup, written) })
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "natsim: wrote %s\n", out.Path)
	return nil
}

// adviseTradeoff is the trade-off of the values advise ran: one line per
// keepalive type searched (one without --compare), each ringed at its
// verified pick, whose figures are of the verification runs (fresh
// seeds), not of the search's.
func adviseTradeoff(res *advise.Result) (*review.Chart, error) {
	cost, _ := target.CostNamed(res.Cost.Metric) // advise refused any other
	all := res.Compare
	if len(all) == 0 {
		all = []*advise.Result{res}
	}
	var ls []review.TradeLine
	for _, r := range all {
		l := review.TradeLine{Name: r.Keepalive}
		if l.Name == "" {
			l.Name = strings.Join(r.Tune, "; ")
		}
		for _, e := range r.Evaluated {
			l.Points = append(l.Points, adviseTradePoint(e, r.Tune))
		}
		if e := r.Picked(); e != nil {
			p := adviseTradePoint(*e, r.Tune)
			switch {
			case len(r.Tune) == 0:
				p.Label = r.Keepalive + " as configured"
			case r.Met:
				p.Label += " verified"
			default:
				p.Label += " failed verification"
			}
			l.Pick = &p
		}
		ls = append(ls, l)
	}
	return review.Tradeoff(res.Scenario+": breaks against "+cost.Words+", the values advise ran", cost, ls, res.Target)
}

// adviseTradePoint is an evaluated value as a point of the trade-off.
func adviseTradePoint(e advise.Evaluated, tune []string) review.TradePoint {
	p := review.TradePoint{Label: e.Value, At: strings.Join(tune, "; ") + "=" + e.Value, Cost: e.Cost,
		Breaks: sweep.Stat{Mean: e.Breaks.Mean}, BreaksUpper: math.Inf(1), UpperBar: true, Judged: e.Judged}
	if e.Breaks.Upper != nil {
		p.BreaksUpper = *e.Breaks.Upper
	}
	return p
}

// csvMetrics are the metrics of evaluated.csv after breaks, each with
// its columns of mean and upper bound, empty where the row has none:
// failed requests first (their columns came first), then the others.
var csvMetrics = []struct {
	metric      target.Metric
	mean, upper string
}{
	{target.FailedRequests, "failed_per_million_requests", "failed_upper"},
	{target.Downtime, "downtime_fraction", "downtime_upper"},
	{target.Lost, "lost_per_1000_messages", "lost_upper"},
	{target.PushDelayP99, "push_delay_p99_s", "push_delay_upper"},
}

// writeEvaluated writes the evaluated values as CSV, one row each (with
// --compare, each keepalive type's); a metric's columns are empty where
// the target does not limit it (failed requests: where no group issued
// requests).
func writeEvaluated(w io.Writer, res *advise.Result) error {
	cw := csv.NewWriter(w)
	head := []string{"keepalive", "value", "value_s", "runs", res.Cost.Metric, "breaks_per_1000_client_hours", "breaks_upper", "status"}
	for _, c := range csvMetrics {
		head = append(head, c.mean, c.upper)
	}
	cw.Write(head)
	all := res.Compare
	if len(all) == 0 {
		all = []*advise.Result{res}
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	upper := func(m *advise.MeanUpper) string {
		if m == nil || m.Upper == nil {
			return ""
		}
		return f(*m.Upper)
	}
	for _, r := range all {
		for _, e := range r.Evaluated {
			row := []string{r.Keepalive, e.Value, f(e.ValueS), strconv.Itoa(e.Runs), f(e.Cost), f(e.Breaks.Mean), upper(&e.Breaks), e.Status}
			for _, c := range csvMetrics {
				mean, m := "", e.Limit(c.metric)
				if m != nil {
					mean = f(m.Mean)
				}
				row = append(row, mean, upper(m))
			}
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

// adviseReport writes report.md: the question and the answer (the
// verdict line), the setup as written, then the evidence: the advice as
// printed (the evaluated values and the verification) and the charts,
// the trade-off first.
func adviseReport(w io.Writer, res *advise.Result, setup *sim.Config, charts []review.Written) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# natsim advise: %s\n\n## Question\n\n", res.Scenario)
	what := "which value of " + strings.Join(res.Tune, "; ")
	if len(res.Compare) > 0 {
		what = "which keepalive type, and which setting of it,"
	}
	fmt.Fprintf(&b, "In %s, %s costs least (%s) while every group meets the target (%s)?\n\n",
		setup.Name, what, res.Cost.Metric, report.TargetText(res.Target))
	fmt.Fprintf(&b, "## Answer\n\n%s\n\n", res.Headline())
	review.Setup(&b, setup)
	b.WriteString("\n## Evidence\n\n```\n")
	if err := res.WriteText(&b); err != nil {
		return err
	}
	b.WriteString("```\n")
	if len(charts) > 0 {
		b.WriteString("\nThe trade-off is of the search runs but for its ringed point, the recommendation, which is of the " +
			"verification runs; the occupancy is of the first verification run.\n")
	}
	for _, c := range charts {
		fmt.Fprintf(&b, "\n### %s\n\n![%s](%s)\n\n%s\n", c.Name, c.Name, c.File, c.Finding)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
