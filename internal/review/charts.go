package review

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/plots"
	"github.com/natsim/natsim/sim"
)

// Names lists the standard charts in report order.
var Names = []string{"tradeoff", "breaks-vs", "detection", "occupancy", "heatmap"}

// Chart is one built chart.
type Chart struct {
	Name    string
	Figure  plots.Figure
	Data    [][]string // header, then rows: the numbers drawn
	Finding string     // one sentence
}

// ErrNotApplicable says a chart cannot be drawn from these results (the
// heatmap needs two swept keys, say); its message says why.
var ErrNotApplicable = errors.New("not applicable")

// Build builds the named chart from a sweep's results and time series:
// one chart, but for the heatmap, one per client group (named
// heatmap-GROUP when there are several).
func Build(name string, res *sweep.Result, series []sweep.SeriesRow) ([]*Chart, error) {
	if len(res.Rows) == 0 {
		return nil, fmt.Errorf("%w: no finished points", ErrNotApplicable)
	}
	one := func(c *Chart, err error) ([]*Chart, error) {
		if err != nil {
			return nil, err
		}
		return []*Chart{c}, nil
	}
	switch name {
	case "tradeoff":
		return one(tradeoff(res))
	case "breaks-vs":
		return one(breaksVs(res))
	case "detection":
		return one(detection(res))
	case "occupancy":
		return one(occupancy(res, series))
	case "heatmap":
		return heatmaps(res)
	}
	return nil, fmt.Errorf("unknown chart %q (charts: %s)", name, strings.Join(Names, ", "))
}

