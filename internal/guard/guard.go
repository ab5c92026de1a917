// Package guard refuses runs that would not fit before any is started:
// every point of a sweep is held against the memory limit, times the
// runs that are under way at once, and against a ceiling on the events
// one run processes (simulated work, which is wall time).
package guard

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/natsim/natsim/internal/sysres"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// DefaultMaxEvents is the default ceiling on the events of one run: about
// three and a half hours of wall time at Speed.
const DefaultMaxEvents = 1e11

// Speed is the estimated events (sim.Config.EstimateEvents) a second a
// run processes on a 2-core machine, roughly, for the wall times guard
// prints: about 10 million while a run's state fits the caches (100,000
// clients), 6 million once it does not (a million, and a hundred million
// sampled at 0.01; PERFORMANCE.md).
const Speed = 8e6

// Large are the estimates above which guard says what it expects of a
// run before starting it.
const (
	LargeBytes  = 1 << 30
	LargeEvents = 1e9
)

// Limits are the ceilings runs are held against; 0 is none.
type Limits struct {
	Memory    int64   // bytes, of all runs under way at once and what they keep
	MaxEvents float64 // events of one run
}

// Plan holds the points of sc (one point without a sweep) against lim
// when run on up to workers workers. It returns the workers to use: fewer
// when that many runs at once would not fit (it says so on stderr). A
// point that cannot fit even alone is refused with scenarios.Problems,
// each located in the scenario. Large runs are announced on stderr, or
// every run with always.
func Plan(sc *scenarios.Scenario, points []scenarios.Point, workers int, lim Limits, stderr io.Writer, always bool) (int, error) {
	var probs scenarios.Problems
	var most, mostEvents float64
	if len(points) > 1 {
		// A scenario too large as written is refused once, where it is
		// large, rather than at every point of its sweep.
		if _, err := Plan(sc, []scenarios.Point{{Scenario: sc}}, 1, lim, io.Discard, false); err != nil {
			return 0, err
		}
	}
	for _, p := range points {
		cfg := &p.Scenario.Config
		est, events := cfg.EstimateBytes(), cfg.EstimateEvents()
		most, mostEvents = max(most, float64(est)), max(mostEvents, events)
		if lim.MaxEvents > 0 && events > lim.MaxEvents {
			probs = append(probs, sc.Refuse(p, "duration", fmt.Sprintf(
				"about %.3g events per run (%.3g per simulated hour, ~%s at %.0f million a second), more than --max-events %.3g; "+
					"simulate less time, fewer clients or slower timers%s, or raise --max-events",
				events, events/cfg.Duration.Hours(), wall(events), Speed/1e6, lim.MaxEvents, sampleHint(cfg, lim.MaxEvents/events)), strconv.Quote(cfg.Duration.String())))
		}
		if lim.Memory > 0 && est > lim.Memory {
			field, value := biggestGroup(cfg)
			if series := cfg.SeriesBytes(); series > est/2 {
				field, value = "sample_every", strconv.Quote(cfg.SampleEvery.String())
			}
			probs = append(probs, sc.Refuse(p, field, fmt.Sprintf(
				"scenario too large: estimated %s per run, more than --max-memory %s; use fewer clients%s, a longer sample_every or a larger --max-memory",
				sysres.Text(est), sysres.Text(lim.Memory), sampleHint(cfg, float64(lim.Memory-fixedBytes)/float64(est-fixedBytes))), value))
		}
	}
	if len(probs) > 0 {
		return 0, probs
	}
	runs, kept := sizes(points)
	at := func(w int) int64 { return need(runs, kept, w) }
	use := max(1, min(workers, len(runs)))
	for use > 1 && lim.Memory > 0 && at(use) > lim.Memory {
		use--
	}
	if lim.Memory > 0 && at(use) > lim.Memory {
		return 0, scenarios.Problems{sc.Refuse(scenarios.Point{}, "sweep", fmt.Sprintf(
			"scenario too large: its %d runs keep time series of %s and one run takes up to %s, more than --max-memory %s; "+
				"use fewer points or replications, a longer sample_every or a larger --max-memory",
			len(runs), sysres.Text(kept), sysres.Text(runs[0]), sysres.Text(lim.Memory)), strconv.Itoa(len(points))+" points")}
	}
	if use < min(workers, len(runs)) {
		fmt.Fprintf(stderr, "natsim: running %d run(s) at once instead of %d, so that they fit in the memory limit %s (estimate %s)\n",
			use, min(workers, len(runs)), sysres.Text(lim.Memory), sysres.Text(at(use)))
	}
	if always || most > LargeBytes || mostEvents > LargeEvents {
		fmt.Fprintf(stderr, "natsim: estimate per run: memory up to %s, about %.3g events (~%s); %d run(s), %d at once, %s in all (limit %s)\n",
			sysres.Text(int64(most)), mostEvents, wall(mostEvents), len(runs), use, sysres.Text(at(use)), limitText(lim.Memory))
	}
	return use, nil
}

