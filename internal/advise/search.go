package advise

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// Tuning of the search (package doc).
const (
	GridPoints = 4  // values of the bracketing grid, ends included
	MaxReps    = 16 // replications of one value, at most
	// resolution: the bracket around the cliff is refined until its
	// width is at most this share of its lower end, or the unit values
	// are rounded to there (1 s, 1 ms below 10 s), or half the margin
	// that will be kept below it, whichever is largest.
	resolution = 0.01
	// costSlack is how much more a point meeting the target may cost than
	// a smaller one before the cost is said not to fall: the cost of keepalive
	// traffic is counted, not drawn, but reconnects add noise.
	costSlack = 0.02
)

// DefaultBreaks is the limit on breaks per 1000 client-hours of a
// scenario that sets no target: advise needs one.
const DefaultBreaks = 1

// DefaultBudget is the search's budget when none is given: runs.
const DefaultBudget = 40

// Budget bounds the search (verification runs are not counted): Runs
// runs, or Wall of wall time; zero fields are no limit.
type Budget struct {
	Runs int
	Wall time.Duration
}

// Runner runs a batch of jobs of one phase (bracket, refine, dense,
// verify) and returns their results in order; the command gives it the
// workers and the progress display.
type Runner func(ctx context.Context, phase string, jobs []batch.Job) ([]*sim.RunResult, error)

// eval is one evaluated value: its scenario and runs (replications 0..
// of the seed, for the search; of the verification seed, for checking).
type eval struct {
	value time.Duration
	sc    *scenarios.Scenario
	runs  []*sim.RunResult
	point target.Point
}

// searcher holds one search's state.
type searcher struct {
	sc     *scenarios.Scenario
	run    Runner
	budget Budget
	start  time.Time
	now    func() time.Time
	evals  []*eval // sorted by value
	spent  int     // search runs
	phases []Phase
	notes  []string
	out    bool // the budget ran out
}

// Phase is where the time went: the runs of one phase of the search.
type Phase struct {
	Name        string  `json:"name"`
	Runs        int     `json:"runs"`
	ClientHours float64 `json:"client_hours"`
	// WallS is its wall time, seconds; only with --timing, so that the
	// output is otherwise the same at every run.
	WallS *float64 `json:"wall_s,omitempty"`
	wall  time.Duration
}

// budgetLeft is how many more search runs the budget allows.
func (s *searcher) budgetLeft() int {
	if s.budget.Wall > 0 && s.now().Sub(s.start) >= s.budget.Wall {
		return 0
	}
	if s.budget.Runs > 0 {
		return s.budget.Runs - s.spent
	}
	return math.MaxInt
}

// at returns the evaluation of v, making it (without runs) if new.
func (s *searcher) at(v time.Duration) (*eval, error) {
	i, found := slices.BinarySearchFunc(s.evals, v, func(e *eval, v time.Duration) int { return cmp.Compare(e.value, v) })
	if found {
		return s.evals[i], nil
	}
	sc, err := s.sc.At(v)
	if err != nil {
		return nil, err
	}
	e := &eval{value: v, sc: sc}
	s.evals = slices.Insert(s.evals, i, e)
	return e, nil
}

