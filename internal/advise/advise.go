package advise

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/internal/verdict"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// Settings are one search's inputs.
type Settings struct {
	// Scenario holds the target and Advise (keys, range, cost, margin).
	Scenario *scenarios.Scenario
	Run      Runner
	Budget   Budget
	Now      func() time.Time // the wall clock, for Budget.Wall and the phases
}

// Result is natsim advise's answer; its JSON is advise --json.
type Result struct {
	Version  string   `json:"natsim_version"`
	Scenario string   `json:"scenario"`
	Met      bool     `json:"met"`
	Tune     []string `json:"tune"`
	// Recommended is the value recommended, as written and in seconds;
	// null when nothing met the target.
	Recommended  *string  `json:"recommended"`
	RecommendedS *float64 `json:"recommended_s"`
	// CliffS is the smallest evaluated value that missed the target, null
	// when every value met it; BindingMiddlebox the box that breaks the
	// connections there (for requests answered 502 by an L7 box, that
	// box; for requests that met the server's close, "server").
	CliffS           *float64 `json:"cliff_s"`
	BindingMiddlebox string   `json:"binding_middlebox"` // "" without a cliff
	// CliffTimeout is the binding box's timeout class and seconds, or
	// the server's keep-alive timeout when that decides it.
	CliffTimeout string `json:"cliff_timeout"`
	// CliffMetric is the first metric (in the order of target.Metrics)
	// whose limit the cliff did not meet; "" without a cliff.
	CliffMetric target.Metric `json:"cliff_metric,omitempty"`
	// BindingAt is the group failing at the cliff and, for a group that
	// mixes paths, the path failing; empty without a cliff.
	BindingAt Where `json:"binding_at,omitzero"`
	// MarginS is how far below the cliff the recommendation lies.
	MarginS *float64 `json:"margin_s"`
	// UncertaintyS is the declared uncertainty (jitter plus round trip)
	// and ExtraMarginS the advise: block's margin, seconds: the margin
	// asked for.
	UncertaintyS float64   `json:"uncertainty_s"`
	ExtraMarginS float64   `json:"extra_margin_s"`
	Cost         CostValue `json:"cost"`
	// Setting is the keepalive recommended (or run, when nothing is
	// tuned) in words; Costs every cost of target.Costs there (energy
	// only when a group has a radio) and Breaks the break rate of its
	// group with the highest bound, all from the verification runs.
	Setting      string        `json:"setting,omitempty"`
	Costs        []CostValue   `json:"costs,omitempty"`
	Breaks       *MeanUpper    `json:"breaks_per_1000_client_hours,omitempty"`
	Target       target.Target `json:"target"`
	Verification *Verification `json:"verification"`
	Evaluated    []Evaluated   `json:"evaluated"`
	Diagnosis    *Diagnosis    `json:"diagnosis"`
	// Monotone says whether the evaluated points had the shape advise
	// assumes (package doc); Notes say what it found and did.
	Monotone bool     `json:"monotone"`
	Notes    []string `json:"notes,omitempty"`
	// BudgetOut says the search stopped when its budget ran out.
	BudgetOut bool `json:"budget_out"`
	// Runs and ClientHours are of every run, search and verification.
	Runs        int     `json:"runs"`
	ClientHours float64 `json:"client_hours"`
	Phases      []Phase `json:"phases"`
	// Compare holds one search per keepalive type with advise --compare.
	Compare []*Result `json:"compare,omitempty"`
	// Keepalive is the keepalive type searched with --compare.
	Keepalive string `json:"keepalive,omitempty"`

	pick       *eval           // the verified pick, for the commands' files
	searchSeed uint64          // the seed of every search run
	mixed      bool            // some group mixes paths: each path is judged too
	shown      []target.Metric // the metrics of the table of evaluated values
}

// Where is a group and, for a group that mixes paths, one of its paths.
type Where struct {
	Group string  `json:"group"`
	Path  string  `json:"path,omitempty"`  // its boxes joined by " then " (target.PathName)
	Share float64 `json:"share,omitempty"` // of the group's clients that drew the path
}

// String writes w as the verdict does: "group cell, path carrier-a
// (share 1%)".
func (w Where) String() string {
	s := "group " + w.Group
	if w.Path != "" {
		s += fmt.Sprintf(", path %s (share %s)", w.Path, report.Percent(w.Share))
	}
	return s
}

