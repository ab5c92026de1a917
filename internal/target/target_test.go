package target

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/sim"
)

// TestPoissonUpperAgainstTables: one-sided 95% and 99% upper limits of a
// Poisson mean, half the tabulated chi-square quantiles with 2k+2
// degrees of freedom (Abramowitz & Stegun, table 26.8: chi2(0.95; 2) =
// 5.9915, (0.95; 4) = 9.4877, (0.95; 6) = 12.5916, (0.95; 22) = 33.9244,
// (0.99; 2) = 9.2103, (0.99; 4) = 13.2767, (0.99; 22) = 40.2894), to the
// tables' digits. (A value of 17.0848 sometimes quoted for 10 events is
// the 97.5% bound of 9, chi2(0.975; 20) / 2.)
func TestPoissonUpperAgainstTables(t *testing.T) {
	for _, tc := range []struct {
		k, c, want float64
	}{
		{0, 0.95, 2.9957}, {1, 0.95, 4.7439}, {2, 0.95, 6.2958}, {10, 0.95, 16.9622},
		{0, 0.99, 4.6052}, {1, 0.99, 6.6384}, {10, 0.99, 20.1447}, {9, 0.975, 17.0848},
	} {
		if got := PoissonUpper(tc.k, tc.c); math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("PoissonUpper(%v, %v) = %.5f, want %.4f", tc.k, tc.c, got, tc.want)
		}
	}
	// Zero events: the closed form -ln(1-c).
	if got, want := PoissonUpper(0, 0.9), -math.Log(0.1); math.Abs(got-want) > 1e-12 {
		t.Errorf("PoissonUpper(0, 0.9) = %v, want %v", got, want)
	}
}

// TestTUpper: mean + t(c; n-1) s / sqrt(n), with t(0.95; 2) = 2.919986
// and t(0.95; 1) = 6.313752 from the t table.
func TestTUpper(t *testing.T) {
	got, ok := TUpper([]float64{1, 2, 3}, 0.95)
	if want := 2 + 2.919986/math.Sqrt(3); !ok || math.Abs(got-want) > 1e-5 {
		t.Errorf("TUpper(1,2,3) = %v, %v; want %v", got, ok, want)
	}
	if _, ok := TUpper([]float64{5}, 0.95); ok {
		t.Error("TUpper of one value gave a bound")
	}
}

func group(name string, hours, breaks float64) sim.GroupResult {
	return sim.GroupResult{Name: name, Clients: 100, ClientHours: hours, Breaks: sim.Breaks{Total: breaks},
		BreaksPer1000ClientHours: 1000 * breaks / hours}
}

func limit(x float64) *float64 { return &x }

// TestBreakBounds: the pooled Poisson bound and the t rule over
// replications, each computed here by hand from the tables above.
func TestBreakBounds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reps   []sim.GroupResult
		limit  float64
		upper  float64
		status Status
		needed float64
	}{
		// 0 breaks in 153 client-hours: 2.9957 / 153 x 1000 = 19.580.
		{"zero events", []sim.GroupResult{group("g", 153, 0)}, 1, 2.9957 / 153 * 1000, Undecided, 2995.7},
		{"zero events, long enough", []sim.GroupResult{group("g", 3000, 0)}, 1, 2.9957 / 3, Met, 0},
		// 10 in 1000 h: estimate 10 > 5: missed whatever the bound.
		{"missed", []sim.GroupResult{group("g", 1000, 10)}, 5, 16.9622, Missed, 0},
		// Poisson dominates: 6 in 3000 h, U(6) = chi2(0.95; 14) / 2 =
		// 23.6848 / 2 = 11.8424 ->
		// 3.9475 per 1000; t: 2 + 2.919986/sqrt(3) = 3.6859.
		{"poisson over t", []sim.GroupResult{group("g", 1000, 1), group("g", 1000, 2), group("g", 1000, 3)}, 10, 11.8424 / 3, Met, 0},
		// t dominates: rates 0 and 100, mean 50, s = 70.711,
		// 50 + 6.313752 x 70.711 / sqrt(2) = 365.69; Poisson 100 in
		// 2000 h is about 58.
		{"t over poisson", []sim.GroupResult{group("g", 1000, 0), group("g", 1000, 100)}, 400, 50 + 6.313752*50, Met, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := Judge(Target{BreaksPer1000ClientHours: limit(tc.limit), Confidence: 0.95}, time.Hour, tc.reps)
			if len(js) != 1 {
				t.Fatalf("%d judgements, want 1", len(js))
			}
			j := js[0]
			// Tolerance: the tables' last digit, scaled.
			if math.Abs(j.Upper-tc.upper) > 1e-3*tc.upper || j.Status != tc.status {
				t.Errorf("upper %v status %v, want %v %v", j.Upper, j.Status, tc.upper, tc.status)
			}
			if math.Abs(j.Needed-tc.needed) > 0.1 || j.NeededClientHours != j.Needed {
				t.Errorf("needed %v (%v client-hours), want %v", j.Needed, j.NeededClientHours, tc.needed)
			}
		})
	}
}

