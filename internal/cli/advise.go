package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/advise"
	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/review"
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
	runner := func(ctx context.Context, phase string, js []batch.Job) ([]*sim.RunResult, error) {
		if !*quiet {
			fmt.Fprintf(stderr, "natsim: advise %s: %d runs\n", phase, len(js))
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
		if err := writeAdvise(out, res, stderr); err != nil {
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
// scenario.yaml at the recommendation, its charts and report.md.
func writeAdvise(out *outdir.Writer, res *advise.Result, stderr io.Writer) error {
	var written []review.Written
	err := out.Write(func(dir string) error {
		err := outfile.Write(filepath.Join(dir, "advise.json"), res.WriteJSON)
		if err == nil {
			err = outfile.Write(filepath.Join(dir, "evaluated.csv"), func(w io.Writer) error { return writeEvaluated(w, res) })
		}
		sc, runs := res.Pick()
		if err != nil || sc == nil {
			return err
		}
		if err = writeResolved(dir, sc, nil); err != nil {
			return err
		}
		if written, err = review.WriteRun(dir, &sc.Config, runs[0], "png"); err != nil {
			return err
		}
		return outfile.Write(filepath.Join(dir, "report.md"), func(w io.Writer) error { return adviseReport(w, res, written) })
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "natsim: wrote %s\n", out.Path)
	return nil
}

// writeEvaluated writes the evaluated values as CSV, one row each (with
// --compare, each keepalive type's); the failed-request columns are
// empty where no group issued requests.
func writeEvaluated(w io.Writer, res *advise.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"keepalive", "value", "value_s", "runs", res.Cost.Metric, "breaks_per_1000_client_hours", "breaks_upper", "status",
		"failed_per_million_requests", "failed_upper"})
	all := res.Compare
	if len(all) == 0 {
		all = []*advise.Result{res}
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	for _, r := range all {
		for _, e := range r.Evaluated {
			upper := func(m *advise.MeanUpper) string {
				if m == nil || m.Upper == nil {
					return ""
				}
				return f(*m.Upper)
			}
			failed := ""
			if e.Failed != nil {
				failed = f(e.Failed.Mean)
			}
			cw.Write([]string{r.Keepalive, e.Value, f(e.ValueS), strconv.Itoa(e.Runs), f(e.Cost), f(e.Breaks.Mean), upper(&e.Breaks), e.Status,
				failed, upper(e.Failed)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// adviseReport writes report.md: the advice as printed, and the charts
// of the verification runs.
func adviseReport(w io.Writer, res *advise.Result, charts []review.Written) error {
	fmt.Fprintf(w, "# natsim advise: %s\n\n```\n", res.Scenario)
	if err := res.WriteText(w); err != nil {
		return err
	}
	fmt.Fprint(w, "```\n\nThe charts are of the verification runs at the recommendation.\n\n")
	for _, c := range charts {
		fmt.Fprintf(w, "![%s](%s)\n\n%s\n\n", c.Name, c.File, c.Finding)
	}
	return nil
}
