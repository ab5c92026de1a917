package review

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/plots"
)

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
	c, err := Tradeoff("t", []TradeLine{{Name: "g", Points: ps}}, tgt)
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
	_, err := Tradeoff("t", []TradeLine{{Name: "a", Points: []TradePoint{tp("x", 1, 0)}}, {Name: "b", Points: []TradePoint{tp("y", 2, 1)}}}, target.Target{})
	if !errors.Is(err, ErrNotApplicable) {
		t.Errorf("err %v, want not applicable", err)
	}
}