// TestNeededExposureWithEvents: at 1 per 1000 h observed against a limit
// of 2, the exposure E must satisfy U(E/1000) / E <= 2/1000; by the
// tables, 10 events in 10,000 h give 16.96/10 = 1.70 <= 2, while 4 in
// 4000 h give U(4) = 18.307 / 2 / 4 = 9.1535 / 4 = 2.29 > 2: E lies between.
func TestNeededExposureWithEvents(t *testing.T) {
	e := ExposureFor(0.001, 0.002, 0.95)
	if e <= 4000 || e > 10000 {
		t.Errorf("ExposureFor = %v, want in (4000, 10000]", e)
	}
	if PoissonUpper(math.Round(0.001*e), 0.95)/e > 0.002 {
		t.Errorf("at %v the bound is still above the limit", e)
	}
	if !math.IsInf(ExposureFor(0.003, 0.002, 0.95), 1) {
		t.Error("a rate above the limit needs no finite exposure")
	}
}

// TestDowntimeBound: outages are breaks; 2 breaks with 1 hour of
// downtime in 1000 client-hours give 6.2958 / 1000 x 0.5 h; none in a
// 10 h window give 2.9957 / 1000 x 10 h.
func TestDowntimeBound(t *testing.T) {
	g := group("g", 1000, 2)
	g.DowntimeFraction = 0.001
	j := Bound(Downtime, 10*time.Hour, []sim.GroupResult{g}, 0.95)
	if want := 6.2958 / 1000 * 0.5; math.Abs(j.Upper-want) > 1e-6 || j.Estimate != 0.001 {
		t.Errorf("upper %v estimate %v, want %v 0.001", j.Upper, j.Estimate, want)
	}
	j = Bound(Downtime, 10*time.Hour, []sim.GroupResult{group("g", 1000, 0)}, 0.95)
	if want := 2.9957 / 1000 * 10; math.Abs(j.Upper-want) > 1e-6 {
		t.Errorf("upper with no break %v, want %v", j.Upper, want)
	}
}

// TestPushDelayBound: the largest delay bounds the p99 at 95% from 299
// delays on (0.99^298 = 0.0500 > 0.05, 0.99^299 = 0.0495).
func TestPushDelayBound(t *testing.T) {
	if got := DrawsForQuantileBound(0.99, 0.95); got != 299 {
		t.Errorf("DrawsForQuantileBound = %v, want 299", got)
	}
	g := sim.GroupResult{Name: "g", ClientHours: 10, SentDown: 298, PushDelay: sim.Delay{P99: 1, Max: 3}}
	tgt := Target{PushDelayP99S: limit(5), Confidence: 0.95}
	if j := Judge(tgt, time.Hour, []sim.GroupResult{g})[0]; j.Status != Undecided || j.Needed != 299 {
		t.Errorf("298 delays: %v needing %v, want undecided needing 299", j.Status, j.Needed)
	}
	g.SentDown = 299
	if j := Judge(tgt, time.Hour, []sim.GroupResult{g})[0]; j.Status != Met || j.Upper != 3 {
		t.Errorf("299 delays: %v upper %v, want met, 3", j.Status, j.Upper)
	}
}

