// Package jobs writes the files that run a sweep on a cluster: its runs
// split into shards (natsim sweep --shard env), one array task per shard,
// and a merge (natsim merge) that starts once every task has succeeded.
//
// Three engines, each with the form it documents:
//
//   - Slurm: sweep.sbatch, a job array (#SBATCH --array=0-N-1, the index
//     from SLURM_ARRAY_TASK_ID); merge.sbatch, submitted with
//     --dependency=afterok on the array (which waits for every task,
//     https://slurm.schedmd.com/job_array.html); submit.sh submits both.
//     The shard folders and the merged one are on the cluster's shared
//     file system, in the data folder.
//   - Kubernetes: sweep.yaml, a ConfigMap holding the scenario and an
//     Indexed Job (completionMode: Indexed, the index in
//     JOB_COMPLETION_INDEX,
//     https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode);
//     merge.yaml, the merge Job, which submit.sh applies when the sweep
//     Job is complete (Kubernetes has no dependencies between Jobs). The
//     shards are on a ReadWriteMany PersistentVolumeClaim at /data.
//   - AWS Batch: job-definition.json (RegisterJobDefinition), and
//     submit-sweep.json, an array job (arrayProperties.size N, the index
//     in AWS_BATCH_JOB_ARRAY_INDEX), and submit-merge.json, a job that
//     depends on the array job by its ID with no type: it waits for every
//     child (the type N_TO_N pairs the children of two arrays, SEQUENTIAL
//     the children of one;
//     https://docs.aws.amazon.com/batch/latest/userguide/job_dependencies.html).
//     The shards are on an EFS file system at /data; the scenario travels
//     in the job definition's environment.
//
// Every task runs the same canonical scenario (scenario.yaml, written
// beside the job files) with --jobs set to the CPUs it asks for, and asks
// for the memory it is given: natsim jobs computes it from the engine's
// estimate. Nothing here reads files or the clock: Files returns the
// files, the caller writes them.
package jobs