// value is a swept value as a number: durations in seconds.
func value(s string) (float64, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// isDuration reports whether a key's values are durations.
func isDuration(values []string) bool {
	for _, v := range values {
		if _, err := time.ParseDuration(v); err != nil {
			return false
		}
	}
	return len(values) > 0
}

// line is the rows of one chart line: a group, one varying key, the
// other keys fixed.
type line struct {
	name string
	key  int // index of the varying key, -1 for none
	rows []sweep.Row
}

// together reports whether swept keys i and j move together (zip:).
func together(res *sweep.Result, i, j int) bool {
	if i == j {
		return true
	}
	for _, z := range res.Zip {
		if slices.Contains(z, res.Keys[i].Key) && slices.Contains(z, res.Keys[j].Key) {
			return true
		}
	}
	return false
}

// lines splits the rows into chart lines. For each group the varying key
// is the first swept key that addresses that group (clients.GROUP....),
// else the first key; keys zipped with it vary along. Keys that address
// another group are held at their first value (they cannot change this
// group's numbers); any other keys make a separate line per combination
// of values.
func lines(res *sweep.Result) []line {
	var out []line
	for _, g := range res.Groups {
		key := -1
		for i, k := range res.KeyNames() {
			if strings.HasPrefix(k, "clients."+g+".") {
				key = i
				break
			}
		}
		if key < 0 && len(res.Keys) > 0 {
			key = 0
		}
		first := map[int]string{}
		for _, r := range res.Rows {
			for i := range res.Keys {
				if _, ok := first[i]; !ok {
					first[i] = r.Params[i]
				}
			}
		}
		byCombo := map[string]*line{}
		var order []string
		for _, r := range res.Rows {
			if r.Group != g {
				continue
			}
			var combo []string
			skip := false
			for i, k := range res.KeyNames() {
				switch {
				case key >= 0 && together(res, i, key):
				case strings.HasPrefix(k, "clients.") && !strings.HasPrefix(k, "clients."+g+"."):
					skip = skip || r.Params[i] != first[i]
				default:
					combo = append(combo, k+"="+r.Params[i])
				}
			}
			if skip {
				continue
			}
			c := strings.Join(combo, ", ")
			if byCombo[c] == nil {
				name := g
				if c != "" {
					name += " (" + c + ")"
				}
				byCombo[c] = &line{name: name, key: key}
				order = append(order, c)
			}
			byCombo[c].rows = append(byCombo[c].rows, r)
		}
		for _, c := range order {
			out = append(out, *byCombo[c])
		}
	}
	return out
}

func (l line) label(r sweep.Row) string {
	if l.key < 0 {
		return r.Group
	}
	return r.Params[l.key]
}

func title(res *sweep.Result, what string) string {
	t := res.Scenario + ": " + what
	if res.Partial {
		t += " (partial sweep)"
	}
	return t
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

const (
	breaksKey = sim.GroupBreaksPer1000ClientHours
	costKey   = sim.GroupCostBytesPerClientHour
)

func pointName(res *sweep.Result, l line, r sweep.Row) string {
	if l.key < 0 {
		return "the scenario as written"
	}
	return res.Keys[l.key].Key + "=" + r.Params[l.key]
}

// xAxis names the varying keys of a line chart (each line may vary its
// own: "a / b"), and says whether their values are durations and whether
// a log scale suits them.
func xAxis(res *sweep.Result, ls []line) (keys string, dur, logX bool, err error) {
	if len(res.Keys) == 0 {
		return "", false, false, fmt.Errorf("%w: needs a swept key", ErrNotApplicable)
	}
	var names []string
	for _, l := range ls {
		if !slices.Contains(names, res.Keys[l.key].Key) {
			names = append(names, res.Keys[l.key].Key)
		}
	}
	var vals []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range ls {
		for _, r := range l.rows {
			v, ok := value(r.Params[l.key])
			if !ok {
				return "", false, false, fmt.Errorf("%w: swept values of %s are not numbers or durations", ErrNotApplicable, res.Keys[l.key].Key)
			}
			vals = append(vals, r.Params[l.key])
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return strings.Join(names, " / "), isDuration(vals), lo > 0 && hi/lo > 30, nil
}

func axisLabel(key string, dur, logX bool) string {
	l := key
	if dur {
		l += " (s)"
	}
	if logX {
		l += ", log scale"
	}
	return l
}

func breaksVs(res *sweep.Result) (*Chart, error) {
	ls := lines(res)
	keys, dur, logX, err := xAxis(res, ls)
	if err != nil {
		return nil, err
	}
	lin := breaksLinear(res.TargetOrDefault())
	c := plots.Chart{Title: title(res, "breaks against "+keys), LogX: logX, SymLogY: lin, XLabel: axisLabel(keys, dur, logX),
		YLabel: fmt.Sprintf("breaks per 1000 client-hours (± 95%% CI; where none,\na bar to the bound); linear to %s, log above", fmtNum(lin))}
	data := [][]string{{"line", "x", string(breaksKey), "ci95", "upper_bound"}}
	var findings []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range ls {
		s := plots.Series{Name: l.name}
		for _, r := range l.rows {
			x, _ := value(r.Params[l.key])
			lo, hi = math.Min(lo, x), math.Max(hi, x)
			y, up := r.Get(breaksKey), breaksUpper(res, r)
			if y.Mean == 0 { // no breaks: drawn and written as the bound, never 0 ± 0
				s.Points = append(s.Points, plots.Point{X: x, YErr: up, Bound: true})
				data = append(data, []string{l.name, fmtNum(x), "0", "", fmtNum(up)})
				continue
			}
			s.Points = append(s.Points, plots.Point{X: x, Y: y.Mean, YErr: y.CI95})
			data = append(data, []string{l.name, fmtNum(x), fmtNum(y.Mean), fmtNum(y.CI95), fmtNum(up)})
		}
		c.Series = append(c.Series, s)
		findings = append(findings, zeroFinding(res, l))
	}
	if dur {
		for _, t := range res.Timeouts() {
			if t.Seconds >= lo/3 && t.Seconds <= hi*3 {
				c.Marks = append(c.Marks, plots.Mark{X: t.Seconds, Label: fmt.Sprintf("%s %s timeout %s s", t.Middlebox, t.Class, fmtNum(t.Seconds))})
			}
		}
	}
	return &Chart{Name: "breaks-vs", Figure: c, Data: data, Finding: strings.Join(findings, "; ") + "."}, nil
}

// zeroFinding says up to which swept value a line has no breaks, what
// that costs, and what the next value breaks.
func zeroFinding(res *sweep.Result, l line) string {
	rows := slices.Clone(l.rows)
	slices.SortStableFunc(rows, func(a, b sweep.Row) int {
		x, _ := value(a.Params[l.key])
		y, _ := value(b.Params[l.key])
		return compare(x, y)
	})
	k := res.Keys[l.key].Key
	zero := func(r sweep.Row) bool { return r.Get(breaksKey).Mean == 0 }
	switch {
	case !slices.ContainsFunc(rows, zero):
		min := slices.MinFunc(rows, func(a, b sweep.Row) int { return compare(a.Get(breaksKey).Mean, b.Get(breaksKey).Mean) })
		return fmt.Sprintf("%s breaks at every swept %s, least (%s per 1000 client-hours) at %s", l.name, k,
			fmtNum(min.Get(breaksKey).Mean), min.Params[l.key])
	case !slices.ContainsFunc(rows, func(r sweep.Row) bool { return !zero(r) }):
		return fmt.Sprintf("%s has no breaks at any swept %s", l.name, k)
	}
	// The last zero-break value before the first value that breaks, in
	// ascending order of the swept value.
	i := slices.IndexFunc(rows, func(r sweep.Row) bool { return !zero(r) })
	if i == 0 { // breaks at low values, none at high ones
		j := slices.IndexFunc(rows, zero)
		z := rows[j]
		return fmt.Sprintf("%s has no breaks from %s=%s up (%s; %s bytes per client-hour there); at %s it has %s per 1000 client-hours",
			l.name, k, z.Params[l.key], breaksBound(res, z), fmtNum(math.Round(z.Get(costKey).Mean)), rows[j-1].Params[l.key], fmtNum(rows[j-1].Get(breaksKey).Mean))
	}
	z, b := rows[i-1], rows[i]
	return fmt.Sprintf("%s has no breaks up to %s=%s (%s), at a cost of %s bytes per client-hour; at %s it has %s per 1000 client-hours",
		l.name, k, z.Params[l.key], breaksBound(res, z), fmtNum(math.Round(z.Get(costKey).Mean)), b.Params[l.key], fmtNum(b.Get(breaksKey).Mean))
}

// breaksBound writes a row's break count with its upper bound at the
// sweep's confidence: no breaks seen is a bound, not a certainty.
func breaksBound(res *sweep.Result, r sweep.Row) string {
	return boundsText(breaksJudged(res, r), res.TargetOrDefault().Confidence)
}

// breaksUpper is the upper bound of a row's breaks per 1000 client-hours.
func breaksUpper(res *sweep.Result, r sweep.Row) float64 { return breaksJudged(res, r)[0].Upper }

// breaksJudged bounds a row's break rate at the sweep's confidence.
func breaksJudged(res *sweep.Result, r sweep.Row) []target.Judgement {
	t := sweep.DefaultTarget()
	t.Confidence = res.TargetOrDefault().Confidence
	return target.JudgeAggregate(t, r.Window, r.Metrics, r.Replications)
}

func compare(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func detection(res *sweep.Result) (*Chart, error) {
	ls := lines(res)
	keys, dur, logX, err := xAxis(res, ls)
	if err != nil {
		return nil, err
	}
	c := plots.Chart{Title: title(res, "how long a break goes unnoticed"), LogX: logX,
		XLabel: axisLabel(keys, dur, logX), YLabel: "detection latency (s)"}
	data := [][]string{{"line", "x", "p50_s", "p99_s"}}
	var worst string // the line and point of the worst p99
	lo, hiMedian, hi := math.Inf(1), 0.0, 0.0
	for _, l := range ls {
		p50 := plots.Series{Name: l.name + " p50"}
		p99 := plots.Series{Name: l.name + " p99"}
		for _, r := range l.rows {
			x, _ := value(r.Params[l.key])
			if r.Get(sim.GroupBreaksTotal).Mean == 0 { // no break, no latency: absent, not 0
				data = append(data, []string{l.name, fmtNum(x), "", ""})
				continue
			}
			a, b := r.Get(sim.GroupDetectionP50).Mean, r.Get(sim.GroupDetectionP99).Mean
			p50.Points = append(p50.Points, plots.Point{X: x, Y: a})
			p99.Points = append(p99.Points, plots.Point{X: x, Y: b})
			data = append(data, []string{l.name, fmtNum(x), fmtNum(a), fmtNum(b)})
			lo, hiMedian = math.Min(lo, a), math.Max(hiMedian, a)
			if b > hi {
				// Each line names its own key: a sweep may vary another
				// key for each group.
				hi, worst = b, l.name+" at "+pointName(res, l, r)
			}
		}
		c.Series = append(c.Series, p50, p99)
	}
	finding := "No breaks were detected at any swept value."
	if hi > 0 {
		finding = fmt.Sprintf("Where connections break, the median break goes unnoticed for %s to %s s; the worst p99 is %s s (%s).",
			fmtNum(math.Round(lo*10)/10), fmtNum(math.Round(hiMedian*10)/10), fmtNum(math.Round(hi*10)/10), worst)
	}
	return &Chart{Name: "detection", Figure: c, Data: data, Finding: finding}, nil
}

// maxLines is the most points the occupancy chart draws a line for;
// beyond it the points are sampled evenly and the title says so.
const maxLines = 8

func occupancy(res *sweep.Result, series []sweep.SeriesRow) (*Chart, error) {
	return drawOccupancy(title(res, occupancyWhat), res.KeyNames(), res.Middleboxes, series)
}

const occupancyWhat = "table occupancy over time"

// drawOccupancy draws each middlebox's entries over time, a line per
// point of the sweep over keys (none: one line per middlebox).
func drawOccupancy(title string, keys, middleboxes []string, series []sweep.SeriesRow) (*Chart, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("%w: no time series (run with --timeseries, or a sweep)", ErrNotApplicable)
	}
	var points []string // distinct point labels, in order
	label := func(params []string) string {
		parts := make([]string, len(params))
		for i, p := range params {
			parts[i] = keys[i] + "=" + p
		}
		return strings.Join(parts, ", ")
	}
	for _, s := range series {
		if l := label(s.Params); !slices.Contains(points, l) {
			points = append(points, l)
		}
	}
	shown := points
	if len(points) > maxLines {
		shown = nil
		for i := range maxLines {
			shown = append(shown, points[i*(len(points)-1)/(maxLines-1)])
		}
	}
	end := series[len(series)-1].At
	unit, scale := "h", 3600.0
	if end < 3*3600 {
		unit, scale = "min", 60
	}
	t := title
	if len(shown) < len(points) {
		t += fmt.Sprintf(" (%d of %d points)", len(shown), len(points))
	}
	c := plots.Chart{Title: t, XLabel: "simulated time (" + unit + ")", YLabel: "entries held"}
	data := [][]string{{"point", "middlebox", "t_s", "occupancy", "capacity"}}
	byLine := map[string]*plots.Series{}
	var order []string
	var capacities []string
	var capValues []int
	peak, peakAt, peakCap := map[string]int{}, map[string]string{}, map[string]int{}
	for _, s := range series {
		pl := label(s.Params)
		if !slices.Contains(shown, pl) {
			continue
		}
		name := s.Middlebox
		switch {
		case len(middleboxes) == 1 && pl != "":
			name = pl
		case pl != "":
			name += ", " + pl
		}
		if byLine[name] == nil {
			byLine[name] = &plots.Series{Name: name, Plain: true}
			order = append(order, name)
		}
		byLine[name].Points = append(byLine[name].Points, plots.Point{X: s.At / scale, Y: float64(s.Occupancy)})
		data = append(data, []string{pl, s.Middlebox, fmtNum(s.At), strconv.Itoa(s.Occupancy), strconv.Itoa(s.Capacity)})
		if s.Capacity > 0 {
			capacity := fmt.Sprintf("%s capacity %d", s.Middlebox, s.Capacity)
			if !slices.Contains(capacities, capacity) {
				capacities = append(capacities, capacity)
				capValues = append(capValues, s.Capacity)
			}
		}
		if s.Occupancy > peak[s.Middlebox] {
			peak[s.Middlebox], peakAt[s.Middlebox], peakCap[s.Middlebox] = s.Occupancy, pl, s.Capacity
		}
	}
	for _, name := range order {
		c.Series = append(c.Series, *byLine[name])
	}
	// One dashed line per distinct capacity (a capacity sweep has several).
	for i, name := range capacities {
		y := float64(capValues[i])
		c.Series = append(c.Series, plots.Series{Name: name, Dashed: true, Points: []plots.Point{{X: 0, Y: y}, {X: end / scale, Y: y}}})
	}
	var findings []string
	for _, m := range middleboxes {
		if _, ok := peak[m]; !ok {
			continue
		}
		f := fmt.Sprintf("%s holds at most %d entries", m, peak[m])
		if cp := peakCap[m]; cp > 0 {
			f += fmt.Sprintf(" (%.0f%% of its %d)", 100*float64(peak[m])/float64(cp), cp)
		}
		if peakAt[m] != "" {
			f += " at " + peakAt[m]
		}
		findings = append(findings, f)
	}
	return &Chart{Name: "occupancy", Figure: c, Data: data, Finding: strings.Join(findings, "; ") + "."}, nil
}

// heatmaps draws breaks over two swept keys, a heat map per client
// group (averaging groups would mix rates of different populations):
// sequential colours on a log scale, and a cell without breaks written
// as its upper bound. Keys that move with neither axis are held at their
// first value.
func heatmaps(res *sweep.Result) ([]*Chart, error) {
	if len(res.Keys) < 2 {
		return nil, fmt.Errorf("%w: needs two swept keys", ErrNotApplicable)
	}
	// x is the first key, y the first that does not move with it.
	kx, ky := 0, -1
	for i := range res.Keys {
		if !together(res, kx, i) {
			ky = i
			break
		}
	}
	if ky < 0 {
		return nil, fmt.Errorf("%w: needs two swept keys that vary independently (%s move together)", ErrNotApplicable, strings.Join(res.KeyNames(), ", "))
	}
	var xs, ys []string
	for _, r := range res.Rows {
		if !slices.Contains(xs, r.Params[kx]) {
			xs = append(xs, r.Params[kx])
		}
		if !slices.Contains(ys, r.Params[ky]) {
			ys = append(ys, r.Params[ky])
		}
	}
	first := res.Rows[0].Params
	held := func(r sweep.Row) bool {
		for i := range res.Keys {
			if !together(res, i, kx) && !together(res, i, ky) && r.Params[i] != first[i] {
				return false
			}
		}
		return true
	}
	var charts []*Chart
	for _, g := range res.Groups {
		z, text := make([][]float64, len(ys)), make([][]string, len(ys))
		for yi := range ys {
			z[yi], text[yi] = make([]float64, len(xs)), make([]string, len(xs))
			for xi := range xs {
				z[yi][xi], text[yi][xi] = math.NaN(), "" // a point not run
			}
		}
		data := [][]string{{res.Keys[kx].Key, res.Keys[ky].Key, string(breaksKey), "upper_bound"}}
		var minV, maxV float64
		var minRow sweep.Row
		bound := math.Inf(1) // the least bound of a cell without breaks: where the colours start
		var minAt, maxAt string
		seen := false
		for _, r := range res.Rows {
			if r.Group != g || !held(r) {
				continue
			}
			xi, yi := slices.Index(xs, r.Params[kx]), slices.Index(ys, r.Params[ky])
			v, up := r.Get(breaksKey).Mean, breaksUpper(res, r)
			z[yi][xi], text[yi][xi] = v, cellValue(v, up)
			if v == 0 {
				bound = math.Min(bound, up)
			}
			data = append(data, []string{xs[xi], ys[yi], fmtNum(v), fmtNum(up)})
			at := fmt.Sprintf("%s=%s, %s=%s", res.Keys[kx].Key, xs[xi], res.Keys[ky].Key, ys[yi])
			if !seen || v < minV {
				minV, minRow, minAt = v, r, at
			}
			if !seen || v > maxV {
				maxV, maxAt = v, at
			}
			seen = true
		}
		if !seen {
			continue
		}
		name := "heatmap"
		if len(res.Groups) > 1 {
			name += "-" + g
		}
		for yi := range z { // a point not run is drawn as the lowest colour and left blank
			for xi := range z[yi] {
				if math.IsNaN(z[yi][xi]) {
					z[yi][xi] = 0
				}
			}
		}
		h := plots.Heatmap{Title: title(res, g+": breaks per 1000 client-hours"), XLabel: res.Keys[kx].Key, YLabel: res.Keys[ky].Key,
			ZLabel: "breaks per\n1000 client-h", XTicks: xs, YTicks: ys, Z: z, Text: text, Log: true}
		if !math.IsInf(bound, 1) {
			h.Floor = bound
		}
		fewest := fmtNum(minV) + " per 1000 client-hours"
		if minV == 0 {
			fewest = breaksBound(res, minRow)
		}
		finding := fmt.Sprintf("%s: breaks are fewest (%s) at %s and most (%s per 1000 client-hours) at %s", g, fewest, minAt, fmtNum(maxV), maxAt)
		charts = append(charts, &Chart{Name: name, Figure: h, Data: data, Finding: finding + "."})
	}
	return charts, nil
}

// cellValue writes a break rate for a heat-map cell: the value, or
// without breaks its upper bound ("< 0.999").
func cellValue(v, upper float64) string {
	if v == 0 {
		return "< " + fmtNum(sigFig(upper))
	}
	return fmtNum(sigFig(v))
}
