package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/review"
	"github.com/natsim/natsim/internal/shard"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/plots"
)

// sweepNote is sweep's help beyond its usage.
const sweepNote = `The points are the values of the file's sweep: block and of the --param
flags; a --param replaces the block's key of the same name. --set, --seed
and --replications change every point, so a key that the sweep varies
cannot also be set. The output folder holds sweep.csv, sweep.json, runs.csv,
timeseries.csv, scenario.yaml (which reproduces the sweep) and a manifest.

The trade-off chart's finding is the cheapest point (least overhead per
client-hour) that meets the target (the file's target: and --target),
judged on upper confidence bounds; without a target, at most 1 break
per 1000 client-hours at 95% confidence.
` + shardNote

func cmdSweep(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	lf.registerSample(fs)
	lf.registerTarget(fs)
	params := paramFlag(fs)
	jobs := jobsFlag(fs, "runs")
	outDir := fs.String("out", "", "output directory (default natsim-out/NAME-TIMESTAMP)")
	charts := fs.Bool("charts", false, "draw the standard charts (PNG, each with its data as CSV)")
	format := fs.String("format", "png", "chart format with --charts: png, svg or pdf")
	report := fs.Bool("report", false, "write report.md with the setup, results, charts and findings (implies --charts)")
	shardText := fs.String("shard", "", "run only shard I/N of the runs (from 0), or env: the index of this array task (see below)")
	shards := fs.Int("shards", 0, "with --shard env: the number of shards, where the engine does not give it")
	quiet := quietFlag(fs)
	force := forceFlag(fs)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	var spec shard.Spec
	if *shardText != "" {
		var err error
		if spec, err = shardSpec(*shardText, *shards); err != nil {
			return err
		}
		if *outDir == "" || *charts || *report {
			return usagef("--shard needs --out DIR and draws no charts: natsim merge writes the sweep's files")
		}
	} else if fs.Changed("shards") {
		return usagef("--shards goes with --shard env")
	}
	if _, err := plots.FormatOf("x." + *format); err != nil {
		return usagef("--format must be png, svg or pdf (got %q)", *format)
	}
	sc, keys, points, workers, err := lf.sweepPoints(fs, *params, *jobs)
	if err != nil {
		return err
	}
	*jobs = workers
	if *shardText != "" {
		return runShard(ctx, &lf, sc, points, spec, *outDir, *jobs, *force, *quiet, stdout, stderr)
	}
	swept := sc.Keys(keys)
	var names []string
	for _, k := range swept {
		names = append(names, k.Key)
	}
	dir := *outDir
	if dir == "" {
		dir = sweep.DefaultDir(sc.Config.Name, time.Now())
	}
	out, err := outdir.Create(dir, outdir.Options{Scenario: sc.Config.Name, Force: *force, Unique: *outDir == ""})
	if err != nil {
		return err
	}
	defer out.Abort()
	dir = out.Path
	var jobSpans []time.Duration
	var jobPoint []int
	var labels []string
	for pi, p := range points {
		labels = append(labels, p.Label())
		for range p.Scenario.Replications {
			jobSpans = append(jobSpans, p.Scenario.Config.Duration)
			jobPoint = append(jobPoint, pi)
		}
	}
	batch.TuneGC(lf.limit, len(jobSpans), *jobs)
	prog := newProgress(stderr, *quiet, jobSpans)
	prog.countPoints(jobPoint, labels, *quiet)
	// Until the folder is written, an interruption is announced here and
	// the points done are kept.
	defer context.AfterFunc(ctx, func() {
		fmt.Fprintln(stderr, "\nnatsim: interrupted: finishing up and writing the points done so far (Ctrl-C again to quit at once)")
	})()
	res, err := sweep.Run(ctx, points, names, *jobs, prog)
	prog.done()
	if err != nil {
		return err
	}
	if res.PointsDone == 0 {
		return fmt.Errorf("%w before any point finished: nothing written", errInterrupted)
	}
	var written []review.Written
	err = out.Write(func(dir string) error {
		err := res.Write(dir)
		if err == nil {
			err = writeResolved(dir, sc, points)
		}
		if err != nil || !*charts && !*report {
			return err
		}
		var skipped []string
		if written, skipped, err = review.WriteAll(dir, res, res.Series(), *format); err != nil || !*report {
			return err
		}
		return outfile.Write(filepath.Join(dir, "report.md"), func(w io.Writer) error {
			return review.Report(w, res, &sc.Config, written, skipped)
		})
	})
	if err != nil {
		return err
	}
	for _, c := range written {
		fmt.Fprintf(stdout, "%s: %s\n", c.Name, c.Finding)
	}
	fmt.Fprintf(stdout, "wrote %d of %d points to %s\n", res.PointsDone, res.PointsTotal, dir)
	if res.Partial {
		return fmt.Errorf("%w: the sweep is partial (%d of %d points); %s/sweep.json says so", errInterrupted, res.PointsDone, res.PointsTotal, dir)
	}
	return nil
}