// fixedBytes is the part of a run's estimate that does not grow with
// its clients (sim.Config.EstimateBytes' allowance for the runtime).
const fixedBytes = 64 << 20

// sampleHint suggests, for a scenario that would fit if it simulated a
// fraction fit of its clients, a --sample that does: fit rounded down to
// one significant digit, with the clients it leaves. It says nothing for
// a scenario that samples already (its estimate is of the sample), or
// when even one client in a million would not fit.
func sampleHint(cfg *sim.Config, fit float64) string {
	if cfg.Sampling.On() || !(fit > 1e-6) || fit >= 1 {
		return ""
	}
	r := math.Pow(10, math.Floor(math.Log10(fit)))
	r *= math.Floor(fit / r)
	clients := 0
	for _, g := range cfg.Groups {
		clients += g.Count
	}
	return fmt.Sprintf(" or simulate a fraction of them with --sample %g (about %.0f of the %d clients; docs/sampling.md)", r, r*float64(clients), clients)
}

// Need is the memory the runs of points take on workers workers (at most
// one per run): the largest runs under way at once and the time series
// every finished run keeps, the figure Plan holds against the limit.
// natsim jobs asks a cluster for it per task.
func Need(points []scenarios.Point, workers int) int64 {
	runs, kept := sizes(points)
	return need(runs, kept, max(1, min(workers, len(runs))))
}

// sizes is the estimate of every run of points, largest first, and the
// time series they all keep.
func sizes(points []scenarios.Point) (runs []int64, kept int64) {
	for _, p := range points {
		cfg := &p.Scenario.Config
		for range p.Scenario.Replications {
			runs = append(runs, cfg.EstimateBytes())
			kept += cfg.SeriesBytes()
		}
	}
	slices.Sort(runs)
	slices.Reverse(runs)
	return runs, kept
}

// need is kept and the largest w of runs (sorted largest first).
func need(runs []int64, kept int64, w int) int64 {
	sum := kept
	for _, r := range runs[:w] {
		sum += r
	}
	return sum
}

// biggestGroup names the count of the group with the most clients.
func biggestGroup(cfg *sim.Config) (field, value string) {
	best := cfg.Groups[0]
	for _, g := range cfg.Groups {
		if g.Count > best.Count {
			best = g
		}
	}
	return "clients." + best.Name + ".count", strconv.Itoa(best.Count)
}

// wall is the wall time of so many events at Speed.
func wall(events float64) string {
	s := events / Speed
	switch {
	case s < 60:
		return fmt.Sprintf("%.0f s", s)
	case s < 3600:
		return fmt.Sprintf("%.0f min", s/60)
	case s < 48*3600:
		return fmt.Sprintf("%.1f h", s/3600)
	}
	return fmt.Sprintf("%.0f days", s/86400)
}

func limitText(n int64) string {
	if n <= 0 {
		return "none"
	}
	return sysres.Text(n)
}
