package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallTable is 300 clients pinging through an LRU table of 250 entries
// (random ports, so that every eviction is a break): no interval helps.
const smallTable = `name: small-table
duration: 20m
warmup: 5m
path:
  - name: tiny
    preset: linux-conntrack
    capacity: 250
    when_full: lru
    port_preservation: false
clients:
  - name: app
    count: 300
    start_spread: 1m
    keepalive: {type: app, interval: 1m, jitter: 5s, timeout: 5s, request_bytes: 40, response_bytes: 40}
advise:
  tune: clients.app.keepalive.interval
  range: [20s, 5m]
`

// TestAdviseExitStatus: a recommendation exits 0 and its JSON has the
// fields of docs/advise.md; a table too small for its clients exits 3
// naming the capacity; bad flags exit 2 before anything runs.
func TestAdviseExitStatus(t *testing.T) {
	file := scenarioFile(t, smallTable)
	out, msg, code := natsim(t, "advise", file, "--quiet")
	if code != 3 || !strings.HasPrefix(out, "NOTHING MEETS the target") || !strings.Contains(out, "tiny holds 250 entries for 300 clients") {
		t.Errorf("exit %d %s\n%s", code, msg, out)
	}
	// Without the capacity limit, one box with a 5-minute timeout; 75
	// client-hours per run show a limit of 100 per 1000 met without a
	// break (2.996 / 75 x 1000 = 39.9).
	dir := t.TempDir()
	out, msg, code = natsim(t, "advise", file, "--quiet", "--json", "--set", "path.tiny.capacity=0", "--target", "breaks_per_1000_client_hours<=100", "--out", filepath.Join(dir, "adv"))
	if code != 0 {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"natsim_version", "scenario", "met", "tune", "recommended", "recommended_s", "cliff_s", "binding_middlebox",
		"margin_s", "cost", "target", "verification", "evaluated", "diagnosis", "runs", "client_hours"} {
		if _, ok := res[k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
	for _, f := range []string{"advise.json", "evaluated.csv", "scenario.yaml", "report.md"} {
		if _, err := os.Stat(filepath.Join(dir, "adv", f)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--budget", "soon"}},
		{[]string{"--replications", "3"}},
		{[]string{"--cost", "joules"}},
		{[]string{"--tune", "clients.app.keepalive.interval=5m..1m"}},
		{[]string{"--compare", "tcp,smoke"}},
	} {
		if _, msg, code := natsim(t, append([]string{"advise", file, "--quiet"}, tc.args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", tc.args, code, msg)
		}
	}
}

// TestAdviseCompare: one search per keepalive type; the overall pick is
// the cheapest of those that met the target.
func TestAdviseCompare(t *testing.T) {
	file := scenarioFile(t, smallTable)
	out, msg, code := natsim(t, "advise", file, "--quiet", "--json", "--compare", "tcp,app", "--cost", "keepalive_packets_per_client_hour",
		"--set", "path.tiny.capacity=0", "--set", "path.tiny.timeouts.tcp_established=4m", "--target", "breaks_per_1000_client_hours<=100")
	if code != 0 {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	var res struct {
		Keepalive string
		Cost      struct{ Value float64 }
		Compare   []struct {
			Keepalive string
			Met       bool
			Cost      struct{ Value float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Compare) != 2 || res.Compare[0].Keepalive != "tcp" || res.Compare[1].Keepalive != "app" {
		t.Fatalf("compare %+v", res.Compare)
	}
	for _, c := range res.Compare {
		if c.Met && c.Cost.Value < res.Cost.Value {
			t.Errorf("%s costs %v, less than the pick %s at %v", c.Keepalive, c.Cost.Value, res.Keepalive, res.Cost.Value)
		}
	}
}
