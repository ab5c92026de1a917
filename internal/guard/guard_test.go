package guard

import (
	"bytes"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
)

const base = `name: t
duration: 1h
path: [{name: nat, preset: linux-conntrack}]
clients:
  - name: app
    count: 10
    keepalive: {type: app, interval: 60s, timeout: 5s, request_bytes: 40, response_bytes: 40}
`

// load parses text as s.yaml and expands its sweep.
func load(t *testing.T, text string) (*scenarios.Scenario, []scenarios.Point) {
	t.Helper()
	sc, err := scenarios.Parse("s.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	points, err := sc.Points(nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc, points
}

func plan(t *testing.T, text string, workers int, lim Limits) (int, string, error) {
	t.Helper()
	sc, points := load(t, text)
	var stderr bytes.Buffer
	use, err := Plan(sc, points, workers, lim, &stderr, false)
	return use, stderr.String(), err
}

// TestEveryPointIsHeldAgainstTheLimit: only the base scenario used to be
// checked, so a sweep point of 50 million clients passed and was killed
// by the kernel.
func TestEveryPointIsHeldAgainstTheLimit(t *testing.T) {
	_, _, err := plan(t, base+"sweep: {clients.app.count: [10, 50000000]}\n", 1, Limits{Memory: 1 << 30})
	want := "s.yaml:8:9: sweep.clients.app.count: at the point clients.app.count=50000000: scenario too large: estimated"
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "(got 50000000)") {
		t.Fatalf("got %v\nwant %s...", err, want)
	}
}

// TestWorkersAreLoweredToFit: four runs do not fit in 3.5 times the
// memory of one at once; three do. (--jobs 4 ran four 422 MiB runs
// under --max-memory 1GiB.)
func TestWorkersAreLoweredToFit(t *testing.T) {
	text := base + "sweep: {clients.app.count: [300000, 300001, 300002, 300003]}\n"
	sc, _ := scenarios.Parse("s.yaml", []byte(text), []string{"clients.app.count=300003"})
	one := sc.Config.EstimateBytes()
	use, stderr, err := plan(t, text, 4, Limits{Memory: one * 7 / 2})
	if err != nil || use >= 4 || use < 1 || !strings.Contains(stderr, "at once instead of 4") {
		t.Fatalf("workers %d, %v, stderr %q", use, err, stderr)
	}
	if use, _, _ := plan(t, text, 4, Limits{}); use != 4 {
		t.Fatalf("without a limit, %d workers", use)
	}
}

// TestTimeSeriesAndEventsCount: sample_every 1ns blew memory and a 1 ns
// traffic interval time; both are refused before the run.
func TestTimeSeriesAndEventsCount(t *testing.T) {
	_, _, err := plan(t, strings.Replace(base, "duration: 1h", "duration: 1h\nsample_every: 1ns", 1), 1, Limits{Memory: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), `s.yaml:3:15: sample_every: scenario too large`) {
		t.Fatalf("sample_every: %v", err)
	}
	fast := strings.Replace(base, "    keepalive:", "    traffic: {up: {interval: 1ns}}\n    keepalive:", 1)
	_, _, err = plan(t, fast, 1, Limits{MaxEvents: DefaultMaxEvents})
	if err == nil || !strings.Contains(err.Error(), `s.yaml:2:11: duration: about 1.44e+14 events per run`) ||
		!strings.Contains(err.Error(), "raise --max-events") {
		t.Fatalf("1 ns interval: %v", err)
	}
	if _, _, err := plan(t, fast, 1, Limits{MaxEvents: 1e15}); err != nil {
		t.Fatalf("raised --max-events: %v", err)
	}
}

// TestEstimatesOfLargeRunsArePrinted: a run of more than LargeEvents
// events is announced with its estimate.
func TestEstimatesOfLargeRunsArePrinted(t *testing.T) {
	text := strings.Replace(strings.Replace(base, "duration: 1h", "duration: 3000h", 1), "count: 10", "count: 100000", 1)
	_, stderr, err := plan(t, text, 2, Limits{MaxEvents: DefaultMaxEvents})
	if err != nil || !strings.Contains(stderr, "about 7.2e+10 events (~2.5 h)") {
		t.Fatalf("%v, stderr %q", err, stderr)
	}
}

// TestNeedIsWhatPlanHoldsAgainstTheLimit: Need for 2 workers is the two
// largest runs' estimates (one replication each, the default) plus every
// run's series, summed here by hand,
// and exactly the smallest limit under which Plan keeps w workers.
func TestNeedIsWhatPlanHoldsAgainstTheLimit(t *testing.T) {
	text := base + "sweep: {clients.app.count: [300000, 300001, 300002, 300003]}\n"
	_, points := load(t, text)
	var series int64
	for _, p := range points {
		series += p.Scenario.Config.SeriesBytes() * int64(p.Scenario.Replications)
	}
	two := points[3].Scenario.Config.EstimateBytes() + points[2].Scenario.Config.EstimateBytes() + series
	if got := Need(points, 2); got != two {
		t.Fatalf("Need(2) = %d, want %d", got, two)
	}
	if got, all := Need(points, 99), Need(points, 4); got != all {
		t.Fatalf("Need(99) = %d, Need(4) = %d: more workers than runs count as one per run", got, all)
	}
	for _, tc := range []struct {
		limit int64
		want  int
	}{{two, 2}, {two - 1, 1}, {Need(points, 3), 3}} {
		if use, _, err := plan(t, text, 4, Limits{Memory: tc.limit}); err != nil || use != tc.want {
			t.Errorf("limit %d: %d workers (%v), want %d", tc.limit, use, err, tc.want)
		}
	}
}

// TestSampledEstimate: the estimates are of the clients a sampled run
// simulates. 100 million clients at 0.01 are about a million (at most
// four binomial sigmas more), so the estimate is within 10% of that of
// a million clients run in full (below it by the table: the preset's
// 262,144 entries scaled to 2,621, where the million keep them all), and
// fits where the full population does not.
func TestSampledEstimate(t *testing.T) {
	many := strings.Replace(base, "count: 10", "count: 100000000", 1)
	_, full := load(t, strings.Replace(base, "count: 10", "count: 1000000", 1))
	_, sampled := load(t, many+"sampling: {fraction: 0.01, salt: 2}\n")
	f, s := full[0].Scenario.Config.EstimateBytes(), sampled[0].Scenario.Config.EstimateBytes()
	if float64(s) < 0.9*float64(f) || float64(s) > 1.1*float64(f) {
		t.Errorf("sampled estimate %d, want within 10%% of the million's %d", s, f)
	}
	if ef, es := full[0].Scenario.Config.EstimateEvents(), sampled[0].Scenario.Config.EstimateEvents(); es < ef || es > 1.1*ef {
		t.Errorf("sampled events %g, want within 10%% above the million's %g", es, ef)
	}
	if _, msg, err := plan(t, many+"sampling: {fraction: 0.01}\n", 1, Limits{Memory: 2 << 30}); err != nil {
		t.Errorf("sampled 100 million refused under 2 GiB: %v %s", err, msg)
	}
	if _, _, err := plan(t, many, 1, Limits{Memory: 2 << 30}); err == nil || !strings.Contains(err.Error(), "--sample 0.0") {
		t.Errorf("100 million in full: %v, want refused with a --sample of a few hundredths at most", err)
	}
}
