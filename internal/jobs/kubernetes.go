package jobs

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// kubernetes writes sweep.yaml (the scenario's ConfigMap and the Indexed
// Job), merge.yaml (the merge Job) and submit.sh.
func kubernetes(s Spec) ([]File, error) {
	if s.Image == "" {
		return nil, fmt.Errorf("--image is required with --engine kubernetes: a container image with natsim on its PATH")
	}
	for _, f := range []struct{ flag, v string }{{"--namespace", s.Namespace}, {"--claim", s.Claim}} {
		if !nameRE.MatchString(f.v) || len(f.v) > 63 {
			return nil, fmt.Errorf("%s must be a Kubernetes name: lowercase letters, digits and '-' (got %q)", f.flag, f.v)
		}
	}
	parallelism := s.Parallelism
	if parallelism <= 0 || parallelism > s.Shards {
		parallelism = s.Shards
	}
	data := dataMount + "/" + s.Name
	shardCmd := append(s.shardArgs("natsim", scenarioMount+"/scenario.yaml"), "--out", data+"/shard-$(JOB_COMPLETION_INDEX)")
	cm, err := yaml.Marshal(map[string]string{"scenario.yaml": string(s.Scenario)})
	if err != nil {
		return nil, err
	}
	meta := func(name string) string {
		return fmt.Sprintf(`metadata:
  name: %s
  namespace: %s
  labels:
    app.kubernetes.io/name: natsim
    app.kubernetes.io/instance: %s`, name, s.Namespace, s.Name)
	}
	// pod is a Job's pod template: one container, the data volume and,
	// for the sweep, the scenario's.
	pod := func(command []string, memory int64, cpus int, scenario bool) string {
		mounts := fmt.Sprintf("            - {name: data, mountPath: %s}\n", dataMount)
		volumes := fmt.Sprintf("        - name: data\n          persistentVolumeClaim: {claimName: %s}\n", s.Claim)
		if scenario {
			mounts += fmt.Sprintf("            - {name: scenario, mountPath: %s, readOnly: true}\n", scenarioMount)
			volumes += fmt.Sprintf("        - name: scenario\n          configMap: {name: %s-scenario}\n", s.Name)
		}
		return fmt.Sprintf(`  template:
    spec:
      restartPolicy: Never
      containers:
        - name: natsim
          image: %s
          command: %s
          resources:
            requests: {cpu: "%d", memory: %dMi}
            limits: {memory: %dMi}
          volumeMounts:
%s      volumes:
%s`, quote(s.Image), quoteAll(command), cpus, mib(memory), mib(memory), mounts, volumes)
	}
	sweep := fmt.Sprintf(`# natsim jobs: the sweep of scenario %[1]s as a Kubernetes Indexed Job.
# Pod I (0 to %[2]d) runs shard I/%[3]d of the sweep's runs: --shard env reads
# JOB_COMPLETION_INDEX, which the Job controller sets, and $(JOB_COMPLETION_INDEX)
# in the command names its folder on the volume. The volume is the
# ReadWriteMany PersistentVolumeClaim %[4]s at %[5]s; the scenario comes from
# the ConfigMap below. A failed index is retried twice on its own
# (backoffLimitPerIndex) while the others go on; a pod run again skips the
# runs it recorded. Apply with submit.sh, which then applies merge.yaml.
# Requests: %[6]d CPU(s), and the memory natsim estimates for %[6]d run(s) at
# once over 0.75 (natsim's default --max-memory is 75%% of the pod's limit).
apiVersion: v1
kind: ConfigMap
%[7]s
data:
%[8]s---
apiVersion: batch/v1
kind: Job
%[9]s
spec:
  completionMode: Indexed
  completions: %[3]d
  parallelism: %[10]d
  backoffLimitPerIndex: 2
%[11]s`, s.Name, s.Shards-1, s.Shards, s.Claim, dataMount, s.CPUs, meta(s.Name+"-scenario"), indent(string(cm), "  "),
		meta(s.Name+"-sweep"), parallelism, pod(shardCmd, s.Memory, s.CPUs, true))

	mergeCmd := append([]string{"natsim", "merge", "--out", data + "/merged"}, s.shardDirs(data)...)
	merge := fmt.Sprintf(`# natsim jobs: the merge of the %[1]d shards of scenario %[2]s into
# %[3]s/merged on the claim %[4]s: the files one natsim sweep --out writes.
# submit.sh applies it once the Indexed Job %[2]s-sweep is complete
# (Kubernetes Jobs do not wait for each other). If runs are missing, the
# merge writes what it has, lists them in missing.csv and fails: its log
# (kubectl logs job/%[2]s-merge) says so; sh submit.sh again runs the
# shards again, each skipping the runs it recorded, and merges anew.
apiVersion: batch/v1
kind: Job
%[5]s
spec:
  completions: 1
  backoffLimit: 1
%[6]s`, s.Shards, s.Name, data, s.Claim, meta(s.Name+"-merge"), pod(mergeCmd, s.MergeMemory, 1, false))

	ns := shellQuote(s.Namespace)
	submit := fmt.Sprintf(`#!/bin/sh
# natsim jobs: runs the sweep of scenario %[1]s on Kubernetes: applies
# sweep.yaml (the scenario's ConfigMap and the Indexed Job %[1]s-sweep),
# waits until the Job is complete, then applies merge.yaml. Jobs of an
# earlier submission are deleted first, so running it again runs the
# shards again (each skipping the runs it recorded) and merges anew.
# kubectl must point at the cluster; the claim %[2]s must exist.
set -eu
cd "$(dirname "$0")"
# wait_job NAME waits until the Job is complete (or fails: exit 1).
wait_job() {
  echo "natsim: waiting for job $1 (kubectl -n %[3]s get pods -l job-name=$1)"
  while :; do
    state=$(kubectl -n %[3]s get job "$1" -o 'jsonpath={.status.conditions[?(@.status=="True")].type}')
    case " $state " in
    *" Complete "*) return 0 ;;
    *" Failed "*)
      echo "natsim: job $1 failed; failed indexes: $(kubectl -n %[3]s get job "$1" -o 'jsonpath={.status.failedIndexes}')" >&2
      kubectl -n %[3]s logs "job/$1" --tail=20 >&2 || true
      exit 1 ;;
    esac
    sleep 30
  done
}
kubectl -n %[3]s delete job %[1]s-sweep %[1]s-merge --ignore-not-found
kubectl apply -f sweep.yaml
wait_job %[1]s-sweep
kubectl apply -f merge.yaml
wait_job %[1]s-merge
kubectl -n %[3]s logs job/%[1]s-merge
echo "natsim: the result: %[4]s/merged on the claim %[2]s"
`, s.Name, s.Claim, ns, data)
	return []File{{"sweep.yaml", []byte(sweep)}, {"merge.yaml", []byte(merge)}, {"submit.sh", []byte(submit)}}, nil
}

// indent puts prefix before every line of text.
func indent(text, prefix string) string {
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}