// CostValue is the cost minimised and its value at the recommendation.
type CostValue struct {
	Metric string  `json:"metric"`
	Unit   string  `json:"unit"`
	Per    string  `json:"per"` // the unit of exposure: client-hour, 1000 requests
	Value  float64 `json:"value"`
}

// Verification is the recommendation run again with fresh client
// streams: natsim run with --seed Seeds[0] --replications Replications
// and the tuned keys set gives the same figures.
type Verification struct {
	Seeds        []uint64 `json:"seeds"`
	Replications int      `json:"replications"`
	// Groups: per group its name and, for breaks and every limit of the
	// target, {"mean", "upper", "status"}; after a group that mixes paths,
	// a row likewise for each path, with its "path" and "share".
	Groups      []map[string]any `json:"groups"`
	ClientHours float64          `json:"client_hours"`
	// StreamSeeds are sim.StreamSeed of each verification run; none is
	// a stream seed of a search run.
	StreamSeeds []uint64 `json:"stream_seeds"`
}

// Evaluated is one value the search ran.
type Evaluated struct {
	Value  string  `json:"value"`
	ValueS float64 `json:"value_s"`
	Runs   int     `json:"runs"`
	Cost   float64 `json:"cost"`
	// Breaks is of the group, or path of a group that mixes paths, with
	// the highest upper bound.
	Breaks MeanUpper `json:"breaks_per_1000_client_hours"`
	// Limits is likewise, in the order of target.Metrics, every other
	// metric the target limits, and failed requests per million when
	// some group is request-driven (issued requests); where a limit is
	// missed, of the group missing it by most.
	Limits []MetricBound `json:"limits,omitempty"`
	Status string        `json:"status"` // met, missed or undecided
	Meets  bool          `json:"meets"`
	// Judged is the target's judgements behind Status, for the charts.
	Judged []target.Judgement `json:"-"`
}

// MeanUpper is an estimate and its upper confidence bound (null when
// the data bound nothing).
type MeanUpper struct {
	Mean  float64  `json:"mean"`
	Upper *float64 `json:"upper"`
}

// MetricBound is a metric's estimate and upper bound in a row of
// Result.Evaluated.
type MetricBound struct {
	Metric target.Metric `json:"metric"`
	MeanUpper
}

// Diagnosis names why nothing in the range met the target.
type Diagnosis struct {
	Cause string `json:"cause"` // capacity, keepalive_ignored, early_drop, refused, range, limit, undecided, budget
	Text  string `json:"text"`
}

