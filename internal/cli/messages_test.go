package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// mainStderr runs natsim as Main does, with text on standard input, and
// returns what it printed on stderr and its exit status.
func mainStderr(t *testing.T, text string, args ...string) (string, int) {
	t.Helper()
	saved := stdin
	t.Cleanup(func() { stdin = saved })
	stdin = strings.NewReader(text)
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &out, &errOut)
	return errOut.String(), code
}

// TestMessages holds each message of the command line, as Main prints it,
// with its exit status. F is a scenario with a sweep: block of
// path.small-nat.capacity; the plot cases name folders of their own.
func TestMessages(t *testing.T) {
	const F = "scenarios/lru-cyclic-collapse.yaml"
	tmp := t.TempDir()
	empty, runOut := filepath.Join(tmp, "empty"), filepath.Join(tmp, "run-out")
	os.Mkdir(empty, 0o755)
	os.Mkdir(runOut, 0o755)
	os.WriteFile(filepath.Join(runOut, "result.json"), []byte("{}"), 0o644)
	missing := filepath.Join(tmp, "missing")
	for _, tc := range []struct {
		args []string
		want string // the line on stderr, after "natsim: "
		code int
	}{
		// Arguments.
		{[]string{"run"}, "missing FILE: natsim run FILE [flags] (see natsim run --help)", 2},
		{[]string{"run", "a.yaml", "b.yaml"}, "too many arguments: natsim run FILE [flags] (got a.yaml b.yaml) (see natsim run --help)", 2},
		{[]string{"plot", "--chart", "tradeoff"}, "missing DIR: natsim plot DIR --chart NAME (see natsim plot --help)", 2},
		{[]string{"validate", "extra"}, "natsim validate takes no arguments (got extra) (see natsim validate --help)", 2},
		// Flag values, in natsim's words rather than strconv's.
		{[]string{"run", "--seed", "-1", F}, `--seed must be a whole number, 0 or more (got "-1") (see natsim run --help)`, 2},
		{[]string{"run", F, "--seed"}, "--seed needs a value (a whole number, 0 or more) (see natsim run --help)", 2},
		{[]string{"bench", "--duration", "5"}, `--duration must be a duration with a unit, such as 30s, 4m or 2h (got "5") (see natsim bench --help)`, 2},
		{[]string{"run", "--jobs", "0", F}, "--jobs must be at least 1 (got 0) (see natsim run --help)", 2},
		// Unknown commands and flags.
		{[]string{"rn", F}, `unknown command "rn" (did you mean "run"?) (see natsim --help)`, 2},
		{[]string{"sweeps", F}, `unknown command "sweeps" (did you mean "sweep"?) (see natsim --help)`, 2},
		{[]string{F}, `unknown command "` + F + `" (to run a scenario: natsim run ` + F + `) (see natsim --help)`, 2},
		{[]string{"frobnicate"}, `unknown command "frobnicate" (see natsim --help)`, 2},
		{[]string{"run", "--jsn", F}, `unknown flag --jsn (did you mean "--json"?) (see natsim run --help)`, 2},
		{[]string{"sweep", "--params", "seed=1,2", F}, `unknown flag --params (did you mean "--param"?) (see natsim sweep --help)`, 2},
		{[]string{"run", "-seed", "2", F}, `unknown flag -seed (did you mean "--seed"?) (see natsim run --help)`, 2},
		{[]string{"presets", "--jsn"}, `unknown flag --jsn (did you mean "--json"?) (see natsim presets --help)`, 2},
		{[]string{"run", "--frobnicate", F}, "unknown flag --frobnicate (see natsim run --help)", 2},
		// plot.
		{[]string{"plot", missing, "--chart", "tradeoff"}, missing + ": no such folder; natsim plot draws from the folder natsim sweep wrote (see natsim plot --help)", 2},
		{[]string{"plot", empty, "--chart", "tradeoff"}, empty + " is not a sweep's output: it has no sweep.json; natsim plot draws from the folder natsim sweep wrote (see natsim plot --help)", 2},
		{[]string{"plot", runOut, "--chart", "tradeoff"}, runOut + " is natsim run's output, not a sweep's: it has no sweep.json; natsim plot draws from the folder natsim sweep wrote (natsim run --out DIR --charts draws a run's charts) (see natsim plot --help)", 2},
		{[]string{"plot", empty, "--chart", "tradeoff", "--out", "x.jpg"}, `--out must end in .png, .svg or .pdf (got "x.jpg") (see natsim plot --help)`, 2},
		{[]string{"plot", empty}, "--chart is required: one of tradeoff, breaks-vs, detection, occupancy, heatmap (see natsim plot --help)", 2},
		{[]string{"plot", empty, "--chart", "heatmp"}, `unknown chart "heatmp" (did you mean "heatmap"?): --chart takes one of tradeoff, breaks-vs, detection, occupancy, heatmap (see natsim plot --help)`, 2},
		// --param shows its key and values once.
		{[]string{"sweep", F, "--param", "network.rtt=1ms..2ms"}, "--param network.rtt=1ms..2ms: a range needs a spacing: A..B:log10 or A..B:lin6", 2},
		{[]string{"check", F, "--param", "clients.app.count=1,,2"}, "--param clients.app.count=1,,2: empty value in the list", 2},
		// A flag that sets what the sweep varies.
		{[]string{"check", F, "--set", "path.small-nat.capacity=5"}, "--set path.small-nat.capacity=5: the sweep: block of " + F + " also varies path.small-nat.capacity, whose values would replace this one at every point: give one or the other", 2},
		{[]string{"sweep", F, "--set", "clients.app.count=5", "--param", "clients.app.count=1,2"}, "--set clients.app.count=5: --param clients.app.count=1,2 also varies clients.app.count, whose values would replace this one at every point: give one or the other", 2},
		{[]string{"check", F, "--seed", "3", "--param", "seed=1,2"}, "--seed 3: --param seed=1,2 also varies seed, whose values would replace this one at every point: give one or the other", 2},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, code := mainStderr(t, "", tc.args...)
			if want := "natsim: " + tc.want + "\n"; got != want || code != tc.code {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and:\n%s", code, got, tc.code, want)
			}
		})
	}
}

