package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Point is one data point; YErr is a symmetric error bar (0: none) and
// Label, if any, is written next to the point where it does not cover
// another label or point (else it is left out).
type Point struct {
	X, Y, YErr float64
	Label      string
	// Bound makes the bar one-sided, from Y up to Y + YErr: an upper
	// bound, such as that of a rate of which no event was seen.
	Bound bool
}

// Series is one line in the legend.
type Series struct {
	Name   string
	Points []Point
	Dashed bool // a reference line (a capacity, say), drawn without markers
	Plain  bool // a dense series (a time series): a line without markers
	NoLine bool // markers only, not joined
	Ring   bool // a highlight: a large ring around each point, not joined
	// Same draws the series in the colour and marker of the series
	// before it (parts of one line: the points a front beats, its
	// recommended point), in the legend only if its name differs from
	// every entry's before it.
	Same bool
}

// Level is a labelled horizontal line across the chart, such as a limit.
type Level struct {
	Y     float64
	Label string
}

// Mark is a labelled vertical line, such as a middlebox timeout.
type Mark struct {
	X     float64
	Label string
}

// Figure is anything Render can draw.
type Figure interface {
	draw(c draw.Canvas) error
}

// Chart is a line chart.
type Chart struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	// SymLogY, when above 0, makes the y axis symmetric-log with that
	// linear threshold (SymLog); LogY is then ignored.
	SymLogY float64
	Series  []Series
	Marks   []Mark
	Levels  []Level
}

// Size of every chart: wide enough for a document column.
const (
	width  = 8 * vg.Inch
	height = 5 * vg.Inch
	dpi    = 150
)

// Render draws f in format ("png", "svg" or "pdf") to w. A panic inside
// gonum/plot (which panics on data it cannot draw) becomes an error.
func Render(w io.Writer, f Figure, format string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: cannot draw the chart: %v", r)
		}
	}()
	switch format {
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
		if err := f.draw(draw.New(c)); err != nil {
			return err
		}
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	case "svg":
		c := vgsvg.NewWith(vgsvg.UseWH(width, height), vgsvg.EmbedFonts(true))
		if err := f.draw(draw.New(c)); err != nil {
			return err
		}
		_, err := c.WriteTo(w)
		return err
	case "pdf":
		c := vgpdf.New(width, height)
		c.EmbedFonts(true)
		if err := f.draw(draw.New(c)); err != nil {
			return err
		}
		_, err := c.WriteTo(w)
		return err
	}
	return fmt.Errorf("plots: unknown format %q (png, svg or pdf)", format)
}

// FormatOf returns the format named by a file's extension.
func FormatOf(path string) (string, error) {
	switch ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), ".")); ext {
	case "png", "svg", "pdf":
		return ext, nil
	default:
		return "", fmt.Errorf("plots: %s: the file name must end in .png, .svg or .pdf", path)
	}
}

// floor returns where non-positive values go on a log axis: a decade
// below the smallest positive value (1 if there is none), rounded down to
// a power of ten.
func floor(vals []float64) float64 {
	minPos := math.Inf(1)
	for _, v := range vals {
		if v > 0 && v < minPos {
			minPos = v
		}
	}
	if math.IsInf(minPos, 1) {
		return 1
	}
	return math.Pow(10, math.Floor(math.Log10(minPos))-1)
}

func (c Chart) values(y bool) []float64 {
	var vs []float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			if y {
				vs = append(vs, p.Y)
			} else {
				vs = append(vs, p.X)
			}
		}
	}
	if !y {
		for _, m := range c.Marks {
			vs = append(vs, m.X)
		}
	}
	return vs
}

