package jobs

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// awsBatch writes job-definition.json, submit-sweep.json,
// submit-merge.json and submit.sh: the inputs of aws batch
// register-job-definition and submit-job (--cli-input-json), in the
// field names of the AWS Batch API
// (https://docs.aws.amazon.com/batch/latest/APIReference/API_RegisterJobDefinition.html,
// .../API_SubmitJob.html). JSON holds no comments: submit.sh explains.
func awsBatch(s Spec) ([]File, error) {
	switch {
	case s.Image == "":
		return nil, fmt.Errorf("--image is required with --engine aws-batch: a container image with natsim on its PATH and /bin/sh")
	case s.Queue == "":
		return nil, fmt.Errorf("--queue is required with --engine aws-batch: the job queue to submit to")
	case s.FileSystem == "":
		return nil, fmt.Errorf("--efs is required with --engine aws-batch: the EFS file system (fs-...) that holds the shards, mounted at %s", dataMount)
	case s.Shards < 2 || s.Shards > AWSMaxArray:
		return nil, fmt.Errorf("--shards must be from 2 to %d with --engine aws-batch: the sizes of an AWS Batch array job (got %d)", AWSMaxArray, s.Shards)
	}
	data := dataMount + "/" + s.Name
	// The index reaches the folder's name through the shell: AWS Batch
	// substitutes no environment variable in a command. The scenario
	// reaches the container in NATSIM_SCENARIO.
	shard := "printf '%s' \"$NATSIM_SCENARIO\" > /tmp/scenario.yaml && exec " +
		shellQuote(s.shardArgs("natsim", "/tmp/scenario.yaml")...) + " --out " + data + "/shard-$AWS_BATCH_JOB_ARRAY_INDEX"
	resources := func(cpus int, memory int64) []map[string]string {
		return []map[string]string{
			{"type": "VCPU", "value": strconv.Itoa(cpus)},
			{"type": "MEMORY", "value": strconv.FormatInt(mib(memory), 10)}, // MiB
		}
	}
	definition := map[string]any{
		"jobDefinitionName": s.Name,
		"type":              "container",
		"containerProperties": map[string]any{
			"image":                s.Image,
			"command":              []string{"sh", "-c", shard},
			"environment":          []map[string]string{{"name": "NATSIM_SCENARIO", "value": string(s.Scenario)}},
			"resourceRequirements": resources(s.CPUs, s.Memory),
			"volumes":              []map[string]any{{"name": "data", "efsVolumeConfiguration": map[string]string{"fileSystemId": s.FileSystem}}},
			"mountPoints":          []map[string]any{{"sourceVolume": "data", "containerPath": dataMount, "readOnly": false}},
		},
		"retryStrategy": map[string]int{"attempts": 3},
	}
	sweep := map[string]any{
		"jobName":         s.Name + "-sweep",
		"jobQueue":        s.Queue,
		"jobDefinition":   s.Name,
		"arrayProperties": map[string]int{"size": s.Shards},
	}
	// The merge depends on the array job itself, with no type: it waits
	// for every child. The glob lists the shard folders there are; a
	// shard that never wrote one counts as missing.
	merge := map[string]any{
		"jobName":       s.Name + "-merge",
		"jobQueue":      s.Queue,
		"jobDefinition": s.Name,
		"dependsOn":     []map[string]string{{"jobId": "SWEEP_JOB_ID"}},
		"containerOverrides": map[string]any{
			"command":              []string{"sh", "-c", "exec natsim merge --out " + data + "/merged " + data + "/shard-*"},
			"resourceRequirements": resources(1, s.MergeMemory),
		},
	}
	var files []File
	for _, f := range []struct {
		name string
		v    any
	}{{"job-definition.json", definition}, {"submit-sweep.json", sweep}, {"submit-merge.json", merge}} {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return nil, err
		}
		files = append(files, File{f.name, append(b, '\n')})
	}
	if n := len(files[0].Data); n > AWSMaxDefinition {
		return nil, fmt.Errorf("the job definition would be %d bytes, more than AWS Batch's %d (the scenario travels in it): use a smaller scenario file", n, AWSMaxDefinition)
	}
	submit := fmt.Sprintf(`#!/bin/sh
# natsim jobs: runs the sweep of scenario %[1]s on AWS Batch, with the aws CLI.
#   job-definition.json  the job definition %[1]s: the image, the shard's
#                        command (natsim sweep --shard env: the index from
#                        AWS_BATCH_JOB_ARRAY_INDEX), the scenario in
#                        NATSIM_SCENARIO, %[2]d vCPU(s) and the memory natsim
#                        estimates for %[2]d run(s) at once over 0.75 (its
#                        default --max-memory is 75%% of the container's),
#                        and the EFS file system %[3]s at %[4]s
#   submit-sweep.json    the array job: %[5]d children, one shard each, into
#                        %[6]s/shard-I; a child is tried up to 3 times and
#                        skips the runs it recorded
#   submit-merge.json    the merge into %[6]s/merged, which depends on the
#                        array job (every child must succeed); this script
#                        puts the array job's ID in place of SWEEP_JOB_ID
# Running it again submits both again: the shards skip the runs they
# recorded, and the merge writes the result anew.
set -eu
cd "$(dirname "$0")"
aws batch register-job-definition --cli-input-json file://job-definition.json >/dev/null
sweep=$(aws batch submit-job --cli-input-json file://submit-sweep.json --query jobId --output text)
merge=$(aws batch submit-job --cli-input-json "$(sed "s/SWEEP_JOB_ID/$sweep/" submit-merge.json)" --query jobId --output text)
echo "natsim: the sweep is array job $sweep, the merge job $merge (after every child succeeds)"
echo "natsim: progress: aws batch describe-jobs --jobs $sweep $merge"
echo "natsim: the result: %[6]s/merged on %[3]s"
`, s.Name, s.CPUs, s.FileSystem, dataMount, s.Shards, data)
	return append(files, File{"submit.sh", []byte(submit)}), nil
}
