package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitStartersLoadAndRun: every starter that --list names is written
// by natsim init, passes natsim check as written, runs (shortened), and
// points to the reference pages its comments lean on.
func TestInitStartersLoadAndRun(t *testing.T) {
	list, msg, code := natsim(t, "init", "--list")
	if code != 0 {
		t.Fatalf("init --list: exit %d: %s", code, msg)
	}
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 {
		t.Fatalf("init --list: %d starters, want 3 (a NAT gateway, a load balancer, a mobile population):\n%s", len(lines), list)
	}
	dir := t.TempDir()
	for _, l := range lines {
		name := strings.Fields(l)[0]
		t.Run(name, func(t *testing.T) {
			text, msg, code := natsim(t, "init", name)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, msg)
			}
			for _, ref := range []string{"docs/scenario-format.md", "docs/presets.md"} {
				if !strings.Contains(text, ref) {
					t.Errorf("the starter does not point to %s", ref)
				}
			}
			file := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, msg, code := natsim(t, "check", file); code != 0 || !strings.Contains(out, ": ok:") {
				t.Fatalf("check: exit %d: %s%s", code, out, msg)
			}
			out, msg, code := natsim(t, "run", file, "--quiet", "--replications", "1",
				"--set", "duration=30m", "--set", "warmup=5m")
			if code != 0 || out == "" {
				t.Errorf("run: exit %d: %s", code, msg)
			}
		})
	}
}

func TestInitBadArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nat-gatway"}, `no starter "nat-gatway" (did you mean "nat-gateway"?); the starters are load-balancer, mobile-population, nat-gateway`},
		{[]string{}, "natsim init takes a starter's name (load-balancer, mobile-population, nat-gateway) or --list"},
		{[]string{"--list", "nat-gateway"}, "natsim init --list takes no argument, got nat-gateway"},
	} {
		_, msg, code := natsim(t, append([]string{"init"}, tc.args...)...)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("init %v: exit %d, %q; want 2 and %q", tc.args, code, msg, tc.want)
		}
	}
}
