package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/review"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/plots"
)

func cmdPlot(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
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