// TestOverlaps: a key overlaps itself, its parts and what holds it, not
// a sibling that shares a prefix of its name.
func TestOverlaps(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"seed", "seed", true},
		{"path.nat", "path.nat.capacity", true},
		{"path.nat.capacity", "path.nat", true},
		{"path.nat.capacity", "path.nat.when_full", false},
		{"path.nat", "path.nat2.capacity", false},
	} {
		if got := overlaps(tc.a, tc.b); got != tc.want {
			t.Errorf("overlaps(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestRunHelp is the help of natsim run, whole; the default of --jobs is
// this machine's CPUs, written N.
func TestRunHelp(t *testing.T) {
	out, _, code := natsim(t, "run", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	out = strings.Replace(out, fmt.Sprintf("(default %d)", runtime.NumCPU()), "(default N)", 1)
	golden(t, "help-run.txt", out)
}

// TestEveryCommandsHelp: each command's help starts with its purpose,
// has a usage that names every flag the command defines and two examples
// that natsim would take (the command exists, its flags parse, the
// scenario files are there).
func TestEveryCommandsHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			fs := defined(t, c, &out)
			help := out.String()
			if first := strings.SplitN(help, "\n", 2)[0]; first != capitalize(c.purpose)+"." {
				t.Errorf("help starts %q, want the purpose", first)
			}
			_, rest, _ := strings.Cut(help, "\nUsage:\n")
			usage, _, _ := strings.Cut(rest, "\n\n")
			fs.VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && !strings.Contains(usage+" ", "--"+f.Name+" ") && !strings.Contains(usage, "--"+f.Name+"]") {
					t.Errorf("the usage does not name --%s:\n%s", f.Name, usage)
				}
			})
			if len(c.examples) != 2 || !strings.Contains(help, "\nExamples:\n") {
				t.Fatalf("%d examples, want 2", len(c.examples))
			}
			for _, e := range c.examples {
				if e.what == "" || !strings.Contains(help, e.line) {
					t.Errorf("example %q: not in the help, or says not what it does", e.line)
				}
				for _, part := range strings.Split(e.line, " | ") { // each command of a pipeline
					part, _, _ = strings.Cut(part, " > ")
					checkExample(t, strings.Fields(part))
				}
			}
		})
	}
}

