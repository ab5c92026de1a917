package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// Stat is a metric's mean over replications and its 95% half-width (0
// for a metric without one: sim.GroupCIMetrics lists those with one).
type Stat struct {
	Mean float64
	CI95 float64
}

// Key is one swept key of a sweep.
type Key struct {
	Key string `json:"key"` // as the sweep: block or --param names it
	// Name is the key's name in each point's values and its column in the
	// CSV files: Key, with the unit appended (_s) when it has one.
	Name   string   `json:"name"`
	Unit   string   `json:"unit,omitempty"` // "s" when the values are durations, given in seconds
	Values []string `json:"values"`         // as written, in sweep order
}

// Point is one finished point of a sweep: the values of the swept keys
// by Key.Name (durations in seconds, numbers as numbers, other values as
// written) and the point's result, the object natsim run --json writes.
type Point struct {
	Values map[string]any `json:"values"`
	Result *sim.Result    `json:"result"`
	Params []string       `json:"-"` // the values as written, in Keys order
}

// Row is one point and client group, for charts and reports.
type Row struct {
	Params  []string // values of the swept keys as written, in Keys order
	Group   string
	Metrics sim.GroupResult
	// Replications and Window (duration minus warmup) are the point's,
	// for judging the row (Judge).
	Replications int
	Window       time.Duration
}

// Get returns the row's mean and 95% half-width of the group metric m.
// m is one of sim.GroupMetrics: any other name is a bug, and Get
// panics.
func (r Row) Get(m sim.Metric) Stat {
	v, ok := r.Metrics.Value(m)
	if !ok {
		panic(fmt.Sprintf("sweep: row %v of group %s has no metric %q", r.Params, r.Group, m))
	}
	hw, _ := r.Metrics.CI(m)
	return Stat{Mean: v, CI95: hw}
}

// Result is sweep.json: the sweep's keys and, for every finished point,
// its values and its result (docs/model.md, section 9;
// docs/result.schema.json).
type Result struct {
	Version      string  `json:"natsim_version"`
	Scenario     string  `json:"scenario"`
	Description  string  `json:"description"`
	Seed         uint64  `json:"seed"`
	Replications int     `json:"replications"`
	Partial      bool    `json:"partial"`
	PointsDone   int     `json:"points_done"`
	PointsTotal  int     `json:"points_total"`
	Keys         []Key   `json:"keys"`
	Points       []Point `json:"points"`

	// Zip lists the groups of keys that move together (written under
	// zip: or joined by ';' in --param); the other keys are crossed.
	// Absent for a cartesian sweep.
	Zip [][]string `json:"zip,omitempty"`

	// Target is the scenario's target (with --target flags), absent when
	// it set none: the sweep's findings then use DefaultTarget.
	Target *target.Target `json:"target,omitempty"`

	// Groups and Middleboxes name the scenario's groups and boxes; Rows
	// are the points' results by group, in point order.
	Groups      []string `json:"-"`
	Middleboxes []string `json:"-"`
	Rows        []Row    `json:"-"`

	runs [][]*sim.RunResult // per finished point, for runs.csv and timeseries.csv
	cfgs []*sim.Config
}

// Run runs every point with its replications on workers, the runs
// estimated to take longest first (batch.Job.Cost). Once ctx is
// done it stops: the points whose replications all finished are kept and
// the result is marked partial.
func Run(ctx context.Context, points []scenarios.Point, keys []string, workers int, obs batch.Observer) (*Result, error) {
	var jobs []batch.Job
	var first []int // index of each point's first job
	for _, p := range points {
		first = append(first, len(jobs))
		for rep := range p.Scenario.Replications {
			jobs = append(jobs, batch.Job{Config: &p.Scenario.Config, Replication: rep, Cost: p.Scenario.Config.EstimateEvents()})
		}
	}
	runs, err := batch.Run(ctx, jobs, workers, obs)
	if err != nil {
		return nil, err
	}
	perPoint := make([][]*sim.RunResult, len(points))
	for pi, p := range points {
		perPoint[pi] = runs[first[pi] : first[pi]+p.Scenario.Replications]
	}
	return Assemble(points, keys, perPoint), nil
}

