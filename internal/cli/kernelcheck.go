package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/kernel"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/scenarios"
)

// errMismatch is a kernel-check whose kernel and natsim disagree: exit 1.
var errMismatch = errors.New("kernel and natsim disagree")

func cmdKernelCheck(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
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
			return usageError{msg: file + ": " + err.Error()}
		}
		simulated, err := p.Simulate()
		if err != nil {
			return err
		}
		checks[i] = check{plan: p, sim: simulated}
	}
	longest := time.Duration(0)
	for _, c := range checks {
		longest = max(longest, c.plan.LabTime())
	}
	fmt.Fprintf(stderr, "natsim: running %d lab(s) at once for up to %v...\n", len(checks), longest)
	var wg sync.WaitGroup
	for i := range checks {
		wg.Go(func() {
			c := &checks[i]
			kernelSeen, err := kernel.RunLab(ctx, c.plan, *keepLogs)
			if err != nil {
				c.err = err
				return
			}
			c.rows = kernel.Compare(c.plan.Flows, kernelSeen, c.sim)
		})
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