// Plot builds the gonum plot, flooring values a log axis cannot show.
func (c Chart) Plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text, p.Y.Label.Text = c.XLabel, c.YLabel
	p.Legend.Top = true
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	xFloor, yFloor := math.NaN(), math.NaN()
	var notes []string
	if c.LogX {
		xFloor = floor(c.values(false))
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	}
	logY := c.LogY && c.SymLogY <= 0
	if logY {
		yFloor = floor(c.values(true))
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if c.SymLogY > 0 {
		p.Y.Scale, p.Y.Tick.Marker = SymLog{LinThresh: c.SymLogY}, SymLogTicks{LinThresh: c.SymLogY}
	}
	clamp := func(v, fl float64, axis string) float64 {
		if !math.IsNaN(fl) && !(v > 0) {
			note := fmt.Sprintf("%s values of 0 drawn at %g", axis, fl)
			if !slices.Contains(notes, note) {
				notes = append(notes, note)
			}
			return fl
		}
		return v
	}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	xlo, xhi := math.Inf(1), math.Inf(-1)
	labels := labelLayer{size: vg.Points(8), ring: ringRadius}
	i := -1 // the colour and marker in use
	var legend []string
	addLegend := func(name string, th ...plot.Thumbnailer) {
		if !slices.Contains(legend, name) {
			legend = append(legend, name)
			p.Legend.Add(name, th...)
		}
	}
	for _, s := range c.Series {
		if !s.Same || i < 0 {
			i++
		}
		xys := make(plotter.XYs, 0, len(s.Points))
		errs := make(plotter.YErrors, 0, len(s.Points))
		hasErr := false
		for _, pt := range s.Points {
			if math.IsNaN(pt.X) || math.IsNaN(pt.Y) {
				continue
			}
			x, y := clamp(pt.X, xFloor, "x"), clamp(pt.Y, yFloor, "y")
			lo, hi := pt.YErr, pt.YErr
			if pt.Bound {
				lo = 0
			}
			if logY && y-lo <= 0 {
				lo = y - y/10 // keep the bar on the axis
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
			errs = append(errs, struct{ Low, High float64 }{lo, hi})
			if pt.Label != "" {
				labels.labels = append(labels.labels, label{x: x, y: y, text: pt.Label, color: plotutil.Color(i)})
			}
			hasErr = hasErr || pt.YErr > 0
			ylo, yhi = math.Min(ylo, y-lo), math.Max(yhi, y+hi)
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
		}
		if len(xys) == 0 {
			continue
		}
		if s.Ring {
			ring, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			ring.GlyphStyle = draw.GlyphStyle{Color: plotutil.Color(i), Radius: ringRadius, Shape: ringGlyph{}}
			labels.rings = append(labels.rings, xys...)
			p.Add(ring)
			addLegend(s.Name, ring)
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.5)
		if s.Dashed || s.Plain {
			if s.Dashed {
				line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			p.Add(line)
			addLegend(s.Name, line)
			continue
		}
		pts, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		pts.Color, pts.Shape = plotutil.Color(i), plotutil.Shape(i)
		if s.NoLine {
			p.Add(pts)
			addLegend(s.Name, pts)
		} else {
			p.Add(line, pts)
			addLegend(s.Name, line, pts)
		}
		if hasErr {
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYs
				plotter.YErrors
			}{xys, errs})
			if err != nil {
				return nil, err
			}
			eb.Color = plotutil.Color(i)
			p.Add(eb)
		}
	}
	if math.IsInf(ylo, 1) {
		ylo, yhi = 0, 1
	}
	for _, l := range c.Levels {
		ylo, yhi = math.Min(ylo, l.Y), math.Max(yhi, l.Y)
	}
	if logY { // the marks' vertical lines span [ylo, yhi]: keep both on the axis
		ylo = clamp(ylo, yFloor, "y")
		yhi = math.Max(yhi, ylo)
	}
	for j, m := range c.Marks {
		x := clamp(m.X, xFloor, "x")
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: ylo}, {X: x, Y: yhi}})
		if err != nil {
			return nil, err
		}
		line.Color = color.Gray{Y: uint8(60 + 40*(j%3))}
		line.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		line.Width = vg.Points(1)
		p.Add(line)
		p.Legend.Add(m.Label, line)
	}
	for j, l := range c.Levels {
		if math.IsInf(xlo, 1) {
			break
		}
		line, err := plotter.NewLine(plotter.XYs{{X: xlo, Y: l.Y}, {X: xhi, Y: l.Y}})
		if err != nil {
			return nil, err
		}
		line.Color = color.RGBA{R: 200, A: 255}
		line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		line.Width = vg.Points(1 + float64(j%2))
		p.Add(line)
		p.Legend.Add(l.Label, line)
	}
	if len(labels.labels) > 0 {
		p.Add(labels)
	}
	if len(notes) > 0 {
		p.Title.Text += "\n(" + strings.Join(notes, "; ") + ")"
	}
	// Leave room above the data for the legend, which sits top right.
	entries := float64(len(legend) + len(c.Marks) + len(c.Levels))
	switch {
	case c.SymLogY > 0:
		s := SymLog{LinThresh: c.SymLogY}
		lo, hi := s.forward(math.Min(ylo, 0)), s.forward(yhi)
		p.Y.Min, p.Y.Max = s.inverse(lo), s.inverse(hi+(hi-lo)*0.04*entries)
	case logY:
		p.Y.Max = yhi * math.Pow(10, 0.25*entries)
	default:
		p.Y.Max = yhi + (yhi-math.Min(ylo, 0))*0.08*(entries+1)
	}
	if c.LogX {
		logRange(&p.X, xFloor)
		if c.SymLogY > 0 && p.X.Max > p.X.Min { // room for the rings and labels at the ends
			pad := math.Pow(p.X.Max/p.X.Min, 0.06)
			p.X.Min, p.X.Max = p.X.Min/pad, p.X.Max*pad
		}
	}
	if logY {
		logRange(&p.Y, yFloor)
	}
	return p, nil
}

