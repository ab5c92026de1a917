package sweep

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/outdir"
	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// Stat is a metric's mean over replications and its 95% half-width.
type Stat struct {
	Mean float64 `json:"mean"`
	CI95 float64 `json:"ci95"`
}

// Row is one point and client group: every metric of the group (named as
// sim.GroupMetrics), then of every middlebox (BoxMetric).
type Row struct {
	Params  []string        `json:"params"` // values of the swept keys, in Keys order
	Group   string          `json:"group"`
	Metrics map[string]Stat `json:"metrics"`
}

// Get returns the row's statistic of the group metric m. A row without m
// is a bug, not a zero: rows built by Run have every metric and Load
// refuses a sweep.json whose rows lack one, so Get panics.
func (r Row) Get(m sim.Metric) Stat {
	st, ok := r.Metrics[string(m)]
	if !ok {
		panic(fmt.Sprintf("sweep: row %v of group %s has no metric %q", r.Params, r.Group, m))
	}
	return st
}

// BoxMetric is the name under which a row holds metric m of middlebox
// box: mb.BOX.METRIC.
func BoxMetric(box string, m sim.Metric) string { return "mb." + box + "." + string(m) }

// missing names the first metric that a row lacks, or returns "".
func (res *Result) missing(r Row) string {
	for _, m := range sim.GroupMetrics {
		if _, ok := r.Metrics[string(m)]; !ok {
			return string(m)
		}
	}
	for _, b := range res.Middleboxes {
		for _, m := range sim.BoxMetrics {
			if _, ok := r.Metrics[BoxMetric(b, m)]; !ok {
				return BoxMetric(b, m)
			}
		}
	}
	return ""
}

// Timeout is a middlebox timeout on the path, for charts.
type Timeout struct {
	Middlebox string  `json:"middlebox"`
	Class     string  `json:"class"`
	Seconds   float64 `json:"s"`
}

// Result is sweep.json: everything the charts and the report need.
type Result struct {
	Version      string    `json:"natsim_version"`
	Scenario     string    `json:"scenario"`
	Description  string    `json:"description"`
	Seed         uint64    `json:"seed"`
	Replications int       `json:"replications"`
	Partial      bool      `json:"partial"`
	PointsDone   int       `json:"points_done"`
	PointsTotal  int       `json:"points_total"`
	Keys         []string  `json:"keys"`
	Groups       []string  `json:"groups"`
	Middleboxes  []string  `json:"middleboxes"`
	Capacities   []int     `json:"capacities"`
	Timeouts     []Timeout `json:"timeouts"`
	Rows         []Row     `json:"rows"`

	// Zip lists the groups of keys that move together (written under
	// zip: or joined by ';' in --param); the other keys are crossed.
	// Absent for a cartesian sweep.
	Zip [][]string `json:"zip,omitempty"`

	runs   [][]*sim.RunResult // per finished point, for runs.csv and timeseries.csv
	params [][]string         // per finished point
	cfgs   []*sim.Config
}