// Search runs advise on st.Scenario: bracket, refine (or evaluate
// densely), pick with the margin, verify; see the package doc.
func Search(ctx context.Context, st Settings) (*Result, error) {
	sc := st.Scenario
	a := sc.Advise
	s := &searcher{sc: sc, run: st.Run, budget: st.Budget, now: st.Now}
	s.start = s.now()
	if len(a.Tune) == 0 {
		return s.asConfigured(ctx)
	}
	var es []*eval
	for _, v := range grid(a.Lo, a.Hi, GridPoints) {
		e, err := s.at(v)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	ones := make([]int, len(es))
	for i := range ones {
		ones[i] = 1
	}
	if err := s.runAll(ctx, "bracket", es, ones); err != nil {
		return nil, err
	}
	if err := s.decideTop(ctx, "bracket"); err != nil {
		return nil, err
	}
	monotone, err := s.refine(ctx)
	if err != nil {
		return nil, err
	}
	res := newResult(sc)
	res.Tune, res.Monotone, res.Notes = a.Tune, monotone, s.notes
	for _, e := range s.evals {
		if len(e.runs) > 0 {
			res.Evaluated = append(res.Evaluated, evaluated(e))
		}
	}
	if err := s.pick(ctx, res); err != nil {
		return nil, err
	}
	s.finish(res)
	return res, nil
}

// refine narrows the bracket around the cliff, or evaluates the range
// densely where the points do not have the assumed shape; it returns
// whether they had it.
func (s *searcher) refine(ctx context.Context) (bool, error) {
	for !s.out {
		if ok, why := shapeOK(s.evals); !ok {
			s.notes = append(s.notes, "not monotone: "+why+"; evaluating the range more densely")
			return false, s.dense(ctx)
		}
		lo, hi := s.bracket()
		if lo == nil || hi == nil || hi.value-lo.value <= max(unit(lo.value), time.Duration(float64(lo.value)*resolution), s.margin(lo.value)/2) {
			return true, nil
		}
		var es []*eval
		var reps []int
		for _, f := range []float64{1.0 / 3, 2.0 / 3} {
			v := round(time.Duration(float64(lo.value) * math.Pow(float64(hi.value)/float64(lo.value), f)))
			if v <= lo.value || v >= hi.value || slices.ContainsFunc(es, func(e *eval) bool { return e.value == v }) {
				continue
			}
			e, err := s.at(v)
			if err != nil {
				return true, err
			}
			es, reps = append(es, e), append(reps, 1)
		}
		if len(es) == 0 {
			return true, nil
		}
		if err := s.runAll(ctx, "refine", es, reps); err != nil {
			return true, err
		}
		if err := s.decideTop(ctx, "refine"); err != nil {
			return true, err
		}
	}
	ok, _ := shapeOK(s.evals)
	return ok, nil
}

// bracket is the last evaluated value meeting the target and the next
// evaluated one (which does not: missed, or undecided when more runs
// would not decide it); either is nil when there is none.
func (s *searcher) bracket() (lo, hi *eval) {
	for _, e := range s.evals {
		switch {
		case len(e.runs) == 0:
		case e.meets():
			lo, hi = e, nil
		case hi == nil && (lo != nil || e.status() == target.Missed):
			hi = e
		}
	}
	return lo, hi
}

// dense evaluates the geometric midpoints between the values evaluated
// so far, one replication each, then decides them.
func (s *searcher) dense(ctx context.Context) error {
	var es []*eval
	var ones []int
	done := slices.Clone(s.evals)
	for i := 1; i < len(done); i++ {
		v := round(time.Duration(math.Sqrt(float64(done[i-1].value) * float64(done[i].value))))
		if v <= done[i-1].value || v >= done[i].value {
			continue
		}
		e, err := s.at(v)
		if err != nil {
			return err
		}
		es, ones = append(es, e), append(ones, 1)
	}
	if err := s.runAll(ctx, "dense", es, ones); err != nil {
		return err
	}
	return s.decide(ctx, "dense", es)
}

// uncertainty is what the scenario declares uncertain about when a
// keepalive refreshes a table: the largest jitter of an app heartbeat
// plus the network's round trip.
func uncertainty(cfg *sim.Config) time.Duration {
	var j time.Duration
	for _, g := range cfg.Groups {
		if k := g.Keepalive; k.Type == sim.KeepaliveApp || k.Type == sim.KeepaliveServerApp {
			j = max(j, k.Jitter)
		}
	}
	return j + cfg.Network.RTT
}

// margin is what is kept below a cliff at v: the declared uncertainty
// and the advise: block's margin (a fraction of v, or a duration).
func (s *searcher) margin(v time.Duration) time.Duration {
	a := s.sc.Advise
	extra := a.MarginSpan
	if a.MarginFraction > 0 {
		extra = time.Duration(a.MarginFraction * float64(v))
	}
	return uncertainty(&s.sc.Config) + extra
}

// pick chooses the recommendation, verifies it and fills res.
func (s *searcher) pick(ctx context.Context, res *Result) error {
	a := s.sc.Advise
	var candidate time.Duration
	var cliff *eval
	if res.Monotone {
		lo, hi := s.bracket()
		if lo == nil {
			s.diagnose(res)
			return nil
		}
		candidate, cliff = lo.value, hi
	} else {
		var points []target.Point
		var with []*eval
		for _, e := range s.evals {
			if len(e.runs) > 0 {
				points, with = append(points, e.point), append(with, e)
			}
		}
		i, ok := target.Cheapest(points)
		if !ok {
			s.diagnose(res)
			return nil
		}
		candidate = with[i].value
		for _, e := range with[i+1:] {
			if !e.meets() {
				cliff = e
				break
			}
		}
	}
	margin := time.Duration(0)
	if cliff != nil {
		margin = s.margin(cliff.value)
		res.ExtraMarginS = (margin - uncertainty(&s.sc.Config)).Seconds()
		// The cliff lies between the candidate (met) and cliff (not):
		// below the candidate by the margin is below it by at least that.
		candidate = floor(candidate - margin)
		cs := cliff.value.Seconds()
		res.CliffS = &cs
		res.BindingMiddlebox, res.CliffTimeout, res.BindingAt = bindingAt(cliff)
		res.CliffMetric = missedMetric(cliff)
	}
	if candidate < a.Lo {
		s.notes = append(s.notes, fmt.Sprintf("the margin reaches below the range; recommending its lower end %v", a.Lo))
		candidate = a.Lo
	}
	step := max(margin, time.Duration(0.05*float64(candidate)))
	for try := 0; ; try++ {
		v, err := s.verify(ctx, candidate)
		if err != nil {
			return err
		}
		if v.meets() || try == 1 || candidate-step < a.Lo {
			s.report(res, v, cliff)
			if !v.meets() {
				res.Diagnosis = &Diagnosis{Cause: "verification", Text: fmt.Sprintf(
					"%v met the target in the search but not with fresh seeds: the target sits at the edge of what the runs can show; "+
						"give a larger margin or longer runs", v.value)}
			}
			return nil
		}
		s.notes = append(s.notes, fmt.Sprintf("%v missed the target with fresh seeds; stepping down by %v", candidate, step))
		candidate = floor(candidate - step)
	}
}

// verify runs v with a seed whose client streams no search run used, as
// many replications as the target needs (the search's at v to start).
func (s *searcher) verify(ctx context.Context, v time.Duration) (*eval, error) {
	reps := 1
	if i := slices.IndexFunc(s.evals, func(x *eval) bool { return x.value >= v }); i >= 0 {
		reps = max(1, len(s.evals[i].runs))
	}
	return s.decided(ctx, "verify", v, FreshSeed(s.sc.Config.Seed, s.maxReps()), reps, false)
}

// decided runs v with seed, reps replications to start, then as many
// as the target needs to be decided (at most MaxReps); budgeted runs
// count against the search's budget and stop when it is spent.
func (s *searcher) decided(ctx context.Context, phase string, v time.Duration, seed uint64, reps int, budgeted bool) (*eval, error) {
	sc, err := s.sc.At(v)
	if err != nil {
		return nil, err
	}
	cfg := sc.Config
	cfg.Seed = seed
	e := &eval{value: v, sc: sc}
	for {
		if budgeted {
			if left := s.budgetLeft(); reps-len(e.runs) > left {
				reps, s.out = len(e.runs)+left, true
			}
		}
		var jobs []batch.Job
		for r := len(e.runs); r < reps; r++ {
			jobs = append(jobs, batch.Job{Config: &cfg, Replication: r})
		}
		if len(jobs) == 0 {
			return e, nil
		}
		runs, err := s.timed(ctx, phase, jobs)
		if err != nil {
			return nil, err
		}
		if budgeted {
			s.spent += len(jobs)
		}
		e.runs = append(e.runs, runs...)
		if len(e.runs) > 0 {
			e.point = judge(sc, e.runs)
		}
		if n := repsToDecide(e); n > len(e.runs) && !(budgeted && s.out) {
			reps = n
			continue
		}
		sc.Config = cfg
		return e, nil
	}
}

// newResult is the part of a Result that follows from the scenario
// alone, the same for a search and for a scenario run as configured.
func newResult(sc *scenarios.Scenario) *Result {
	c := sc.Advise.Cost
	return &Result{Version: sim.Version, Scenario: sc.Config.Name, Target: sc.Target,
		Cost: CostValue{Metric: c.Name, Unit: c.Unit, Per: c.PerUnit()}, searchSeed: sc.Config.Seed,
		mixed:        slices.ContainsFunc(sc.Config.Groups, func(g sim.Group) bool { return len(g.Paths) > 0 }),
		shown:        shown(sc),
		UncertaintyS: uncertainty(&sc.Config).Seconds()}
}

// asConfigured answers for a scenario with nothing to tune (an adaptive
// keepalive sets its own interval): it is run as written with the seed
// a verification of a search from the same scenario would never clash
// with (FreshSeed after MaxReps), one replication, then as many as the
// target needs to be decided, while the budget lasts.
func (s *searcher) asConfigured(ctx context.Context) (*Result, error) {
	sc := s.sc
	res := newResult(sc)
	res.Tune, res.Monotone = []string{}, true
	v, err := s.decided(ctx, "evaluate", 0, FreshSeed(sc.Config.Seed, MaxReps), 1, true)
	if err != nil {
		return nil, err
	}
	if len(v.runs) == 0 {
		res.Diagnosis = &Diagnosis{Cause: "budget", Text: "the budget ran out before the scenario was run: raise --budget"}
	} else {
		s.report(res, v, nil)
	}
	s.finish(res)
	return res, nil
}

// finish gives res the search's runs, client-hours and phases, and
// whether its budget ran out.
func (s *searcher) finish(res *Result) {
	res.BudgetOut = s.out
	for _, p := range s.phases {
		res.Runs += p.Runs
		res.ClientHours += p.ClientHours
	}
	res.Phases = s.phases
}

// maxReps is the most replications any search run had.
func (s *searcher) maxReps() int {
	n := 0
	for _, e := range s.evals {
		n = max(n, len(e.runs))
	}
	return n
}

// FreshSeed is the first seed after seed none of whose first MaxReps
// replications' client streams is one of the searchReps replications of
// seed: the verification runs share no stream with the search's.
func FreshSeed(seed uint64, searchReps int) uint64 {
	used := map[uint64]bool{}
	for r := range searchReps {
		used[sim.StreamSeed(seed, r)] = true
	}
	for v := seed + 1; ; v++ {
		clash := false
		for r := range MaxReps {
			clash = clash || used[sim.StreamSeed(v, r)]
		}
		if !clash {
			return v
		}
	}
}

// report fills res from the verified recommendation v.
func (s *searcher) report(res *Result, v *eval, cliff *eval) {
	res.pick = v
	res.Met = v.meets()
	res.Setting = res.describe()
	if len(res.Tune) > 0 {
		rec, recS := v.value.String(), v.value.Seconds()
		res.Recommended, res.RecommendedS = &rec, &recS
	}
	if cliff != nil {
		m := (cliff.value - v.value).Seconds()
		res.MarginS = &m
	}
	res.Cost.Value = v.point.Cost
	res.Costs = costsAt(v)
	b := evaluated(v).Breaks
	res.Breaks = &b
	ver := &Verification{Seeds: []uint64{v.sc.Config.Seed}, Replications: len(v.runs)}
	for r := range v.runs {
		ver.StreamSeeds = append(ver.StreamSeeds, sim.StreamSeed(v.sc.Config.Seed, r))
		ver.ClientHours += clientHours(v.runs[r])
	}
	c := v.sc.Target.Confidence
	window := v.sc.Config.Duration - v.sc.Config.Warmup
	for gi, g := range v.sc.Config.Groups {
		for _, vr := range target.Variants(groupRuns(v.runs, gi)) {
			row := map[string]any{"name": g.Name}
			if vr.Index >= 0 {
				row["path"], row["share"] = vr.Path, vr.Share
			}
			b := target.Bound(target.Breaks, window, vr.Reps, c)
			row[string(target.Breaks)] = map[string]any{"mean": b.Estimate, "upper": finite(b.Upper)}
			for _, j := range target.Whole(target.Judge(v.sc.Target, window, vr.Reps)) {
				row[string(j.Metric)] = map[string]any{"mean": j.Estimate, "upper": finite(j.Upper), "status": j.Status.String()}
			}
			ver.Groups = append(ver.Groups, row)
		}
	}
	res.Verification = ver
}

// costsAt is every cost of target.Costs over e's runs; the radios'
// energy only when a group has a radio, new connections only when a
// group is request-driven.
func costsAt(e *eval) []CostValue {
	radio := slices.ContainsFunc(e.sc.Config.Groups, func(g sim.Group) bool { return g.Radio != nil })
	requests := slices.ContainsFunc(e.sc.Config.Groups, func(g sim.Group) bool { return g.Requests != nil })
	var all []sim.GroupResult
	for gi := range e.sc.Config.Groups {
		all = append(all, groupRuns(e.runs, gi)...)
	}
	var out []CostValue
	for _, c := range target.Costs {
		if c.Radio && !radio || c.Requests && !requests {
			continue
		}
		out = append(out, CostValue{Metric: c.Name, Unit: c.Unit, Per: c.PerUnit(), Value: c.PerExposure(all)})
	}
	return out
}

func finite(x float64) *float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return &x
}