// defined returns the command's flag set with its flags defined, its help
// written to w.
func defined(t *testing.T, c command, w io.Writer) *pflag.FlagSet {
	t.Helper()
	fs := c.flags(w)
	if err := c.run(context.Background(), fs, []string{"--help"}, w, io.Discard); err != errShown {
		t.Fatalf("natsim %s --help: %v", c.name, err)
	}
	return fs
}

// checkExample parses an example command line with its command's flags.
func checkExample(t *testing.T, args []string) {
	t.Helper()
	if len(args) < 2 || args[0] != "natsim" {
		t.Fatalf("example %q does not start with natsim COMMAND", args)
	}
	c, ok := commandNamed(args[1])
	if !ok {
		t.Fatalf("example %q: no command %s", args, args[1])
	}
	fs := defined(t, c, io.Discard)
	if err := fs.Parse(args[2:]); err != nil {
		t.Errorf("example %q: %v", args, err)
	}
	for _, a := range fs.Args() {
		if strings.HasPrefix(a, "scenarios/") {
			if _, err := os.Stat(a); err != nil {
				t.Errorf("example %q: %v", args, err)
			}
		}
	}
}

func TestCheckStdin(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       string // the start of stdout, or a line of stderr when it fails
		code       int
	}{
		{"good", goodScenario, "<stdin>: ok: scenario t, 1 middlebox(es), 1 group(s), 10 clients, 1h0m0s simulated x 1 replication(s);", 0},
		{"bad", strings.Replace(goodScenario, "duration:", "duraton:", 1), `natsim: <stdin>:2:1: duraton: unknown field (did you mean "duration"?)`, 2},
		{"empty", "", "natsim: <stdin>:1:1: the file is empty\n", 2},
		{"too long", goodScenario + strings.Repeat("# a comment\n", 100000), "natsim: <stdin>:1:1: scenario: larger than 1 MiB, the most natsim reads", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			saved := stdin
			defer func() { stdin = saved }()
			stdin = strings.NewReader(tc.text)
			var out, errOut bytes.Buffer
			code := Main(context.Background(), []string{"check", "-"}, &out, &errOut)
			got := "\n" + out.String()
			if tc.code != 0 {
				got = "\n" + errOut.String()
			}
			if code != tc.code || !strings.Contains(got, "\n"+tc.want) {
				t.Errorf("exit %d, output:\n%s%s\nwant exit %d and a start of\n%s", code, out.String(), errOut.String(), tc.code, tc.want)
			}
		})
	}
}

func TestCheckParam(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	os.WriteFile(file, []byte(goodScenario), 0o644)
	out, msg, code := natsim(t, "check", file, "--param", "clients.app.count=10,20,30", "--param", "network.rtt=10ms..1s:log3")
	if want := file + ": ok: scenario t, 1 middlebox(es), 1 group(s), 10 clients, 1h0m0s simulated x 1 replication(s), sweep of 9 points;"; code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("exit %d %s\n%s\nwant a start of\n%s", code, msg, out, want)
	}
	// Every point is checked, as natsim sweep would load it.
	_, msg, code = natsim(t, "check", file, "--param", "clients.app.count=10,-2")
	if want := "--param clients.app.count=10,-2: clients.app.count: must be from 1 to"; code != 2 || !strings.HasPrefix(msg, want) {
		t.Errorf("exit %d %s\nwant 2 and a start of\n%s", code, msg, want)
	}
	// A --set beside a --param of another key is no conflict.
	if _, msg, code = natsim(t, "check", file, "--param", "path.nat.capacity=100,200", "--set", "path.nat.when_full=refuse"); code != 0 {
		t.Errorf("exit %d %s", code, msg)
	}
}

