package sweep

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// points loads the LRU example, scaled down to clients, swept over
// capacities.
func points(t testing.TB, clients int, capacities string) ([]scenarios.Point, []string) {
	t.Helper()
	return sweepOf(t, "lru-cyclic-collapse.yaml", "path.small-nat.capacity", capacities,
		"duration=15m", "warmup=2m", "clients.app.count="+strconv.Itoa(clients), "replications=2")
}

// sweepOf loads a shipped example with sets and sweeps key over values
// (a --param's VALUES).
func sweepOf(t testing.TB, example, key, values string, sets ...string) ([]scenarios.Point, []string) {
	t.Helper()
	sc, err := scenarios.Load("../../scenarios/"+example, sets)
	if err != nil {
		t.Fatal(err)
	}
	p, err := scenarios.ParseParam(key + "=" + values)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := sc.Points(p)
	if err != nil {
		t.Fatal(err)
	}
	return pts, []string{key}
}

// written runs a sweep on two workers and writes it: its result and
// output files.
func written(t *testing.T, pts []scenarios.Point, keys []string) (*Result, map[string]string) {
	t.Helper()
	res, err := Run(context.Background(), pts, keys, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := res.Write(dir); err != nil {
		t.Fatal(err)
	}
	return res, outputs(t, dir)
}

func outputs(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range []string{"sweep.csv", "sweep.json", "runs.csv", "timeseries.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(data)
	}
	return out
}

func TestSameOutputWhateverTheJobs(t *testing.T) {
	pts, keys := points(t, 400, "200,380,420")
	var got []map[string]string
	for _, jobs := range []int{1, 2} {
		res, err := Run(context.Background(), pts, keys, jobs, nil)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := res.Write(dir); err != nil {
			t.Fatal(err)
		}
		got = append(got, outputs(t, dir))
	}
	for name := range got[0] {
		if got[0][name] != got[1][name] {
			t.Errorf("%s differs between --jobs 1 and --jobs 2", name)
		}
	}
	rows, _ := csv.NewReader(strings.NewReader(got[0]["sweep.csv"])).ReadAll()
	if len(rows) != 4 || !slices.Equal(rows[0][:4], []string{"path.small-nat.capacity", "group", "clients", "client_hours"}) {
		t.Fatalf("sweep.csv header %v (%d rows)", rows[0][:4], len(rows))
	}
	for _, col := range []string{"ci95.breaks_per_1000_client_hours", "middleboxes.small-nat.mean_occupancy", "middleboxes.small-nat.ci95.mean_occupancy"} {
		if !slices.Contains(rows[0], col) {
			t.Errorf("sweep.csv has no column %s", col)
		}
	}
	runs, _ := csv.NewReader(strings.NewReader(got[0]["runs.csv"])).ReadAll()
	if len(runs) != 1+3*2 {
		t.Fatalf("runs.csv has %d rows, want 6 and a header", len(runs)-1)
	}
}

// stopAfter cancels its context once n runs have finished.
type stopAfter struct {
	mu   sync.Mutex
	n    int
	stop context.CancelFunc
}

func (s *stopAfter) Reached(int, time.Duration) {}
func (s *stopAfter) Finished(int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n--; s.n == 0 {
		s.stop()
	}
}

func TestInterruptedSweepWritesFinishedPoints(t *testing.T) {
	pts, keys := points(t, 400, "200,300,380,420,500,600")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := &stopAfter{n: 2, stop: cancel} // one point's two replications
	res, err := Run(ctx, pts, keys, 1, obs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial || res.PointsDone == 0 || res.PointsDone >= len(pts) {
		t.Fatalf("partial %v, %d of %d points", res.Partial, res.PointsDone, len(pts))
	}
	dir := filepath.Join(t.TempDir(), "out")
	out, err := outdir.Create(dir, outdir.Options{Scenario: res.Scenario})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Write(out.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(out.Dir()); err == nil {
		t.Fatal("a folder without its manifest loads")
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	back, series, err := Load(dir)
	if err != nil || !back.Partial || back.PointsDone != res.PointsDone || len(back.Rows) != res.PointsDone || len(series) == 0 {
		t.Fatalf("reloaded: %v, partial %v, %d rows", err, back.Partial, len(back.Rows))
	}
	rows, err := csv.NewReader(strings.NewReader(outputs(t, dir)["sweep.csv"])).ReadAll()
	if err != nil || len(rows) != 1+res.PointsDone {
		t.Fatalf("sweep.csv: %v, %d rows", err, len(rows))
	}
}

// BenchmarkSweepTwoJobs measures the speed-up of 2 workers over 1 on a
// sweep of 8 equal points, interleaving the two so that both see the same
// machine; it reports the median ratio over b.N pairs.
func BenchmarkSweepTwoJobs(b *testing.B) {
	pts, keys := points(b, 4000, "3800,3800,3800,3800,3800,3800,3800,3800")
	for i := range pts {
		pts[i].Scenario.Replications = 1
	}
	var ratios []float64
	for range b.N {
		var took [2]time.Duration
		for i, jobs := range []int{1, 2} {
			batch.TuneGC(0, len(pts), jobs) // as natsim sweep --jobs N does
			start := time.Now()
			if _, err := Run(context.Background(), pts, keys, jobs, nil); err != nil {
				b.Fatal(err)
			}
			took[i] = time.Since(start)
		}
		ratios = append(ratios, float64(took[0])/float64(took[1]))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "speedup(2jobs/1job)")
}

// TestDefaultDirStaysInside: whatever the name, the default folder is one
// plain folder inside natsim-out.
func TestDefaultDirStaysInside(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"../../../../escape", "a/b", "/abs", "a\x00b", "x\ny", "..", ""} {
		dir := DefaultDir(name, now)
		if filepath.Dir(dir) != "natsim-out" || strings.HasPrefix(filepath.Base(dir), ".") || strings.ContainsAny(dir, "\x00\n") {
			t.Errorf("DefaultDir(%q) = %q", name, dir)
		}
	}
}

// TestLoadRefusesAMissingMetric: a sweep.json whose results lack a
// metric (a field renamed since it was written) is refused with the
// metric's name, rather than read as zeros; so is a field it does not
// know.
func TestLoadRefusesAMissingMetric(t *testing.T) {
	res := &Result{Version: sim.Version, Scenario: "s", Keys: []Key{}, Points: []Point{{Values: map[string]any{},
		Result: &sim.Result{Groups: []sim.GroupResult{{Name: "app"}}, Middleboxes: []sim.BoxResult{{Name: "nat"}}}}}}
	var doc map[string]any
	if err := json.Unmarshal(must(json.Marshal(res)), &doc); err != nil {
		t.Fatal(err)
	}
	load := func(edit func(group, box map[string]any)) error {
		t.Helper()
		var d map[string]any
		json.Unmarshal(must(json.Marshal(doc)), &d) // a deep copy
		r := d["points"].([]any)[0].(map[string]any)["result"].(map[string]any)
		edit(r["groups"].([]any)[0].(map[string]any), r["middleboxes"].([]any)[0].(map[string]any))
		dir := filepath.Join(t.TempDir(), "out")
		out, err := outdir.Create(dir, outdir.Options{Scenario: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out.Dir(), "sweep.json"), must(json.Marshal(d)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := out.Commit(); err != nil {
			t.Fatal(err)
		}
		_, _, err = Load(dir)
		return err
	}
	if err := load(func(_, _ map[string]any) {}); err != nil {
		t.Fatalf("a complete result: %v", err)
	}
	for _, c := range []struct {
		edit func(group, box map[string]any)
		want string
	}{
		{func(g, _ map[string]any) { delete(g, "refused_opens") }, `group app has no metric "refused_opens"`},
		{func(g, _ map[string]any) { delete(g["overhead"].(map[string]any), "keepalive_bytes") }, `has no metric "overhead.keepalive_bytes"`},
		{func(_, b map[string]any) { delete(b, "mean_occupancy") }, `middlebox nat has no metric "mean_occupancy"`},
		{func(_, b map[string]any) { b["mean_occupancy_ci95"] = 1 }, `unknown field "mean_occupancy_ci95"`},
	} {
		if err := load(c.edit); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error with %q", err, c.want)
		}
	}
}

func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

func TestGetPanicsOnAnUnknownMetric(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "no-such-metric") {
			t.Errorf("recovered %v", r)
		}
	}()
	Row{}.Get("no-such-metric")
}

// TestLoadSeriesNamesABadNumber: a time series with a field that is not a
// number is refused with the file, line and column, not read as 0.
func TestLoadSeriesNamesABadNumber(t *testing.T) {
	file := filepath.Join(t.TempDir(), "timeseries.csv")
	good := "k_s,t_s,middlebox,capacity,occupancy,breaks\n60,0,nat,100,5,0\n60,60,nat,100,7,1\n"
	keys := []Key{{Key: "k", Name: "k_s", Unit: "s", Values: []string{"1m0s"}}}
	for _, c := range []struct{ data, want string }{
		{good, ""},
		{strings.Replace(good, ",7,", ",7x,", 1), "timeseries.csv:3: occupancy: "},
		{strings.Replace(good, "60,60,", "60,1m,", 1), "timeseries.csv:3: t_s: "},
		{strings.Replace(good, "60,60,", "61,60,", 1), `timeseries.csv:3: k_s: "61" is none of the key's values`},
		{strings.Replace(good, ",5,0\n", ",5,-1\n", 1), "timeseries.csv:2: breaks: "},
		{good + "60,120,nat,100\n", "timeseries.csv:4: a row has 4 fields, want 6"},
	} {
		if err := os.WriteFile(file, []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		rows, err := loadSeries(file, keys)
		switch {
		case c.want == "" && (err != nil || len(rows) != 2 || rows[1].Occupancy != 7 || rows[1].At != 60 || rows[1].Params[0] != "1m0s"):
			t.Errorf("good file: %v, %+v", err, rows)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("got %v, want an error with %q", err, c.want)
		}
	}
}

// TestKeysGiveDurationsInSeconds: a key swept over durations is named
// with _s and its points carry seconds; numbers stay numbers, other
// values text; each reads back to the value as written.
func TestKeysGiveDurationsInSeconds(t *testing.T) {
	mk := func(vals ...string) []scenarios.Point {
		var pts []scenarios.Point
		for _, v := range vals {
			pts = append(pts, scenarios.Point{Values: []scenarios.Value{{Key: "k", Value: v}}})
		}
		return pts
	}
	for _, c := range []struct {
		vals       []string
		name       string
		want       any // the first value as points carry it
		wantString string
	}{
		{[]string{"0", "1m14.5s"}, "k_s", 0.0, "1m14.5s"},
		{[]string{"1m14.5s", "2h"}, "k_s", 74.5, "1m14.5s"},
		{[]string{"1000", "2000"}, "k", 1000.0, "1000"},
		{[]string{"lru", "refuse"}, "k", "lru", "lru"},
	} {
		k := keysOf([]string{"k"}, mk(c.vals...))[0]
		if k.Name != c.name || k.value(c.vals[0]) != c.want {
			t.Errorf("%v: name %s, first value %v; want %s, %v", c.vals, k.Name, k.value(c.vals[0]), c.name, c.want)
		}
		if w, ok := k.written(text(k.value(c.vals[1]))); !ok || w != c.vals[1] {
			t.Errorf("%v: %v reads back as %q %v", c.vals, k.value(c.vals[1]), w, ok)
		}
	}
}

// TestTimeoutsAreThoseOfEveryPoint: a timeout swept over the points is
// no mark on a chart; one that every point shares is, for the protocols
// the groups use.
func TestTimeoutsAreThoseOfEveryPoint(t *testing.T) {
	point := func(established float64) Point {
		return Point{Result: &sim.Result{Groups: []sim.GroupResult{{Protocol: "tcp"}}, Middleboxes: []sim.BoxResult{
			{Name: "a", Timeouts: sim.Timeouts{TCPEstablished: 350, UDP: 30}},
			{Name: "b", Timeouts: sim.Timeouts{TCPEstablished: established}},
		}}}
	}
	res := &Result{Points: []Point{point(60), point(120)}}
	if got, want := res.Timeouts(), []Timeout{{"a", "tcp_established", 350}}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestMixedPathsRows: a group that mixes paths has a row of its own in
// sweep.csv and runs.csv, followed by a row per path (GROUP.paths.I),
// and sweep.json holds the paths in the group's result.
func TestMixedPathsRows(t *testing.T) {
	pts, keys := sweepOf(t, "iot-fleet-cheap-and-good-routers.yaml", "clients.devices.paths.0.weight", "0,1",
		"duration=20m", "warmup=2m", "clients.devices.count=100", "replications=1")
	_, out := written(t, pts, keys)
	for _, file := range []string{"sweep.csv", "runs.csv"} {
		rows, err := csv.NewReader(strings.NewReader(out[file])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		head := rows[0]
		group, clients := slices.Index(head, "group"), slices.Index(head, "clients")
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0]+" "+r[group]+" "+r[clients])
		}
		// At weight 0 no device is behind a cheap router.
		if len(got) != 6 || got[0] != "0 devices 100" || got[1] != "0 devices.paths.0 0" || got[2] != "0 devices.paths.1 100" || got[3] != "1 devices 100" {
			t.Errorf("%s rows (weight, group, clients): %v", file, got)
		}
	}
	if !strings.Contains(out["sweep.json"], `"name": "devices.paths.1"`) || !strings.Contains(out["sweep.json"], `"via": [`) {
		t.Errorf("sweep.json lacks the paths")
	}
}

// TestOptionalSectionsInTheCSVs: the adaptive heartbeats', the server's
// GOAWAY and the radio's numbers are columns of sweep.csv and runs.csv,
// filled for the groups that have them (from the result structs read
// field by field here, not through sim.Flatten) and empty for the
// others.
func TestOptionalSectionsInTheCSVs(t *testing.T) {
	adaptive := map[string]func(a *sim.AdaptiveResult) float64{
		"adaptive.keepalive_interval_s.p10":  func(a *sim.AdaptiveResult) float64 { return a.Interval.P10 },
		"adaptive.keepalive_interval_s.p50":  func(a *sim.AdaptiveResult) float64 { return a.Interval.P50 },
		"adaptive.keepalive_interval_s.p90":  func(a *sim.AdaptiveResult) float64 { return a.Interval.P90 },
		"adaptive.keepalive_interval_s.mean": func(a *sim.AdaptiveResult) float64 { return a.Interval.Mean },
		"adaptive.failures":                  func(a *sim.AdaptiveResult) float64 { return a.Failures },
		"adaptive.failure_reconnects":        func(a *sim.AdaptiveResult) float64 { return a.FailureReconnects },
	}
	// want gives a column's field for group g: empty without the section.
	want := func(col string, g sim.GroupResult) (string, bool) {
		switch f, ok := adaptive[col]; {
		case ok && g.Adaptive == nil, col == "server.goaways" && g.Server == nil:
			return "", true
		case ok:
			return num(f(g.Adaptive)), true
		case col == "server.goaways":
			return num(g.Server.GoAways), true
		case col == "radio.energy_j_per_client_hour" && g.Radio == (sim.RadioResult{}):
			return "", true
		case col == "radio.energy_j_per_client_hour":
			return num(g.Radio.EnergyJPerClientHour), true
		}
		return "", false
	}
	for _, tc := range []struct {
		example string
		sets    []string
		has     []string // sections some group must have
	}{
		{"messaging-mars-vs-fixed.yaml", []string{"clients.mars.count=100", "clients.fixed-270s.count=100"}, []string{"adaptive"}},
		{"grpc-too-many-pings.yaml", []string{"clients.grpc.count=100"}, []string{"server"}},
		{"messaging-app-lte-radio.yaml", []string{"clients.beat-270s.count=100", "clients.beat-28m.count=100"}, []string{"radio"}},
	} {
		t.Run(tc.example, func(t *testing.T) {
			pts, keys := sweepOf(t, tc.example, "network.rtt", "40ms,80ms", append(tc.sets, "duration=1h", "warmup=0s", "replications=2")...)
			res, out := written(t, pts, keys)
			// The groups of each CSV row, in row order.
			var perRow = map[string][]sim.GroupResult{}
			for pi, p := range res.Points {
				perRow["sweep.csv"] = append(perRow["sweep.csv"], p.Result.Groups...)
				for _, r := range res.runs[pi] {
					perRow["runs.csv"] = append(perRow["runs.csv"], r.Groups...)
				}
			}
			seen := map[string]bool{}
			for file, groups := range perRow {
				rows, err := csv.NewReader(strings.NewReader(out[file])).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != 1+len(groups) {
					t.Fatalf("%s: %d rows, want %d", file, len(rows)-1, len(groups))
				}
				checked := 0
				for ci, col := range rows[0] {
					for ri, g := range groups {
						w, ok := want(col, g)
						if !ok {
							break
						}
						checked++
						if got := rows[1+ri][ci]; got != w {
							t.Errorf("%s row %d (%s) %s = %q, want %q", file, ri+1, g.Name, col, got, w)
						}
						if w != "" {
							seen[strings.SplitN(col, ".", 2)[0]] = true
						}
					}
				}
				if checked != len(groups)*(len(adaptive)+2) {
					t.Errorf("%s: %d fields checked, want %d: a column is missing", file, checked, len(groups)*(len(adaptive)+2))
				}
			}
			for _, s := range tc.has {
				if !seen[s] {
					t.Errorf("no group had a %s section", s)
				}
			}
		})
	}
}