// Pick is the verified recommendation's scenario and runs, for the
// command's files; nil when nothing met the target.
func (r *Result) Pick() (*scenarios.Scenario, []*sim.RunResult) {
	if r.pick == nil {
		return nil, nil
	}
	return r.pick.sc, r.pick.runs
}

// Picked is the verified recommendation as a row of Evaluated, its
// figures from the verification runs; nil when nothing was picked.
func (r *Result) Picked() *Evaluated {
	if r.pick == nil {
		return nil
	}
	e := evaluated(r.pick)
	return &e
}

// evaluated is e as a row of Result.Evaluated.
func evaluated(e *eval) Evaluated {
	row := Evaluated{Value: e.value.String(), ValueS: e.value.Seconds(), Runs: len(e.runs), Cost: e.point.Cost,
		Status: target.Overall(e.point.Judgements).String(), Meets: e.meets(), Judged: e.point.Judgements}
	b := reported(e, target.Breaks)
	row.Breaks = MeanUpper{Mean: b.Estimate, Upper: finite(b.Upper)}
	for _, m := range shown(e.sc) {
		if m == target.Breaks {
			continue
		}
		if w := reported(e, m); !math.IsInf(w.Upper, -1) {
			row.Limits = append(row.Limits, MetricBound{Metric: m, MeanUpper: MeanUpper{Mean: w.Estimate, Upper: finite(w.Upper)}})
		}
	}
	return row
}

