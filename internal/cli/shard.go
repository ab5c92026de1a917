package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/shard"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// shardNote is the part of sweep's help about --shard.
const shardNote = `
With --shard I/N (from 0) the sweep runs only its share of the runs, into
--out: one record per finished run, a manifest and a completion marker.
--shard env takes I from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or
AWS_BATCH_JOB_ARRAY_INDEX, and N from SLURM_ARRAY_TASK_COUNT or --shards
(a Slurm array of fewer tasks than --shards is a resubmission of some
shards; of more, an error). Run again, a shard skips the runs it recorded.
natsim merge puts the shards' folders together; natsim status tells what
is missing.`

// runShard runs shard spec's share of the sweep of sc at points into
// dir, skipping the runs an earlier attempt recorded there.
func runShard(ctx context.Context, lf *loadFlags, sc *scenarios.Scenario, points []scenarios.Point, spec shard.Spec, dir string, workers int, force, quiet bool, stdout, stderr io.Writer) error {
	s, err := shard.Canonical(sc, points)
	if err != nil {
		return err
	}
	owned := s.Deal(spec.Count)[spec.Index]
	w, err := shard.Open(dir, s, spec, owned, force)
	if err != nil {
		return err
	}
	defer w.Close()
	var todo []shard.Run
	var jobs []batch.Job
	for _, r := range owned {
		if !w.Recorded[r] {
			todo = append(todo, r)
			jobs = append(jobs, batch.Job{Config: &s.Points[r.Point].Scenario.Config, Replication: r.Replication, Cost: s.Cost(r.Point)})
		}
	}
	batch.TuneGC(lf.limit, len(jobs), workers)
	prog := newProgress(stderr, quiet, jobSpans(jobs))
	_, err = batch.RunEach(ctx, jobs, workers, prog, func(i int, res *sim.RunResult, runErr error) error {
		if err := w.Record(todo[i], res, runErr); err != nil {
			return err
		}
		return runErr
	})
	prog.done()
	kept := len(owned) - len(todo)
	if err != nil {
		return fmt.Errorf("shard %s: %w\n(the runs finished are recorded in %s; the failed ones are listed by natsim status)", spec, err, dir)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: shard %s: the runs finished are recorded in %s; the same command finishes the others", errInterrupted, spec, dir)
	}
	if err := w.Complete(len(owned)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "shard %s: %d of the sweep's %d runs in %s (%d ran now, %d recorded before)\n",
		spec, len(owned), len(s.Runs()), dir, len(todo), kept)
	return nil
}

// shardSpec reads --shard and --shards.
func shardSpec(text string, shards int) (shard.Spec, error) {
	spec, err := shard.ParseSpec(text, shards, os.Getenv)
	if err != nil {
		return spec, usagef("%v", err)
	}
	return spec, nil
}
