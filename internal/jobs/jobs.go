package jobs

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The engines, as --engine names them.
const (
	Slurm      = "slurm"
	Kubernetes = "kubernetes"
	AWSBatch   = "aws-batch"
)

// Engines lists the engines in the order of the help.
var Engines = []string{Slurm, Kubernetes, AWSBatch}

// Spec is what the job files say: the sweep, how it is split and what
// each task asks of the cluster. Fields marked with an engine are used
// by that engine only.
type Spec struct {
	Name        string   // the jobs' name: lowercase letters, digits and '-', at most MaxName
	Scenario    []byte   // the canonical scenario every task runs, written as scenario.yaml
	Shards      int      // array tasks, one shard each
	CPUs        int      // CPUs per task; its natsim runs as many runs at once (--jobs)
	Memory      int64    // bytes per task
	MergeMemory int64    // bytes for the merge
	Flags       []string // more flags for every task's natsim sweep, as typed (--max-events 1e12)

	Natsim    string // Slurm: the natsim binary on the nodes
	Partition string // Slurm: the partition, or "" for the cluster's default
	Data      string // Slurm: the folder of the shard folders and the merged one, absolute or relative to the job folder

	Image       string // Kubernetes, AWS Batch: the container image, with natsim on its PATH
	Namespace   string // Kubernetes
	Claim       string // Kubernetes: the ReadWriteMany PersistentVolumeClaim mounted at /data
	Parallelism int    // Kubernetes: tasks at once; 0 is all of them
	Queue       string // AWS Batch: the job queue
	FileSystem  string // AWS Batch: the EFS file system (fs-...) mounted at /data
}

// File is one file of the job folder.
type File struct {
	Name string
	Data []byte
}

// MaxName is the longest job name: a Kubernetes Job's pods are named
// NAME-sweep-INDEX-XXXXX and their hostname NAME-sweep-INDEX must be a
// DNS label of at most 63 characters.
const MaxName = 40

// Limits of the engines that a job can exceed, from their documentation.
const (
	// AWSMaxArray is the largest array job (and 2 the smallest):
	// https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html
	AWSMaxArray = 10000
	// AWSMaxDefinition is the largest job definition, in bytes:
	// https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html
	AWSMaxDefinition = 24 << 10
	// SlurmDefaultMaxArray is Slurm's default MaxArraySize: array indexes
	// must be below it unless the cluster raised it
	// (https://slurm.schedmd.com/slurm.conf.html#OPT_MaxArraySize).
	SlurmDefaultMaxArray = 1001
)

// The paths inside the containers (Kubernetes and AWS Batch).
const (
	dataMount     = "/data"
	scenarioMount = "/etc/natsim"
)

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Name makes a job name from a scenario's name: lowercase, other
// characters as '-', at most MaxName characters.
func Name(scenario string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(scenario) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	name := b.String()
	if len(name) > MaxName {
		name = name[:MaxName]
	}
	name = strings.Trim(name, "-")
	if name == "" {
		return "natsim"
	}
	return name
}

// Files returns the job folder's files for engine, in the order to read
// them. Its errors are bad input: a name, a count or a field the engine
// cannot take.
func Files(engine string, s Spec) ([]File, error) {
	if !nameRE.MatchString(s.Name) || len(s.Name) > MaxName {
		return nil, fmt.Errorf("the job name must be lowercase letters, digits and '-', at most %d characters, starting and ending with a letter or digit (got %q)", MaxName, s.Name)
	}
	if s.Shards < 1 || s.CPUs < 1 {
		return nil, fmt.Errorf("jobs: shards and CPUs must be at least 1 (got %d and %d)", s.Shards, s.CPUs)
	}
	var files []File
	var err error
	switch engine {
	case Slurm:
		files, err = slurm(s)
	case Kubernetes:
		files, err = kubernetes(s)
	case AWSBatch:
		files, err = awsBatch(s)
	default:
		return nil, fmt.Errorf("unknown engine %q (one of %s)", engine, strings.Join(Engines, ", "))
	}
	if err != nil {
		return nil, err
	}
	return append([]File{{"scenario.yaml", s.Scenario}}, files...), nil
}

// shardArgs is the command line of every task but its --out.
func (s Spec) shardArgs(natsim, scenario string) []string {
	args := []string{natsim, "sweep", scenario, "--shard", "env", "--shards", strconv.Itoa(s.Shards),
		"--jobs", strconv.Itoa(s.CPUs), "--quiet"}
	return append(args, s.Flags...)
}

// shardDirs lists the shard folders in data.
func (s Spec) shardDirs(data string) []string {
	dirs := make([]string, s.Shards)
	for i := range dirs {
		dirs[i] = data + "/shard-" + strconv.Itoa(i)
	}
	return dirs
}

// mib is n bytes in MiB, rounded up.
func mib(n int64) int64 { return (n + 1<<20 - 1) >> 20 }

// shellQuote quotes each word for a POSIX shell, leaving plain words
// bare.
func shellQuote(words ...string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
			out[i] = w
		} else {
			out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// quote is s as a JSON string, which is also a YAML double-quoted
// scalar.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// quoteAll is words as a JSON (and YAML flow) list of strings.
func quoteAll(words []string) string {
	b, _ := json.Marshal(words)
	return string(b)
}
