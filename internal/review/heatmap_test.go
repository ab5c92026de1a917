package review

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/plots"
	"github.com/natsim/natsim/sim"
)

// TestHeatmapPerGroup: a second group, "other", with ten times app's
// breaks at every point, gets a heat map of its own, and no cell mixes
// the two (the old map averaged them: 4769 = (3290.7 + 6248) / 2).
// app's cells without breaks are written as their bound, 0 breaks in
// 3000 client-hours: < 1000 x -ln(0.05) / 3000 = 0.999 per 1000.
func TestHeatmapPerGroup(t *testing.T) {
	res, _, err := sweep.Load(filepath.Join("testdata", "sweep"))
	if err != nil {
		t.Fatal(err)
	}
	two := *res
	two.Groups = []string{"app", "other"}
	two.Rows = nil
	for _, r := range res.Rows {
		two.Rows = append(two.Rows, r)
		o := r
		o.Group = "other"
		o.Metrics.BreaksPer1000ClientHours *= 10
		o.Metrics.Breaks.Total *= 10
		two.Rows = append(two.Rows, o)
	}
	cs, err := Build("heatmap", &two, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"heatmap-app", "heatmap-other"}) {
		t.Fatalf("charts %v, want one per group", names)
	}
	app, other := cs[0].Figure.(plots.Heatmap), cs[1].Figure.(plots.Heatmap)
	if !app.Log || !other.Log {
		t.Error("not on a log scale")
	}
	for _, r := range res.Rows {
		xi, yi := slices.Index(app.XTicks, r.Params[0]), slices.Index(app.YTicks, r.Params[1])
		want := r.Get(sim.GroupBreaksPer1000ClientHours).Mean
		if app.Z[yi][xi] != want || other.Z[yi][xi] != 10*want {
			t.Errorf("cell %s, %s: app %v, other %v, want %v and %v", r.Params[0], r.Params[1], app.Z[yi][xi], other.Z[yi][xi], want, 10*want)
		}
		if want == 0 && app.Text[yi][xi] != "< 0.999" {
			t.Errorf("cell %s, %s without breaks written %q, want < 0.999", r.Params[0], r.Params[1], app.Text[yi][xi])
		}
	}
	if !strings.Contains(cs[0].Finding, "app: breaks are fewest (0 breaks in 3,000 client-hours: < 0.999 per 1,000 at 95%) at ") {
		t.Errorf("finding %q", cs[0].Finding)
	}
}