func TestParseFlag(t *testing.T) {
	for flag, want := range map[string]string{
		"breaks_per_1000_client_hours<=1":  "target.breaks_per_1000_client_hours=1",
		"lost_per_1000_messages <= 0.5":    "target.lost_per_1000_messages=0.5",
		"confidence=0.99":                  "target.confidence=0.99",
		"failed_per_million_requests<=100": "target.failed_per_million_requests=100",
		"downtime_fraction<=1e-4":          "target.downtime_fraction=0.0001",
	} {
		if key, value, err := FlagSet(flag); err != nil || key+"="+value != want {
			t.Errorf("--target %s: %s=%s %v, want %s", flag, key, value, err, want)
		}
	}
	for _, tc := range []struct{ flag, want string }{
		{"breaks<=1", `unknown metric "breaks"`},
		{"breaks_per_1000_client_hours=1", "want METRIC<=X"},
		{"breaks_per_1000_client_hours<=-1", "must be a number >= 0"},
		{"breaks_per_1000_client_hours<=x", `"x" is not a number`},
		{"downtime_fraction<=2", "at most 1"},
		{"confidence=1", "confidence must be in (0, 1)"},
	} {
		_, _, err := FlagSet(tc.flag)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--target "+tc.flag+": ") {
			t.Errorf("%s: %v, want %q", tc.flag, err, tc.want)
		}
	}
}

// TestCheapest: hand-built points; the cheapest meeting point, not the
// cheapest one, and none when nothing meets.
func TestCheapest(t *testing.T) {
	met := []Judgement{{Status: Met}}
	missed := []Judgement{{Status: Met}, {Status: Missed}}
	unsure := []Judgement{{Status: Undecided}}
	points := []Point{
		{Label: "1m", Cost: 400, Judgements: met},
		{Label: "2m", Cost: 200, Judgements: met},
		{Label: "3m", Cost: 150, Judgements: unsure},
		{Label: "4m", Cost: 100, Judgements: missed},
		{Label: "5m", Cost: 200, Judgements: met},
	}
	if i, ok := Cheapest(points); !ok || points[i].Label != "2m" {
		t.Errorf("Cheapest = %d %v, want 2m", i, ok)
	}
	if _, ok := Cheapest(points[2:4]); ok {
		t.Error("a point that does not meet the target was chosen")
	}
	if Overall(missed) != Missed || Overall(unsure) != Undecided || Overall(nil) != Met {
		t.Error("Overall")
	}
}

// TestJudgeAggregateAgrees: a sweep keeps only means and half-widths;
// the bounds pooled back from them are those of the replications
// themselves, for breaks and downtime (the t bound recovered from the
// 95% half-width by the ratio of t quantiles).
func TestJudgeAggregateAgrees(t *testing.T) {
	a, b := group("g", 1000, 0), group("g", 1000, 100)
	a.DowntimeFraction, b.DowntimeFraction = 0.01, 0.03
	runs := []*sim.RunResult{{Groups: []sim.GroupResult{a}}, {Groups: []sim.GroupResult{b}}}
	agg := sim.Aggregate(&sim.Config{}, runs).Groups[0]
	tgt := Target{BreaksPer1000ClientHours: limit(400), DowntimeFraction: limit(0.5), Confidence: 0.9}
	want := Judge(tgt, time.Hour, []sim.GroupResult{a, b})
	got := JudgeAggregate(tgt, time.Hour, agg, 2)
	for i := range want {
		if math.Abs(got[i].Upper-want[i].Upper) > 1e-9*want[i].Upper || got[i].Status != want[i].Status ||
			math.Abs(got[i].Events-want[i].Events) > 1e-9 {
			t.Errorf("%s: aggregate %+v, replications %+v", want[i].Metric, got[i], want[i])
		}
	}
}