// Assemble builds the result of a sweep from each point's runs (a nil run
// is one that did not finish: its point is left out and the result is
// partial). Its target is the file's; --target flags are the caller's to
// set.
func Assemble(points []scenarios.Point, keys []string, runs [][]*sim.RunResult) *Result {
	base := points[0].Scenario
	res := &Result{Version: sim.Version, Scenario: base.Config.Name, Description: base.Description,
		Seed: base.Config.Seed, Replications: base.Replications, PointsTotal: len(points), Keys: keysOf(keys, points),
		Points: []Point{}, Zip: points[0].Zipped()}
	if t := base.Target; !t.Empty() {
		res.Target = &t
	}
	for _, g := range base.Config.Groups {
		res.Groups = append(res.Groups, g.Name)
	}
	for _, m := range base.Config.Path {
		res.Middleboxes = append(res.Middleboxes, m.Name)
	}
	for pi, p := range points {
		if slices.Contains(runs[pi], nil) {
			res.Partial = true
			continue
		}
		cfg := &p.Scenario.Config
		pt := Point{Values: map[string]any{}, Result: sim.Aggregate(cfg, runs[pi])}
		for i, v := range p.Values {
			pt.Params = append(pt.Params, v.Value)
			pt.Values[res.Keys[i].Name] = res.Keys[i].value(v.Value)
		}
		res.Points = append(res.Points, pt)
		res.PointsDone++
		res.runs = append(res.runs, runs[pi])
		res.cfgs = append(res.cfgs, cfg)
	}
	_ = res.rows() // the values come from the keys: never an error here
	return res
}

// keysOf describes the swept keys from the values they take at points.
func keysOf(names []string, points []scenarios.Point) []Key {
	keys := make([]Key, len(names))
	for i, n := range names {
		keys[i] = Key{Key: n, Name: n, Values: []string{}}
		for _, p := range points {
			if v := p.Values[i].Value; !slices.Contains(keys[i].Values, v) {
				keys[i].Values = append(keys[i].Values, v)
			}
		}
		if durations(keys[i].Values) {
			keys[i].Unit, keys[i].Name = "s", n+"_s"
		}
	}
	return keys
}

// durations reports whether values are durations written with a unit
// ("0" may be one, but a key of plain numbers is not).
func durations(values []string) bool {
	unit := false
	for _, v := range values {
		if _, err := time.ParseDuration(v); err != nil {
			return false
		}
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			unit = true
		}
	}
	return unit
}

// numbers reports whether every value is a finite number.
func numbers(values []string) bool {
	for _, v := range values {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return false
		}
	}
	return len(values) > 0
}

// value is a written value as points carry it: seconds for a duration, a
// number for a key of numbers, else the text.
func (k Key) value(text string) any {
	switch {
	case k.Unit == "s":
		d, _ := time.ParseDuration(text)
		return d.Seconds()
	case numbers(k.Values):
		f, _ := strconv.ParseFloat(text, 64)
		return f
	}
	return text
}

// written returns the value as written whose point value (as text, in a
// CSV field) is field.
func (k Key) written(field string) (string, bool) {
	for _, w := range k.Values {
		if text(k.value(w)) == field {
			return w, true
		}
	}
	return "", false
}

// text is a point value in a CSV field.
func text(v any) string {
	if f, ok := v.(float64); ok {
		return num(f)
	}
	return fmt.Sprint(v)
}

// rows lists the points' results by group, and each point's values as
// written; a value that is none of its key's is an error.
func (res *Result) rows() error {
	res.Rows = nil
	for pi := range res.Points {
		p := &res.Points[pi]
		p.Params = make([]string, len(res.Keys))
		for i, k := range res.Keys {
			v, ok := p.Values[k.Name]
			if ok {
				p.Params[i], ok = k.written(text(v))
			}
			if !ok {
				return fmt.Errorf("point %d: %s is %v, none of the key's values %v", pi+1, k.Name, v, k.Values)
			}
		}
		window := time.Duration((p.Result.DurationS - p.Result.WarmupS) * float64(time.Second))
		for _, g := range p.Result.Groups {
			res.Rows = append(res.Rows, Row{Params: p.Params, Group: g.Name, Metrics: g,
				Replications: p.Result.Replications, Window: window})
		}
	}
	return nil
}

