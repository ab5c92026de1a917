package shard

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec is one shard of a sweep: Index of Count, from 0.
type Spec struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// The environment variables of the engines' array tasks: the index of
// the task (from 0) and, for Slurm, the number of tasks.
const (
	SlurmIndex = "SLURM_ARRAY_TASK_ID"
	SlurmCount = "SLURM_ARRAY_TASK_COUNT"
	K8sIndex   = "JOB_COMPLETION_INDEX"
	AWSIndex   = "AWS_BATCH_JOB_ARRAY_INDEX"
)

// ParseSpec reads --shard: "I/N", or "env" for the index of the array
// task this process is (Slurm, Kubernetes Indexed Job or AWS Batch, in
// that order) and the count from SLURM_ARRAY_TASK_COUNT or shards (the
// --shards flag, 0 when not given). With both, a Slurm array of more
// tasks than shards is an error; one of fewer is taken as the
// resubmission of some shards (--array=3,7 has two tasks), and shards
// is the count.
func ParseSpec(text string, shards int, getenv func(string) string) (Spec, error) {
	if shards < 0 {
		return Spec{}, fmt.Errorf("--shards must be at least 1 (got %d)", shards)
	}
	if text != "env" {
		i, n, ok := strings.Cut(text, "/")
		idx, err1 := strconv.Atoi(i)
		cnt, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil {
			return Spec{}, fmt.Errorf("--shard must be I/N (from 0, as array tasks are numbered: 0/4 to 3/4) or env (got %q)", text)
		}
		if shards > 0 && shards != cnt {
			return Spec{}, fmt.Errorf("--shard %s and --shards %d disagree on the number of shards", text, shards)
		}
		return check(Spec{idx, cnt}, "--shard "+text)
	}
	for _, name := range []string{SlurmIndex, K8sIndex, AWSIndex} {
		v := getenv(name)
		if v == "" {
			continue
		}
		idx, err := strconv.Atoi(v)
		if err != nil {
			return Spec{}, fmt.Errorf("--shard env: %s is %q, not a whole number", name, v)
		}
		cnt := shards
		if name == SlurmIndex {
			if c := getenv(SlurmCount); c != "" {
				tasks, err := strconv.Atoi(c)
				switch {
				case err != nil:
					return Spec{}, fmt.Errorf("--shard env: %s is %q, not a whole number", SlurmCount, c)
				case shards > 0 && tasks > shards:
					return Spec{}, fmt.Errorf("--shard env: the Slurm array has %s=%d tasks but --shards is %d: they must agree", SlurmCount, tasks, shards)
				case shards == 0:
					cnt = tasks
				}
			}
		}
		if cnt == 0 {
			return Spec{}, fmt.Errorf("--shard env: %s gives the index but nothing gives the number of shards: add --shards N", name)
		}
		return check(Spec{idx, cnt}, "--shard env ("+name+"="+v+")")
	}
	return Spec{}, fmt.Errorf("--shard env: none of %s, %s, %s is set: this is not an array task (use --shard I/N)", SlurmIndex, K8sIndex, AWSIndex)
}

func check(s Spec, what string) (Spec, error) {
	switch {
	case s.Count < 1:
		return Spec{}, fmt.Errorf("%s: the number of shards must be at least 1 (got %d)", what, s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return Spec{}, fmt.Errorf("%s: the shard index must be from 0 to %d (got %d)", what, s.Count-1, s.Index)
	}
	return s, nil
}
