// Command natsim simulates NAT and other middlebox connection tables
// traversed by long-lived connections, and reports how often they break,
// how long breaks go unnoticed and what keepalives cost.
//
// main is thin: it parses flags, wires packages together and maps errors
// to exit statuses (0 ok, 1 failure, 2 bad input or usage).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/bench"
	"github.com/natsim/natsim/internal/guard"
	"github.com/natsim/natsim/internal/kernel"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/review"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/sysres"
	"github.com/natsim/natsim/internal/validate"
	"github.com/natsim/natsim/plots"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var es exitStatus
	if err != nil && !errors.Is(err, errShown) && !errors.As(err, &es) {
		fmt.Fprintln(os.Stderr, "natsim: "+strings.ReplaceAll(err.Error(), "\n", "\nnatsim: "))
	}
	os.Exit(exitCode(err))
}

// exitStatus is the exit status of a natsim run again in a user
// namespace, which has printed its own messages.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see natsim --help)" }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errShown is returned when the message was already printed (help).
var errShown = errors.New("shown")

func exitCode(err error) int {
	var es exitStatus
	if errors.As(err, &es) {
		return int(es) // 0 when the re-run succeeded
	}
	var ue usageError
	var ps scenarios.Problems
	var missing *kernel.MissingError
	var badOut *outdir.BadError
	switch {
	case err == nil || errors.Is(err, errShown):
		return 0
	case errors.As(err, &ue), errors.As(err, &ps), errors.As(err, &missing), errors.As(err, &badOut):
		return 2
	case errors.Is(err, errInterrupted):
		return 130
	default:
		return 1
	}
}

const topHelp = `natsim simulates NAT and middlebox connection tables traversed by
long-lived connections: will they survive, and what is the cheapest
keepalive that keeps them alive?

Usage:
  natsim run FILE [flags]     run a scenario and print its results
  natsim sweep FILE [flags]   run a scenario over swept values; CSV, JSON, charts, report
  natsim plot DIR --chart NAME  draw one chart from a sweep's output
  natsim check FILE [flags]   validate a scenario without running it
  natsim presets              list the middlebox presets and their sources
  natsim validate [--full]    hold the simulator against closed-form results
  natsim bench [--clients N]  measure speed and memory on the reference workload
  natsim kernel-check FILE... hold the simulator against a real Linux NAT (root)
  natsim --version            print the version

Run 'natsim COMMAND --help' for a command's flags. Scenario format:
README.md and shared/SCENARIO.md.
`

// run is natsim with its arguments and output streams; tests call it. A
// write to stdout that fails (a full disk, say) fails the command.
func run(args []string, stdout, stderr io.Writer) error {
	out := &checkedWriter{w: stdout}
	err := dispatch(args, out, stderr)
	if (err == nil || errors.Is(err, errShown)) && out.err != nil {
		err = fmt.Errorf("writing the output: %w", out.err)
	}
	return err
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topHelp)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "check":
		return cmdCheck(args[1:], stdout, stderr)
	case "presets":
		return cmdPresets(args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "sweep":
		return cmdSweep(args[1:], stdout, stderr)
	case "plot":
		return cmdPlot(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "kernel-check":
		return cmdKernelCheck(args[1:], stdout, stderr)
	case "--version", "version":
		fmt.Fprintln(stdout, "natsim", sim.Version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, topHelp)
		return nil
	}
	return usagef("unknown command %q", args[0])
}

// newFlags makes a command's flag set; its help goes to stdout.
func newFlags(name, usage string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: natsim %s\n\nFlags:\n", usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// oneOrMore, as parseFlags' nargs, takes any number of arguments but none.
const oneOrMore = -1

// parseFlags parses args and checks that nargs arguments (or oneOrMore)
// remain; --help prints the usage and stops the command.
func parseFlags(fs *pflag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) { // pflag has printed the usage
			return errShown
		}
		return usageError{err.Error()}
	}
	switch {
	case nargs == oneOrMore && fs.NArg() == 0:
		return usagef("natsim %s takes one or more arguments", fs.Name())
	case nargs != oneOrMore && fs.NArg() != nargs:
		return usagef("natsim %s takes %d argument(s), got %d: %s", fs.Name(), nargs, fs.NArg(), strings.Join(fs.Args(), " "))
	}
	return nil
}

