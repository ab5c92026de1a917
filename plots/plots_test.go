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
