package review

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/plots"
	"github.com/natsim/natsim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden chart data")

// TestChartsFromFixedResults builds every chart from a small fixed result
// set: the image must decode (PNG) or parse (SVG), and the data behind it
// must match the golden CSV (regenerate with go test -update).
func TestChartsFromFixedResults(t *testing.T) {
	res, series, err := sweep.Load(filepath.Join("testdata", "sweep"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			c, err := build1(name, res, series)
			if err != nil {
				t.Fatal(err)
			}
			if c.Finding == "" || !strings.HasSuffix(c.Finding, ".") {
				t.Errorf("finding %q", c.Finding)
			}
			var img bytes.Buffer
			if err := plots.Render(&img, c.Figure, "png"); err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(&img); err != nil {
				t.Fatal(err)
			}
			img.Reset()
			if err := plots.Render(&img, c.Figure, "svg"); err != nil {
				t.Fatal(err)
			}
			for dec := xml.NewDecoder(&img); ; {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("svg: %v", err)
				}
			}
			var got bytes.Buffer
			w := csv.NewWriter(&got)
			w.WriteAll(c.Data)
			golden := filepath.Join("testdata", "golden", name+".csv")
			if *update {
				os.WriteFile(golden, got.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("data differs from %s:\n%s", golden, got.String())
			}
		})
	}
}

func TestFindingsSayTheAnswer(t *testing.T) {
	res, series, _ := sweep.Load(filepath.Join("testdata", "sweep"))
	want := map[string]string{
		// Without a target, at most 1 break per 1000 client-hours shown
		// at 95%: 0 breaks in 3 x 1000 client-hours bound the rate below
		// 1000 x -ln(0.05) / 3000 = 0.9986.
		"tradeoff": "app (path.nat.capacity=2000): the cheapest point meeting the target (breaks_per_1000_client_hours <= 1, at 95% confidence) " +
			"is clients.app.keepalive.idle=300s, at 960 bytes per client-hour; there 0 breaks in 3,000 client-hours: < 0.999 per 1,000 at 95%",
		"breaks-vs": "app (path.nat.capacity=1000) has no breaks up to clients.app.keepalive.idle=60s (0 breaks in 3,000 client-hours: < 0.999 per 1,000 at 95%), " +
			"at a cost of 4800 bytes per client-hour; at 300s it has 120 per 1000 client-hours",
		"heatmap": "app: breaks are fewest (0 breaks in 3,000 client-hours: < 0.999 per 1,000 at 95%) at clients.app.keepalive.idle=60s, path.nat.capacity=1000 " +
			"and most (900 per 1000 client-hours) at clients.app.keepalive.idle=2h, path.nat.capacity=1000",
		"occupancy": "nat holds at most 950 entries",
	}
	for name, w := range want {
		c, err := build1(name, res, series)
		if err != nil || !strings.Contains(c.Finding, w) {
			t.Errorf("%s: %v\n got %q\nwant %q", name, err, c.Finding, w)
		}
	}
}

func TestNotApplicable(t *testing.T) {
	res, _, _ := sweep.Load(filepath.Join("testdata", "sweep"))
	res.Keys = res.Keys[:1]
	for i := range res.Rows {
		res.Rows[i].Params = res.Rows[i].Params[:1]
	}
	if _, err := Build("heatmap", res, nil); err == nil || !strings.Contains(err.Error(), "two swept keys") {
		t.Errorf("heatmap with one key: %v", err)
	}
	if _, err := Build("occupancy", res, nil); err == nil {
		t.Error("occupancy without a time series")
	}
}

func TestReportMentionsEverything(t *testing.T) {
	res, series, _ := sweep.Load(filepath.Join("testdata", "sweep"))
	dir := t.TempDir()
	written, skipped, err := WriteAll(dir, res, series, "png")
	if err != nil || len(written) != len(Names) || len(skipped) != 0 {
		t.Fatalf("written %d skipped %v err %v", len(written), skipped, err)
	}
	for _, c := range written {
		if _, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(c.File, ".png")+".csv")); err != nil {
			t.Errorf("no data beside %s", c.File)
		}
	}
}

