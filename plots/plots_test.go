package plots

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
)

func sample() Chart {
	return Chart{Title: "t", XLabel: "x", YLabel: "y", LogX: true,
		Series: []Series{
			{Name: "a", Points: []Point{{X: 0, Y: 1, YErr: 0.1, Label: "0s"}, {X: 10, Y: 2, Label: "10s"}, {X: 100, Y: math.NaN()}}},
			{Name: "cap", Dashed: true, Points: []Point{{X: 1, Y: 3}, {X: 100, Y: 3}}},
		},
		Marks: []Mark{{X: 50, Label: "timeout 50 s"}}}
}

// TestRenderFormats checks that each format decodes or parses.
func TestRenderFormats(t *testing.T) {
	for _, f := range []Figure{sample(), Heatmap{Title: "h", XLabel: "x", YLabel: "y", ZLabel: "z",
		XTicks: []string{"a", "b"}, YTicks: []string{"c", "d", "e"}, Z: [][]float64{{1, 2}, {3, 4}, {5, 6}}}} {
		var buf bytes.Buffer
		if err := Render(&buf, f, "png"); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil || img.Bounds().Dx() != 8*dpi {
			t.Fatalf("png: %v, %v wide", err, img.Bounds().Dx())
		}
		buf.Reset()
		if err := Render(&buf, f, "svg"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "@font-face") {
			t.Error("svg does not embed its fonts")
		}
		dec := xml.NewDecoder(&buf)
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("svg does not parse: %v", err)
			}
		}
		buf.Reset()
		if err := Render(&buf, f, "pdf"); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("%PDF")) {
			t.Fatalf("pdf: %v", err)
		}
	}
}

func TestLogAxisFloorIsSaid(t *testing.T) {
	p, err := sample().Plot()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Title.Text, "x values of 0 drawn at 0.1") {
		t.Errorf("title %q does not say where zero went", p.Title.Text)
	}
	if _, err := FormatOf("a.gif"); err == nil {
		t.Error("gif accepted")
	}
}

// TestDegenerateData draws charts from data that leaves an axis nothing
// to span: gonum/plot panics when a log axis meets a value <= 0, and an
// empty or flat range is widened by 1 on each side, which reaches 0.
func TestDegenerateData(t *testing.T) {
	pts := func(xys ...float64) []Point {
		var out []Point
		for i := 0; i < len(xys); i += 2 {
			out = append(out, Point{X: xys[i], Y: xys[i+1], Label: "p"})
		}
		return out
	}
	data := []struct {
		name   string
		points []Point
		marks  []Mark
	}{
		{"all zeros", pts(0, 0, 0, 0, 0, 0), nil},
		{"one point", pts(5, 7), nil},
		{"one zero point", pts(0, 0), nil},
		{"equal values", pts(3, 3, 3, 3), nil},
		{"negative", pts(-1, -2, -3, -4), nil},
		{"no points", nil, nil},
		{"no points, a mark", nil, []Mark{{X: 0, Label: "m"}}},
		{"zeros with a mark", pts(0, 0, 0, 0), []Mark{{X: 10, Label: "m"}}},
		{"zero with an error bar", []Point{{X: 0, Y: 0, YErr: 1}}, nil},
	}
	for _, d := range data {
		for _, axes := range []struct{ logX, logY bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			c := Chart{Title: d.name, LogX: axes.logX, LogY: axes.logY, Marks: d.marks,
				Series: []Series{{Name: "s", Points: d.points}, {Name: "ref", Dashed: true, Points: d.points}}}
			if err := Render(io.Discard, c, "svg"); err != nil {
				t.Errorf("%s, log x %v, log y %v: %v", d.name, axes.logX, axes.logY, err)
			}
		}
	}
	for _, z := range [][][]float64{{{0}}, {{0, 0}, {0, 0}}, {{2, 2}}} {
		h := Heatmap{Title: "h", XTicks: make([]string, len(z[0])), YTicks: make([]string, len(z)), Z: z}
		if err := Render(io.Discard, h, "svg"); err != nil {
			t.Errorf("heatmap %v: %v", z, err)
		}
	}
}
