package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/shard"
	"github.com/natsim/natsim/scenarios"
)

// shortSweep is an example's sweep made small enough to run four times
// in a test: shorter, fewer clients (but where the sweep varies the
// count), two replications.
func shortSweep(t *testing.T, name string) []string {
	t.Helper()
	data, err := scenarios.Examples.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	sets := []string{"duration=30m", "warmup=5m", "replications=2"}
	sc, err := scenarios.Parse(name, data, sets)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"scenarios/" + name, "--quiet"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	for _, g := range sc.Config.Groups {
		key := "clients." + g.Name + ".count"
		swept := false
		for _, k := range sc.Keys(nil) {
			swept = swept || overlaps(key, k.Key)
		}
		if g.Count > 150 && !swept {
			args = append(args, "--set", key+"=150")
		}
	}
	return args
}

// files reads every file of a folder by name.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out[d.Name()], err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameFiles fails unless two folders hold the same files, byte for byte.
func sameFiles(t *testing.T, what string, want, got map[string][]byte) {
	t.Helper()
	for n, w := range want {
		if !bytes.Equal(w, got[n]) {
			t.Errorf("%s: %s differs from one process's (%d bytes, want %d)", what, n, len(got[n]), len(w))
		}
	}
	for n := range got {
		if want[n] == nil {
			t.Errorf("%s: %s is not written by one process", what, n)
		}
	}
}

// sweepShards runs args as shards 0..n-1 of n into parent/shard-I.
func sweepShards(t *testing.T, parent string, n int, args []string) []string {
	t.Helper()
	var dirs []string
	for i := range n {
		dir := filepath.Join(parent, "shard-"+string(rune('0'+i)))
		jobs := []string{"--jobs", "1"}
		if i == 1 {
			jobs = []string{"--jobs", "2"} // the worker count must not matter either
		}
		a := append(append([]string{"sweep"}, args...), append(jobs, "--shard", string(rune('0'+i))+"/"+string(rune('0'+n)), "--out", dir)...)
		if _, msg, code := natsim(t, a...); code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, msg)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// TestShardsMergeToOneProcess: three shards of every example sweep,
// merged, write exactly the files of the sweep in one process.
func TestShardsMergeToOneProcess(t *testing.T) {
	names, _ := fs.Glob(scenarios.Examples, "*.yaml")
	if len(names) < 10 {
		t.Fatalf("only %d examples found", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			args := shortSweep(t, name)
			parent := t.TempDir()
			one := filepath.Join(parent, "one")
			if _, msg, code := natsim(t, append(append([]string{"sweep"}, args...), "--out", one)...); code != 0 {
				t.Fatal(msg)
			}
			dirs := sweepShards(t, parent, 3, args)
			merged := filepath.Join(parent, "merged")
			if out, msg, code := natsim(t, append([]string{"merge", "--out", merged}, dirs...)...); code != 0 {
				t.Fatalf("merge: exit %d: %s%s", code, out, msg)
			}
			sameFiles(t, name, files(t, one), files(t, merged))
		})
	}
}

// lruArgs is a small sweep of 7 points and 2 replications.
var lruArgs = []string{"scenarios/lru-cyclic-collapse.yaml", "--quiet", "--set", "duration=20m", "--set", "warmup=2m",
	"--set", "clients.app.count=100", "--set", "replications=2"}

// TestKilledShardResumes kills a shard (SIGKILL) after its third record;
// run again it runs only the others, leaves the three records as they
// were, and the merge equals one process.
func TestKilledShardResumes(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "shard-0")
	args := append(append([]string{"sweep"}, lruArgs...), "--jobs", "1", "--shard", "0/2", "--out", dir)
	cmd := natsimChild(args...)
	cmd.Env = append(cmd.Env, "NATSIM_CRASH_AT=shard.recorded:3")
	if err := cmd.Run(); err == nil {
		t.Fatal("the shard was not killed")
	}
	before, _ := filepath.Glob(filepath.Join(dir, "run-*.json"))
	if len(before) != 3 {
		t.Fatalf("%d records after a kill at the third, want 3", len(before))
	}
	if _, err := os.Stat(filepath.Join(dir, shard.DoneName)); err == nil {
		t.Fatal("a killed shard has a completion marker")
	}
	stats := map[string]os.FileInfo{}
	for _, f := range before {
		stats[f], _ = os.Stat(f)
	}
	// 14 runs, of equal cost, dealt alternately: 7 to shard 0.
	out, msg, code := natsim(t, args...)
	if code != 0 || !strings.Contains(out, "(4 ran now, 3 recorded before)") {
		t.Fatalf("resume: exit %d: %s%s", code, out, msg)
	}
	for f, st := range stats {
		if now, _ := os.Stat(f); !os.SameFile(st, now) || !now.ModTime().Equal(st.ModTime()) {
			t.Errorf("%s was written again", f)
		}
	}
	other := sweepShards(t, t.TempDir(), 2, lruArgs)[1]
	one := filepath.Join(parent, "one")
	if _, msg, code := natsim(t, append(append([]string{"sweep"}, lruArgs...), "--out", one)...); code != 0 {
		t.Fatal(msg)
	}
	merged := filepath.Join(parent, "merged")
	if _, msg, code := natsim(t, "merge", "--out", merged, dir, other); code != 0 {
		t.Fatal(msg)
	}
	sameFiles(t, "resumed", files(t, one), files(t, merged))
}