// DefaultTarget is what a sweep's findings hold the points to when the
// scenario sets no target: at most 1 break per 1000 client-hours, shown
// at 95% confidence. "No breaks" cannot be shown by any finite run; this
// can, and says how long a run must be to show it.
func DefaultTarget() target.Target {
	var t target.Target
	t.Set(target.Breaks, 1)
	t.Confidence = target.DefaultConfidence
	return t
}

// TargetOrDefault is the target the sweep's findings judge.
func (res *Result) TargetOrDefault() target.Target {
	if res.Target != nil {
		return *res.Target
	}
	return DefaultTarget()
}

// Judge judges a row against the sweep's target (TargetOrDefault).
func (res *Result) Judge(r Row) []target.Judgement {
	return target.JudgeAggregate(res.TargetOrDefault(), r.Window, r.Metrics, r.Replications)
}

// Timeout is a middlebox timeout, for charts.
type Timeout struct {
	Middlebox string
	Class     string // tcp_established, udp, udp_stream
	Seconds   float64
}

// Timeouts lists the timeouts that the groups' protocols meet and that
// are the same at every point (a swept timeout is the x axis, not a
// mark), in path order.
func (res *Result) Timeouts() []Timeout {
	var out []Timeout
	for pi, p := range res.Points {
		var here []Timeout
		var tcp, udp bool
		for _, g := range p.Result.Groups {
			tcp = tcp || g.Protocol == "tcp"
			udp = udp || g.Protocol == "udp"
		}
		for _, b := range p.Result.Middleboxes {
			if tcp {
				here = append(here, Timeout{b.Name, "tcp_established", b.Timeouts.TCPEstablished})
			}
			if udp {
				here = append(here, Timeout{b.Name, "udp", b.Timeouts.UDP}, Timeout{b.Name, "udp_stream", b.Timeouts.UDPStream})
			}
		}
		if pi == 0 {
			out = here
		} else {
			out = slices.DeleteFunc(out, func(t Timeout) bool { return !slices.Contains(here, t) })
		}
	}
	return out
}

