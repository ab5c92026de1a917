package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/sysres"
)

func cmdCheck(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
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