// missedMetric is the first metric, in the order of target.Metrics,
// whose limit e did not meet (missed or undecided); "" when none.
func missedMetric(e *eval) target.Metric {
	for _, m := range target.Metrics {
		if slices.ContainsFunc(e.point.Judgements, func(j target.Judgement) bool { return j.Metric == m && j.Status != target.Met }) {
			return m
		}
	}
	return ""
}

// shown is the metrics a row of Result.Evaluated gives, in the order
// of target.Metrics: every metric the target limits; breaks always but
// where every group is request-driven; failed requests where some
// group is.
func shown(sc *scenarios.Scenario) []target.Metric {
	requests := slices.ContainsFunc(sc.Config.Groups, func(g sim.Group) bool { return g.Requests != nil })
	requestsOnly := !slices.ContainsFunc(sc.Config.Groups, func(g sim.Group) bool { return g.Requests == nil })
	var out []target.Metric
	for _, m := range target.Metrics {
		_, limited := sc.Target.Limit(m)
		if limited || m == target.Breaks && !requestsOnly || m == target.FailedRequests && requests {
			out = append(out, m)
		}
	}
	return out
}

// Limit is row e's figures of m, nil when it has none.
func (e *Evaluated) Limit(m target.Metric) *MeanUpper {
	if m == target.Breaks {
		return &e.Breaks
	}
	for i := range e.Limits {
		if e.Limits[i].Metric == m {
			return &e.Limits[i].MeanUpper
		}
	}
	return nil
}

