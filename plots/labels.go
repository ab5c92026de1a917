package plots

import (
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// label is a point's label to place: at (x, y) in data units.
type label struct {
	x, y  float64
	text  string
	color color.Color
}

// labelLayer draws point labels where they do not collide: with each
// other, with the points, or with the edge of the plot area (placeLabels).
type labelLayer struct {
	labels []label
	size   vg.Length
	rings  []plotter.XY // ringed points (data units), which labels avoid too
	ring   vg.Length    // the rings' radius
}

// offsets are where a label may go relative to its point, in order of
// preference, as multiples of (its width, its height) from the point to
// the label's lower left corner, plus a gap away from the point.
var offsets = []struct{ wx, hy, gx, gy float64 }{
	{0, 0, 1, 1},      // right, above
	{0, -1, 1, -1},    // right, below
	{-1, 0, -1, 1},    // left, above
	{-1, -1, -1, -1},  // left, below
	{-0.5, 0, 0, 2},   // above
	{-0.5, -1, 0, -2}, // below
}

// placeLabels chooses, for each label in turn (earlier labels win), the
// first offset (gaps[i] away from its anchor) whose box lies within
// bounds and overlaps neither the boxes already taken nor the obstacles
// (the points' markers); a label with no such place is left out: at[i]
// is false.
func placeLabels(anchors []vg.Point, sizes []vg.Point, gaps []vg.Length, obstacles []vg.Rectangle, bounds vg.Rectangle) (boxes []vg.Rectangle, at []bool) {
	taken := append([]vg.Rectangle(nil), obstacles...)
	boxes, at = make([]vg.Rectangle, len(anchors)), make([]bool, len(anchors))
	for i, a := range anchors {
		w, h, gap := sizes[i].X, sizes[i].Y, gaps[i]
		for _, o := range offsets {
			min := vg.Point{X: a.X + vg.Length(o.wx)*w + vg.Length(o.gx)*gap, Y: a.Y + vg.Length(o.hy)*h + vg.Length(o.gy)*gap}
			r := vg.Rectangle{Min: min, Max: vg.Point{X: min.X + w, Y: min.Y + h}}
			if !inside(r, bounds) || overlapsAny(r, taken) {
				continue
			}
			boxes[i], at[i] = r, true
			taken = append(taken, r)
			break
		}
	}
	return boxes, at
}

func inside(r, b vg.Rectangle) bool {
	return r.Min.X >= b.Min.X && r.Min.Y >= b.Min.Y && r.Max.X <= b.Max.X && r.Max.Y <= b.Max.Y
}

func overlapsAny(r vg.Rectangle, rs []vg.Rectangle) bool {
	for _, o := range rs {
		if r.Min.X < o.Max.X && o.Min.X < r.Max.X && r.Min.Y < o.Max.Y && o.Min.Y < r.Max.Y {
			return true
		}
	}
	return false
}

// Plot draws the labels that find a place.
func (l labelLayer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.TextStyle{Font: plot.DefaultFont, Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YBottom}
	sty.Font.Size = l.size
	// A ringed point's label goes first, and clear of its ring.
	ls := slices.Clone(l.labels)
	ringed := func(lb label) bool { return slices.Contains(l.rings, plotter.XY{X: lb.x, Y: lb.y}) }
	slices.SortStableFunc(ls, func(a, b label) int {
		switch ra, rb := ringed(a), ringed(b); {
		case ra && !rb:
			return -1
		case rb && !ra:
			return 1
		}
		return 0
	})
	var anchors, sizes []vg.Point
	var gaps []vg.Length
	var obstacles []vg.Rectangle
	marker := vg.Points(3)
	for _, lb := range ls {
		a := vg.Point{X: trX(lb.x), Y: trY(lb.y)}
		anchors = append(anchors, a)
		gap := marker
		if ringed(lb) {
			gap = l.ring
		}
		gaps = append(gaps, gap)
		sizes = append(sizes, vg.Point{X: sty.Width(lb.text), Y: sty.Height(lb.text)})
		obstacles = append(obstacles, vg.Rectangle{Min: vg.Point{X: a.X - marker, Y: a.Y - marker}, Max: vg.Point{X: a.X + marker, Y: a.Y + marker}})
	}
	for _, r := range l.rings {
		a := vg.Point{X: trX(r.X), Y: trY(r.Y)}
		obstacles = append(obstacles, vg.Rectangle{Min: vg.Point{X: a.X - l.ring, Y: a.Y - l.ring}, Max: vg.Point{X: a.X + l.ring, Y: a.Y + l.ring}})
	}
	boxes, at := placeLabels(anchors, sizes, gaps, obstacles, c.Rectangle)
	for i, lb := range ls {
		if at[i] {
			s := sty
			s.Color = lb.color
			c.FillText(s, boxes[i].Min, lb.text)
		}
	}
}
