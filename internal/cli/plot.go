package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/review"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/plots"
	"github.com/natsim/natsim/scenarios"
)

func cmdPlot(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	chart := fs.String("chart", "", "the chart: "+strings.Join(review.Names, ", "))
	out := fs.String("out", "", "the image to write (default DIR/NAME.png, added to DIR's manifest); its data goes beside it as .csv")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	switch {
	case *chart == "":
		return usagef("--chart is required: one of %s", strings.Join(review.Names, ", "))
	case !slices.Contains(review.Names, *chart):
		return usagef("unknown chart %q%s: --chart takes one of %s", *chart, scenarios.DidYouMean(*chart, review.Names), strings.Join(review.Names, ", "))
	}
	dir := fs.Arg(0)
	if filepath.Ext(dir) == ".json" {
		dir = filepath.Dir(dir)
	}
	if *out != "" { // check where the chart goes before drawing it
		if _, err := plots.FormatOf(*out); err != nil {
			return usagef("--out must end in .png, .svg or .pdf (got %q)", *out)
		}
		if err := outdir.Writable(filepath.Dir(*out)); err != nil {
			return err
		}
	}
	if err := sweepOutput(fs.Arg(0), dir); err != nil {
		return err
	}
	res, series, err := sweep.Load(fs.Arg(0))
	if err != nil {
		return usageError{msg: err.Error()}
	}
	cs, err := review.Build(*chart, res, series)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	// Each chart's file: --out, or DIR/NAME.png; a chart of several
	// (a heatmap per group) adds the part of its name after the chart's.
	paths := make([]string, len(cs))
	for i, c := range cs {
		suffix := strings.TrimPrefix(c.Name, *chart)
		if *out != "" {
			ext := filepath.Ext(*out)
			paths[i] = strings.TrimSuffix(*out, ext) + suffix + ext
		} else {
			paths[i] = *chart + suffix + ".png"
		}
	}
	if *out == "" { // new members of the sweep's folder: rebuild it with the charts
		w, err := outdir.Create(dir, outdir.Options{Scenario: res.Scenario, Keep: true})
		if err != nil {
			return err
		}
		err = w.Write(func(dir string) error {
			for i, c := range cs {
				if err := review.Save(c, filepath.Join(dir, paths[i])); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range paths {
			paths[i] = filepath.Join(dir, paths[i])
		}
	} else {
		for i, c := range cs {
			if err := review.Save(c, paths[i]); err != nil {
				return err
			}
		}
	}
	for i, c := range cs {
		fmt.Fprintf(stdout, "wrote %s: %s\n", paths[i], c.Finding)
	}
	return nil
}

// sweepOutput says why arg, the DIR or DIR/sweep.json given to natsim
// plot, is not a sweep's output folder, if it is plainly not one: it does
// not exist, or it has no sweep.json (a run's folder, say). sweep.Load
// checks the rest.
func sweepOutput(arg, dir string) error {
	const want = "natsim plot draws from the folder natsim sweep wrote"
	if _, err := os.Stat(dir); err != nil {
		return usagef("%s: no such folder; %s", dir, want)
	}
	file := filepath.Join(dir, "sweep.json")
	if _, err := os.Stat(file); err == nil {
		if arg != dir && filepath.Clean(arg) != file {
			return usagef("%s is not a sweep's output; %s, or its sweep.json", arg, want)
		}
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "result.json")); err == nil {
		return usagef("%s is natsim run's output, not a sweep's: it has no sweep.json; %s (natsim run --out DIR --charts draws a run's charts)", dir, want)
	}
	return usagef("%s is not a sweep's output: it has no sweep.json; %s", dir, want)
}