// loadFlags are the flags that shape which scenario is loaded.
type loadFlags struct {
	sets         []string
	seed         uint64
	replications int
	maxMemory    string
	maxEvents    float64
	stderr       io.Writer // where the estimates of a large run go
	limit        int64     // the memory limit in force, once loaded
}

func (l *loadFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&l.sets, "set", nil, "override a field: KEY=VALUE, e.g. path.natgw.capacity=40000 (repeatable)")
	fs.Uint64Var(&l.seed, "seed", 0, "random seed (overrides the scenario's)")
	fs.IntVar(&l.replications, "replications", 0, "independent replications (overrides the scenario's)")
	fs.StringVar(&l.maxMemory, "max-memory", "", "refuse scenarios estimated to need more memory than this, e.g. 8GiB (default 75% of this machine or its cgroup)")
	fs.Float64Var(&l.maxEvents, "max-events", guard.DefaultMaxEvents, "refuse runs estimated to process more events than this (about an hour each at 1e11)")
}

// load reads the scenario with the flags' overrides applied and checks
// that it fits in memory.
func (l *loadFlags) load(fs *pflag.FlagSet, file string) (*scenarios.Scenario, error) {
	sets := append([]string(nil), l.sets...)
	if fs.Changed("seed") {
		sets = append(sets, "seed="+strconv.FormatUint(l.seed, 10))
	}
	if fs.Changed("replications") {
		sets = append(sets, "replications="+strconv.Itoa(l.replications))
	}
	sc, err := scenarios.Load(file, sets)
	if err != nil {
		return nil, err
	}
	if l.limit, err = memoryLimit(l.maxMemory); err != nil {
		return nil, err
	}
	if !(l.maxEvents > 0) {
		return nil, usagef("--max-events must be positive (got %v)", l.maxEvents)
	}
	return sc, nil
}

// plan holds every point of sc against the memory limit and --max-events
// on up to jobs workers, and returns the workers to use (see guard.Plan).
func (l *loadFlags) plan(sc *scenarios.Scenario, points []scenarios.Point, jobs int) (int, error) {
	return guard.Plan(sc, points, jobs, guard.Limits{Memory: l.limit, MaxEvents: l.maxEvents}, l.stderr, false)
}

// memoryLimit parses --max-memory, or returns 75% of the memory of this
// machine or its cgroup.
func memoryLimit(text string) (int64, error) {
	if text == "" {
		return sysres.MemoryLimit() * 3 / 4, nil
	}
	n, err := sysres.ParseSize(text)
	if err != nil {
		return 0, usagef("--max-memory: %v", err)
	}
	return n, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "run FILE [--set K=V]... [--seed N] [--replications N] [--json] [--out DIR] [--timeseries]", stdout)
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	asJSON := fs.Bool("json", false, "print the result object as JSON instead of a table")
	outDir := fs.String("out", "", "also write result.json (and timeseries.csv) into this directory")
	series := fs.Bool("timeseries", false, "write timeseries.csv (occupancy and breaks per middlebox) into --out")
	charts := fs.Bool("charts", false, "draw the charts that apply to one run (tradeoff, occupancy) into --out as PNG")
	timing := fs.Bool("timing", false, "include wall-clock seconds (wall_s) in the result; results then differ run to run")
	jobs := fs.Int("jobs", runtime.NumCPU(), "replications run in parallel on this many workers (results do not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	force := fs.Bool("force", false, "replace --out even if it is not natsim's output of this scenario")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if (*series || *charts) && *outDir == "" {
		return usagef("--timeseries and --charts need --out DIR")
	}
	if *jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return err
	}
	var out *outdir.Writer
	if *outDir != "" {
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
	runs, err := batch.Run(context.Background(), batchJobs, *jobs, prog)
	prog.done()
	if err != nil {
		return err
	}
	res := sim.Aggregate(&sc.Config, runs)
	if *timing {
		wall := time.Since(start).Seconds()
		res.WallS = &wall
	}
	var outErr error
	if out != nil {
		outErr = writeOutputs(out, res, sc, runs, *series, *charts, stderr)
	}
	write := res.WriteTable
	if *asJSON {
		write = res.WriteJSON
	}
	return errors.Join(outErr, write(stdout)) // the table even if the folder failed
}