// logRange makes a log axis's range positive and not empty. gonum/plot
// panics when a log axis meets a value <= 0, and it widens an empty or
// flat range by 1 on each side before drawing, so that a range of [1, 1]
// (every value equal, or all zero and floored) would reach 0.
func logRange(a *plot.Axis, floor float64) {
	lo, hi := a.Min, a.Max
	if !(lo > 0) || math.IsInf(lo, 1) {
		lo = floor
	}
	if !(hi >= lo) || math.IsInf(hi, 1) {
		hi = lo
	}
	if hi == lo {
		lo, hi = lo/2, hi*2
	}
	a.Min, a.Max = lo, hi
}

// cellText writes a heat-map value compactly without exponents.
func cellText(z float64) string {
	if math.Abs(z) >= 100 || z == math.Trunc(z) {
		return strconv.FormatFloat(z, 'f', 0, 64)
	}
	return strconv.FormatFloat(z, 'g', 3, 64)
}

// plainTicks are gonum's default ticks, labelled without trailing
// zeros (25000, not 25000.00).
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64)
		}
	}
	return ts
}

// logTicks mark a log axis at 1 ... 9 times each power of ten, labelling
// the powers, and also 2 and 5 times them when the axis spans less than
// two decades (where the powers alone may be one label or none).
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) {
		return plot.LogTicks{Prec: -1}.Ticks(min, max)
	}
	few := max/min < 100
	var ts []plot.Tick
	for p := math.Pow(10, math.Floor(math.Log10(min))); p <= max; p *= 10 {
		for m := 1; m <= 9; m++ {
			v := p * float64(m)
			if v < min || v > max {
				continue
			}
			tk := plot.Tick{Value: v}
			if m == 1 || few && (m == 2 || m == 5) {
				tk.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ts = append(ts, tk)
		}
	}
	return ts
}

// ringRadius is the size of a highlight's ring.
const ringRadius = vg.Length(7)

// ringGlyph is an open circle drawn twice as thick as the default.
type ringGlyph struct{}

