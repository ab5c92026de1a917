package jobs

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// scenario is YAML that a careless writer would break: a comment, a
// quoted string with a colon, trailing spaces, a tab in a string, no
// final newline.
const scenario = "# resolved\nname: \"t: x\"\nduration: 1h   \nnote: \"a\\tb\"\nclients: [{name: app, count: 10}]"

func spec() Spec {
	return Spec{
		Name: "t-x", Scenario: []byte(scenario), Shards: 3, CPUs: 2,
		Memory: 300<<20 + 1, MergeMemory: 100 << 20, Flags: []string{"--max-events", "1e+12"},
		Natsim: "/opt/natsim bin/natsim", Partition: "short", Data: "../t-data",
		Image: "registry.example/natsim:1", Namespace: "sims", Claim: "shared", Parallelism: 2,
		Queue: "q", FileSystem: "fs-123",
	}
}

func files(t *testing.T, engine string, s Spec) map[string][]byte {
	t.Helper()
	fs, err := Files(engine, s)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range fs {
		out[f.Name] = f.Data
	}
	if !bytes.Equal(out["scenario.yaml"], s.Scenario) {
		t.Errorf("scenario.yaml is not the scenario")
	}
	return out
}

// TestKubernetesManifestsDecodeStrictly decodes the manifests into the
// Kubernetes API's own types (k8s.io/api), with unknown and duplicate
// fields refused, and checks what each field says.
func TestKubernetesManifestsDecodeStrictly(t *testing.T) {
	s := spec()
	f := files(t, Kubernetes, s)
	docs := strings.Split(string(f["sweep.yaml"]), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("sweep.yaml has %d documents, want the ConfigMap and the Job", len(docs))
	}
	var cm corev1.ConfigMap
	var sweep, merge batchv1.Job
	for _, d := range []struct {
		text string
		v    any
	}{{docs[0], &cm}, {docs[1], &sweep}, {string(f["merge.yaml"]), &merge}} {
		if err := yaml.UnmarshalStrict([]byte(d.text), d.v); err != nil {
			t.Fatalf("%v\n%s", err, d.text)
		}
	}
	if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Name != "t-x-scenario" || cm.Namespace != "sims" {
		t.Errorf("ConfigMap %s %s %s/%s", cm.APIVersion, cm.Kind, cm.Namespace, cm.Name)
	}
	if got := cm.Data["scenario.yaml"]; got != scenario {
		t.Errorf("the ConfigMap's scenario.yaml is %q, want the scenario byte for byte", got)
	}

	js := sweep.Spec
	if sweep.APIVersion != "batch/v1" || sweep.Kind != "Job" || sweep.Name != "t-x-sweep" || sweep.Namespace != "sims" {
		t.Errorf("sweep Job %s %s %s/%s", sweep.APIVersion, sweep.Kind, sweep.Namespace, sweep.Name)
	}
	if js.CompletionMode == nil || *js.CompletionMode != batchv1.IndexedCompletion || js.Completions == nil || *js.Completions != 3 ||
		js.Parallelism == nil || *js.Parallelism != 2 || js.BackoffLimitPerIndex == nil {
		t.Errorf("sweep Job spec: %+v", js)
	}
	// An Indexed Job's pod has the hostname JOB-INDEX, which must be a
	// DNS label: the longest name and index must fit.
	host := strings.Repeat("x", MaxName) + "-sweep-" + strconv.Itoa(AWSMaxArray*10)
	if errs := validation.IsDNS1123Label(host); len(errs) > 0 {
		t.Errorf("the longest hostname %s: %v", host, errs)
	}
	pod := js.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever { // backoffLimitPerIndex requires Never
		t.Errorf("restartPolicy %q", pod.RestartPolicy)
	}
	c := pod.Containers[0]
	want := []string{"natsim", "sweep", "/etc/natsim/scenario.yaml", "--shard", "env", "--shards", "3", "--jobs", "2", "--quiet",
		"--max-events", "1e+12", "--out", "/data/t-x/shard-$(JOB_COMPLETION_INDEX)"}
	if !slices.Equal(c.Command, want) || c.Image != s.Image {
		t.Errorf("sweep container %s %q\nwant %q", c.Image, c.Command, want)
	}
	// 300 MiB and a byte, rounded up to whole MiB.
	checkQuantity(t, c.Resources.Requests[corev1.ResourceMemory], 301<<20)
	checkQuantity(t, c.Resources.Limits[corev1.ResourceMemory], 301<<20)
	checkQuantity(t, c.Resources.Requests[corev1.ResourceCPU], 2)
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	vols := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		vols[v.Name] = v
	}
	if mounts["data"] != "/data" || mounts["scenario"] != "/etc/natsim" ||
		vols["data"].PersistentVolumeClaim == nil || vols["data"].PersistentVolumeClaim.ClaimName != "shared" ||
		vols["scenario"].ConfigMap == nil || vols["scenario"].ConfigMap.Name != cm.Name {
		t.Errorf("mounts %v, volumes %+v", mounts, vols)
	}

	mc := merge.Spec.Template.Spec.Containers[0]
	wantMerge := []string{"natsim", "merge", "--out", "/data/t-x/merged", "/data/t-x/shard-0", "/data/t-x/shard-1", "/data/t-x/shard-2"}
	if merge.Name != "t-x-merge" || merge.Spec.CompletionMode != nil || !slices.Equal(mc.Command, wantMerge) {
		t.Errorf("merge Job %s: %q, want %q", merge.Name, mc.Command, wantMerge)
	}
	checkQuantity(t, mc.Resources.Limits[corev1.ResourceMemory], 100<<20)
	shellSyntax(t, "sh", f["submit.sh"])
}