// worstBound is the bound of m with the highest upper bound at e, over
// every group and every path of a group that mixes paths (for failed
// requests, of those that issued requests).
func worstBound(e *eval, m target.Metric, window time.Duration, c float64) target.Judgement {
	worst := target.Judgement{Upper: math.Inf(-1)}
	for gi := range e.sc.Config.Groups {
		for _, vr := range target.Variants(groupRuns(e.runs, gi)) {
			b := target.Bound(m, window, vr.Reps, c)
			if m == target.FailedRequests && b.Exposure == 0 {
				continue
			}
			if b.Upper > worst.Upper {
				worst = b
			}
		}
	}
	return worst
}

// reported is the bound of metric m that advise quotes for e, in its
// verdict line and its tables alike: the highest of any group's (and
// path's), except that where a limit other than breaks' is missed, the
// group missing it by most (the highest bound may be a quiet group's,
// with no event at all). Upper is -Inf when no group has m.
func reported(e *eval, m target.Metric) target.Judgement {
	w := worstBound(e, m, e.sc.Config.Duration-e.sc.Config.Warmup, e.sc.Target.Confidence)
	if m == target.Breaks {
		return w
	}
	for _, j := range e.point.Judgements {
		if j.Metric == m && j.Status == target.Missed && (w.Status != target.Missed || j.Estimate > w.Estimate) {
			w = j
		}
	}
	return w
}