func (ringGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	ls := draw.LineStyle{Color: sty.Color, Width: vg.Points(2)}
	c.Push()
	c.SetLineStyle(ls)
	var p vg.Path
	p.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	p.Arc(pt, sty.Radius, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
	c.Pop()
}

func (c Chart) draw(dc draw.Canvas) error {
	p, err := c.Plot()
	if err != nil {
		return err
	}
	p.Draw(dc)
	return nil
}

// Heatmap is a grid of values over two categorical axes, with a colour
// bar and each cell's value written in it. Colours are sequential (light
// for low, dark red for high); on a log scale (Log) values at or below 0
// take the colour of Floor, or when it is not above 0 of a decade below
// the smallest positive value.
type Heatmap struct {
	Title, XLabel, YLabel, ZLabel string
	XTicks, YTicks                []string    // category names
	Z                             [][]float64 // Z[row (y)][column (x)]
	// Text, when set, is written in the cells instead of the values
	// (such as "< 0.999" for a rate of which no event was seen).
	Text  [][]string
	Log   bool
	Floor float64 // where a log scale puts values at or below 0, such as their bound
}

type grid struct {
	h   Heatmap
	col func(float64) float64 // the value that picks a cell's colour
}

func (g grid) Dims() (c, r int)   { return len(g.h.XTicks), len(g.h.YTicks) }
func (g grid) Z(c, r int) float64 { return g.col(g.h.Z[r][c]) }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }
func ticks(names []string) plot.Ticker {
	ts := make(plot.ConstantTicks, len(names))
	for i, n := range names {
		ts[i] = plot.Tick{Value: float64(i), Label: n}
	}
	return ts
}

// sequential is the heat map's colour map: YlOrRd's ends and middle
// (ColorBrewer), interpolated for even steps of luminance.
func sequential() palette.ColorMap {
	cm, err := moreland.NewLuminance([]color.Color{
		color.NRGBA{R: 0xbd, G: 0x00, B: 0x26, A: 0xff},
		color.NRGBA{R: 0xfd, G: 0x8d, B: 0x3c, A: 0xff},
		color.NRGBA{R: 0xff, G: 0xff, B: 0xcc, A: 0xff},
	})
	if err != nil {
		panic(err) // fixed colours of increasing luminance
	}
	return palette.Reverse(cm)
}

// powerTicks label a colour bar in log10 units with the values: 10^k
// as 0.1, 1, 10, ...
type powerTicks struct{}

func (powerTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for k := math.Ceil(min); k <= max; k++ {
		ts = append(ts, plot.Tick{Value: k, Label: strconv.FormatFloat(math.Pow(10, k), 'g', -1, 64)})
	}
	return ts
}

func (h Heatmap) draw(dc draw.Canvas) error {
	col := func(z float64) float64 { return z }
	if h.Log {
		var all []float64
		for _, row := range h.Z {
			all = append(all, row...)
		}
		fl := h.Floor
		if !(fl > 0) {
			fl = floor(all)
		}
		col = func(z float64) float64 { return math.Log10(math.Max(z, fl)) }
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range h.Z {
		for _, z := range row {
			lo, hi = math.Min(lo, col(z)), math.Max(hi, col(z))
		}
	}
	if !(hi > lo) {
		hi = lo + 1 // a flat grid still needs a colour range
	}
	cm := sequential()
	cm.SetMin(lo)
	cm.SetMax(hi)
	p := plot.New()
	p.Title.Text = h.Title
	p.X.Label.Text, p.Y.Label.Text = h.XLabel, h.YLabel
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks(h.XTicks), ticks(h.YTicks)
	p.Add(plotter.NewHeatMap(grid{h, col}, cm.Palette(255)))
	var xys plotter.XYs
	var labels []string
	var dark []bool
	for r, row := range h.Z {
		for c, z := range row {
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
			text := cellText(z)
			if h.Text != nil {
				text = h.Text[r][c]
			}
			labels = append(labels, text)
			dark = append(dark, (col(z)-lo)/(hi-lo) > 0.6)
		}
	}
	lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = vg.Points(8)
		lb.TextStyle[i].XAlign, lb.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		if dark[i] {
			lb.TextStyle[i].Color = color.White
		}
	}
	p.Add(lb)
	bar := plot.New()
	bar.Title.Text = h.ZLabel
	bar.HideX()
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	bar.Y.Min, bar.Y.Max = lo, hi
	if h.Log {
		bar.Y.Tick.Marker = powerTicks{}
		bar.Title.Text += "\n(log scale)"
	}
	w := dc.Max.X - dc.Min.X
	p.Draw(draw.Crop(dc, 0, -w*0.2, 0, 0))
	bar.Draw(draw.Crop(dc, w*0.83, -w*0.02, 0, 0))
	return nil
}