func checkQuantity(t *testing.T, q resource.Quantity, want int64) {
	t.Helper()
	if q.Value() != want {
		t.Errorf("quantity %s is %d, want %d", q.String(), q.Value(), want)
	}
}

// The AWS Batch request shapes, with the field names of the API
// reference (RegisterJobDefinition, SubmitJob and the types they use:
// https://docs.aws.amazon.com/batch/latest/APIReference/), written here
// apart from the code under test. Only the fields a natsim job may use
// are listed: any other field is an error.
type (
	awsKeyValue struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	awsResource struct {
		Type  string `json:"type"` // GPU | VCPU | MEMORY
		Value string `json:"value"`
	}
	awsContainer struct {
		Image                string          `json:"image"`
		Command              []string        `json:"command"`
		Environment          []awsKeyValue   `json:"environment"`
		ResourceRequirements []awsResource   `json:"resourceRequirements"`
		Volumes              []awsVolume     `json:"volumes"`
		MountPoints          []awsMountPoint `json:"mountPoints"`
	}
	awsVolume struct {
		Name                   string `json:"name"`
		EFSVolumeConfiguration *struct {
			FileSystemID string `json:"fileSystemId"`
		} `json:"efsVolumeConfiguration"`
	}
	awsMountPoint struct {
		SourceVolume  string `json:"sourceVolume"`
		ContainerPath string `json:"containerPath"`
		ReadOnly      bool   `json:"readOnly"`
	}
	awsJobDefinition struct {
		JobDefinitionName   string       `json:"jobDefinitionName"`
		Type                string       `json:"type"` // container | multinode
		ContainerProperties awsContainer `json:"containerProperties"`
		RetryStrategy       struct {
			Attempts int `json:"attempts"` // 1 to 10
		} `json:"retryStrategy"`
	}
	awsSubmitJob struct {
		JobName         string `json:"jobName"`
		JobQueue        string `json:"jobQueue"`
		JobDefinition   string `json:"jobDefinition"`
		ArrayProperties *struct {
			Size int `json:"size"`
		} `json:"arrayProperties"`
		DependsOn []struct {
			JobID string `json:"jobId"`
			Type  string `json:"type"` // N_TO_N | SEQUENTIAL, or none
		} `json:"dependsOn"`
		ContainerOverrides *struct {
			Command              []string      `json:"command"`
			ResourceRequirements []awsResource `json:"resourceRequirements"`
		} `json:"containerOverrides"`
	}
)

func decodeStrict(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, data)
	}
}

