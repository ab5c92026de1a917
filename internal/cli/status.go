package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/shard"
)

// statusNote is status's help beyond its usage.
const statusNote = `Reads the shard folders of one sweep (natsim sweep --shard) and lists,
shard by shard, the runs finished, failed (recorded with an error) and
missing (no record: the shard was lost, stopped or not run). A shard of
which no folder is given counts as not run. When runs are unfinished it
prints how to run their shards again (for Slurm the --array list) and
exits with status 1; each shard run again skips the runs it recorded.`

func cmdStatus(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if err := parseFlags(fs, args, oneOrMore); err != nil {
		return err
	}
	dirs := fs.Args()
	// A shard whose task never started has no folder: as a glob would
	// leave it out, a named folder that does not exist counts as not
	// run, as long as one of the others tells which sweep this is.
	var there []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil || !os.IsNotExist(err) {
			there = append(there, d)
		}
	}
	if len(there) > 0 && len(there) < len(dirs) {
		for _, d := range dirs {
			if !slices.Contains(there, d) {
				fmt.Fprintf(stderr, "natsim: %s: no such folder; its shard counts as not run\n", d)
			}
		}
		dirs = there
	}
	c, err := collect(dirs)
	if err != nil {
		return err
	}
	writeStatus(stdout, c)
	if len(c.Unfinished()) > 0 {
		return exitStatus(1)
	}
	return nil
}

// writeStatus prints where every shard of c stands and, if some runs
// are unfinished, how to run their shards again.
func writeStatus(w io.Writer, c *shard.Collection) {
	s := c.Sweep
	runs := s.Runs()
	count := map[shard.State]int{}
	for _, r := range runs {
		count[c.State[r]]++
	}
	fmt.Fprintf(w, "scenario %s (sha256 %.12s): %d runs dealt to %d shards\n", s.Scenario.Config.Name, s.Hash, len(runs), c.Count)
	fmt.Fprintf(w, "finished %d, failed %d, missing %d\n", count[shard.Finished], count[shard.Failed], count[shard.Missing])
	folder := map[int]*shard.Piece{}
	for _, p := range c.Pieces {
		if folder[p.Manifest.Shard.Index] == nil || p.Complete {
			folder[p.Manifest.Shard.Index] = p
		}
	}
	for i, owned := range s.Deal(c.Count) {
		var done int
		var failed, missing []string
		for _, r := range owned {
			switch c.State[r] {
			case shard.Finished:
				done++
			case shard.Failed:
				failed = append(failed, r.ID()+" ("+c.Errors[r]+")")
			default:
				missing = append(missing, r.ID())
			}
		}
		where := "no folder given"
		if p := folder[i]; p != nil {
			where = p.Dir
			if !p.Complete {
				where += ", no completion marker"
			}
		}
		fmt.Fprintf(w, "shard %d/%d: %d of %d runs finished (%s)\n", i, c.Count, done, len(owned), where)
		if len(failed) > 0 {
			fmt.Fprintf(w, "  failed: %s\n", strings.Join(failed, ", "))
		}
		if len(missing) > 0 {
			fmt.Fprintf(w, "  missing: %s\n", strings.Join(missing, ", "))
		}
	}
	again := c.Resubmit()
	if len(again) == 0 {
		fmt.Fprintln(w, "complete: natsim merge --out DIR with these folders writes the sweep")
		return
	}
	var list []string
	for _, i := range again {
		list = append(list, strconv.Itoa(i))
	}
	fmt.Fprintf(w, "run again: shards %s\n", strings.Join(list, ","))
	fmt.Fprintf(w, "  slurm: sbatch --array=%s JOBFILE (the job file of the first submission, with --shards %d)\n", strings.Join(list, ","), c.Count)
	fmt.Fprintln(w, "  kubernetes, aws-batch or by hand, one task per shard:")
	scenario := filepath.Join(c.Pieces[0].Dir, shard.ScenarioName)
	for _, i := range again {
		fmt.Fprintf(w, "    natsim sweep %s --shard %d/%d --out %s\n", scenario, i, c.Count, shardDir(c, i))
	}
}

// shardDir is the folder of shard i: the one given, or one named like
// the folders given (DIR/shard-3 beside DIR/shard-0), or a placeholder.
func shardDir(c *shard.Collection, i int) string {
	for _, p := range c.Pieces {
		if p.Manifest.Shard.Index == i {
			return p.Dir
		}
	}
	p := c.Pieces[0]
	if dir, idx := filepath.Clean(p.Dir), strconv.Itoa(p.Manifest.Shard.Index); strings.HasSuffix(dir, idx) {
		return strings.TrimSuffix(dir, idx) + strconv.Itoa(i)
	}
	return "DIR-OF-SHARD-" + strconv.Itoa(i)
}
