package scenarios

import (
	"os"
	"strings"
	"testing"

	"github.com/natsim/natsim/sim"
)

// warningsOf loads a shipped example with sets and returns the warnings
// of its sweep's points; sweep, unless "", replaces its sweep block
// ("-": none).
func warningsOf(t *testing.T, file, sweep string, sets ...string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if sweep != "" {
		text, _, _ = strings.Cut(text, "\nsweep:")
		text += "\n"
		if sweep != "-" {
			text += sweep
		}
	}
	sc, err := Parse(file, []byte(text), sets)
	if err != nil {
		t.Fatal(err)
	}
	points, err := sc.Points(nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc.PointWarnings(points)
}

// wantWarnings checks that ws are as many as the wants, the i-th holding
// every part of wants[i].
func wantWarnings(t *testing.T, ws []string, wants ...[]string) {
	t.Helper()
	if len(ws) != len(wants) {
		t.Fatalf("%d warnings, want %d:\n%s", len(ws), len(wants), strings.Join(ws, "\n"))
	}
	for i, parts := range wants {
		for _, p := range parts {
			if !strings.Contains(ws[i], p) {
				t.Errorf("warning %d lacks %q:\n%s", i, p, ws[i])
			}
		}
	}
}

func TestWarnLRUCyclicCollapse(t *testing.T) {
	// The example is the collapse on purpose: 10,000 clients, 60 s pings,
	// LRU, capacities swept from 5,000 to 12,000. The points below 10,000
	// warn, each with its capacity; the others do not.
	common := []string{"lru-cyclic-collapse.yaml:21:5: warning: middlebox small-nat: 10000 clients cross it (group app, 10000 clients with keepalive app every 1m0s",
		"and when full it evicts the least recently used entry", "when_full: refuse"}
	var wants [][]string
	for _, c := range []string{"5000", "8000", "9000", "9900"} {
		wants = append(wants, append([]string{"capacity of " + c + " entries", "(at the sweep point path.small-nat.capacity=" + c + ")"}, common...))
	}
	wantWarnings(t, warningsOf(t, "lru-cyclic-collapse.yaml", ""), wants...)
	// A sweep of another key gives the same message at every point: once,
	// naming them all.
	wantWarnings(t, warningsOf(t, "lru-cyclic-collapse.yaml", "sweep: {network.rtt: [10ms, 20ms]}\n"),
		append([]string{"(at the sweep points network.rtt=10ms; network.rtt=20ms)", "capacity of 9000"}, common...))
	// No keepalive: nothing recurs, no warning; when_full refuse: none.
	sc, err := Load("lru-cyclic-collapse.yaml", []string{"path.small-nat.capacity=9000"})
	if err != nil {
		t.Fatal(err)
	}
	sc.Config.Groups[0].Keepalive.Type = sim.KeepaliveNone
	if ws := sc.Warnings(); len(ws) != 0 {
		t.Errorf("no keepalive: %v", ws)
	}
	wantWarnings(t, warningsOf(t, "lru-cyclic-collapse.yaml", "-", "path.small-nat.when_full=refuse"))
}

func TestWarnSharedHomeRouter(t *testing.T) {
	// The example's home router has capacity 0: only its timeouts apply,
	// and it stands for 6,000 routers without a warning. With the
	// preset's 4,096 entries it is one table for 6,000 clients.
	wantWarnings(t, warningsOf(t, "mobile-users-cellular-and-home.yaml", "-", "middleboxes.home-router.capacity=4096"),
		// 6,000 clients with 270 s heartbeats and an LRU table of 4,096:
		// the collapse too.
		[]string{"middlebox home-router: 6000 clients cross it", "capacity of 4096 entries"},
		[]string{"mobile-users-cellular-and-home.yaml:33:5: warning: middlebox home-router: its preset is one household's home gateway, but this one box is shared by 6000 clients (group wifi)",
			"its 4096 entries and its when_full policy (lru)", "Give each household its own instance (instances: per-client), or set capacity: 0"})
	// One instance per client: each household's table is its own.
	wantWarnings(t, warningsOf(t, "mobile-users-cellular-and-home.yaml", "-", "middleboxes.home-router.capacity=4096",
		"middleboxes.home-router.instances=per-client"))
	// 64 clients are a household's at most: no warning; 65 are not.
	wantWarnings(t, warningsOf(t, "mobile-users-cellular-and-home.yaml", "-", "middleboxes.home-router.capacity=4096", "clients.wifi.count=64"))
	wantWarnings(t, warningsOf(t, "mobile-users-cellular-and-home.yaml", "-", "middleboxes.home-router.capacity=4096", "clients.wifi.count=65"),
		[]string{"shared by 65 clients (group wifi)"})
}

func TestWarnTCPKeepaliveThroughABoxProbesDoNotRefresh(t *testing.T) {
	wantWarnings(t, warningsOf(t, "tcp-vs-app-keepalive-4min.yaml", "-", "path.azure-lb.refresh_on_keepalive=false"),
		[]string{"tcp-vs-app-keepalive-4min.yaml:37:23: warning: group tcp-keepalive keeps its connections alive with TCP keepalive",
			"middlebox azure-lb does not refresh its entries on keepalive probes (refresh_on_keepalive: false)",
			"past its TCP idle timeout of 4m0s", "Use an app keepalive (type: app)"})
}

func TestNoWarningsOnTheExamplesThatAreNoMistake(t *testing.T) {
	for _, file := range shipped(t) {
		if file == "lru-cyclic-collapse.yaml" { // the collapse on purpose (TestWarnLRUCyclicCollapse)
			continue
		}
		if ws := warningsOf(t, file, ""); len(ws) > 0 {
			t.Errorf("%s:\n%s", file, strings.Join(ws, "\n"))
		}
	}
}

// TestWarnSmallSampledTable: sampling 10% of the collapse example's
// 10,000 clients leaves its 9,000-entry table 900 entries (9,000 x
// 0.1), under the 1,000 where the sample's error grows; 1,000 would
// take 1000/9000 = 0.111 of the clients. At 20% (1,800 entries) only
// the collapse is warned of.
func TestWarnSmallSampledTable(t *testing.T) {
	collapse := []string{"warning: middlebox small-nat: 10000 clients cross it"}
	wantWarnings(t, warningsOf(t, "lru-cyclic-collapse.yaml", "-", "sampling.fraction=0.1"), collapse,
		[]string{"--set sampling.fraction=0.1: warning: middlebox small-nat: sampling 0.1 of the clients leaves its table of 9000 entries about 900, fewer than about 1000",
			"Sample at least 0.111 of the clients"})
	wantWarnings(t, warningsOf(t, "lru-cyclic-collapse.yaml", "-", "sampling.fraction=0.2"), collapse)
}

// TestSamplingBlock: sampling: needs its fraction, in (0, 1].
func TestSamplingBlock(t *testing.T) {
	data, err := os.ReadFile("lru-cyclic-collapse.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for set, want := range map[string]string{
		"sampling.fraction=0":   "sampling.fraction: must be in (0, 1] (got 0)",
		"sampling.fraction=1.5": "sampling.fraction: must be in (0, 1] (got 1.5)",
		"sampling.salt=3":       "sampling.fraction: is required when sampling is given",
	} {
		if _, err := Parse("s.yaml", data, []string{set}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s: %v, want %q", set, err, want)
		}
	}
	sc, err := Parse("s.yaml", data, []string{"sampling.fraction=0.25", "sampling.salt=9"})
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Config.Sampling; got != (sim.Sampling{Fraction: 0.25, Salt: 9}) {
		t.Errorf("sampling = %+v", got)
	}
}

// TestWarnFailedRequestsWithoutRequests: a limit on failed requests in a
// scenario of long-lived connections only judges nothing (no group is
// judged on it), which is probably a mistake; with request-driven groups
// there is no warning.
func TestWarnFailedRequestsWithoutRequests(t *testing.T) {
	wantWarnings(t, warningsOf(t, "tcp-vs-app-keepalive-4min.yaml", "-", "target.failed_per_million_requests=10"),
		[]string{"warning: the target limits failed_per_million_requests, but no group issues requests", "judges nothing"})
	wantWarnings(t, warningsOf(t, "go-alb-node-502.yaml", "-"))
}