// bindingAt names the box that binds the first group failing at e (of a
// group that mixes paths, its first path failing), its timeout, and
// where it binds.
func bindingAt(e *eval) (box, timeout string, at Where) {
	v := verdict.Of(&e.sc.Config, e.sc.Target, e.runs)
	for _, g := range v.Groups {
		failing, b := g.Verdict != verdict.Pass, g.Binding
		at = Where{Group: g.Name}
		if i := slices.IndexFunc(g.Paths, func(p verdict.Path) bool { return p.Verdict != verdict.Pass }); i >= 0 {
			p := g.Paths[i]
			failing, b = true, p.Binding
			at.Path, at.Share = target.PathName(p.Via), p.Share
		}
		if failing {
			if box, timeout, ok := serverBinds(e, g.Name); ok {
				return box, timeout, at
			}
		}
		if failing && b != nil {
			return b.Middlebox, fmt.Sprintf("%s %v", b.TimeoutClass, time.Duration(b.TimeoutS*float64(time.Second))), at
		}
	}
	return "", "", Where{}
}

// diagnose says why nothing met the target, from the runs at the
// smallest value evaluated.
func (s *searcher) diagnose(res *Result) {
	var first *eval
	for _, e := range s.evals {
		if len(e.runs) > 0 {
			first = e
			break
		}
	}
	if first == nil {
		res.Diagnosis = &Diagnosis{Cause: "budget", Text: "the budget ran out before any value was run: raise --budget"}
		return
	}
	res.Diagnosis = Diagnose(first.sc, first.runs, first.point.Judgements, s.sc.Advise.Lo)
}

// Diagnose names the cause of the judgements' failure at the smallest
// value lo, from the runs' breaks by cause and the boxes: what would
// help.
func Diagnose(sc *scenarios.Scenario, runs []*sim.RunResult, js []target.Judgement, lo time.Duration) *Diagnosis {
	// When a path fails, its boxes are the ones to look at, and the
	// diagnosis names it.
	on := func(int) bool { return true }
	i := slices.IndexFunc(js, func(j target.Judgement) bool { return j.Status == target.Missed })
	if i < 0 {
		i = slices.IndexFunc(js, func(j target.Judgement) bool { return j.Status != target.Met })
	}
	if i < 0 || js[i].Path == "" {
		return diagnose(sc, runs, js, lo, on)
	}
	at := js[i]
	cfg := &sc.Config
	for _, g := range cfg.Groups {
		for _, p := range g.Paths {
			names := make([]string, len(p.Via))
			for k, bi := range p.Via {
				names[k] = cfg.Path[bi].Name
			}
			if g.Name == at.Group && target.PathName(names) == at.Path {
				on = func(bi int) bool { return slices.Contains(p.Via, bi) }
			}
		}
	}
	d := diagnose(sc, runs, js, lo, on)
	d.Text += fmt.Sprintf(" (it is group %s's path %s that misses the target)", at.Group, at.Path)
	return d
}

