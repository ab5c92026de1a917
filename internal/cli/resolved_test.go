package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// small returns --set flags that shrink an example to a few seconds of
// work in all: 40 minutes, 20 clients a group, one replication.
func small(t *testing.T, file string) []string {
	t.Helper()
	sc, err := scenarios.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--set", "duration=40m", "--set", "warmup=5m", "--set", "replications=1"}
	for _, g := range sc.Config.Groups {
		args = append(args, "--set", "clients."+g.Name+".count=20")
	}
	return args
}

// sameFolders fails unless the two folders hold the same files, byte for
// byte, and returns their names.
func sameFolders(t *testing.T, a, b string) []string {
	t.Helper()
	files := names(t, a)
	if got := names(t, b); !slices.Equal(got, files) {
		t.Fatalf("%s holds %v, %s holds %v", a, files, b, got)
	}
	for _, f := range files {
		x, errX := os.ReadFile(filepath.Join(a, f))
		y, errY := os.ReadFile(filepath.Join(b, f))
		if errX != nil || errY != nil || string(x) != string(y) {
			t.Errorf("%s differs from the first (%v, %v)", f, errX, errY)
		}
	}
	return files
}

// TestSweepReRunsFromItsScenario: for every example with a sweep, natsim
// sweep on the scenario.yaml it wrote gives the same folder, byte for
// byte, every file included (scenario.yaml itself names no source file,
// so none differs).
func TestSweepReRunsFromItsScenario(t *testing.T) {
	examples, _ := filepath.Glob("scenarios/*.yaml")
	swept := 0
	for _, file := range examples {
		sc, err := scenarios.Load(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Sweep) == 0 {
			continue
		}
		swept++
		t.Run(filepath.Base(file), func(t *testing.T) {
			tmp := t.TempDir()
			first, again := filepath.Join(tmp, "first"), filepath.Join(tmp, "again")
			args := append([]string{"sweep", file, "--quiet", "--report", "--out", first}, small(t, file)...)
			if _, msg, code := natsim(t, args...); code != 0 {
				t.Fatalf("exit %d: %s", code, msg)
			}
			if _, msg, code := natsim(t, "sweep", filepath.Join(first, "scenario.yaml"), "--quiet", "--report", "--out", again); code != 0 {
				t.Fatalf("re-run: exit %d: %s", code, msg)
			}
			files := sameFolders(t, first, again)
			if report, _ := os.ReadFile(filepath.Join(first, "report.md")); filepath.Base(file) == "mobile-users-cellular-and-home.yaml" &&
				!strings.Contains(string(report), "| wifi | 20 | tcp | home-router then fixed-cgnat |") {
				t.Errorf("report.md does not give each group its own path:\n%s", report)
			}
			for _, f := range []string{"manifest.json", "report.md", "runs.csv", "scenario.yaml", "sweep.csv", "sweep.json", "timeseries.csv", "tradeoff.png"} {
				if !slices.Contains(files, f) {
					t.Errorf("no %s in %v", f, files)
				}
			}
		})
	}
	if swept < 6 {
		t.Fatalf("%d examples with a sweep, want at least 6", swept)
	}
}

// TestZipExampleSweepsItsAxes: the TCP-versus-app example moves its two
// groups' intervals together (zip:): 6 points, not 36, and sweep.json
// says which keys moved together, also when re-run from scenario.yaml
// (TestSweepReRunsFromItsScenario holds the folders equal).
func TestZipExampleSweepsItsAxes(t *testing.T) {
	file := "scenarios/tcp-vs-app-keepalive-4min.yaml"
	dir := filepath.Join(t.TempDir(), "out")
	args := append([]string{"sweep", file, "--quiet", "--out", dir, "--set", "duration=20m", "--set", "warmup=5m"}, small(t, file)[4:]...)
	out, msg, code := natsim(t, args...)
	if code != 0 || !strings.Contains(out, "wrote 6 of 6 points") {
		t.Fatalf("exit %d: %s%s", code, out, msg)
	}
	data, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Zip [][]string }
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"clients.tcp-keepalive.keepalive.idle", "clients.app-heartbeat.keepalive.interval"}}; !reflect.DeepEqual(res.Zip, want) {
		t.Errorf("sweep.json zip %q, want %q", res.Zip, want)
	}
}

