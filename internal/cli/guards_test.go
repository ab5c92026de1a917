package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scenarioFile writes text to a scenario file in a fresh directory.
func scenarioFile(t *testing.T, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// located is the form of every message about a scenario:
// FILE:LINE:COL: FIELD: message (got VALUE), or the --set flag in place
// of FILE:LINE:COL.
var located = regexp.MustCompile(`^natsim: (\S+:\d+:\d+|--set \S+): [a-z_.A-Z0-9]+: .+ \(got .+\)$`)

// wantRefused runs natsim and wants exit status 2 and every line of the
// message in the located form, one of them containing want.
func wantRefused(t *testing.T, want string, args ...string) {
	t.Helper()
	_, msg, code := natsim(t, args...)
	if code != 2 || !strings.Contains(msg, want) {
		t.Fatalf("exit %d, message:\n%s\nwant exit 2 and %q", code, msg, want)
	}
	for _, line := range strings.Split(strings.TrimSpace(msg), "\n") {
		if !strings.HasPrefix(line, "natsim: ") {
			line = "natsim: " + line
		}
		if !located.MatchString(line) {
			t.Errorf("not in the form FILE:LINE:COL: FIELD: message (got VALUE): %s", line)
		}
	}
}

// serverApp is goodScenario with a server-app keepalive.
var serverApp = strings.Replace(goodScenario, "type: app", "type: server-app", 1)

// TestDurationsThatOverflowAreRefused: spans whose sums overflowed
// time.Duration made the engine panic ("nat: time went backwards") or
// report a negative entry lifetime; they are refused at load.
func TestDurationsThatOverflowAreRefused(t *testing.T) {
	file := scenarioFile(t, serverApp)
	for _, tc := range []struct {
		name string
		sets []string
		want string
	}{
		{"start delay plus spread", []string{"clients.app.start_delay=2562000h", "clients.app.start_spread=1000h"}, "clients.app.start_delay: must be at most 876000h0m0s"},
		{"sum of start delay and spread", []string{"clients.app.start_delay=800000h", "clients.app.start_spread=800000h"}, "clients.app.start_spread: start_delay + start_spread must be at most"},
		{"server ping interval", []string{"clients.app.keepalive.interval=2562047h"}, "clients.app.keepalive.interval: must be at most"},
		{"middlebox timeout", []string{"path.nat.timeouts.tcp_established=2562047h"}, "path.nat.timeouts.tcp_established: must be at most"},
		{"misses x interval", []string{"clients.app.keepalive.misses=200", "clients.app.keepalive.interval=500000h"}, "misses x interval + jitter + timeout must be at most"},
		{"beyond time.Duration", []string{"duration=3000000h"}, "duration: must be at most"},
		{"negative beyond time.Duration", []string{"duration=-3000000h"}, "duration: must be at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"run", file, "--quiet"}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			wantRefused(t, tc.want, args...)
		})
	}
}

// TestResourceGuardsAtTheCommandLine: check holds every point of a sweep
// (a point of 50 million clients passed and was killed by the kernel),
// a 1 ns traffic interval is refused for its events, and sizes that
// overflowed to a negative limit (which disabled it) are refused.
func TestResourceGuardsAtTheCommandLine(t *testing.T) {
	file := scenarioFile(t, goodScenario+"sweep: {clients.app.count: [10, 50000000]}\n")
	wantRefused(t, "sweep.clients.app.count: at the point clients.app.count=50000000: scenario too large", "check", file, "--max-memory", "8GiB")
	fast := scenarioFile(t, strings.Replace(goodScenario, "    keepalive:", "    traffic: {up: {interval: 1ns}}\n    keepalive:", 1))
	wantRefused(t, "duration: about 1.44e+14 events per run", "run", fast, "--quiet")
	for _, size := range []string{"1e30B", "infB", "-1GiB", "NaN"} {
		if _, msg, code := natsim(t, "check", file, "--max-memory", size); code != 2 || !strings.Contains(msg, "--max-memory") {
			t.Errorf("--max-memory %s: exit %d, %s", size, code, msg)
		}
	}
}

// TestInputSizeIsBounded: check /dev/zero read until memory ran out; a
// file over 1 MiB and a string over 4096 bytes are refused where they are.
func TestInputSizeIsBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		wantRefused(t, "/dev/zero:1:1: scenario: larger than 1 MiB", "check", "/dev/zero")
	}
	big := scenarioFile(t, goodScenario+"description: "+strings.Repeat("x", 1<<20)+"\n")
	wantRefused(t, ":1:1: scenario: larger than 1 MiB, the most natsim reads (got more than 1048576 bytes)", "check", big)
	long := scenarioFile(t, strings.Replace(goodScenario, "name: t", "name: "+strings.Repeat("n", 5000), 1))
	wantRefused(t, ":1:7: name: longer than 4096 bytes, the most natsim takes for one value (got 5000 bytes)", "check", long)
	wantRefused(t, "description: longer than 4096 bytes", "check", scenarioFile(t, goodScenario), "--set", "description="+strings.Repeat("d", 4097))
}
