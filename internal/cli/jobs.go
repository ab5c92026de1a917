package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/guard"
	"github.com/natsim/natsim/internal/jobs"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/shard"
	"github.com/natsim/natsim/internal/sysres"
)

// jobsNote is jobs' help beyond its usage.
const jobsNote = `Writes into --out the files that run the sweep on a cluster, N array tasks
each running one shard (natsim sweep --shard env), then a merge job that
starts once every task has succeeded (natsim merge), and submit.sh, which
submits both; each file says what it does in its comments.
  slurm       sweep.sbatch (#SBATCH --array=0-N-1), merge.sbatch
              (--dependency=afterok), submit.sh; the shards go to --data
  kubernetes  sweep.yaml (ConfigMap and Indexed Job), merge.yaml (a Job
              that submit.sh applies when the sweep Job is complete),
              submit.sh; the shards go to the claim --claim at /data
  aws-batch   job-definition.json, submit-sweep.json (an array job),
              submit-merge.json (dependsOn the array job), submit.sh; the
              shards go to the EFS file system --efs at /data
Every task runs scenario.yaml, the canonical form of FILE with its --set,
--param, --seed and --replications, on --cpus CPUs (natsim --jobs), and
asks for --memory, by default natsim's estimate for --cpus runs at once
over 0.75, since natsim's default --max-memory is 75% of its limit.`

func cmdJobs(ctx context.Context, fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) error {
	lf := loadFlags{stderr: stderr}
	lf.register(fs)
	params := paramFlag(fs)
	engine := fs.String("engine", "", "the cluster's engine: "+strings.Join(jobs.Engines, ", ")+" (required)")
	shards := fs.Int("shards", 0, "array tasks, one shard of the runs each (required)")
	outDir := fs.String("out", "", "the folder to write the job files into (required)")
	name := fs.String("name", "", "the jobs' name (default: the scenario's name, made a DNS label)")
	cpus := fs.Int("cpus", 1, "CPUs per task; each task runs this many runs at once")
	memory := fs.String("memory", "", "memory per task, e.g. 2GiB (default: natsim's estimate for --cpus runs at once, over 0.75)")
	natsim := fs.String("natsim", "natsim", "slurm: the natsim binary on the cluster's nodes")
	partition := fs.String("partition", "", "slurm: the partition (default: the cluster's)")
	data := fs.String("data", "", "slurm: the folder for the shards and the merged result on the shared file system, absolute or relative to --out (default ../OUT-data)")
	image := fs.String("image", "", "kubernetes, aws-batch: the container image, with natsim on its PATH (aws-batch: and /bin/sh)")
	namespace := fs.String("namespace", "default", "kubernetes: the namespace")
	claim := fs.String("claim", "natsim-data", "kubernetes: the ReadWriteMany PersistentVolumeClaim for the shards, mounted at /data")
	parallelism := fs.Int("parallelism", 0, "kubernetes: pods at once (default all)")
	queue := fs.String("queue", "", "aws-batch: the job queue")
	efs := fs.String("efs", "", "aws-batch: the EFS file system ID (fs-...) for the shards, mounted at /data")
	force := forceFlag(fs)
	fs.Lookup("max-memory").Usage = "passed on to every task's natsim; the runs are held against it (default: against 75% of --memory, or nothing)"
	fs.Lookup("max-events").Usage = "refuse runs estimated to process more events than this; passed on to every task's natsim when given"
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	switch {
	case !slices.Contains(jobs.Engines, *engine):
		return usagef("--engine must be one of %s (got %q)", strings.Join(jobs.Engines, ", "), *engine)
	case *shards < 1:
		return usagef("--shards must be at least 1 (got %d)", *shards)
	case *outDir == "":
		return usagef("--out DIR is required")
	case *cpus < 1:
		return usagef("--cpus must be at least 1 (got %d)", *cpus)
	}
	var taskMemory int64
	if *memory != "" {
		var err error
		if taskMemory, err = sysres.ParseSize(*memory); err != nil {
			return usagef("--memory: %v", err)
		}
	}
	// The runs are held against what natsim in a task will allow itself:
	// --max-memory if given, else 75% of --memory, else (the request
	// being the estimate) nothing more.
	if !fs.Changed("max-memory") {
		lf.maxMemory = strconv.FormatInt(sysres.MaxSize, 10)
		if taskMemory > 0 {
			lf.maxMemory = strconv.FormatInt(taskMemory*3/4, 10)
		}
	}
	sc, _, points, workers, err := lf.sweepPoints(fs, *params, *cpus)
	if err != nil {
		return err
	}
	if workers < *cpus && len(points) > 0 {
		return usagef("--memory %s holds %d run(s) at once, not --cpus %d: give more memory or fewer CPUs", *memory, workers, *cpus)
	}
	canon, err := shard.Canonical(sc, points)
	if err != nil {
		return err
	}
	if taskMemory == 0 {
		taskMemory = guard.Need(canon.Points, *cpus) * 4 / 3
	}
	spec := jobs.Spec{
		Name: *name, Scenario: canon.YAML, Shards: *shards, CPUs: *cpus,
		Memory: taskMemory, MergeMemory: guard.Need(canon.Points, 1) * 4 / 3,
		Natsim: *natsim, Partition: *partition, Data: *data,
		Image: *image, Namespace: *namespace, Claim: *claim, Parallelism: *parallelism,
		Queue: *queue, FileSystem: *efs,
	}
	if spec.Name == "" {
		spec.Name = jobs.Name(sc.Config.Name)
	}
	if spec.Data == "" {
		spec.Data = "../" + filepath.Base(filepath.Clean(*outDir)) + "-data"
	}
	for _, f := range []string{"max-memory", "max-events"} {
		if fs.Changed(f) {
			spec.Flags = append(spec.Flags, "--"+f, fs.Lookup(f).Value.String())
		}
	}
	runs := len(canon.Runs())
	if *shards > runs {
		return usagef("--shards %d is more than the sweep's %d runs: a shard would have nothing to do", *shards, runs)
	}
	if *engine == jobs.Slurm && *shards > jobs.SlurmDefaultMaxArray {
		fmt.Fprintf(stderr, "natsim: warning: %d array tasks: Slurm's default MaxArraySize is %d (scontrol show config | grep MaxArraySize says the cluster's)\n", *shards, jobs.SlurmDefaultMaxArray)
	}
	files, err := jobs.Files(*engine, spec)
	if err != nil {
		return usagef("%v", err)
	}
	out, err := outdir.Create(*outDir, outdir.Options{Scenario: sc.Config.Name, Force: *force})
	if err != nil {
		return err
	}
	err = out.Write(func(dir string) error {
		for _, f := range files {
			if err := outfile.WriteBytes(filepath.Join(dir, f.Name), f.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the %s jobs of scenario %s into %s: %d runs in %d shards, %d CPU(s) and %s per task\n",
		*engine, sc.Config.Name, out.Path, runs, *shards, *cpus, sysres.Text(taskMemory))
	fmt.Fprintf(stdout, "submit: sh %s\n", filepath.Join(out.Path, "submit.sh"))
	return nil
}