// TestSweptPresetReRuns is the case that found the bug: the resolved
// scenario wrote out every field of the file's preset, so that a swept
// preset no longer applied when re-run (cellular-cgnat's breaks became
// home-gateway-cheap's zero). The preset now stays named: the re-run is
// the same, and the preset still makes a difference in it.
func TestSweptPresetReRuns(t *testing.T) {
	tmp := t.TempDir()
	first, again := filepath.Join(tmp, "first"), filepath.Join(tmp, "again")
	file := "scenarios/home-router-then-cgnat.yaml"
	args := append([]string{"sweep", file, "--quiet", "--out", first, "--param", "path.cgnat.preset=cellular-cgnat,home-gateway-cheap",
		"--param", "clients.chat.keepalive.interval=10m"}, small(t, file)...) // one value in place of the file's six
	if _, msg, code := natsim(t, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if _, msg, code := natsim(t, "sweep", filepath.Join(first, "scenario.yaml"), "--quiet", "--out", again); code != 0 {
		t.Fatalf("re-run: exit %d: %s", code, msg)
	}
	sameFolders(t, first, again)
	data, _ := os.ReadFile(filepath.Join(again, "sweep.json"))
	var res struct { // read as a script would: points[].values and points[].result
		Points []struct {
			Values map[string]any
			Result sim.Result
		}
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	breaks := map[string]float64{} // preset -> breaks, summed over the interval's values
	for _, p := range res.Points {
		for _, g := range p.Result.Groups {
			breaks[fmt.Sprint(p.Values["path.cgnat.preset"])] += g.BreaksPer1000ClientHours
		}
	}
	// cellular-cgnat forgets a TCP flow after minutes, home-gateway-cheap
	// after a day: 10-minute heartbeats break through the one only.
	if len(breaks) != 2 || !(breaks["cellular-cgnat"] > 0) || breaks["home-gateway-cheap"] != 0 {
		t.Fatalf("breaks per preset in the re-run: %v; want some for cellular-cgnat only", breaks)
	}
}

// TestRunReRunsFromItsScenario: run --out writes scenario.yaml into the
// folder's manifest, and natsim run on it writes the same folder.
func TestRunReRunsFromItsScenario(t *testing.T) {
	tmp := t.TempDir()
	first, again := filepath.Join(tmp, "first"), filepath.Join(tmp, "again")
	file := "scenarios/linux-conntrack-early-drop.yaml"
	args := append([]string{"run", file, "--quiet", "--timeseries", "--out", first, "--seed", "7", "--replications", "2"}, small(t, file)...)
	one, msg, code := natsim(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	two, msg, code := natsim(t, "run", filepath.Join(first, "scenario.yaml"), "--quiet", "--timeseries", "--out", again)
	if code != 0 {
		t.Fatalf("re-run: exit %d: %s", code, msg)
	}
	if one != two {
		t.Errorf("the re-run prints\n%s\nnot\n%s", two, one)
	}
	if files := sameFolders(t, first, again); !slices.Equal(files, []string{"manifest.json", "result.json", "scenario.yaml", "timeseries.csv"}) {
		t.Errorf("files %v", files)
	}
	var m struct{ Files []struct{ Name string } }
	data, _ := os.ReadFile(filepath.Join(first, "manifest.json"))
	if err := json.Unmarshal(data, &m); err != nil || !slices.ContainsFunc(m.Files, func(f struct{ Name string }) bool { return f.Name == "scenario.yaml" }) {
		t.Errorf("scenario.yaml not in the manifest: %s", data)
	}
	sc, err := scenarios.Load(filepath.Join(first, "scenario.yaml"), nil)
	if err != nil || sc.Config.Seed != 7 || sc.Replications != 2 || sc.Config.Groups[0].Count != 20 {
		t.Errorf("the flags are not in scenario.yaml: %v %+v", err, sc)
	}
}
