package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/sysres"
)

// checkNote is check's help beyond its usage.
const checkNote = `FILE - reads the scenario from standard input (named <stdin> in messages).
Every point of the sweep (the file's sweep: block and --param, as natsim
sweep would run it) is loaded and checked, with the memory it would take;
a key that the sweep varies cannot also be set.`

func cmdCheck(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	lf.registerTarget(fs)
	lf.registerSample(fs)
	params := paramFlag(fs)
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	sc, keys, all, _, err := lf.sweepPoints(fs, *params, 1)
	if err != nil {
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
	if len(sc.Keys(keys)) > 0 {
		fmt.Fprintf(stdout, ", sweep of %d points", points)
	}
	if smp := cfg.Sampling; smp.On() {
		fmt.Fprintf(stdout, ", sampled at %g with salt %d (up to about %.0f clients simulated)", smp.Fraction, smp.Salt, cfg.Simulated())
	}
	fmt.Fprintf(stdout, "; memory estimate %s, about %.3g events per run\n", sysres.Text(cfg.EstimateBytes()), cfg.EstimateEvents())
	fmt.Fprintf(stdout, "target: %s\n", report.TargetText(sc.Target))
	return nil
}