// Write writes every output file of the results into dir (the caller
// adds scenario.yaml).
func (res *Result) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"sweep.csv", res.writeCSV},
		{"sweep.json", res.writeJSON},
		{"runs.csv", res.writeRuns},
		{"timeseries.csv", res.writeSeries},
	}
	for _, f := range files {
		if err := outfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func (res *Result) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func csvLine(w io.Writer, fields []string) {
	for i, f := range fields {
		fields[i] = csvField(f)
	}
	fmt.Fprintln(w, strings.Join(fields, ","))
}

// num is the one number format of the CSV files: the shortest decimal
// that reads back to x, never in exponent form.
func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// column is a CSV column: a group metric's JSON path within the group
// (ci95.P for a half-width), a middlebox metric's prefixed by
// middleboxes.BOX.
type column struct {
	name string
	box  string // "" for a group metric
	m    sim.Metric
	ci   bool
}

// columns lists the metric columns: group metrics in result order, each
// half-width after its mean, then each middlebox's. With ci false (one
// row per replication) there are no half-widths.
func (res *Result) columns(ci bool) []column {
	var cols []column
	for _, m := range sim.GroupMetrics {
		cols = append(cols, column{name: string(m), m: m})
		if ci && slices.Contains(sim.GroupCIMetrics, m) {
			cols = append(cols, column{name: "ci95." + string(m), m: m, ci: true})
		}
	}
	for _, b := range res.Middleboxes {
		for _, m := range sim.BoxMetrics {
			cols = append(cols, column{name: "middleboxes." + b + "." + string(m), box: b, m: m})
			if ci && slices.Contains(sim.BoxCIMetrics, m) {
				cols = append(cols, column{name: "middleboxes." + b + ".ci95." + string(m), box: b, m: m, ci: true})
			}
		}
	}
	return cols
}

// field is a column's value for group g with middleboxes boxes: empty for
// a half-width that the result does not have (one replication), and for
// an optional metric of a section the group lacks (a radio, adaptive
// heartbeats, a server's ping enforcement: sim.Metric.Optional).
func (c column) field(g sim.GroupResult, boxes []sim.BoxResult) string {
	var v float64
	ok := true
	switch {
	case c.box == "" && !g.Has(c.m):
		ok = false
	case c.box == "" && c.ci:
		v, ok = g.CI(c.m)
	case c.box == "":
		v, ok = g.Value(c.m)
	default:
		i := slices.IndexFunc(boxes, func(b sim.BoxResult) bool { return b.Name == c.box })
		switch {
		case i < 0:
			ok = false
		case c.ci:
			v, ok = boxes[i].CI(c.m)
		default:
			v, ok = boxes[i].Value(c.m)
		}
	}
	if !ok {
		return ""
	}
	return num(v)
}

func (res *Result) keyColumns() []string {
	var names []string
	for _, k := range res.Keys {
		names = append(names, k.Name)
	}
	return names
}

// keyFields are a point's values in CSV fields.
func (res *Result) keyFields(p Point) []string {
	var fields []string
	for _, k := range res.Keys {
		fields = append(fields, text(p.Values[k.Name]))
	}
	return fields
}

func (res *Result) writeCSV(w io.Writer) error {
	cols := res.columns(true)
	header := append(res.keyColumns(), "group")
	for _, c := range cols {
		header = append(header, c.name)
	}
	csvLine(w, header)
	for _, p := range res.Points {
		for _, g := range withPaths(p.Result.Groups) {
			fields := append(res.keyFields(p), g.Name)
			for _, c := range cols {
				fields = append(fields, c.field(g, p.Result.Middleboxes))
			}
			csvLine(w, fields)
		}
	}
	return nil
}

// withPaths lists groups as CSV rows: each group, followed, when it
// mixes paths, by a row per path named GROUP.paths.I.
func withPaths(groups []sim.GroupResult) []sim.GroupResult {
	var out []sim.GroupResult
	for _, g := range groups {
		out = append(out, g)
		for _, p := range g.Paths {
			out = append(out, p.GroupResult)
		}
	}
	return out
}

func (res *Result) writeRuns(w io.Writer) error {
	cols := res.columns(false)
	header := append(res.keyColumns(), "replication", "seed", "group")
	for _, c := range cols {
		header = append(header, c.name)
	}
	csvLine(w, header)
	for pi, runs := range res.runs {
		cfg := res.cfgs[pi]
		for _, r := range runs {
			for _, g := range withPaths(r.Groups) {
				fields := append(res.keyFields(res.Points[pi]), fmt.Sprint(r.Replication), fmt.Sprint(cfg.Seed), g.Name)
				for _, c := range cols {
					fields = append(fields, c.field(g, r.Middleboxes))
				}
				csvLine(w, fields)
			}
		}
	}
	return nil
}

func (res *Result) writeSeries(w io.Writer) error {
	csvLine(w, append(res.keyColumns(), "t_s", "middlebox", "capacity", "occupancy", "breaks"))
	for pi, runs := range res.runs {
		cfg := res.cfgs[pi]
		for bi, series := range runs[0].Series {
			for _, s := range series {
				csvLine(w, append(res.keyFields(res.Points[pi]), num(s.At.Seconds()), cfg.Path[bi].Name,
					fmt.Sprint(cfg.Path[bi].Capacity), fmt.Sprint(s.Occupancy), fmt.Sprint(s.Breaks)))
			}
		}
	}
	return nil
}

// DefaultDir is where a sweep writes when no --out is given:
// natsim-out/NAME-TIMESTAMP.
func DefaultDir(name string, now time.Time) string {
	return filepath.Join("natsim-out", scenarios.SafeName(name)+"-"+now.Format("20060102-150405"))
}

// SeriesRow is one time-series sample of one point and middlebox.
type SeriesRow struct {
	Params    []string
	At        float64 // seconds
	Middlebox string
	Capacity  int
	Occupancy int
}

// Series returns the time series of the first replication of each
// finished point.
func (res *Result) Series() []SeriesRow {
	var out []SeriesRow
	for pi, runs := range res.runs {
		out = append(out, SeriesOf(res.cfgs[pi], runs[0], res.Points[pi].Params)...)
	}
	return out
}

// SeriesOf returns the time series of one run of cfg, each row with the
// values of the swept keys at its point (nil for a single run).
func SeriesOf(cfg *sim.Config, run *sim.RunResult, params []string) []SeriesRow {
	var out []SeriesRow
	for bi, series := range run.Series {
		m := cfg.Path[bi]
		for _, s := range series {
			out = append(out, SeriesRow{Params: params, At: s.At.Seconds(), Middlebox: m.Name, Capacity: m.Capacity, Occupancy: s.Occupancy})
		}
	}
	return out
}

// Load reads sweep.json from dir (or the file itself), and the time series
// beside it when there is one. The folder must hold a complete natsim
// output (outdir.Verify): a half-written or mixed folder is refused.
func Load(path string) (*Result, []SeriesRow, error) {
	file := path
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		file = filepath.Join(path, "sweep.json")
	}
	if _, err := outdir.Verify(filepath.Dir(file)); err != nil {
		return nil, nil, err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var res Result
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a field renamed since is refused, not read as zero
	if err := dec.Decode(&res); err != nil {
		return nil, nil, fmt.Errorf("%s: not a sweep.json natsim %s reads (docs/result.schema.json): %w", file, sim.Version, err)
	}
	if err := missing(data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w: written by natsim %s, read by %s", file, err, res.Version, sim.Version)
	}
	if err := res.rows(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(res.Points) > 0 {
		first := res.Points[0].Result
		for _, g := range first.Groups {
			res.Groups = append(res.Groups, g.Name)
		}
		for _, b := range first.Middleboxes {
			res.Middleboxes = append(res.Middleboxes, b.Name)
		}
	}
	series, err := loadSeries(filepath.Join(filepath.Dir(file), "timeseries.csv"), res.Keys)
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, err
	}
	return &res, series, nil
}

// missing names the first metric that a point's group or middlebox
// lacks in a sweep.json.
func missing(data []byte) error {
	var raw struct {
		Points []struct {
			Result struct {
				Groups      []map[string]any `json:"groups"`
				Middleboxes []map[string]any `json:"middleboxes"`
			} `json:"result"`
		} `json:"points"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	for pi, p := range raw.Points {
		for _, c := range []struct {
			what    string
			objs    []map[string]any
			metrics []sim.Metric
		}{{"group", p.Result.Groups, sim.GroupMetrics}, {"middlebox", p.Result.Middleboxes, sim.BoxMetrics}} {
			for _, obj := range c.objs {
				for _, m := range c.metrics {
					if _, ok := lookup(obj, string(m)).(float64); !ok && !m.Optional() {
						return fmt.Errorf("point %d: %s %v has no metric %q", pi+1, c.what, obj["name"], m)
					}
				}
			}
		}
	}
	return nil
}

// lookup follows a dotted path through decoded JSON objects.
func lookup(v any, path string) any {
	for _, name := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[name]
	}
	return v
}

// loadSeries reads timeseries.csv as writeSeries wrote it; a field that
// is not a number is an error that names the file, line and column.
func loadSeries(file string, keys []Key) ([]SeriesRow, error) {
	nkeys := len(keys)
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := csv.NewReader(f)
	rd.FieldsPerRecord = -1 // counted below, with a clearer message
	var out []SeriesRow
	for header := true; ; header = false {
		r, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		line, _ := rd.FieldPos(0)
		if header {
			continue
		}
		if len(r) != nkeys+5 {
			return nil, fmt.Errorf("%s:%d: a row has %d fields, want %d", file, line, len(r), nkeys+5)
		}
		row := SeriesRow{Params: make([]string, nkeys), Middlebox: r[nkeys+1]}
		var errs []error
		for i, k := range keys {
			var ok bool
			if row.Params[i], ok = k.written(r[i]); !ok {
				errs = append(errs, fmt.Errorf("%s:%d: %s: %q is none of the key's values", file, line, k.Name, r[i]))
			}
		}
		number := func(col int, name string, parse func(string) error) {
			if err := parse(r[col]); err != nil {
				errs = append(errs, fmt.Errorf("%s:%d: %s: %w", file, line, name, err))
			}
		}
		number(nkeys, "t_s", func(s string) (err error) { row.At, err = strconv.ParseFloat(s, 64); return })
		number(nkeys+2, "capacity", func(s string) (err error) { row.Capacity, err = strconv.Atoi(s); return })
		number(nkeys+3, "occupancy", func(s string) (err error) { row.Occupancy, err = strconv.Atoi(s); return })
		number(nkeys+4, "breaks", func(s string) error { _, err := strconv.ParseUint(s, 10, 64); return err })
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		out = append(out, row)
	}
}

// KeyNames lists the swept keys as the scenario names them.
func (res *Result) KeyNames() []string {
	var names []string
	for _, k := range res.Keys {
		names = append(names, k.Key)
	}
	return names
}