// Run runs every point with its replications on workers. Once ctx is
// done it stops: the points whose replications all finished are kept and
// the result is marked partial.
func Run(ctx context.Context, points []scenarios.Point, keys []string, workers int, obs batch.Observer) (*Result, error) {
	var jobs []batch.Job
	var first []int // index of each point's first job
	for _, p := range points {
		first = append(first, len(jobs))
		for rep := range p.Scenario.Replications {
			jobs = append(jobs, batch.Job{Config: &p.Scenario.Config, Replication: rep})
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
// partial).
func Assemble(points []scenarios.Point, keys []string, runs [][]*sim.RunResult) *Result {
	base := points[0].Scenario
	res := &Result{Version: sim.Version, Scenario: base.Config.Name, Description: base.Description,
		Seed: base.Config.Seed, Replications: base.Replications, PointsTotal: len(points), Keys: keys, Zip: points[0].Zipped()}
	for _, g := range base.Config.Groups {
		res.Groups = append(res.Groups, g.Name)
	}
	for _, m := range base.Config.Path {
		res.Middleboxes = append(res.Middleboxes, m.Name)
		res.Capacities = append(res.Capacities, m.Capacity)
		res.Timeouts = append(res.Timeouts, timeoutsOf(m, base.Config.Groups)...)
	}
	for pi, p := range points {
		if slices.Contains(runs[pi], nil) {
			res.Partial = true
			continue
		}
		res.add(p, runs[pi])
	}
	return res
}

// timeoutsOf lists the timeouts of a middlebox that its groups' protocols
// meet.
func timeoutsOf(m sim.Middlebox, groups []sim.Group) []Timeout {
	var tcp, udp bool
	for _, g := range groups {
		tcp = tcp || g.Proto == nat.TCP
		udp = udp || g.Proto == nat.UDP
	}
	var out []Timeout
	if tcp {
		out = append(out, Timeout{m.Name, "tcp_established", m.Timeouts.TCPEstablished.Seconds()})
	}
	if udp {
		out = append(out, Timeout{m.Name, "udp", m.Timeouts.UDP.Seconds()}, Timeout{m.Name, "udp_stream", m.Timeouts.UDPStream.Seconds()})
	}
	return out
}

// add aggregates one finished point into rows.
func (res *Result) add(p scenarios.Point, runs []*sim.RunResult) {
	cfg := &p.Scenario.Config
	params := make([]string, len(p.Values))
	for i, v := range p.Values {
		params[i] = v.Value
	}
	res.PointsDone++
	res.runs = append(res.runs, runs)
	res.params = append(res.params, params)
	res.cfgs = append(res.cfgs, cfg)
	boxes := map[string]Stat{}
	for bi, m := range cfg.Path {
		for name, st := range stats(runs, func(r *sim.RunResult) any { return r.Middleboxes[bi] }) {
			boxes[BoxMetric(m.Name, name)] = st
		}
	}
	for gi, g := range cfg.Groups {
		row := Row{Params: params, Group: g.Name, Metrics: map[string]Stat{}}
		for m, st := range stats(runs, func(r *sim.RunResult) any { return r.Groups[gi] }) {
			row.Metrics[string(m)] = st
		}
		for k, v := range boxes {
			row.Metrics[k] = v
		}
		res.Rows = append(res.Rows, row)
	}
}

// stats computes every metric's mean and 95% half-width over runs.
func stats(runs []*sim.RunResult, pick func(*sim.RunResult) any) map[sim.Metric]Stat {
	per := make([][]sim.MetricValue, len(runs))
	for i, r := range runs {
		per[i] = sim.Flatten(pick(r))
	}
	out := map[sim.Metric]Stat{}
	for mi, m := range per[0] {
		xs := make([]float64, len(runs))
		for i := range runs {
			xs[i] = per[i][mi].Value
		}
		mean, hw := sim.MeanCI95(xs)
		out[m.Name] = Stat{Mean: mean, CI95: hw}
	}
	return out
}

// metricNames lists the metric columns in a stable order: group metrics
// in result order, then middlebox metrics.
func (res *Result) metricNames() []string {
	var names []string
	for _, m := range sim.GroupMetrics {
		names = append(names, string(m))
	}
	for _, b := range res.Middleboxes {
		for _, m := range sim.BoxMetrics {
			names = append(names, BoxMetric(b, m))
		}
	}
	return names
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

func num(x float64) string { return fmt.Sprint(x) }

func (res *Result) writeCSV(w io.Writer) error {
	names := res.metricNames()
	header := append(slices.Clone(res.Keys), "group")
	for _, n := range names {
		header = append(header, n, n+"_ci95")
	}
	csvLine(w, header)
	for _, row := range res.Rows {
		fields := append(slices.Clone(row.Params), row.Group)
		for _, n := range names {
			st := row.Metrics[n]
			fields = append(fields, num(st.Mean), num(st.CI95))
		}
		csvLine(w, fields)
	}
	return nil
}

func (res *Result) writeRuns(w io.Writer) error {
	names := res.metricNames()
	csvLine(w, append(append(slices.Clone(res.Keys), "replication", "seed", "group"), names...))
	for pi, runs := range res.runs {
		cfg := res.cfgs[pi]
		for _, r := range runs {
			boxes := map[string]float64{}
			for bi, m := range cfg.Path {
				for _, x := range sim.Flatten(r.Middleboxes[bi]) {
					boxes[BoxMetric(m.Name, x.Name)] = x.Value
				}
			}
			for _, g := range r.Groups {
				vals := map[string]float64{}
				for _, x := range sim.Flatten(g) {
					vals[string(x.Name)] = x.Value
				}
				fields := append(slices.Clone(res.params[pi]), fmt.Sprint(r.Replication), fmt.Sprint(cfg.Seed), g.Name)
				for _, n := range names {
					v, ok := vals[n]
					if !ok {
						v = boxes[n]
					}
					fields = append(fields, num(v))
				}
				csvLine(w, fields)
			}
		}
	}
	return nil
}

func (res *Result) writeSeries(w io.Writer) error {
	csvLine(w, append(slices.Clone(res.Keys), "t_s", "middlebox", "capacity", "occupancy", "breaks"))
	for pi, runs := range res.runs {
		cfg := res.cfgs[pi]
		for bi, series := range runs[0].Series {
			for _, s := range series {
				csvLine(w, append(slices.Clone(res.params[pi]), num(s.At.Seconds()), cfg.Path[bi].Name,
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
		out = append(out, SeriesOf(res.cfgs[pi], runs[0], res.params[pi])...)
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
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, nil, fmt.Errorf("%s: not a natsim sweep.json: %w", file, err)
	}
	for i, r := range res.Rows {
		if m := res.missing(r); m != "" {
			return nil, nil, fmt.Errorf("%s: row %d (group %s) has no metric %q: written by natsim %s, read by %s", file, i+1, r.Group, m, res.Version, sim.Version)
		}
	}
	series, err := loadSeries(filepath.Join(filepath.Dir(file), "timeseries.csv"), len(res.Keys))
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, err
	}
	return &res, series, nil
}

// loadSeries reads timeseries.csv as writeSeries wrote it; a field that
// is not a number is an error that names the file, line and column.
func loadSeries(file string, nkeys int) ([]SeriesRow, error) {
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
		row := SeriesRow{Params: r[:nkeys], Middlebox: r[nkeys+1]}
		var errs []error
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