// TestAWSBatchJSONDecodesStrictly holds the three request files against
// the documented field names and checks their values.
func TestAWSBatchJSONDecodesStrictly(t *testing.T) {
	s := spec()
	f := files(t, AWSBatch, s)
	var def awsJobDefinition
	var sweep, merge awsSubmitJob
	decodeStrict(t, "job-definition.json", f["job-definition.json"], &def)
	decodeStrict(t, "submit-sweep.json", f["submit-sweep.json"], &sweep)
	decodeStrict(t, "submit-merge.json", f["submit-merge.json"], &merge)

	cp := def.ContainerProperties
	if def.JobDefinitionName != "t-x" || def.Type != "container" || cp.Image != s.Image || def.RetryStrategy.Attempts < 1 || def.RetryStrategy.Attempts > 10 {
		t.Errorf("job definition %+v", def)
	}
	if len(cp.Environment) != 1 || cp.Environment[0].Name != "NATSIM_SCENARIO" || cp.Environment[0].Value != scenario {
		t.Errorf("the scenario does not travel intact: %+v", cp.Environment)
	}
	wantRes := []awsResource{{"VCPU", "2"}, {"MEMORY", "301"}} // MiB, rounded up
	if !slices.Equal(cp.ResourceRequirements, wantRes) {
		t.Errorf("resources %+v, want %+v", cp.ResourceRequirements, wantRes)
	}
	if len(cp.Volumes) != 1 || cp.Volumes[0].EFSVolumeConfiguration == nil || cp.Volumes[0].EFSVolumeConfiguration.FileSystemID != "fs-123" ||
		len(cp.MountPoints) != 1 || cp.MountPoints[0].SourceVolume != cp.Volumes[0].Name || cp.MountPoints[0].ContainerPath != "/data" {
		t.Errorf("volumes %+v, mounts %+v", cp.Volumes, cp.MountPoints)
	}
	// The shard's command, run by sh with a stand-in natsim that prints
	// its arguments, for child 2 of the array.
	if len(cp.Command) != 3 || cp.Command[0] != "sh" || cp.Command[1] != "-c" {
		t.Fatalf("command %q", cp.Command)
	}
	// The container's /tmp/scenario.yaml is a file of the test's here.
	dir := t.TempDir()
	written := filepath.Join(dir, "scenario.yaml")
	got := runStandIn(t, dir, strings.ReplaceAll(cp.Command[2], "/tmp/scenario.yaml", written),
		"AWS_BATCH_JOB_ARRAY_INDEX=2", "NATSIM_SCENARIO="+scenario)
	want := "sweep " + written + " --shard env --shards 3 --jobs 2 --quiet --max-events 1e+12 --out /data/t-x/shard-2\n"
	if got != want {
		t.Errorf("the shard's command ran\n%s\nwant\n%s", got, want)
	}
	if data, err := os.ReadFile(written); err != nil || string(data) != scenario {
		t.Errorf("the scenario written in the container: %q, %v", data, err)
	}

	if sweep.JobName != "t-x-sweep" || sweep.JobQueue != "q" || sweep.JobDefinition != "t-x" ||
		sweep.ArrayProperties == nil || sweep.ArrayProperties.Size != 3 || sweep.DependsOn != nil || sweep.ContainerOverrides != nil {
		t.Errorf("submit-sweep.json %+v", sweep)
	}
	// The merge waits for the whole array: a dependency on its ID with no
	// type (N_TO_N would pair it with one child of the same index).
	if len(merge.DependsOn) != 1 || merge.DependsOn[0].JobID != "SWEEP_JOB_ID" || merge.DependsOn[0].Type != "" ||
		merge.ArrayProperties != nil || merge.ContainerOverrides == nil {
		t.Fatalf("submit-merge.json %+v", merge)
	}
	if !bytes.Contains(f["submit.sh"], []byte(`sed "s/SWEEP_JOB_ID/$sweep/" submit-merge.json`)) {
		t.Errorf("submit.sh does not put the array job's ID in place of SWEEP_JOB_ID")
	}
	mc := merge.ContainerOverrides.Command
	if len(mc) != 3 || mc[2] != "exec natsim merge --out /data/t-x/merged /data/t-x/shard-*" {
		t.Errorf("merge command %q", mc)
	}
	shellSyntax(t, "sh", f["submit.sh"])
}

