package sim

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestMetricNamesMatchTheResults ties the typed metric names to the
// result structs: GroupMetrics and BoxMetrics are exactly, in order, the
// names Flatten gives a GroupResult and a BoxResult, so a renamed or added
// JSON field fails here rather than turning into a chart of zeros.
func TestMetricNamesMatchTheResults(t *testing.T) {
	for _, c := range []struct {
		name  string
		table []Metric
		v     any
	}{
		{"GroupMetrics", GroupMetrics, GroupResult{CI95: &CI95{}}},
		{"BoxMetrics", BoxMetrics, BoxResult{}},
	} {
		var flat []Metric
		for _, m := range Flatten(c.v) {
			flat = append(flat, m.Name)
		}
		for _, m := range flat {
			if !slices.Contains(c.table, m) {
				t.Errorf("%T field %q has no name in %s", c.v, m, c.name)
			}
		}
		for _, m := range c.table {
			if !slices.Contains(flat, m) {
				t.Errorf("%s: %q is no field of %T", c.name, m, c.v)
			}
		}
		if !slices.Equal(flat, c.table) && !t.Failed() {
			t.Errorf("%s is not in field order:\n got %q\nwant %q", c.name, c.table, flat)
		}
	}
}

// TestEveryMetricConstantIsInATable reads metric.go: a constant of type
// Metric left out of GroupMetrics and BoxMetrics would escape the test
// above.
func TestEveryMetricConstantIsInATable(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "metric.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Metric" {
				continue
			}
			for i, name := range vs.Names {
				n++
				lit, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				m := Metric(lit)
				group := slices.Contains(GroupMetrics, m) && strings.HasPrefix(name.Name, "Group")
				box := slices.Contains(BoxMetrics, m) && strings.HasPrefix(name.Name, "Box")
				if !group && !box {
					t.Errorf("constant %s = %q is in neither table under its prefix", name.Name, m)
				}
			}
		}
	}
	if n != len(GroupMetrics)+len(BoxMetrics) {
		t.Errorf("%d Metric constants, %d names in the tables", n, len(GroupMetrics)+len(BoxMetrics))
	}
}

func TestFlattenNamesByJSONPath(t *testing.T) {
	ms := Flatten(GroupResult{Breaks: Breaks{Total: 3}, Detection: Latency{P99: 2}, CI95: &CI95{}})
	got := map[Metric]float64{}
	for _, m := range ms {
		got[m.Name] = m.Value
	}
	if got[GroupBreaksTotal] != 3 || got[GroupDetectionP99] != 2 || len(ms) != len(GroupMetrics) {
		t.Fatalf("%v", ms)
	}
	for _, m := range ms {
		if strings.Contains(string(m.Name), "ci95") || m.Name == "name" {
			t.Errorf("unexpected %s", m.Name)
		}
	}
}

func TestValueFindsEveryMetric(t *testing.T) {
	g := GroupResult{Overhead: Overhead{OverheadBytesPerClientHour: 7}}
	b := BoxResult{MeanEntryLifetimeS: 9}
	if v, ok := g.Value(GroupOverheadBytesPerClientHour); !ok || v != 7 {
		t.Errorf("group overhead %v %v", v, ok)
	}
	if v, ok := b.Value(BoxMeanEntryLifetimeS); !ok || v != 9 {
		t.Errorf("box lifetime %v %v", v, ok)
	}
	for _, m := range GroupMetrics {
		if _, ok := g.Value(m); !ok {
			t.Errorf("group metric %s not found", m)
		}
	}
	for _, m := range BoxMetrics {
		if _, ok := b.Value(m); !ok {
			t.Errorf("box metric %s not found", m)
		}
	}
	if _, ok := b.Value(GroupBreaksTotal); ok {
		t.Error("a group metric found in a box")
	}
}

// TestCIMirrorsTheResult: every half-width in a ci95 block sits at the
// path of a metric of the object that holds it, so that ci95.P is the
// half-width of P in both result.json and sweep.json.
func TestCIMirrorsTheResult(t *testing.T) {
	for _, c := range []struct {
		name      string
		ci, table []Metric
	}{{"GroupCIMetrics", GroupCIMetrics, GroupMetrics}, {"BoxCIMetrics", BoxCIMetrics, BoxMetrics}} {
		if len(c.ci) == 0 {
			t.Errorf("%s is empty", c.name)
		}
		for _, m := range c.ci {
			if !slices.Contains(c.table, m) {
				t.Errorf("%s: %q is no metric of the result", c.name, m)
			}
		}
	}
	g := GroupResult{CI95: &CI95{OverheadCI95: OverheadCI95{OverheadBytesPerClientHour: 5}}}
	if hw, ok := g.CI(GroupOverheadBytesPerClientHour); !ok || hw != 5 {
		t.Errorf("group overhead CI %v %v", hw, ok)
	}
	if _, ok := g.CI(GroupBreaksTotal); ok {
		t.Error("breaks.total has a CI")
	}
	if _, ok := (GroupResult{}).CI(GroupBreaksPer1000ClientHours); ok {
		t.Error("a group without replications has a CI")
	}
	if hw, ok := (BoxResult{CI95: &BoxCI95{MeanOccupancy: 2}}).CI(BoxMeanOccupancy); !ok || hw != 2 {
		t.Errorf("box CI %v %v", hw, ok)
	}
}
