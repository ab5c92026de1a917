package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/sweep"
)

// withoutKeepalive rewrites a scenario so that every client group has
// keepalive type none and its sweep block (which may sweep keepalive
// fields) is gone; it returns the new file and a --set per group that
// shrinks it to a few clients.
func withoutKeepalive(t *testing.T, file string) (string, []string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	keepalive := regexp.MustCompile(`^(\s*)keepalive:`)
	group := regexp.MustCompile(`^  - name: (\S+)`)
	var out, sets []string
	section := ""
	skipDeeper := -1 // skip the lines indented more than this
	for _, line := range strings.Split(string(data), "\n") {
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if skipDeeper >= 0 && (indent > skipDeeper || strings.TrimSpace(line) == "") {
			continue
		}
		skipDeeper = -1
		if indent == 0 && strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
			section, _, _ = strings.Cut(line, ":")
		}
		switch m := keepalive.FindStringSubmatch(line); {
		case section == "sweep":
			continue
		case m != nil:
			out = append(out, m[1]+"keepalive: {type: none}")
			skipDeeper = len(m[1])
			continue
		}
		if m := group.FindStringSubmatch(line); m != nil && section == "clients" {
			sets = append(sets, "--set", "clients."+m[1]+".count=20")
		}
		out = append(out, line)
	}
	if len(sets) == 0 {
		t.Fatalf("%s: no client groups found", file)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, sets
}

// TestExamplesReportWithoutKeepalive sweeps every example with its
// keepalive set to none and --report: with no keepalive and no break in a
// short run there is no keepalive or reconnect traffic at all, and the
// charts' log axes must still draw.
func TestExamplesReportWithoutKeepalive(t *testing.T) {
	files, _ := filepath.Glob("scenarios/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			path, sets := withoutKeepalive(t, file)
			out := filepath.Join(t.TempDir(), "out")
			// Request-driven examples refuse loss: their second axis is the
			// server's keep-alive timeout.
			second := "network.loss=0,0.01"
			if data, _ := os.ReadFile(file); strings.Contains(string(data), "\n    requests:") {
				second = "server.keepalive_timeout=0s,5s"
			}
			args := append([]string{"sweep", path, "--report", "--quiet", "--out", out, "--jobs", "2",
				"--set", "duration=2m", "--set", "warmup=10s", "--set", "replications=1",
				"--param", "network.rtt=10ms,20ms", "--param", second}, sets...)
			stdout, msg, code := natsim(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, msg, stdout)
			}
			for _, f := range []string{"report.md", "tradeoff.png"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("missing %s", f)
				}
			}
			// A heat map per group: heatmap.png for one, heatmap-GROUP.png each for more.
			maps, _ := filepath.Glob(filepath.Join(out, "heatmap*.png"))
			res, _, err := sweep.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if groups := len(res.Groups); len(maps) != groups || groups > 1 && slices.Contains(maps, filepath.Join(out, "heatmap.png")) {
				t.Errorf("heat maps %v for %d groups", maps, groups)
			}
		})
	}
}

// TestRunChartsFromTheRun: run --charts draws the charts of one run from
// its own result (it built a one-point sweep, whose findings spoke of
// "the cheapest point ... the scenario as written"), and only those that
// mean something for one run: no trade-off, which one point per group
// cannot show (it drew one point on a -1 to +1 axis).
func TestRunChartsFromTheRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	_, msg, code := natsim(t, append([]string{"run", "--out", dir, "--charts"}, quick...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	got := names(t, dir)
	want := []string{"manifest.json", "occupancy.csv", "occupancy.png", "result.json", "scenario.yaml"}
	if !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for _, finding := range []string{"occupancy.png: small-nat holds at most 450 entries"} {
		if !strings.Contains(msg, finding) {
			t.Errorf("stderr lacks %q:\n%s", finding, msg)
		}
	}
	if strings.Contains(msg, "point") {
		t.Errorf("a finding speaks of points:\n%s", msg)
	}
}
