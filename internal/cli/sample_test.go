package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/natsim/natsim/sim"
)

// TestSampleRefusesHundredMillion: 100 million clients are refused
// before any work, with the estimate and a --sample that fits; the
// estimate is of all of them (about 19 GB of clients alone at 184 B
// each), far past a 16 GiB limit.
func TestSampleRefusesHundredMillion(t *testing.T) {
	file := scenarioFile(t, strings.Replace(goodScenario, "count: 10", "count: 100000000", 1))
	wantRefused(t, "clients.app.count: scenario too large: estimated", "run", file, "--quiet", "--max-memory", "16GiB")
	_, msg, _ := natsim(t, "run", file, "--quiet", "--max-memory", "16GiB")
	if !strings.Contains(msg, "or simulate a fraction of them with --sample 0.") || !strings.Contains(msg, "of the 100000000 clients; docs/sampling.md") {
		t.Errorf("no --sample suggested:\n%s", msg)
	}
}

// TestSampledRunReportsItsSample: a sampled run's result says how many
// clients of how many it simulated, is the same at any --jobs, and its
// report scales the counts to the population by population / sample,
// worked here from the result's own clients.
func TestSampledRunReportsItsSample(t *testing.T) {
	text := strings.Replace(goodScenario, "count: 10", "count: 4000", 1)
	text = strings.Replace(text, "preset: linux-conntrack", "preset: linux-conntrack\n    timeouts: {tcp_established: 50s}\n    port_preservation: false", 1)
	file := scenarioFile(t, text)
	args := []string{"run", file, "--quiet", "--sample", "0.1", "--salt", "4", "--replications", "2", "--set", "duration=20m"}
	one, _, code := natsim(t, append(args, "--json", "--jobs", "1")...)
	two, _, _ := natsim(t, append(args, "--json", "--jobs", "2")...)
	if code != 0 || one != two {
		t.Fatalf("exit %d; --jobs 1 and 2 differ: %v", code, one != two)
	}
	var res sim.Result
	if err := json.Unmarshal([]byte(one), &res); err != nil {
		t.Fatal(err)
	}
	smp, g := res.Sample, res.Groups[0]
	if smp == nil || smp.Population != 4000 || smp.Clients != g.Clients || math.Abs(g.Clients-400) > 4*math.Sqrt(4000*0.1*0.9) {
		t.Fatalf("sample %+v, group's clients %v: want about 400 of 4000 (four binomial sigmas)", smp, g.Clients)
	}
	if g.Breaks.Total == 0 {
		t.Fatal("no breaks: nothing to scale")
	}
	text, _, _ = natsim(t, args...)
	want := fmt.Sprintf("in the population about %s breaks", commas(math.Round(g.Breaks.Total*4000/g.Clients)))
	if !strings.Contains(text, want) || !strings.Contains(text, fmt.Sprintf("sample: %s of 4,000 clients simulated", commas(g.Clients))) {
		t.Errorf("report lacks %q or its sample line:\n%s", want, text)
	}
}

// commas writes a whole number with thousands separators.
func commas(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
