package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/natsim/natsim/scenarios"
)

// jobsScenario is a sweep of 2 points of 2 replications: 4 runs.
const jobsScenario = goodScenario + "replications: 2\nsweep: {clients.app.count: [10, 20]}\n"

// jobsFile writes jobsScenario into a new folder; it returns both.
func jobsFile(t *testing.T) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte(jobsScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// TestJobsKubernetesRunsAsItsPodsWould reads the manifests natsim jobs
// wrote into the Kubernetes API types, runs each pod's command as the
// kubelet would (JOB_COMPLETION_INDEX set, $(JOB_COMPLETION_INDEX)
// expanded, the volumes at their mount paths), then the merge Job's, and
// holds the merged folder byte for byte against one natsim sweep --out.
func TestJobsKubernetesRunsAsItsPodsWould(t *testing.T) {
	dir, file := jobsFile(t)
	jobDir := filepath.Join(dir, "k8s")
	if _, msg, code := natsim(t, "jobs", file, "--engine", "kubernetes", "--shards", "3", "--image", "natsim:test", "--out", jobDir); code != 0 {
		t.Fatalf("natsim jobs: %d %s", code, msg)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(jobDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	docs := strings.Split(string(read("sweep.yaml")), "\n---\n")
	var cm corev1.ConfigMap
	var sweep, merge batchv1.Job
	for i, v := range []any{&cm, &sweep} {
		if err := yaml.UnmarshalStrict([]byte(docs[i]), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := yaml.UnmarshalStrict(read("merge.yaml"), &merge); err != nil {
		t.Fatal(err)
	}
	// The volumes: the claim at /data, the ConfigMap at /etc/natsim.
	data, etc := filepath.Join(dir, "data"), filepath.Join(dir, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range cm.Data {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pod := func(command []string, index string) {
		t.Helper()
		var args []string
		for _, a := range command[1:] {
			a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", index)
			a = strings.Replace(a, "/data/", data+"/", 1)
			args = append(args, strings.Replace(a, "/etc/natsim/", etc+"/", 1))
		}
		if out, msg, code := natsim(t, args...); code != 0 {
			t.Fatalf("pod %s: natsim %q: exit %d\n%s%s", index, args, code, out, msg)
		}
	}
	if command := sweep.Spec.Template.Spec.Containers[0].Command; command[0] != "natsim" {
		t.Fatalf("command %q", command)
	}
	for i := range int(*sweep.Spec.Completions) {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		pod(sweep.Spec.Template.Spec.Containers[0].Command, strconv.Itoa(i))
	}
	pod(merge.Spec.Template.Spec.Containers[0].Command, "")

	one := filepath.Join(dir, "one")
	if _, msg, code := natsim(t, "sweep", file, "--out", one, "--quiet"); code != 0 {
		t.Fatalf("natsim sweep: %d %s", code, msg)
	}
	merged := filepath.Join(data, "t", "merged") // the job name is the scenario's, t
	sameFolders(t, one, merged)
}

// TestJobsMemoryIsTheEstimateOverThreeQuarters: the task asks for the
// two largest runs at once (--cpus 2) and every run's time series, from
// the engine's estimates summed here, over 0.75, in MiB rounded up.
func TestJobsMemoryIsTheEstimateOverThreeQuarters(t *testing.T) {
	dir, file := jobsFile(t)
	sc, err := scenarios.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	points, _ := sc.Points(nil) // checked by natsim jobs below
	var series int64
	for _, p := range points {
		series += 2 * p.Scenario.Config.SeriesBytes()
	}
	// Both replications of the 20-client point are the largest runs.
	need := 2*points[1].Scenario.Config.EstimateBytes() + series
	want := "#SBATCH --mem=" + strconv.FormatInt((need*4/3+1<<20-1)>>20, 10) + "M\n"
	if _, msg, code := natsim(t, "jobs", file, "--engine", "slurm", "--shards", "2", "--cpus", "2", "--out", filepath.Join(dir, "j")); code != 0 {
		t.Fatal(msg)
	}
	script, _ := os.ReadFile(filepath.Join(dir, "j", "sweep.sbatch"))
	if !strings.Contains(string(script), want) {
		t.Errorf("sweep.sbatch has no %q:\n%s", want, script)
	}
}

// TestJobsBadInput: each mistake is exit status 2, with a message that
// names it, and nothing written.
func TestJobsBadInput(t *testing.T) {
	dir, file := jobsFile(t)
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shards", "2"}, `--engine must be one of slurm, kubernetes, aws-batch (got "")`},
		{[]string{"--engine", "pbs", "--shards", "2"}, `--engine must be one of slurm, kubernetes, aws-batch (got "pbs")`},
		{[]string{"--engine", "slurm"}, "--shards must be at least 1 (got 0)"},
		{[]string{"--engine", "slurm", "--shards", "5"}, "--shards 5 is more than the sweep's 4 runs"},
		{[]string{"--engine", "slurm", "--shards", "2", "--data", "my data"}, "--data must be a path without spaces"},
		{[]string{"--engine", "kubernetes", "--shards", "2"}, "--image is required with --engine kubernetes"},
		{[]string{"--engine", "kubernetes", "--shards", "2", "--image", "x", "--namespace", "Sims"}, `--namespace must be a Kubernetes name`},
		{[]string{"--engine", "aws-batch", "--shards", "2", "--image", "x", "--efs", "fs-1"}, "--queue is required with --engine aws-batch"},
		{[]string{"--engine", "aws-batch", "--shards", "1", "--image", "x", "--queue", "q", "--efs", "fs-1"}, "--shards must be from 2 to 10000 with --engine aws-batch"},
		{[]string{"--engine", "slurm", "--shards", "2", "--name", "My Job"}, "the job name must be lowercase letters"},
		{[]string{"--engine", "slurm", "--shards", "2", "--memory", "1MiB", "--cpus", "2"}, "scenario too large"},
	} {
		args := append([]string{"jobs", file, "--out", out}, tc.args...)
		_, msg, code := natsim(t, args...)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: exit %d, %s\nwant exit 2 and %q", tc.args, code, msg, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%q: %s was written", tc.args, out)
		}
	}
}