// runAll brings each evaluation up to reps[i] replications of the search
// seed in one batch (as far as the budget allows; a partial batch is cut
// whole values first) and judges them again.
func (s *searcher) runAll(ctx context.Context, phase string, es []*eval, reps []int) error {
	var jobs []batch.Job
	var owner []int
	left := s.budgetLeft()
	for i, e := range es {
		need := reps[i] - len(e.runs)
		if need <= 0 {
			continue
		}
		if need > left {
			s.out = true
			break
		}
		left -= need
		for r := len(e.runs); r < reps[i]; r++ {
			jobs = append(jobs, batch.Job{Config: &e.sc.Config, Replication: r})
			owner = append(owner, i)
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	runs, err := s.timed(ctx, phase, jobs)
	if err != nil {
		return err
	}
	s.spent += len(jobs)
	for j, r := range runs {
		e := es[owner[j]]
		e.runs = append(e.runs, r)
	}
	for _, e := range es {
		if len(e.runs) > 0 {
			e.point = judge(e.sc, e.runs)
		}
	}
	return nil
}

// timed runs a batch and counts it in its phase.
func (s *searcher) timed(ctx context.Context, phase string, jobs []batch.Job) ([]*sim.RunResult, error) {
	t0 := s.now()
	runs, err := s.run(ctx, phase, jobs)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(s.phases, func(p Phase) bool { return p.Name == phase })
	if i < 0 {
		s.phases = append(s.phases, Phase{Name: phase})
		i = len(s.phases) - 1
	}
	p := &s.phases[i]
	p.Runs += len(runs)
	p.wall += s.now().Sub(t0)
	for _, r := range runs {
		p.ClientHours += clientHours(r)
	}
	return runs, nil
}

func clientHours(r *sim.RunResult) float64 {
	var h float64
	for _, g := range r.Groups {
		h += g.ClientHours
	}
	return h
}

// judge judges every group's limits, and every path's of a group that
// mixes paths, over the runs of one value and prices it.
func judge(sc *scenarios.Scenario, runs []*sim.RunResult) target.Point {
	cfg := &sc.Config
	window := cfg.Duration - cfg.Warmup
	p := target.Point{Value: 0}
	var all []sim.GroupResult
	for gi := range cfg.Groups {
		reps := groupRuns(runs, gi)
		all = append(all, reps...)
		p.Judgements = append(p.Judgements, target.Judge(sc.Target, window, reps)...)
	}
	p.Cost = sc.Advise.Cost.PerExposure(all)
	return p
}

// groupRuns is group gi's result in each run.
func groupRuns(runs []*sim.RunResult, gi int) []sim.GroupResult {
	reps := make([]sim.GroupResult, len(runs))
	for i, r := range runs {
		reps[i] = r.Groups[gi]
	}
	return reps
}

// decide adds replications to the evaluations whose target is
// undecided, as many as their judgements say would decide it (at most
// MaxReps), in one batch; it repeats while that changes anything.
func (s *searcher) decide(ctx context.Context, phase string, es []*eval) error {
	for range 3 {
		var more []*eval
		var reps []int
		for _, e := range es {
			if n := repsToDecide(e); n > len(e.runs) {
				more, reps = append(more, e), append(reps, n)
			}
		}
		if len(more) == 0 {
			return nil
		}
		if err := s.runAll(ctx, phase, more, reps); err != nil || s.out {
			return err
		}
	}
	return nil
}

// repsToDecide is how many replications would decide e's target if its
// estimates held, within MaxReps; len(e.runs) when nothing more helps.
func repsToDecide(e *eval) int {
	if len(e.runs) == 0 || target.Overall(e.point.Judgements) != target.Undecided {
		return len(e.runs)
	}
	perRep := 0.0
	for _, g := range e.runs[0].Groups {
		perRep = math.Max(perRep, g.ClientHours)
	}
	need := len(e.runs)
	for _, j := range e.point.Judgements {
		if j.Status != target.Undecided {
			continue
		}
		if math.IsInf(j.NeededClientHours, 1) || perRep == 0 {
			return len(e.runs) // no exposure would show it
		}
		// Needed is for the group, or its path; its client-hours per run
		// are about those of the first run.
		g := e.runs[0].Groups[slices.IndexFunc(e.runs[0].Groups, func(g sim.GroupResult) bool { return g.Name == j.Group })]
		hours := g.ClientHours
		if i := slices.IndexFunc(g.Paths, func(p sim.PathResult) bool { return target.PathName(p.Via) == j.Path }); j.Path != "" && i >= 0 {
			hours = g.Paths[i].ClientHours
		}
		need = max(need, int(math.Ceil(j.NeededClientHours/math.Max(hours, 1e-9))))
	}
	return min(max(need, 2*len(e.runs)), MaxReps) // at least double: the estimate moves too
}

// meets says whether e met the target (undecided is not met).
func (e *eval) meets() bool { return len(e.runs) > 0 && e.point.Meets() }

// status is e's outcome; a value not run is undecided.
func (e *eval) status() target.Status {
	if len(e.runs) == 0 {
		return target.Undecided
	}
	return target.Overall(e.point.Judgements)
}

// shapeOK checks what advise assumes of the evaluated points: no value
// misses the target below one that meets it, and the cost of the points
// meeting it does not rise with the value beyond costSlack. Undecided
// points are consistent with either.
func shapeOK(es []*eval) (ok bool, why string) {
	var miss *eval
	for _, e := range es {
		switch e.status() {
		case target.Missed:
			if miss == nil {
				miss = e
			}
		case target.Met:
			if miss != nil {
				return false, "the target is met at " + label(e.value) + " but missed at the smaller " + label(miss.value)
			}
		}
	}
	var prev *eval
	for _, e := range es {
		if !e.meets() {
			continue
		}
		if prev != nil && e.point.Cost > prev.point.Cost*(1+costSlack) {
			return false, "the cost rises from " + label(prev.value) + " to " + label(e.value)
		}
		prev = e
	}
	return true, ""
}

// decideTop decides, from the top down, the largest evaluated values
// below the first that misses the target: replications are added to the
// largest undecided one until it is met or missed, or nothing more would
// decide it (then it counts as not met and the next one down is tried).
// Smaller values are left as they are: under the shape advise checks,
// one met value shows the smaller ones met.
func (s *searcher) decideTop(ctx context.Context, phase string) error {
	k := len(s.evals) - 1
	if i := slices.IndexFunc(s.evals, func(e *eval) bool { return e.status() == target.Missed }); i >= 0 {
		k = i - 1
	}
	for ; k >= 0 && !s.out; k-- {
		e := s.evals[k]
		if len(e.runs) == 0 {
			continue
		}
		if err := s.decide(ctx, phase, []*eval{e}); err != nil {
			return err
		}
		if e.status() != target.Undecided {
			return nil
		}
	}
	return nil
}

// grid is n values from lo to hi spaced evenly on a log scale, rounded
// to whole seconds (or milliseconds below 10 s), without repeats.
func grid(lo, hi time.Duration, n int) []time.Duration {
	var out []time.Duration
	for i := range n {
		x := float64(lo) * math.Pow(float64(hi)/float64(lo), float64(i)/float64(n-1))
		out = append(out, round(time.Duration(x)))
	}
	out[0], out[n-1] = lo, hi
	return slices.Compact(out)
}

// unit is what a tuned value near d is rounded to: whole seconds, or
// milliseconds below 10 s (a pool's idle timeout near a server's 5 s
// keep-alive needs them), so that it reads as written.
func unit(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return time.Second
	}
	return time.Millisecond
}

// round rounds a tuned value to its unit.
func round(d time.Duration) time.Duration { return d.Round(unit(d)) }

// floor is round, downwards.
func floor(d time.Duration) time.Duration { return d.Truncate(unit(d)) }

func label(d time.Duration) string { return d.String() }
