package jobs

import (
	"fmt"
	"strings"
)

// slurm writes sweep.sbatch, merge.sbatch and submit.sh. The scripts run
// in the job folder (sbatch's working directory is where it was called,
// and submit.sh calls it there), so scenario.yaml and a relative data
// folder are found wherever the folder is copied.
func slurm(s Spec) ([]File, error) {
	if strings.ContainsAny(s.Data, " \t\n%'\"\\$`") || s.Data == "" {
		return nil, fmt.Errorf("--data must be a path without spaces, quotes, '%%', '$' or '\\' (an #SBATCH line cannot quote it; got %q)", s.Data)
	}
	if strings.ContainsAny(s.Partition, " \t\n'\"") {
		return nil, fmt.Errorf("--partition must be a partition name (got %q)", s.Partition)
	}
	var partition string
	if s.Partition != "" {
		partition = "#SBATCH --partition=" + s.Partition + "\n"
	}
	sweep := fmt.Sprintf(`#!/bin/bash
# natsim jobs: the sweep of scenario %[1]s as a Slurm job array.
# Task I (0 to %[2]d) runs shard I/%[3]d of the sweep's runs, the index taken
# from SLURM_ARRAY_TASK_ID by --shard env, into %[4]s/shard-I. A task run
# again skips the runs it recorded. Submit with submit.sh, or from this
# folder: sbatch sweep.sbatch; only some shards: sbatch --array=3,7 sweep.sbatch
# (natsim status %[4]s/shard-* prints that list).
#SBATCH --job-name=%[5]s
#SBATCH --array=0-%[2]d
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=%[6]d
# The memory natsim estimates for %[6]d run(s) at once, over 0.75: natsim's
# default --max-memory is 75%% of the task's limit.
#SBATCH --mem=%[7]dM
#SBATCH --output=%[4]s/slurm-%%A_%%a.out
%[8]sset -euo pipefail
exec %[9]s --out "%[4]s/shard-$SLURM_ARRAY_TASK_ID"
`, s.Name, s.Shards-1, s.Shards, s.Data, s.Name, s.CPUs, mib(s.Memory), partition, shellQuote(s.shardArgs(s.Natsim, "scenario.yaml")...))

	merge := fmt.Sprintf(`#!/bin/bash
# natsim jobs: the merge of the %[1]d shards of scenario %[2]s into %[3]s/merged,
# the files one natsim sweep --out writes. submit.sh submits it with
# --dependency=afterok:ARRAY_JOB_ID: it starts when every task of the
# array has succeeded. After a resubmission of some shards:
# sbatch --dependency=afterok:NEW_ARRAY_JOB_ID merge.sbatch
#SBATCH --job-name=%[4]s-merge
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=%[5]dM
#SBATCH --output=%[3]s/slurm-merge-%%j.out
%[6]sset -euo pipefail
exec %[7]s --out "%[3]s/merged" %[3]s/shard-{0..%[8]d}
`, s.Shards, s.Name, s.Data, s.Name, mib(s.MergeMemory), partition, shellQuote(s.Natsim, "merge"), s.Shards-1)

	submit := fmt.Sprintf(`#!/bin/sh
# natsim jobs: submits the sweep of scenario %[1]s to Slurm: the job array
# sweep.sbatch (%[2]d tasks), then merge.sbatch, which waits for every task
# to succeed (--dependency=afterok). Run it from anywhere: sh submit.sh.
# Its arguments go to the array's sbatch: sh submit.sh --array=3,7 runs
# those shards again (natsim status says which) and merges once they are
# done. Options for both jobs (an account, say) go in SBATCH_* variables.
set -eu
cd "$(dirname "$0")"
mkdir -p %[3]s
sweep=$(sbatch --parsable "$@" sweep.sbatch)
sweep=${sweep%%%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$sweep" merge.sbatch)
merge=${merge%%%%;*}
echo "natsim: the sweep is job array $sweep, the merge job $merge (after every task succeeds)"
echo "natsim: progress: squeue -j $sweep,$merge; runs done: natsim status %[3]s/shard-*"
echo "natsim: the result: %[3]s/merged (relative to $(pwd))"
`, s.Name, s.Shards, shellQuote(s.Data))
	return []File{{"sweep.sbatch", []byte(sweep)}, {"merge.sbatch", []byte(merge)}, {"submit.sh", []byte(submit)}}, nil
}