// diagnose is Diagnose, looking only at the boxes on says.
func diagnose(sc *scenarios.Scenario, runs []*sim.RunResult, js []target.Judgement, lo time.Duration, on func(bi int) bool) *Diagnosis {
	cfg := &sc.Config
	var br sim.Breaks
	var refused float64
	for _, r := range runs {
		for _, g := range r.Groups {
			br.Total += g.Breaks.Total
			br.IdleTimeout += g.Breaks.IdleTimeout
			br.LRUEviction += g.Breaks.LRUEviction
			br.EarlyDrop += g.Breaks.EarlyDrop
			br.ResetOnExpire += g.Breaks.ResetOnExpire
			refused += g.RefusedOpens
		}
	}
	busiest := func(f func(b sim.BoxResult) float64) (int, float64) {
		best, most := 0, -1.0
		for _, r := range runs {
			for i, b := range r.Middleboxes {
				if on(i) && f(b) > most {
					best, most = i, f(b)
				}
			}
		}
		return best, most
	}
	top := max(br.IdleTimeout+br.ResetOnExpire, br.LRUEviction, br.EarlyDrop, refused)
	switch {
	case target.Overall(js) == target.Undecided:
		return &Diagnosis{Cause: "undecided", Text: fmt.Sprintf(
			"no value was shown to meet the target: the runs are too short for its bounds even at %v; raise --budget or the scenario's duration or clients", lo)}
	case top == 0:
		var missed []string
		for _, j := range js {
			if j.Status != target.Met {
				missed = append(missed, string(j.Metric))
			}
		}
		return &Diagnosis{Cause: "limit", Text: fmt.Sprintf(
			"no connection broke at %v, yet %s missed the target: the limit is beyond what the keepalive controls (loss, delivery delay)", lo, strings.Join(slices.Compact(missed), ", "))}
	case br.LRUEviction == top:
		bi, _ := busiest(func(b sim.BoxResult) float64 { return b.Evictions })
		m := cfg.Path[bi]
		return &Diagnosis{Cause: "capacity", Text: fmt.Sprintf(
			"LRU evictions break connections at every value down to %v: the table of %s holds %d entries for %d clients crossing it; "+
				"it is too small for the population and no keepalive helps; a capacity of at least %[4]d, one entry per connection, would help",
			lo, m.Name, m.Capacity, clientsThrough(cfg, bi))}
	case refused == top:
		bi, _ := busiest(func(b sim.BoxResult) float64 { return b.RefusedOpens })
		m := cfg.Path[bi]
		return &Diagnosis{Cause: "refused", Text: fmt.Sprintf(
			"the full table of %s (capacity %d, when_full refuse) refuses new connections at every value down to %v: a keepalive cannot help; more capacity, or fewer clients per box, would",
			m.Name, m.Capacity, lo)}
	case br.EarlyDrop == top:
		bi, _ := busiest(func(b sim.BoxResult) float64 { return b.EarlyDrops })
		m := cfg.Path[bi]
		return &Diagnosis{Cause: "early_drop", Text: fmt.Sprintf(
			"the full table of %s (capacity %d, when_full early-drop) drops entries at every value down to %v: it is too small for the population; more capacity would help, not keepalives",
			m.Name, m.Capacity, lo)}
	}
	for bi, m := range cfg.Path {
		if m.RefreshOnKeepalive || !on(bi) {
			continue
		}
		for _, g := range cfg.Groups {
			if g.Keepalive.Type == sim.KeepaliveTCP && slices.Contains(cfg.PathOf(&g), bi) {
				return &Diagnosis{Cause: "keepalive_ignored", Text: fmt.Sprintf(
					"%s ignores TCP keepalive probes (refresh_on_keepalive: false), so group %s's connections expire after %v idle whatever the keepalive: "+
						"use an app heartbeat (natsim advise --compare tcp,app)", m.Name, g.Name, m.Timeouts.TCPEstablished)}
			}
		}
	}
	bi, _ := busiest(func(b sim.BoxResult) float64 { return b.Breaks })
	m := cfg.Path[bi]
	return &Diagnosis{Cause: "range", Text: fmt.Sprintf(
		"connections still expire idle at %v, the smallest value of the range: %s forgets idle flows after %v (tcp) / %v (udp stream); widen the range below it",
		lo, m.Name, m.Timeouts.TCPEstablished, m.Timeouts.UDPStream)}
}

// serverBinds reports whether the requests of group name at e fail
// because of the server's keep-alive timeout rather than a box's table:
// most of them were answered 502 by an L7 box (its backend connection
// closed under it), or met a closed connection while no box on the
// path lost an entry. It then names the L7 box (or "server") and the
// server's keep-alive timeout.
func serverBinds(e *eval, name string) (box, timeout string, ok bool) {
	cfg := &e.sc.Config
	gi := slices.IndexFunc(cfg.Groups, func(g sim.Group) bool { return g.Name == name })
	if gi < 0 || cfg.Groups[gi].Requests == nil || cfg.Groups[gi].ServerKeepalive <= 0 {
		return "", "", false
	}
	var f sim.RequestsFailed
	var breaks float64
	for _, g := range groupRuns(e.runs, gi) {
		f.LB502 += g.RequestsFailed.LB502
		f.ClosedOnReuse += g.RequestsFailed.ClosedOnReuse
		f.Total += g.RequestsFailed.Total
		breaks += g.Breaks.Total
	}
	timeout = fmt.Sprintf("server keepalive_timeout %v", cfg.Groups[gi].ServerKeepalive)
	path := cfg.PathOf(&cfg.Groups[gi])
	switch {
	case f.Total == 0:
		return "", "", false
	case 2*f.LB502 > f.Total && len(path) > 0:
		return cfg.Path[path[len(path)-1]].Name, timeout + " behind it", true
	case 2*f.ClosedOnReuse > f.Total && breaks == 0:
		return "server", timeout, true
	}
	return "", "", false
}

// clientsThrough counts the clients whose path crosses box bi.
func clientsThrough(cfg *sim.Config, bi int) int {
	n := 0
	for i := range cfg.Groups {
		if slices.Contains(cfg.PathOf(&cfg.Groups[i]), bi) {
			n += cfg.Groups[i].Count
		}
	}
	return n
}