// TestJudgePaths: a group of 1000 client-hours with 10 breaks, all on a
// path of 10 client-hours; the other path has 990 and none, a third was
// drawn by no client. By hand at 95%: the group's bound is
// chi2(0.95; 22) / 2 / 1000 x 1000 = 16.96 per 1000, under a limit of
// 100; the short path's estimate, 10 / 10 x 1000 = 1000, is above it
// (missed), its bound 16.9622 / 10 x 1000 = 1696.22; the long path's bound, 2.9957 / 990 x 1000 = 3.03, is under
// it; the empty path is not judged. A sweep's aggregate judges the same.
// The tolerance is the tables' last digit: 5e-5 in 2.9957 is 1.7e-5 of it.
func TestJudgePaths(t *testing.T) {
	g := group("cell", 1000, 10)
	short, long, none := group("cell.paths.0", 10, 10), group("cell.paths.1", 990, 0), sim.GroupResult{Name: "cell.paths.2"}
	g.Paths = []sim.PathResult{{Via: []string{"a", "b"}, Share: 0.01, GroupResult: short},
		{Via: []string{"c"}, Share: 0.99, GroupResult: long}, {Via: []string{"d"}, GroupResult: none}}
	tgt := Target{BreaksPer1000ClientHours: limit(100)}
	for name, js := range map[string][]Judgement{
		"Judge":          Judge(tgt, time.Hour, []sim.GroupResult{g}),
		"JudgeAggregate": JudgeAggregate(tgt, time.Hour, g, 1),
	} {
		if len(js) != 3 {
			t.Fatalf("%s: %d judgements, want the group's and two paths': %+v", name, len(js), js)
		}
		for i, want := range []struct {
			path   string
			status Status
			upper  float64
		}{{"", Met, 16.9622}, {"a then b", Missed, 1696.22}, {"c", Met, 2995.7 / 990}} {
			j := js[i]
			if j.Group != "cell" || j.Path != want.path || j.Status != want.status || math.Abs(j.Upper-want.upper) > 3e-5*want.upper {
				t.Errorf("%s %d: %+v, want path %q %s bound %.4f", name, i, j, want.path, want.status, want.upper)
			}
		}
		if Overall(js) != Missed || len(Whole(js)) != 1 || Overall(Whole(js)) != Met {
			t.Errorf("%s: the group's average passes, the path must fail the whole", name)
		}
	}
}

// TestFailedRequestsBound: 3 failed of 200,000 requests; by the chi2
// table chi2(0.95; 8) = 15.5073, so the bound is 7.75365 / 200,000 x 10^6
// = 38.768 per million, the estimate 15. Against 50 it is met, 10 missed
// (the estimate is above), 20 undecided. A group that issued no requests
// (a keepalive group) is not judged on it. Tolerance: the table's last digit.
func TestFailedRequestsBound(t *testing.T) {
	g := sim.GroupResult{Name: "api", ClientHours: 100, Requests: 200000, RequestsFailed: sim.RequestsFailed{Total: 3}}
	for _, tc := range []struct {
		limit  float64
		status Status
	}{{50, Met}, {10, Missed}, {20, Undecided}} {
		js := Judge(Target{FailedPerMillionRequests: limit(tc.limit), Confidence: 0.95}, time.Hour, []sim.GroupResult{g})
		if len(js) != 1 {
			t.Fatalf("%d judgements, want 1", len(js))
		}
		j := js[0]
		if math.Abs(j.Upper-38.768) > 1e-3 || j.Estimate != 15 || j.Events != 3 || j.Exposure != 200000 || j.Status != tc.status {
			t.Errorf("limit %v: %+v, want bound 38.768, estimate 15, %v", tc.limit, j, tc.status)
		}
		if tc.status == Undecided {
			// At 15 per million, 20 per million is shown by E requests with
			// U(15e-6 E) / E <= 20e-6; the client-hours at 200,000 per 100.
			if j.Needed <= 200000 || PoissonUpper(math.Round(15e-6*j.Needed), 0.95)/j.Needed > 20e-6*(1+1e-9) ||
				math.Abs(j.NeededClientHours-j.Needed/2000) > 1e-9*j.Needed {
				t.Errorf("needed %v requests, %v client-hours", j.Needed, j.NeededClientHours)
			}
		}
	}
	idle := sim.GroupResult{Name: "push", ClientHours: 100}
	if js := Judge(Target{FailedPerMillionRequests: limit(1)}, time.Hour, []sim.GroupResult{idle}); len(js) != 0 {
		t.Errorf("a group without requests was judged: %+v", js)
	}
	if m, x, err := ParseFlag("failed_per_million_requests<=100"); err != nil || m != FailedRequests || x != 100 {
		t.Errorf("--target failed_per_million_requests<=100: %v %v %v", m, x, err)
	}
}
