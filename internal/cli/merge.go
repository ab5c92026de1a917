package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/shard"
	"github.com/natsim/natsim/internal/sweep"
)

// mergeNote is merge's help beyond its usage.
const mergeNote = `The folders must be shards of one sweep (natsim sweep --shard): the same
canonical scenario, by its SHA-256, dealt to the same number of shards. A
run recorded twice is kept once if the records are identical, and refused
if they differ. The statistics are computed from the runs, as one process
computes them: --out then holds exactly the files natsim sweep FILE --out
writes. When runs are missing, the points they belong to are left out,
sweep.json says partial, missing.csv lists the runs, and merge fails
(exit status 1) after writing.`

func cmdMerge(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	outDir := fs.String("out", "", "the folder to write the sweep's files into (required)")
	force := forceFlag(fs)
	if err := parseFlags(fs, args, oneOrMore); err != nil {
		return err
	}
	if *outDir == "" {
		return usagef("--out DIR is required")
	}
	c, err := collect(fs.Args())
	if err != nil {
		return err
	}
	s := c.Sweep
	out, err := outdir.Create(*outDir, outdir.Options{Scenario: s.Scenario.Config.Name, Force: *force})
	if err != nil {
		return err
	}
	defer out.Abort()
	res := sweep.Assemble(s.Points, s.Keys, c.Runs)
	unfinished := c.Unfinished()
	err = out.Write(func(dir string) error {
		err := res.Write(dir)
		if err == nil {
			err = outfile.WriteBytes(filepath.Join(dir, shard.ScenarioName), s.YAML)
		}
		if err == nil && len(unfinished) > 0 {
			err = outfile.Write(filepath.Join(dir, "missing.csv"), func(w io.Writer) error { return writeMissing(w, c, unfinished) })
		}
		return err
	})
	if err != nil {
		return err
	}
	total := len(s.Runs())
	fmt.Fprintf(stdout, "merged %d of %d runs (%d of %d points) from %d shard folder(s) into %s\n",
		total-len(unfinished), total, res.PointsDone, res.PointsTotal, len(c.Pieces), out.Path)
	if len(unfinished) > 0 {
		return fmt.Errorf("the sweep is incomplete: %d of %d runs missing or failed, listed in %s; natsim status %s says which shards to run again",
			len(unfinished), total, filepath.Join(out.Path, "missing.csv"), strings.Join(fs.Args(), " "))
	}
	return nil
}

// collect reads shard folders; folders that cannot be put together are
// bad input (exit status 2).
func collect(dirs []string) (*shard.Collection, error) {
	c, err := shard.Collect(dirs)
	if err != nil {
		return nil, badShards{err}
	}
	return c, nil
}

// badShards is a set of shard folders that cannot be merged.
type badShards struct{ err error }

func (e badShards) Error() string { return e.err.Error() }
func (e badShards) Unwrap() error { return e.err }

// writeMissing lists the runs not finished, as CSV: run, point (its
// values), replication, the shard that owns it, and its state.
func writeMissing(w io.Writer, c *shard.Collection, runs []shard.Run) error {
	own := c.Sweep.Owners(c.Count)
	cw := csv.NewWriter(w)
	cw.Write([]string{"run", "point", "replication", "shard", "state", "error"})
	for _, r := range runs {
		state := "missing"
		if c.State[r] == shard.Failed {
			state = "failed"
		}
		cw.Write([]string{r.ID(), c.Sweep.Points[r.Point].Label(), fmt.Sprint(r.Replication),
			fmt.Sprintf("%d/%d", own[r], c.Count), state, c.Errors[r]})
	}
	cw.Flush()
	return cw.Error()
}