// TestFindingsNameEachLinesOwnKey: when a sweep varies a different key
// for each group (scenarios/tcp-vs-app-keepalive-4min.yaml), a finding
// about a group names that group's key and value, not the first key's.
func TestFindingsNameEachLinesOwnKey(t *testing.T) {
	res := &sweep.Result{Scenario: "two-keys", Groups: []string{"tcp", "app"},
		Keys: []sweep.Key{{Key: "clients.tcp.keepalive.idle"}, {Key: "clients.app.keepalive.interval"}}}
	for _, idle := range []string{"60s", "300s"} {
		for _, interval := range []string{"60s", "300s"} {
			for _, g := range res.Groups {
				row := sweep.Row{Params: []string{idle, interval}, Group: g, Metrics: sim.GroupResult{Name: g,
					Breaks: sim.Breaks{Total: 1}, Detection: sim.Latency{P99: 10}}}
				if g == "app" && interval == "300s" {
					row.Metrics.Detection.P99 = 400
				}
				res.Rows = append(res.Rows, row)
			}
		}
	}
	c, err := build1("detection", res, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "(app at clients.app.keepalive.interval=300s)"; !strings.Contains(c.Finding, want) {
		t.Errorf("detection finding %q, want it to say %q", c.Finding, want)
	}
	c, err = build1("breaks-vs", res, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "clients.tcp.keepalive.idle / clients.app.keepalive.interval"; !strings.Contains(c.Figure.(plots.Chart).XLabel, want) {
		t.Errorf("breaks-vs axis %q, want both keys", c.Figure.(plots.Chart).XLabel)
	}
	for _, want := range []string{"tcp has no breaks at any swept clients.tcp.keepalive.idle", "app has no breaks at any swept clients.app.keepalive.interval"} {
		if !strings.Contains(c.Finding, want) {
			t.Errorf("breaks-vs finding %q, want it to say %q", c.Finding, want)
		}
	}
}

// TestZippedKeysVaryAlongOneLine: when each group's key moves with the
// other's (zip:), a group's line has every point (the other group's key
// is not held at its first value), and the heatmap, which would be a
// diagonal, does not apply.
func TestZippedKeysVaryAlongOneLine(t *testing.T) {
	res := &sweep.Result{Scenario: "zipped", Groups: []string{"tcp", "app"},
		Keys: []sweep.Key{{Key: "clients.tcp.keepalive.idle"}, {Key: "clients.app.keepalive.interval"}}}
	res.Zip = [][]string{{"clients.tcp.keepalive.idle", "clients.app.keepalive.interval"}}
	for _, v := range []string{"60s", "120s", "300s"} {
		for _, g := range res.Groups {
			res.Rows = append(res.Rows, sweep.Row{Params: []string{v, v}, Group: g, Metrics: sim.GroupResult{Name: g}})
		}
	}
	c, err := build1("breaks-vs", res, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Figure.(plots.Chart).Series {
		if !s.Dashed && len(s.Points) != 3 {
			t.Errorf("line %s has %d points, want 3", s.Name, len(s.Points))
		}
	}
	if _, err := Build("heatmap", res, nil); err == nil || !strings.Contains(err.Error(), "vary independently") {
		t.Errorf("heatmap of zipped keys: %v", err)
	}
}

// TestTradeoffFindingJudgesBounds: a sweep too short to show the target
// says so, with the exposure that would; a target of the sweep's own
// replaces the default.
func TestTradeoffFindingJudgesBounds(t *testing.T) {
	res, series, _ := sweep.Load(filepath.Join("testdata", "sweep"))
	short := *res
	short.Rows = slices.Clone(res.Rows)
	for i := range short.Rows {
		short.Rows[i].Metrics.ClientHours /= 10 // 0 breaks in 300 client-hours: < 9.99 per 1000
	}
	c, err := build1("tradeoff", &short, series)
	// 1000 x -ln(0.05) / 1 = 2996 client-hours would show 1 per 1000.
	want := "app (path.nat.capacity=2000): no point shows the target (breaks_per_1000_client_hours <= 1, at 95% confidence): the runs are too short; " +
		"at clients.app.keepalive.idle=60s 0 breaks in 300 client-hours: < 9.99 per 1,000 at 95%, and about 2996 client-hours would show it"
	if err != nil || !strings.Contains(c.Finding, want) {
		t.Errorf("%v\n got %q\nwant %q", err, c.Finding, want)
	}
	var tgt target.Target
	tgt.Set(target.Downtime, 0.5)
	tgt.Confidence = 0.95
	res.Target = &tgt
	c, err = build1("tradeoff", res, series)
	if err != nil || !strings.Contains(c.Finding, "the cheapest point meeting the target (downtime_fraction <= 0.5, at 95% confidence)") {
		t.Errorf("%v: %q", err, c.Finding)
	}
}

// build1 builds a chart of which there must be one.
func build1(name string, res *sweep.Result, series []sweep.SeriesRow) (*Chart, error) {
	cs, err := Build(name, res, series)
	if err != nil {
		return nil, err
	}
	if len(cs) != 1 {
		return nil, fmt.Errorf("%s: %d charts, want 1", name, len(cs))
	}
	return cs[0], nil
}

func tp(label string, cost, breaks float64) TradePoint {
	return TradePoint{Label: label, At: "k=" + label, Cost: cost, Breaks: sweep.Stat{Mean: breaks}, BreaksUpper: breaks + 1}
}

// TestFront: hand-made points; b (cost 200, 5 breaks) is beaten by a
// (100, 5: cheaper, as few), d (400, 0) by c (300, 0), f (250, 6) by a;
// e ties a exactly and stays. The front in order of cost: a, e, c, then
// g (50, 9), cheapest of all, first.
func TestFront(t *testing.T) {
	ps := []TradePoint{tp("a", 100, 5), tp("b", 200, 5), tp("c", 300, 0), tp("d", 400, 0), tp("e", 100, 5), tp("f", 250, 6), tp("g", 50, 9)}
	var got []string
	for _, i := range Front(ps) {
		got = append(got, ps[i].Label)
	}
	if want := []string{"g", "a", "e", "c"}; !slices.Equal(got, want) {
		t.Errorf("front %v, want %v", got, want)
	}
}

// TestTradeoffChart: the front is the one joined series, the beaten
// points are markers alone, the cheapest point meeting the target
// (target.Cheapest: c, the one of no breaks whose bound 1 meets a
// limit of 2, cheaper than d) is ringed, the limit is a level, and a
// point without breaks is labelled with its bound, never 0 ± 0.
func TestTradeoffChart(t *testing.T) {
	var tgt target.Target
	tgt.Set(target.Breaks, 2)
	tgt.Confidence = 0.95
	ps := []TradePoint{tp("a", 100, 5), tp("b", 200, 5), tp("c", 300, 0), tp("d", 400, 0)}
	for i := range ps {
		status := target.Missed
		if ps[i].Breaks.Mean == 0 {
			status = target.Met
		}
		ps[i].Judged = []target.Judgement{{Metric: target.Breaks, Status: status, Upper: ps[i].BreaksUpper, Limit: 2}}
	}
	c, err := Tradeoff("t", target.Costs[0], []TradeLine{{Name: "g", Points: ps}}, tgt)
	if err != nil {
		t.Fatal(err)
	}
	fig := c.Figure.(plots.Chart)
	if fig.SymLogY != 2 || len(fig.Levels) != 1 || fig.Levels[0].Y != 2 {
		t.Errorf("axis threshold %v, levels %v: want 2 and the limit", fig.SymLogY, fig.Levels)
	}
	byName := map[string]plots.Series{}
	for _, s := range fig.Series {
		byName[s.Name] = s
	}
	xs := func(s plots.Series) (out []float64) {
		for _, p := range s.Points {
			out = append(out, p.X)
		}
		return out
	}
	if got := xs(byName["g"]); !slices.Equal(got, []float64{100, 300}) {
		t.Errorf("front at costs %v, want 100, 300", got)
	}
	if s := byName[beatenName]; !s.NoLine || !slices.Equal(xs(s), []float64{200, 400}) {
		t.Errorf("beaten %+v", s)
	}
	if s := byName[recommended]; !s.Ring || !slices.Equal(xs(s), []float64{300}) {
		t.Errorf("recommended %+v in %v", s, fig.Series)
	}
	for _, s := range fig.Series {
		for _, p := range s.Points {
			if p.X == 300 && p.Label != "" && (p.Label != "c (< 1)" || !p.Bound || p.Y != 0 || p.YErr != 1) {
				t.Errorf("zero-break point drawn as %+v, want at 0 with a bar up to its bound 1, labelled so", p)
			}
		}
	}
	if !strings.Contains(c.Finding, "is k=c, at 300 bytes per client-hour") {
		t.Errorf("finding %q", c.Finding)
	}
	for _, row := range c.Data[1:] {
		if row[3] == "0" && row[4] != "" {
			t.Errorf("zero breaks with a half-width: %v", row)
		}
	}
}

// TestTradeoffOfOnePoint: one point per line (a single run, a sweep of
// one point) draws no trade-off.
func TestTradeoffOfOnePoint(t *testing.T) {
	_, err := Tradeoff("t", target.Costs[0], []TradeLine{{Name: "a", Points: []TradePoint{tp("x", 1, 0)}}, {Name: "b", Points: []TradePoint{tp("y", 2, 1)}}}, target.Target{})
	if !errors.Is(err, ErrNotApplicable) {
		t.Errorf("err %v, want not applicable", err)
	}
}
