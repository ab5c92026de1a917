package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/natsim/natsim/internal/outdir"
)

// tinySweep is a two-point sweep that writes every kind of file (CSV,
// JSON, time series, charts, report) in a fraction of a second.
func tinySweep(out string, extra ...string) []string {
	return append([]string{"sweep", "scenarios/lru-cyclic-collapse.yaml", "--out", out, "--jobs", "1",
		"--set", "duration=10m", "--set", "warmup=1m", "--set", "clients.app.count=100", "--set", "replications=1"}, extra...)
}

// manifestOf returns a folder's manifest as written, "" if there is none.
func manifestOf(dir string) string {
	data, _ := os.ReadFile(filepath.Join(dir, outdir.ManifestName))
	return string(data)
}

// TestKilledSweepLeavesOldOrNew kills a sweep (SIGKILL) at several
// moments, from before the runs to after the rename, over no folder and
// over an older complete one. The folder must then be absent or the old
// one whole, or the new one whole; never a mix, never a half-written
// file. What the kill leaves beside it (a hidden temporary folder, the
// lock file) is not output, and the next sweep into the folder removes
// it.
func TestKilledSweepLeavesOldOrNew(t *testing.T) {
	moments := []string{"outdir.created", "progress", "outfile.written:1", "outfile.written:5",
		"outfile.written:9", "outdir.manifest", "outdir.exchanged", "outdir.committed"}
	newArgs := []string{"--report", "--param", "path.small-nat.capacity=80,120"}
	for _, over := range []bool{false, true} {
		for _, at := range moments {
			name := at
			if over {
				name += " over an old folder"
			}
			t.Run(name, func(t *testing.T) {
				parent := t.TempDir()
				dir := filepath.Join(parent, "out")
				old := ""
				if over {
					if _, msg, code := natsim(t, tinySweep(dir, "--quiet", "--param", "path.small-nat.capacity=90")...); code != 0 {
						t.Fatal(msg)
					}
					old = manifestOf(dir)
				}
				cmd := natsimChild(tinySweep(dir, newArgs...)...)
				if at == "progress" {
					// Kill while it computes: at the first point done.
					stderr, _ := cmd.StderrPipe()
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					if bufio.NewScanner(stderr).Scan() {
						cmd.Process.Signal(syscall.SIGKILL)
					}
				} else {
					cmd.Env = append(cmd.Env, "NATSIM_CRASH_AT="+at)
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
				}
				cmd.Wait()
				killed := !cmd.ProcessState.Success()
				switch m := manifestOf(dir); {
				case m == "" && old == "":
					if _, err := os.Stat(dir); err == nil {
						t.Fatalf("a folder without a manifest: %v", names(t, dir))
					}
				case m == old:
					if _, err := outdir.Verify(dir); err != nil {
						t.Fatalf("the old folder was damaged: %v", err)
					}
				default: // the new one, whole, with its report
					if _, err := outdir.Verify(dir); err != nil {
						t.Fatalf("the new folder is not whole: %v", err)
					}
					if !slices.Contains(names(t, dir), "report.md") {
						t.Fatalf("the new folder lacks report.md: %v", names(t, dir))
					}
				}
				t.Logf("killed %v; left in the parent: %v", killed, names(t, parent))
				// The next sweep succeeds, removes the leftovers, and its
				// folder can be plotted.
				if _, msg, code := natsim(t, tinySweep(dir, append(newArgs, "--quiet")...)...); code != 0 {
					t.Fatal(msg)
				}
				if got := names(t, parent); !slices.Equal(got, []string{"out"}) {
					t.Fatalf("the parent holds %v after the next sweep", got)
				}
				if _, msg, code := natsim(t, "plot", dir, "--chart", "tradeoff", "--out", filepath.Join(t.TempDir(), "t.svg")); code != 0 {
					t.Fatal(msg)
				}
			})
		}
	}
}

// names lists a folder, hidden entries included, sorted; nil if it is
// not there.
func names(t *testing.T, dir string) []string {
	t.Helper()
	list, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	list = append(list, hidden...)
	for i := range list {
		list[i] = filepath.Base(list[i])
	}
	slices.Sort(list)
	return list
}

// TestFullDiskLeavesNothingHalfWritten fills a small tmpfs: the sweep
// fails with exit 1 and says so, and the folder is as it was (absent, or
// the old one whole), with nothing left beside it.
func TestFullDiskLeavesNothingHalfWritten(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	small := filepath.Join(t.TempDir(), "small")
	os.Mkdir(small, 0o755)
	if err := syscall.Mount("tmpfs", small, "tmpfs", 0, "size=128k"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	defer syscall.Unmount(small, 0)
	dir := filepath.Join(small, "out")
	for _, withOld := range []bool{false, true} {
		old := ""
		if withOld { // a small folder fits, a report with charts does not
			if _, msg, code := natsim(t, tinySweep(dir, "--quiet", "--param", "path.small-nat.capacity=90")...); code != 0 {
				t.Fatal(msg)
			}
			old = manifestOf(dir)
		}
		_, msg, code := natsim(t, tinySweep(dir, "--quiet", "--report", "--param", "path.small-nat.capacity=80,120")...)
		if code != 1 || !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, "left as it was") {
			t.Fatalf("with old %v: exit %d, message %q; want 1, no space left, left as it was", withOld, code, msg)
		}
		if manifestOf(dir) != old {
			t.Fatalf("with old %v: the folder changed", withOld)
		}
		want := []string(nil)
		if withOld {
			want = []string{"out"}
			if _, err := outdir.Verify(dir); err != nil {
				t.Fatal(err)
			}
		}
		if got := names(t, small); !slices.Equal(got, want) {
			t.Fatalf("with old %v: the file system holds %v", withOld, got)
		}
	}
}

// TestPlotRefusesAFolderThatIsNotWhole: natsim plot draws only from a
// folder that matches its manifest.
func TestPlotRefusesAFolderThatIsNotWhole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, msg, code := natsim(t, tinySweep(dir, "--quiet", "--param", "path.small-nat.capacity=80,120")...); code != 0 {
		t.Fatal(msg)
	}
	if out, msg, code := natsim(t, "plot", dir, "--chart", "breaks-vs"); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("plot into the folder: exit %d %s", code, msg)
	}
	if _, err := outdir.Verify(dir); err != nil {
		t.Fatalf("the chart plot added is not in the manifest: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "timeseries.csv"), []byte("t_s\n"), 0o644)
	if _, msg, code := natsim(t, "plot", dir, "--chart", "occupancy"); code != 2 || !strings.Contains(msg, "timeseries.csv does not match its manifest") {
		t.Fatalf("plot from a changed folder: exit %d %s", code, msg)
	}
}

// TestCtrlCWritesACompletePartialSet: Ctrl-C (SIGINT) while a sweep runs
// writes the points done, marked partial, as a whole folder; exit 130.
func TestCtrlCWritesACompletePartialSet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	// Enough points, and clients, that some are left when the signal lands.
	cmd := natsimChild(tinySweep(dir, "--report", "--set", "clients.app.count=400", "--param", "path.small-nat.capacity=60,70,80,90,100,110,120,130,140,150,160,170")...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	for lines.Scan() && strings.Contains(lines.Text(), ": warning: ") { // the scenario's warnings come first
	}
	cmd.Process.Signal(os.Interrupt) // the first point is done
	for lines.Scan() {
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	if _, err := outdir.Verify(dir); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if !strings.Contains(string(data), `"partial": true`) {
		t.Fatalf("sweep.json does not say partial: %.200s", data)
	}
}