// writeOutputs writes result.json (and timeseries.csv, and the charts)
// into out as one set.
func writeOutputs(out *outdir.Writer, res *sim.Result, sc *scenarios.Scenario, runs []*sim.RunResult, series, charts bool, stderr io.Writer) error {
	var written []review.Written
	err := out.Write(func(dir string) error {
		err := outfile.Write(filepath.Join(dir, "result.json"), res.WriteJSON)
		if err == nil && series {
			err = outfile.Write(filepath.Join(dir, "timeseries.csv"), func(w io.Writer) error {
				return sim.WriteSeriesCSV(w, &sc.Config, runs[0])
			})
		}
		if err == nil && charts {
			one := sweep.Assemble([]scenarios.Point{{Scenario: sc}}, nil, [][]*sim.RunResult{runs})
			written, _, err = review.WriteAll(dir, one, one.Series(), "png")
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

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", "check FILE [--set K=V]...", stdout)
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return err
	}
	all, err := sc.Points(nil)
	if err != nil {
		return err
	}
	if _, err := lf.plan(sc, all, 1); err != nil {
		return err
	}
	cfg := &sc.Config
	clients := 0
	for _, g := range cfg.Groups {
		clients += g.Count
	}
	points := len(all)
	fmt.Fprintf(stdout, "%s: ok: scenario %s, %d middlebox(es), %d group(s), %d clients, %v simulated x %d replication(s)",
		sc.File, cfg.Name, len(cfg.Path), len(cfg.Groups), clients, cfg.Duration, sc.Replications)
	if len(sc.Sweep) > 0 {
		fmt.Fprintf(stdout, ", sweep of %d points", points)
	}
	fmt.Fprintf(stdout, "; memory estimate %s, about %.3g events per run\n", sysres.Text(cfg.EstimateBytes()), cfg.EstimateEvents())
	return nil
}

func cmdPresets(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("presets", "presets [--notes]", stdout)
	notes := fs.Bool("notes", false, "also print each preset's note (its assumptions)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "preset\ttcp est.\ttransitory\tudp\tudp stream\tcapacity\twhen full\tunknown out/in\tport kept\tsource")
	for _, p := range scenarios.Presets() {
		m := p.Middlebox
		capacity := strconv.Itoa(*m.Capacity)
		if *m.Capacity == 0 {
			capacity = "unlimited"
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%v\t%s\t%s\t%s/%s\t%v\t%s\n", p.Name,
			time.Duration(*m.Timeouts.TCPEstablished), time.Duration(*m.Timeouts.TCPTransitory),
			time.Duration(*m.Timeouts.UDP), time.Duration(*m.Timeouts.UDPStream), capacity, *m.WhenFull,
			*m.UnknownOutbound, *m.UnknownInbound, *m.PortPreservation, p.Source)
		if *notes {
			fmt.Fprintf(tw, "\t  note: %s\n", p.Note)
		}
	}
	return tw.Flush()
}

// errFailed is a validation with failing checks: exit status 1.
var errFailed = errors.New("validation failed")

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "validate [--full] [--markdown] [--jobs N]", stdout)
	full := fs.Bool("full", false, "the full-size suite (several minutes) instead of the short one")
	markdown := fs.Bool("markdown", false, "print the tables as Markdown (as in VALIDATION.md)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "runs in parallel on this many workers (results do not depend on it)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	size := validate.Short
	if *full {
		size = validate.Full
	}
	limit := sysres.MemoryLimit() * 3 / 4
	batch.TuneGC(limit, len(validate.Jobs(size)), *jobs)
	prog := newProgress(stderr, *quiet, jobSpans(validate.Jobs(size)))
	checks, err := validate.Run(context.Background(), size, *jobs, prog)
	prog.done()
	if err != nil {
		return err
	}
	write := validate.WriteTable
	if *markdown {
		write = validate.WriteMarkdown
	}
	if err := write(stdout, checks); err != nil {
		return err
	}
	if n := validate.Failed(checks); n > 0 {
		return fmt.Errorf("%w: %d of %d checks", errFailed, n, len(checks))
	}
	return nil
}

// errInterrupted is a sweep stopped by Ctrl-C: exit status 130, after the
// finished points have been written.
var errInterrupted = errors.New("interrupted")

// interrupts returns a channel closed at the first Ctrl-C (SIGINT or
// SIGTERM); a second one exits at once.
func interrupts(stderr io.Writer) (<-chan struct{}, func()) {
	stop := make(chan struct{})
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
			fmt.Fprintln(stderr, "\nnatsim: interrupted: finishing up and writing the points done so far (Ctrl-C again to quit at once)")
			close(stop)
		case <-done:
			return
		}
		select {
		case <-sig:
			outdir.AbortAll() // leave no half-built output folder behind
			os.Exit(130)
		case <-done:
		}
	}()
	return stop, func() { signal.Stop(sig); close(done) }
}

func cmdSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", "sweep FILE [--param K=V1,V2,...]... [--set K=V]... [--replications N] [--jobs N] [--out DIR] [--charts] [--report]", stdout)
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	var params []string
	fs.StringArrayVar(&params, "param", nil, "sweep a field: KEY=V1,V2,... or KEY=A..B:log10 or KEY=A..B:lin6 (repeatable; replaces the file's sweep of that key)")
	jobs := fs.Int("jobs", runtime.NumCPU(), "runs in parallel on this many workers (results do not depend on it)")
	outDir := fs.String("out", "", "output directory (default natsim-out/NAME-TIMESTAMP)")
	charts := fs.Bool("charts", false, "draw the standard charts (PNG, each with its data as CSV)")
	format := fs.String("format", "png", "chart format with --charts: png, svg or pdf")
	report := fs.Bool("report", false, "write report.md with the setup, results, charts and findings (implies --charts)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	force := fs.Bool("force", false, "replace --out even if it is not natsim's output of this scenario")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if *jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	if _, err := plots.FormatOf("x." + *format); err != nil {
		return usagef("--format must be png, svg or pdf (got %q)", *format)
	}
	sc, err := lf.load(fs, fs.Arg(0))
	if err != nil {
		return err
	}
	var keys scenarios.Sweep
	var probs scenarios.Problems
	for _, p := range params {
		k, err := scenarios.ParseParam(p)
		if err != nil {
			probs = append(probs, err.(scenarios.Problems)...)
			continue
		}
		keys = append(keys, k)
	}
	if len(probs) > 0 {
		return probs
	}
	points, err := sc.Points(keys)
	if err != nil {
		return err
	}
	if *jobs, err = lf.plan(sc, points, *jobs); err != nil {
		return err
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
	stop, release := interrupts(stderr)
	defer release() // a Ctrl-C while writing lets the writing finish
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	res, err := sweep.Run(ctx, points, names, *jobs, prog)
	prog.done()
	if err != nil {
		return err
	}
	if res.PointsDone == 0 {
		return fmt.Errorf("%w before any point finished: nothing written", errInterrupted)
	}
	resolved, err := sc.ResolvedYAML(swept)
	if err != nil {
		return err
	}
	var written []review.Written
	err = out.Write(func(dir string) error {
		if err := res.Write(dir, resolved); err != nil || !*charts && !*report {
			return err
		}
		var skipped []string
		if written, skipped, err = review.WriteAll(dir, res, res.Series(), *format); err != nil || !*report {
			return err
		}
		return outfile.Write(filepath.Join(dir, "report.md"), func(w io.Writer) error {
			return review.Report(w, res, &points[0].Scenario.Config, written, skipped)
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

func cmdPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", "plot DIR|sweep.json --chart NAME [--out FILE.png|.svg|.pdf]", stdout)
	chart := fs.String("chart", "", "the chart: "+strings.Join(review.Names, ", "))
	out := fs.String("out", "", "the image to write (default DIR/NAME.png, added to DIR's manifest); its data goes beside it as .csv")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if !slices.Contains(review.Names, *chart) {
		return usagef("--chart must be one of %s (got %q)", strings.Join(review.Names, ", "), *chart)
	}
	dir := fs.Arg(0)
	if filepath.Ext(dir) == ".json" {
		dir = filepath.Dir(dir)
	}
	if *out != "" { // check where the chart goes before drawing it
		if _, err := plots.FormatOf(*out); err != nil {
			return usageError{err.Error()}
		}
		if err := outdir.Writable(filepath.Dir(*out)); err != nil {
			return err
		}
	}
	res, series, err := sweep.Load(fs.Arg(0))
	if err != nil {
		return usageError{err.Error()}
	}
	c, err := review.Build(*chart, res, series)
	if err != nil {
		return usageError{err.Error()}
	}
	path := *out
	if path == "" { // a new member of the sweep's folder: rebuild it with the chart
		w, err := outdir.Create(dir, outdir.Options{Scenario: res.Scenario, Keep: true})
		if err != nil {
			return err
		}
		err = w.Write(func(dir string) error { return review.Save(c, filepath.Join(dir, *chart+".png")) })
		if err != nil {
			return err
		}
		path = filepath.Join(dir, *chart+".png")
	} else if err := review.Save(c, path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s\n", path, c.Finding)
	return nil
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench [--clients N] [--duration D] [--busy] [--json] [--quiet]", stdout)
	clients := fs.Int("clients", 100000, "clients in the reference workload (capacity is 80% of them)")
	duration := fs.Duration("duration", time.Hour, "simulated time")
	busy := fs.Bool("busy", false, "measure the busy example ("+bench.Busy+") instead")
	asJSON := fs.Bool("json", false, "print the measurement as JSON")
	maxMemory := fs.String("max-memory", "", "refuse runs estimated to need more than this (default 75% of this machine)")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *clients < 1 || *duration <= 0 {
		return usagef("--clients and --duration must be positive")
	}
	cfg := bench.Reference(*clients, *duration)
	if *busy {
		var err error
		if cfg, err = bench.BusyConfig(); err != nil {
			return err
		}
	}
	limit, err := memoryLimit(*maxMemory)
	if err != nil {
		return err
	}
	one := &scenarios.Scenario{File: "bench " + cfg.Name, Config: *cfg, Replications: 1}
	if _, err := guard.Plan(one, []scenarios.Point{{Scenario: one}}, 1, guard.Limits{Memory: limit}, stderr, true); err != nil {
		return err
	}
	batch.TuneGC(limit, 1, 1)
	prog := newProgress(stderr, *quiet, []time.Duration{cfg.Duration})
	r, _, err := bench.Measure(context.Background(), cfg, func(at time.Duration) { prog.Reached(0, at) })
	prog.done()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "workload\t%s, %d clients, %v simulated\n", cfg.Name, r.Clients, cfg.Duration)
	fmt.Fprintf(tw, "wall time\t%.2f s\n", r.WallS)
	fmt.Fprintf(tw, "heartbeats\t%d (%.2f million per second)\n", r.Heartbeats, r.HeartbeatsPerS/1e6)
	fmt.Fprintf(tw, "events\t%d (%.2f million per second)\n", r.Events, r.EventsPerS/1e6)
	fmt.Fprintf(tw, "packets\t%d (%.2f million per second, %.0f ns each)\n", r.Packets, r.PacketsPerS/1e6, r.NsPerPacket)
	fmt.Fprintf(tw, "live heap\t%s (%.0f B per client, after a collection half-way through)\n", sysres.Text(int64(r.LiveHeapBytes)), r.LivePerClientB)
	fmt.Fprintf(tw, "peak heap\t%s (%.0f B per client, garbage included)\n", sysres.Text(int64(r.PeakHeapBytes)), r.HeapPerClientB)
	if r.RSSMeasured {
		fmt.Fprintf(tw, "peak RSS\t%s (%.0f B per client, the whole process)\n", sysres.Text(int64(r.PeakRSSBytes)), r.RSSPerClientB)
	}
	fmt.Fprintf(tw, "GC cycles\t%d\n", r.GCCycles)
	return tw.Flush()
}

// errMismatch is a kernel-check whose kernel and natsim disagree: exit 1.
var errMismatch = errors.New("kernel and natsim disagree")

func cmdKernelCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kernel-check", "kernel-check FILE... [--middlebox NAME] [--time-scale F] [--flows N] [--keep-logs DIR] | kernel-check --cleanup", stdout)
	middlebox := fs.String("middlebox", "", "the middlebox of the scenario to build (default: the first)")
	scale := fs.Float64("time-scale", 0, "lab seconds per scenario second (default: the longest timeout becomes 5 s)")
	flows := fs.Int("flows", 6, fmt.Sprintf("real flows per scenario, shared among its client groups (at most %d)", kernel.MaxFlows))
	keepLogs := fs.String("keep-logs", "", "write each lab's commands and final conntrack table into this directory")
	cleanup := fs.Bool("cleanup", false, "only remove the namespaces left by natsim kernel-checks that were killed")
	nargs := oneOrMore
	if slices.Contains(args, "--cleanup") {
		nargs = 0
	}
	if err := parseFlags(fs, args, nargs); err != nil {
		return err
	}
	if *flows < 1 || *flows > kernel.MaxFlows || *scale < 0 {
		return usagef("--flows must be from 1 to %d and --time-scale positive", kernel.MaxFlows)
	}
	if *keepLogs != "" {
		if err := outdir.Writable(*keepLogs); err != nil {
			return err
		}
	}
	if m := kernel.Missing(); len(m) > 0 {
		return &kernel.MissingError{Missing: m}
	}
	if kernel.NeedsUserns() { // not root: run again as root of a user namespace
		code, err := kernel.RunInUserns(append([]string{"kernel-check"}, args...), stdout, stderr)
		if err != nil {
			return err
		}
		return exitStatus(code)
	}
	if _, err := kernel.Cleanup(stderr); err != nil || *cleanup {
		return err
	}
	type check struct {
		plan *kernel.Plan
		sim  []kernel.Seen
		rows []kernel.Row
		err  error
	}
	checks := make([]check, fs.NArg())
	for i, file := range fs.Args() {
		sc, err := scenarios.Load(file, nil)
		if err != nil {
			return err
		}
		p, err := kernel.NewPlan(&sc.Config, *middlebox, *scale, *flows)
		if err != nil {
			return usageError{file + ": " + err.Error()}
		}
		simulated, err := p.Simulate()
		if err != nil {
			return err
		}
		checks[i] = check{plan: p, sim: simulated}
	}
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stopSignals()
	longest := time.Duration(0)
	for _, c := range checks {
		longest = max(longest, c.plan.LabTime())
	}
	fmt.Fprintf(stderr, "natsim: running %d lab(s) at once for up to %v...\n", len(checks), longest)
	var wg sync.WaitGroup
	for i := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &checks[i]
			kernelSeen, err := kernel.RunLab(ctx, c.plan, *keepLogs)
			if err != nil {
				c.err = err
				return
			}
			c.rows = kernel.Compare(c.plan.Flows, kernelSeen, c.sim)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("%w: the labs were removed", errInterrupted)
	}
	mismatches := 0
	for i, c := range checks {
		if c.err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(i), c.err)
		}
		fmt.Fprintf(stdout, "== %s\n", fs.Arg(i))
		if err := kernel.WriteTable(stdout, c.plan, c.rows); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		for _, r := range c.rows {
			if !r.Match {
				mismatches++
			}
		}
	}
	if mismatches > 0 {
		return fmt.Errorf("%w on %d flow(s)", errMismatch, mismatches)
	}
	return nil
}
