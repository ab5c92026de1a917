package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/pflag"

	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/sim"
)

// TestMain runs the tests from the repository's root, where the example
// scenarios are. With NATSIM_TEST_MAIN=1 in its environment the test
// binary is natsim itself (see natsimChild), run where it was started.
func TestMain(m *testing.M) {
	if os.Getenv("NATSIM_TEST_MAIN") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		panic(err)
	}
	m.Run()
}

// natsimChild returns a command that runs natsim as a child process.
func natsimChild(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "NATSIM_TEST_MAIN=1")
	return cmd
}

// natsim runs the command line in-process and returns stdout, the error
// message and the exit status.
func natsim(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	msg := errOut.String()
	if err != nil {
		msg += err.Error()
	}
	return out.String(), msg, exitCode(err)
}

const goodScenario = `name: t
duration: 1h
path:
  - name: nat
    preset: linux-conntrack
clients:
  - name: app
    count: 10
    keepalive:
      type: app
      interval: 60s
      jitter: 5s
      timeout: 5s
      request_bytes: 40
      response_bytes: 40
`

func TestBadInputs(t *testing.T) {
	// Each case edits the good scenario; want is what the message must say,
	// starting with FILE:LINE:COL.
	for _, tc := range []struct {
		name, old, new string
		want           string
	}{
		{"unknown key", "duration: 1h", "duraton: 1h", `:2:1: duraton: unknown field (did you mean "duration"?)`},
		{"wrong type", "count: 10", "count: many", `:8:12: clients.app.count: expected a whole number (got "many")`},
		{"zero count", "count: 10", "count: 0", `:8:12: clients.app.count: must be from 1 to 2147483647 (the most clients of a run, all groups together) (got 0)`},
		{"duration without unit", "duration: 1h", "duration: 3600", `:2:11: duration: not a duration (write it with a unit, such as 300s, 4m or 2h4m) (got "3600")`},
		{"negative duration", "duration: 1h", "duration: -1h", `:2:11: duration: must be a positive duration (got "-1h0m0s")`},
		{"unknown preset", "preset: linux-conntrack", "preset: linux-contrack", `:5:13: path.nat.preset: unknown preset (did you mean "linux-conntrack"?)`},
		{"jitter above interval", "jitter: 5s", "jitter: 90s", `:12:15: clients.app.keepalive.jitter: must be >= 0 and smaller than the interval (1m0s) (got "1m30s")`},
		{"field of another keepalive type", "jitter: 5s", "idle: 5s", `:12:13: clients.app.keepalive.idle: does not apply to keepalive type app (it takes: type, interval, jitter`},
		{"bad enum", "preset: linux-conntrack", "preset: linux-conntrack\n    when_full: fifo", `:6:16: path.nat.when_full: must be one of lru, refuse, early-drop (got "fifo")`},
		{"loss out of range", "duration: 1h", "duration: 1h\nnetwork: {loss: 1.5}", `:3:17: network.loss: must be in [0, 1) (got 1.5)`},
		{"name used twice", "clients:\n", "clients:\n  - {name: app, count: 1}\n", `:8:5: clients.app: name used twice (got "app")`},
		{"missing field without preset", "    preset: linux-conntrack\n", "    capacity: 5\n", `:4:5: path.nat: without a preset every field must be given; missing: when_full, timeouts.tcp_established`},
		{"tcp keepalive on udp", "    keepalive:\n      type: app", "    protocol: udp\n    keepalive:\n      type: tcp", `:11:13: clients.app.keepalive.type: tcp keepalive needs protocol: tcp (got "tcp")`},
		{"not yaml", "count: 10", "count: [10", `:7:`},
		{"sweep of an unknown key", "duration: 1h", "duration: 1h\nsweep: {path.nat.capacty: [1, 2]}", `:3:9: sweep.path.nat.capacty: unknown key: path.nat has no field "capacty" (did you mean "capacity"?)`},
		{"sweep of a bad value", "duration: 1h", "duration: 1h\nsweep: {path.nat.capacity: [1, -2]}", `:3:32: path.nat.capacity: must be >= 0 (0 means unlimited) (got -2)`},
		{"unknown box in a path", "count: 10", "count: 10\n    path: [nta]", `:9:12: clients.app.path: unknown middlebox (did you mean "nat"?); known: nat (got "nta")`},
		{"box twice in a path", "count: 10", "count: 10\n    path: [nat, nat]", `:9:17: clients.app.path: names a middlebox twice (a connection crosses each box once) (got "nat")`},
		{"empty path", "count: 10", "count: 10\n    path: []", `:9:11: clients.app.path: needs at least one middlebox (got [])`},
		{"no path for a group", "path:", "middleboxes:", `:7:5: clients.app.path: is required: the file has no top-level path for the groups that name none`},
		{"empty file", goodScenario, "", `:1:1: the file is empty`},
		{"name that is a path", "name: t", "name: ../../../../escape", `:1:7: name: must not start with '.' (got "../../../../escape")`},
		{"name with a folder", "name: t", "name: a/b", `:1:7: name: may hold only letters, digits, '.', '_' and '-' ('/' at byte 1) (got "a/b")`},
		{"name with a newline", "name: t", `name: "a\nb"`, `:1:7: name: may hold only letters, digits, '.', '_' and '-' ('\n' at byte 1) (got "a\nb")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(goodScenario, tc.old, tc.new, 1)
			if text == goodScenario {
				t.Fatal("the edit did not apply")
			}
			file := filepath.Join(t.TempDir(), "bad.yaml")
			os.WriteFile(file, []byte(text), 0o644)
			_, msg, code := natsim(t, "check", file)
			if code != 2 || !strings.Contains(msg, file+tc.want) && !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d, message:\n%s\nwant exit 2 and %q", code, msg, file+tc.want)
			}
			if !strings.HasPrefix(msg, file+":") {
				t.Fatalf("message does not start with the file name: %s", msg)
			}
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	text := strings.NewReplacer("count: 10", "count: -1", "interval: 60s", "interval: soon", "duration: 1h", "duration: 1h\nnetwork: {loss: 2}").Replace(goodScenario)
	file := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(file, []byte(text), 0o644)
	_, msg, code := natsim(t, "check", file)
	if n := strings.Count(msg, file+":"); code != 2 || n != 3 {
		t.Fatalf("exit %d, %d problems reported, want 3:\n%s", code, n, msg)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"run"}, {"run", "a.yaml", "b.yaml"}, {"run", "--bogus", "x.yaml"},
		{"run", "scenarios/lru-cyclic-collapse.yaml", "--timeseries"},
		{"run", "scenarios/lru-cyclic-collapse.yaml", "--max-memory", "lots"},
	} {
		if _, msg, code := natsim(t, args...); code != 2 || msg == "" {
			t.Errorf("natsim %v: exit %d, message %q; want 2 and a message", args, code, msg)
		}
	}
	if _, msg, code := natsim(t, "run", "no-such-file.yaml"); code != 2 || !strings.Contains(msg, "no-such-file.yaml") {
		t.Errorf("missing file: exit %d %q", code, msg)
	}
	if _, msg, code := natsim(t, "run", "scenarios/lru-cyclic-collapse.yaml", "--max-memory", "1MiB"); code != 2 || !strings.Contains(msg, "estimated") {
		t.Errorf("too big: exit %d %q", code, msg)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"check", "--help"}, {"presets", "--help"}} {
		if out, _, code := natsim(t, args...); code != 0 || !strings.Contains(out, "Usage") && !strings.Contains(out, "natsim run FILE") {
			t.Errorf("natsim %v: exit %d, out %q", args, code, out)
		}
	}
	if out, _, code := natsim(t, "--version"); code != 0 || !strings.HasPrefix(out, "natsim ") {
		t.Errorf("version: %d %q", code, out)
	}
	if out, _, code := natsim(t, "presets"); code != 0 || !strings.Contains(out, "aws-nat-gateway") || !strings.Contains(out, "refresh") {
		t.Errorf("presets: %d %q", code, out)
	}
}

// quick runs the LRU collapse example small enough for a test.
var quick = []string{"scenarios/lru-cyclic-collapse.yaml", "--quiet", "--set", "duration=20m", "--set", "warmup=2m",
	"--set", "clients.app.count=500", "--set", "path.small-nat.capacity=450"}

func TestRunJSONIsDeterministicAcrossJobs(t *testing.T) {
	one, msg, code := natsim(t, append([]string{"run", "--json", "--jobs", "1", "--replications", "3"}, quick...)...)
	if code != 0 {
		t.Fatal(msg)
	}
	two, _, _ := natsim(t, append([]string{"run", "--json", "--jobs", "2", "--replications", "3"}, quick...)...)
	if one != two {
		t.Fatal("--jobs 1 and --jobs 2 gave different results")
	}
	var res sim.Result
	if err := json.Unmarshal([]byte(one), &res); err != nil {
		t.Fatal(err)
	}
	if res.Replications != 3 || res.Groups[0].Breaks.Total == 0 || res.Groups[0].CI95 == nil || res.Groups[0].CI95.BreaksPer1000ClientHours == 0 {
		t.Fatalf("result %+v", res)
	}
	other, _, _ := natsim(t, append([]string{"run", "--json", "--seed", "2"}, quick...)...)
	if other == one {
		t.Fatal("another seed gave the same result")
	}
}

func TestRunWritesOutputsAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	out, msg, code := natsim(t, append([]string{"run", "--out", dir, "--timeseries"}, quick...)...)
	if code != 0 || !strings.Contains(out, "lru-table-too-small") {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "manifest.json result.json scenario.yaml timeseries.csv" {
		t.Fatalf("files %v", names)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "timeseries.csv"))
	if !strings.HasPrefix(string(csv), "t_s,middlebox,capacity,occupancy,breaks\n0,small-nat,450,") {
		t.Fatalf("timeseries.csv starts %q", string(csv[:min(len(csv), 80)]))
	}
}

// TestDependencyDirection holds the layering of the README, a ban per row
// with its reason: main -> internal/cli -> (scenarios, sweep, review, ...)
// -> sim -> nat, and plots apart.
func TestDependencyDirection(t *testing.T) {
	const mod = "github.com/natsim/natsim/"
	const anyButStd = "" // as bad: every dependency outside the standard library
	bans := []struct {
		from string // the importer, in the module; "" for every package but main and internal/cli
		bad  string // a dependency it must not have (a prefix)
		ok   string // a prefix of bad that it may have
		why  string
	}{
		{"nat", anyButStd, "github.com/hashicorp/golang-lru/v2/", "one table: no clock, no I/O, the standard library and simplelru only"},
		{"radio", anyButStd, "", "a radio's state machine: no clock, no I/O, the standard library only"},
		{"sim", mod + "scenarios", "", "sim never reads files: scenarios makes its Config"},
		{"sim", "go.yaml.in/", "", "sim never reads files"},
		{"sim", "gonum.org/v1/plot", "", "charts are drawn by plots from plain series"},
		{"sim", mod + "internal/", mod + "internal/prefetch", "sweeps, reviews and the command line use sim, not the other way"},
		{"sim", mod + "plots", "", "charts are drawn by plots from plain series"},
		{"plots", mod, mod + "plots", "plots draws plain series: it knows nothing of sim or nat"},
		{"", mod + "internal/cli", "", "only main calls the command line"},
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		deps[f[0]] = f[1:]
	}
	for _, b := range bans {
		for _, pkg := range slices.Sorted(maps.Keys(deps)) {
			switch {
			case b.from != "" && pkg != mod+b.from,
				b.from == "" && (pkg == strings.TrimSuffix(mod, "/") || pkg == mod+"internal/cli"):
				continue
			}
			for _, d := range deps[pkg] {
				std := !strings.Contains(strings.Split(d, "/")[0], ".")
				if (b.bad != anyButStd || !std) && strings.HasPrefix(d, b.bad) && (b.ok == "" || !strings.HasPrefix(d, b.ok)) && d != pkg {
					t.Errorf("%s depends on %s: %s", pkg, d, b.why)
				}
			}
		}
	}
	if len(deps[mod+"nat"]) == 0 || len(deps[mod+"internal/cli"]) == 0 {
		t.Fatalf("go list found no nat or internal/cli: %v", deps)
	}
}

func TestSweepCommandWritesEverything(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	out, msg, code := natsim(t, "sweep", "scenarios/tcp-vs-app-keepalive-4min.yaml", "--quiet", "--report", "--out", dir,
		"--set", "duration=30m", "--set", "warmup=5m", "--set", "replications=1",
		"--set", "clients.tcp-keepalive.count=50", "--set", "clients.app-heartbeat.count=50",
		"--param", "clients.tcp-keepalive.keepalive.idle=60s,300s", "--param", "clients.app-heartbeat.keepalive.interval=60s..300s:lin2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, f := range []string{"sweep.csv", "sweep.json", "runs.csv", "timeseries.csv", "scenario.yaml", "report.md",
		"tradeoff.png", "tradeoff.csv", "breaks-vs.png", "detection.png", "occupancy.png",
		"heatmap-tcp-keepalive.png", "heatmap-tcp-keepalive.csv", "heatmap-app-heartbeat.png", "heatmap-app-heartbeat.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if !strings.Contains(out, "wrote 4 of 4 points") || !strings.Contains(out, "tradeoff: ") {
		t.Errorf("stdout: %s", out)
	}
	report, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	// The question, its answer (the trade-off's finding), the setup, the evidence.
	if q, a, st, ev := strings.Index(string(report), "## Question"), strings.Index(string(report), "## Answer\n\ntcp-keepalive: "),
		strings.Index(string(report), "## Setup"), strings.Index(string(report), "## Evidence"); !(q >= 0 && q < a && a < st && st < ev) {
		t.Errorf("report.md not in the order question, answer, setup, evidence (%d, %d, %d, %d):\n%s", q, a, st, ev, report)
	}
	for _, want := range []string{"## Question", "Azure Load Balancer", "| azure-lb |", "![tradeoff](tradeoff.png)", "### heatmap-tcp-keepalive", "### heatmap-app-heartbeat"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// The resolved scenario reproduces the sweep.
	if _, msg, code := natsim(t, "check", filepath.Join(dir, "scenario.yaml")); code != 0 {
		t.Errorf("scenario.yaml does not load: %s", msg)
	}
	// plot redraws one chart from the directory, in another format.
	svg := filepath.Join(t.TempDir(), "b.svg")
	if out, msg, code := natsim(t, "plot", dir, "--chart", "breaks-vs", "--out", svg); code != 0 || !strings.Contains(out, "wrote") {
		t.Errorf("plot: %d %s", code, msg)
	}
	if _, err := os.Stat(strings.TrimSuffix(svg, ".svg") + ".csv"); err != nil {
		t.Error("plot wrote no data beside the chart")
	}
	for _, args := range [][]string{
		{"plot", dir, "--chart", "pie"},
		{"plot", dir, "--chart", "tradeoff", "--out", "x.gif"},
		{"plot", "no-such-dir", "--chart", "tradeoff"},
		{"sweep", "scenarios/tcp-vs-app-keepalive-4min.yaml", "--param", "clients.nope.count=1,2"},
		{"sweep", "scenarios/tcp-vs-app-keepalive-4min.yaml", "--param", "network.rtt=1ms..2ms"},
	} {
		if _, msg, code := natsim(t, args...); code != 2 {
			t.Errorf("natsim %v: exit %d (%s), want 2", args, code, msg)
		}
	}
}

// TestSecondSignalQuitsAtOnce: a first SIGINT cancels the command's
// context; a second one, while the command is still finishing up, makes
// Main return 130 at once and removes the output folder being written.
func TestSecondSignalQuitsAtOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	started, stopped, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	defer close(release)
	saved := commands
	t.Cleanup(func() { commands = saved })
	commands = append(slices.Clone(commands), command{name: "slow-to-stop",
		run: func(ctx context.Context, _ *pflag.FlagSet, _ []string, _, _ io.Writer) error {
			w, err := outdir.Create(dir, outdir.Options{Scenario: "t"})
			if err != nil {
				return err
			}
			close(started)
			<-ctx.Done()
			close(stopped)
			<-release // finishing up takes long
			return w.Commit()
		}})
	code := make(chan int)
	go func() { code <- Main(context.Background(), []string{"slow-to-stop"}, io.Discard, io.Discard) }()
	<-started
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	<-stopped
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	if c := <-code; c != 130 {
		t.Fatalf("exit %d, want 130", c)
	}
	if got := names(t, filepath.Dir(dir)); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}

// TestInterruptedCommandsExit130: a command whose context is cancelled
// (by Ctrl-C in Main) stops, prints no result and exits 130; a sweep
// stopped before any point finished writes no folder. run, validate and
// bench used to die with the signal.
func TestInterruptedCommandsExit130(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		append([]string{"run", "--out", dir}, quick...),
		{"validate", "--quiet"},
		{"bench", "--quiet", "--clients", "100"},
		tinySweep(dir, "--quiet"),
	} {
		var out, errOut bytes.Buffer
		err := run(ctx, args, &out, &errOut)
		if code := exitCode(err); code != 130 || out.Len() > 0 {
			t.Errorf("natsim %v: exit %d (%v), stdout %q; want 130 and no result", args[:2], code, err, out.String())
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("an interrupted command left %s: %v", dir, names(t, filepath.Dir(dir)))
	}
}
