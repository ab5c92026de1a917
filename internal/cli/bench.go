package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/bench"
	"github.com/natsim/natsim/internal/guard"
	"github.com/natsim/natsim/internal/sysres"
	"github.com/natsim/natsim/radio"
	"github.com/natsim/natsim/scenarios"
)

func cmdBench(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	clients := fs.Int("clients", 100000, "clients in the reference workload (capacity is 80% of them)")
	duration := fs.Duration("duration", time.Hour, "simulated time")
	busy := fs.Bool("busy", false, "measure the busy example ("+bench.Busy+") instead")
	radioPreset := fs.String("radio", "", "give every client of the workload a radio of this preset ("+strings.Join(radio.Presets(), ", ")+")")
	adaptive := fs.Bool("adaptive", false, "measure the reference workload with Mars adaptive keepalives on every client")
	households := fs.Bool("households", false, "measure the households workload instead: a per-client home router per client, then a shared CGNAT")
	noHome := fs.Bool("no-home", false, "with --households: without the home routers (the baseline of their cost)")
	asJSON := fs.Bool("json", false, "print the measurement as JSON")
	maxMemory := fs.String("max-memory", "", "refuse runs estimated to need more than this (default 75% of this machine)")
	sample := fs.Float64("sample", 0, "simulate this fraction of the clients (as run --sample); with --sampling, the fraction to measure")
	sampling := fs.Bool("sampling", false, "measure --sample's accuracy instead: each workload of docs/sampling.md run in full and sampled, their rates compared")
	salts := fs.Int("salts", 3, "with --sampling: sampled runs per workload (salts 1 to N), averaged")
	quiet := quietFlag(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *clients < 1 || *duration <= 0 {
		return usagef("--clients and --duration must be positive")
	}
	if !(*sample >= 0 && *sample <= 1) || *salts < 1 {
		return usagef("--sample must be in (0, 1] and --salts positive")
	}
	if *sampling {
		return benchSampling(ctx, *clients, *duration, cmp.Or(*sample, 0.01), *salts, *asJSON, *quiet, stdout, stderr)
	}
	cfg := bench.Reference(*clients, *duration)
	if n := countTrue(*busy, *adaptive, *households); n > 1 {
		return usagef("--busy, --adaptive and --households are different workloads: give one")
	}
	if *noHome && !*households {
		return usagef("--no-home goes with --households")
	}
	if *adaptive {
		cfg = bench.Adaptive(*clients, *duration)
	}
	if *households {
		cfg = bench.Households(*clients, *duration, !*noHome)
	}
	if *busy {
		var err error
		if cfg, err = bench.BusyConfig(); err != nil {
			return err
		}
	}
	cfg.Sampling.Fraction = *sample
	if *radioPreset != "" {
		if err := bench.WithRadio(cfg, *radioPreset); err != nil {
			return usagef("--radio: %v", err)
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
	r, _, err := bench.Measure(ctx, cfg, func(at time.Duration) { prog.Reached(0, at) })
	prog.done()
	if ctx.Err() != nil {
		return fmt.Errorf("%w: no measurement", errInterrupted)
	}
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
	if cfg.Sampling.On() {
		fmt.Fprintf(tw, "sample\t%d of %d clients (--sample %g); per-client figures are of the sample\n", r.Clients, *clients, *sample)
	}
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

// benchSampling measures --sample's accuracy: every workload of
// bench.SamplingCases in full at clients clients and sampled at fraction
// with salts salts, as a table (or JSON).
func benchSampling(ctx context.Context, clients int, duration time.Duration, fraction float64, salts int, asJSON, quiet bool, stdout, stderr io.Writer) error {
	var rows []bench.SamplingRow
	for _, c := range bench.SamplingCases {
		spans := make([]time.Duration, 1+salts)
		for i := range spans {
			spans[i] = duration
		}
		prog := newProgress(stderr, quiet, spans)
		run := 0
		var last time.Duration
		row, err := bench.Sampling(ctx, c, clients, duration, fraction, salts, func(at time.Duration) {
			if at < last {
				run++
			}
			last = at
			prog.Reached(run, at)
		})
		prog.done()
		if ctx.Err() != nil {
			return fmt.Errorf("%w: no measurement", errInterrupted)
		}
		if err != nil {
			return err
		}
		rows = append(rows, row)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	fmt.Fprintf(stdout, "%d clients, %v simulated; sampled at %g, mean of %d salts; rates per client-hour\n", clients, duration, fraction, salts)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tsampled clients\tbreaks full\tsampled\terror\tevictions full\tsampled\terror\trefused full\tsampled\terror\twall full\tsampled (all salts)\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.0f\t%.4g\t%.4g\t%+.2f%%\t%.4g\t%.4g\t%+.2f%%\t%.4g\t%.4g\t%+.2f%%\t%.1f s\t%.1f s\t\n", r.Case, r.SampledClients,
			r.FullBreaks, r.SampledBreaks, 100*r.BreaksError, r.FullEvictions, r.SampledEvictions, 100*r.EvictionsError,
			r.FullRefused, r.SampledRefused, 100*r.RefusedError, r.FullWallS, r.SampledWallS)
	}
	return tw.Flush()
}

// countTrue counts the flags that are set.
func countTrue(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}
