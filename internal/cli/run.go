package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/review"
	"github.com/natsim/natsim/internal/verdict"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// runNote says which charts run --charts draws (review.RunNames) and why
// not the others.
const runNote = `--charts draws occupancy (each middlebox's entries over time). tradeoff needs several points of a group, and breaks-vs,
detection and heatmap draw against swept values, which one run does not
have: natsim sweep draws them.

The verdict comes first: per group PASS, FAIL or UNDECIDED against the
target (the file's target: block, with --target METRIC<=X setting or
overriding a limit, --target confidence=C the confidence), or without one
SURVIVES or BREAKS (FAILS: a request-driven group's requests failed, with
no break); then the middlebox that binds, the margin between its
timeout and the keepalive, and the cost per client-hour. Limits are
judged on upper confidence bounds, never on the mean.

Exit status: 0 done (target met, or none); 3 target not met (a limit
missed, or not shown by a run too short); 1 failure; 2 bad input.`

func cmdRun(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	lf.registerSample(fs)
	lf.registerTarget(fs)
	asJSON := fs.Bool("json", false, "print the result object as JSON instead of a table")
	outDir := fs.String("out", "", "also write result.json and scenario.yaml (and timeseries.csv) into this directory")
	series := fs.Bool("timeseries", false, "write timeseries.csv (occupancy and breaks per middlebox) into --out")
	charts := fs.Bool("charts", false, "draw the charts of one run ("+strings.Join(review.RunNames, ", ")+") into --out as PNG")
	timing := fs.Bool("timing", false, "include wall-clock seconds (wall_s) in the result; results then differ run to run")
	verbose := fs.Bool("verbose", false, "add the engine's count of events per run to the report")
	jobs := jobsFlag(fs, "replications run")
	quiet := quietFlag(fs)
	force := forceFlag(fs)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if (*series || *charts) && *outDir == "" {
		return usagef("--timeseries and --charts need --out DIR")
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return err
	}
	lf.warn(sc.Warnings())
	var out *outdir.Writer
	var points []scenarios.Point // for scenario.yaml, which must reproduce the file's own sweep too
	if *outDir != "" {
		if points, err = sc.Points(nil); err != nil {
			return err
		}
		if out, err = outdir.Create(*outDir, outdir.Options{Scenario: sc.Config.Name, Force: *force}); err != nil {
			return err
		}
		defer out.Abort()
	}
	if len(sc.Sweep) > 0 && !*quiet {
		fmt.Fprintf(stderr, "natsim: %s has a sweep: block; run uses the values as written (natsim sweep runs the sweep)\n", sc.File)
	}
	if *jobs, err = lf.plan(sc, []scenarios.Point{{Scenario: sc}}, *jobs); err != nil {
		return err
	}
	start := time.Now()
	batchJobs := make([]batch.Job, sc.Replications)
	for rep := range batchJobs {
		batchJobs[rep] = batch.Job{Config: &sc.Config, Replication: rep}
	}
	batch.TuneGC(lf.limit, len(batchJobs), *jobs)
	prog := newProgress(stderr, *quiet, jobSpans(batchJobs))
	runs, err := batch.Run(ctx, batchJobs, *jobs, prog)
	prog.done()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no result", errInterrupted)
	}
	res := sim.Aggregate(&sc.Config, runs)
	if *timing {
		wall := time.Since(start).Seconds()
		res.WallS = &wall
	}
	v := verdict.Of(&sc.Config, sc.Target, runs)
	var outErr error
	if out != nil {
		outErr = writeOutputs(out, verdict.Result{Result: res, Verdict: &v}, sc, points, runs, *series, *charts, stderr)
	}
	write := func(w io.Writer) error {
		if err := report.WriteVerdict(w, v, sc.Target.Confidence, len(runs)); err != nil {
			return err
		}
		return report.Write(w, &sc.Config, res, report.Options{Verbose: *verbose})
	}
	if *asJSON {
		write = verdict.Result{Result: res, Verdict: &v}.WriteJSON
	}
	if err := errors.Join(outErr, write(stdout)); err != nil { // the table even if the folder failed
		return err
	}
	if v.Met != nil && !*v.Met {
		return exitStatus(exitMissed)
	}
	return nil
}

// exitMissed is the exit status of a run whose target is not met (a
// limit missed, or not shown by a run too short).
const exitMissed = 3

// writeOutputs writes result.json (the result with its verdict) and
// scenario.yaml (and timeseries.csv, with intervals.csv for adaptive
// keepalives, and the charts) into out as one set.
func writeOutputs(out *outdir.Writer, vres verdict.Result, sc *scenarios.Scenario, points []scenarios.Point, runs []*sim.RunResult, series, charts bool, stderr io.Writer) error {
	var written []review.Written
	err := out.Write(func(dir string) error {
		err := outfile.Write(filepath.Join(dir, "result.json"), vres.WriteJSON)
		if err == nil {
			err = writeResolved(dir, sc, points)
		}
		if err == nil && series {
			err = outfile.Write(filepath.Join(dir, "timeseries.csv"), func(w io.Writer) error {
				return sim.WriteSeriesCSV(w, &sc.Config, runs[0])
			})
		}
		if err == nil && series && len(runs[0].Intervals) > 0 {
			err = outfile.Write(filepath.Join(dir, "intervals.csv"), func(w io.Writer) error {
				return sim.WriteIntervalsCSV(w, runs[0])
			})
		}
		if err == nil && charts {
			written, err = review.WriteRun(dir, &sc.Config, runs[0], "png")
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, c := range written {
		fmt.Fprintf(stderr, "natsim: wrote %s: %s\n", filepath.Join(out.Path, c.File), c.Finding)
	}
	return nil
}
