package plots

import (
	"testing"

	"gonum.org/v1/plot/vg"
)

// TestPlaceLabelsCrowded: eight labels of 30 x 10 on one point fit in
// the six offsets at most, none over another or the point's marker;
// the first takes the first offset (right, above, 2 away); a label
// alone elsewhere takes its first offset too.
func TestPlaceLabelsCrowded(t *testing.T) {
	a := vg.Point{X: 100, Y: 100}
	var anchors, sizes []vg.Point
	for range 8 {
		anchors, sizes = append(anchors, a), append(sizes, vg.Point{X: 30, Y: 10})
	}
	anchors, sizes = append(anchors, vg.Point{X: 400, Y: 300}), append(sizes, vg.Point{X: 30, Y: 10})
	marker := vg.Rectangle{Min: vg.Point{X: 98, Y: 98}, Max: vg.Point{X: 102, Y: 102}}
	bounds := vg.Rectangle{Max: vg.Point{X: 500, Y: 500}}
	gaps := make([]vg.Length, len(anchors))
	for i := range gaps {
		gaps[i] = 2
	}
	boxes, at := placeLabels(anchors, sizes, gaps, []vg.Rectangle{marker}, bounds)
	placed := 0
	for i := range boxes {
		if !at[i] {
			continue
		}
		placed++
		if overlapsAny(boxes[i], []vg.Rectangle{marker}) || !inside(boxes[i], bounds) {
			t.Errorf("label %d at %v: over the marker or outside", i, boxes[i])
		}
		for j := range i {
			if at[j] && overlapsAny(boxes[i], boxes[j:j+1]) {
				t.Errorf("labels %d and %d overlap: %v, %v", j, i, boxes[j], boxes[i])
			}
		}
	}
	if placed < 2 || placed > 7 || at[7] {
		t.Errorf("%d of 9 placed (the 8th: %v); want some of the crowd skipped and the lone one kept", placed, at[7])
	}
	if want := (vg.Rectangle{Min: vg.Point{X: 102, Y: 102}, Max: vg.Point{X: 132, Y: 112}}); !at[0] || boxes[0] != want {
		t.Errorf("first label at %v, want %v", boxes[0], want)
	}
	if want := (vg.Rectangle{Min: vg.Point{X: 402, Y: 302}, Max: vg.Point{X: 432, Y: 312}}); !at[8] || boxes[8] != want {
		t.Errorf("lone label at %v, want %v", boxes[8], want)
	}
	// Near the right edge the first place is outside: it goes left.
	boxes, at = placeLabels([]vg.Point{{X: 490, Y: 100}}, []vg.Point{{X: 30, Y: 10}}, []vg.Length{2}, nil, bounds)
	if want := (vg.Rectangle{Min: vg.Point{X: 458, Y: 102}, Max: vg.Point{X: 488, Y: 112}}); !at[0] || boxes[0] != want {
		t.Errorf("label at the edge at %v, want %v", boxes[0], want)
	}
}