// runStandIn runs command with sh in dir, a natsim on the PATH that
// prints its arguments, and env; it returns what that natsim printed.
func runStandIn(t *testing.T, dir, command string, env ...string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "natsim"), []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + dir + ":/usr/bin:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", command, err, out)
	}
	return string(out)
}

// shellSyntax checks a script with the shell's -n (parse only).
func shellSyntax(t *testing.T, shell string, script []byte) {
	t.Helper()
	cmd := exec.Command(shell, "-n")
	cmd.Stdin = bytes.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s -n: %v\n%s\n%s", shell, err, out, script)
	}
}

// sbatchLine is an #SBATCH line as sbatch reads it: the directive block
// before the first command.
var sbatchLine = regexp.MustCompile(`^#SBATCH --([a-z-]+)=(\S+)$`)

// TestSlurmScripts parses the scripts with bash -n and reads their
// #SBATCH options as sbatch does (up to the first command), and runs the
// array task's command with a stand-in natsim.
func TestSlurmScripts(t *testing.T) {
	s := spec()
	f := files(t, Slurm, s)
	for _, tc := range []struct {
		name string
		want map[string]string
	}{
		{"sweep.sbatch", map[string]string{"job-name": "t-x", "array": "0-2", "ntasks": "1", "cpus-per-task": "2",
			"mem": "301M", "output": "../t-data/slurm-%A_%a.out", "partition": "short"}},
		{"merge.sbatch", map[string]string{"job-name": "t-x-merge", "ntasks": "1", "cpus-per-task": "1",
			"mem": "100M", "output": "../t-data/slurm-merge-%j.out", "partition": "short"}},
	} {
		script := f[tc.name]
		shellSyntax(t, "bash", script)
		lines := strings.Split(string(script), "\n")
		if lines[0] != "#!/bin/bash" {
			t.Errorf("%s starts with %q", tc.name, lines[0])
		}
		got := map[string]string{}
		for _, l := range lines[1:] {
			if !strings.HasPrefix(l, "#") {
				break // sbatch stops reading directives at the first command
			}
			if strings.HasPrefix(l, "#SBATCH") {
				m := sbatchLine.FindStringSubmatch(l)
				if m == nil {
					t.Errorf("%s: %q is not --option=value", tc.name, l)
					continue
				}
				got[m[1]] = m[2]
			}
		}
		if !mapsEqual(got, tc.want) {
			t.Errorf("%s: #SBATCH %v\nwant %v", tc.name, got, tc.want)
		}
	}
	// The array task's last line, for task 1, with a stand-in natsim.
	lines := strings.Split(strings.TrimSpace(string(f["sweep.sbatch"])), "\n")
	last := strings.Replace(lines[len(lines)-1], "'/opt/natsim bin/natsim'", "natsim", 1)
	got := runStandIn(t, t.TempDir(), last, "SLURM_ARRAY_TASK_ID=1")
	if want := "sweep scenario.yaml --shard env --shards 3 --jobs 2 --quiet --max-events 1e+12 --out ../t-data/shard-1\n"; got != want {
		t.Errorf("the array task ran\n%s\nwant\n%s", got, want)
	}
	lines = strings.Split(strings.TrimSpace(string(f["merge.sbatch"])), "\n")
	last = strings.Replace(lines[len(lines)-1], "'/opt/natsim bin/natsim'", "natsim", 1)
	cmd := exec.Command("bash", "-c", "natsim() { echo \"$@\"; }; "+strings.TrimPrefix(last, "exec "))
	out, err := cmd.CombinedOutput()
	if want := "merge --out ../t-data/merged ../t-data/shard-0 ../t-data/shard-1 ../t-data/shard-2\n"; err != nil || string(out) != want {
		t.Errorf("the merge ran %q (%v), want %q", out, err, want)
	}
	shellSyntax(t, "sh", f["submit.sh"])
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