// TestWarningsOncePerFile: run, check and sweep print the scenario's
// warnings on stderr, each once, and go on (exit 0).
func TestWarningsOncePerFile(t *testing.T) {
	count := func(msg string) int { return strings.Count(msg, ": warning: ") }
	small := []string{"--set", "duration=2m", "--set", "warmup=0s", "--set", "clients.app.count=100", "--set", "replications=1"}
	_, msg, code := natsim(t, append([]string{"run", "scenarios/lru-cyclic-collapse.yaml", "--quiet", "--set", "path.small-nat.capacity=90"}, small...)...)
	if code != 0 || count(msg) != 1 || !strings.Contains(msg, "scenarios/lru-cyclic-collapse.yaml:21:5: warning: middlebox small-nat: 100 clients cross it") {
		t.Errorf("run: exit %d, stderr:\n%s", code, msg)
	}
	// The sweep's capacities 5000 to 9900 are below 10,000 clients; one
	// warning each, naming its point.
	_, msg, code = natsim(t, "check", "scenarios/lru-cyclic-collapse.yaml")
	if code != 0 || count(msg) != 4 || !strings.Contains(msg, "(at the sweep point path.small-nat.capacity=9900)") {
		t.Errorf("check: exit %d, stderr:\n%s", code, msg)
	}
	_, msg, code = natsim(t, append([]string{"sweep", "scenarios/lru-cyclic-collapse.yaml", "--quiet", "--out", filepath.Join(t.TempDir(), "out"), "--param", "path.small-nat.capacity=50,80,200"}, small...)...)
	if code != 0 || count(msg) != 2 || !strings.Contains(msg, "(at the sweep point path.small-nat.capacity=80)") {
		t.Errorf("sweep: exit %d, stderr:\n%s", code, msg)
	}
	_, msg, code = natsim(t, "check", "scenarios/home-gateway-udp-voip.yaml")
	if code != 0 || count(msg) != 0 {
		t.Errorf("check of an example that is no mistake: exit %d, stderr:\n%s", code, msg)
	}
}

// TestCheckSample: check gives the estimates of the sampled run, so a
// population refused in full is checked at the size --sample runs.
func TestCheckSample(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	os.WriteFile(file, []byte(goodScenario), 0o644)
	big := []string{"check", file, "--set", "clients.app.count=100000000", "--max-memory", "8GiB"}
	if _, msg, code := natsim(t, big...); code != 2 || !strings.Contains(msg, "scenario too large") {
		t.Fatalf("in full: exit %d %s, want 2 and a refusal", code, msg)
	}
	out, msg, code := natsim(t, append(big, "--sample", "0.01", "--salt", "4")...)
	// At most n r + 4 sqrt(n r (1 - r)) = 1e6 + 4 sqrt(990000) clients,
	// rounded up.
	if want := "100000000 clients, 1h0m0s simulated x 1 replication(s), sampled at 0.01 with salt 4 (up to about 1003980 clients simulated); memory estimate "; code != 0 || !strings.Contains(out, want) {
		t.Errorf("sampled: exit %d %s\n%s\nwant\n%s", code, msg, out, want)
	}
}

// TestTargetFlagsAreOverrides: --target sets the scenario's target as
// --set would, the last of a metric winning, so the scenario a sweep
// writes (and a shard carries to merge) holds it.
func TestTargetFlagsAreOverrides(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	os.WriteFile(file, []byte(goodScenario), 0o644)
	flags := []string{"--target", "breaks_per_1000_client_hours<=1", "--target", "lost_per_1000_messages <= 0.5",
		"--target", "confidence=0.99", "--target", "breaks_per_1000_client_hours<=2"}
	out, msg, code := natsim(t, append([]string{"check", file}, flags...)...)
	if want := "target: breaks_per_1000_client_hours <= 2, lost_per_1000_messages <= 0.5, at 99% confidence\n"; code != 0 || !strings.HasSuffix(out, want) {
		t.Errorf("check: exit %d %s\n%s\nwant the line\n%s", code, msg, out, want)
	}
	dir := filepath.Join(t.TempDir(), "out")
	args := append([]string{"sweep", file, "--quiet", "--param", "path.nat.capacity=100,200", "--set", "duration=2m", "--set", "warmup=0s",
		"--out", dir}, flags...)
	if _, msg, code := natsim(t, args...); code != 0 && code != 3 {
		t.Fatalf("sweep: exit %d %s", code, msg)
	}
	written, err := os.ReadFile(filepath.Join(dir, "scenario.yaml"))
	if err != nil || !strings.Contains(string(written), "breaks_per_1000_client_hours: 2") || !strings.Contains(string(written), "confidence: 0.99") {
		t.Errorf("the sweep's scenario.yaml lacks the --target flags (%v):\n%s", err, written)
	}
	// A bad flag is refused before any work, as before.
	if _, msg, code := natsim(t, "check", file, "--target", "breaks<=1"); code != 2 || !strings.Contains(msg, `--target breaks<=1: unknown metric "breaks"`) {
		t.Errorf("bad --target: exit %d %s", code, msg)
	}
}