// copyDir copies a shard folder.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, data := range files(t, from) {
		if err := os.WriteFile(filepath.Join(to, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMergeRefusesMixedPieces: shards of two scenarios, and a run whose
// two records differ, are refused (exit status 2) and nothing is
// written; a duplicate that is identical is merged once.
func TestMergeRefusesMixedPieces(t *testing.T) {
	parent := t.TempDir()
	dirs := sweepShards(t, parent, 2, lruArgs)
	otherArgs := append(append([]string{}, lruArgs...), "--seed", "7")
	other := sweepShards(t, t.TempDir(), 2, otherArgs)
	out := filepath.Join(parent, "merged")
	_, msg, code := natsim(t, "merge", "--out", out, dirs[0], other[1])
	if code != 2 || !strings.Contains(msg, "shards of different scenarios") {
		t.Errorf("two scenarios: exit %d: %s", code, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused merge wrote its folder")
	}

	same := filepath.Join(parent, "again")
	copyDir(t, dirs[0], same)
	if _, msg, code := natsim(t, "merge", "--out", out, dirs[0], dirs[1], same); code != 0 {
		t.Errorf("an identical duplicate: exit %d: %s", code, msg)
	}

	differ := filepath.Join(parent, "differ")
	copyDir(t, dirs[0], differ)
	rec := filepath.Join(differ, "run-p2-r0.json")
	data, _ := os.ReadFile(rec)
	changed := strings.Replace(string(data), `"events": `, `"events": 1`, 1)
	if changed == string(data) {
		t.Fatal("no events field to change in " + rec)
	}
	os.WriteFile(rec, []byte(changed), 0o644)
	_, msg, code = natsim(t, "merge", "--out", filepath.Join(parent, "m2"), dirs[0], dirs[1], differ)
	if code != 2 || !strings.Contains(msg, "run p2-r0 is recorded by") || !strings.Contains(msg, "not deterministic") {
		t.Errorf("a duplicate that differs: exit %d: %s", code, msg)
	}
}

// TestStatusAndPartialMerge: with shard 1 of 3 lost and one record of
// shard 2 gone, status lists the 5 runs of shard 1 and the one of shard
// 2 as missing and prints the resubmission; merge writes the points
// whose runs are all there, marked partial, with the missing runs.
func TestStatusAndPartialMerge(t *testing.T) {
	parent := t.TempDir()
	dirs := sweepShards(t, parent, 3, lruArgs)
	os.RemoveAll(dirs[1])
	// 14 runs of equal cost dealt in turn (p0-r0 to shard 0, p0-r1 to 1,
	// p1-r0 to 2, ...): 5, 5 and 4 runs; shard 2 has p1-r0.
	if err := os.Remove(filepath.Join(dirs[2], "run-p1-r0.json")); err != nil {
		t.Fatal(err)
	}
	out, msg, code := natsim(t, "status", dirs[0], dirs[2])
	for _, want := range []string{
		"14 runs dealt to 3 shards\nfinished 8, failed 0, missing 6\n",
		"shard 1/3: 0 of 5 runs finished (no folder given)\n  missing: p0-r1, p2-r0, p3-r1, p5-r0, p6-r1\n",
		"shard 2/3: 3 of 4 runs finished (" + dirs[2] + ")\n  missing: p1-r0\n",
		"run again: shards 1,2\n  slurm: sbatch --array=1,2 JOBFILE",
		"natsim sweep " + filepath.Join(dirs[0], "scenario.yaml") + " --shard 1/3 --out " + dirs[1] + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("status of an unfinished sweep: exit %d, want 1 (%s)", code, msg)
	}
	// The lost shard's folder named, as a job script names every shard's:
	// the same answer, and a note that the folder is not there.
	again, msg, code := natsim(t, "status", dirs[0], dirs[1], dirs[2])
	if again != out || code != 1 || !strings.Contains(msg, dirs[1]+": no such folder; its shard counts as not run") {
		t.Errorf("status naming a folder that does not exist: exit %d, stderr %q, stdout differs: %v", code, msg, again != out)
	}
	merged := filepath.Join(parent, "merged")
	_, msg, code = natsim(t, "merge", "--out", merged, dirs[0], dirs[2])
	if code != 1 || !strings.Contains(msg, "6 of 14 runs missing or failed") {
		t.Errorf("partial merge: exit %d: %s", code, msg)
	}
	got := files(t, merged)
	if !bytes.Contains(got["sweep.json"], []byte(`"partial": true`)) || !bytes.Contains(got["sweep.json"], []byte(`"points_done": 1,`)) {
		t.Errorf("sweep.json is not marked partial with 1 point done:\n%.300s", got["sweep.json"])
	}
	if n := bytes.Count(got["missing.csv"], []byte("\n")); n != 7 {
		t.Errorf("missing.csv has %d lines, want a header and 6 runs:\n%s", n, got["missing.csv"])
	}
}
