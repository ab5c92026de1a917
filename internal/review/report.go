package review

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/plots"
	"github.com/natsim/natsim/sim"
)

// Written is a chart written to disk.
type Written struct {
	*Chart
	File string // the image, relative to the output directory
}

// Save writes a chart as path (its format from the extension) and its
// data as the same name with .csv.
func Save(c *Chart, path string) error {
	format, err := plots.FormatOf(path)
	if err != nil {
		return err
	}
	if err := outfile.Write(path, func(w io.Writer) error { return plots.Render(w, c.Figure, format) }); err != nil {
		return err
	}
	return outfile.Write(strings.TrimSuffix(path, filepath.Ext(path))+".csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.WriteAll(c.Data)
		return cw.Error()
	})
}

// WriteAll builds and saves every standard chart into dir as NAME.format;
// charts that do not apply are returned in skipped with the reason.
func WriteAll(dir string, res *sweep.Result, series []sweep.SeriesRow, format string) (written []Written, skipped []string, err error) {
	for _, name := range Names {
		cs, err := Build(name, res, series)
		if errors.Is(err, ErrNotApplicable) {
			skipped = append(skipped, name+": "+strings.TrimPrefix(err.Error(), ErrNotApplicable.Error()+": "))
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			w, err := save(c, dir, format)
			if err != nil {
				return nil, nil, err
			}
			written = append(written, w)
		}
	}
	return written, skipped, nil
}

// save saves a chart into dir as NAME.format.
func save(c *Chart, dir, format string) (Written, error) {
	file := c.Name + "." + format
	return Written{Chart: c, File: file}, Save(c, filepath.Join(dir, file))
}

// Report writes report.md: the question and its answer (the trade-off's
// finding, else breaks-vs's), the setup as written (cfg: the scenario
// before its sweep, with the swept values listed), then the evidence: the
// results and the charts with their findings.
func Report(w io.Writer, res *sweep.Result, cfg *sim.Config, written []Written, skipped []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", res.Scenario)
	if res.Partial {
		fmt.Fprintf(&b, "> **Partial sweep:** interrupted after %d of %d points; only those are shown.\n\n", res.PointsDone, res.PointsTotal)
	}
	b.WriteString("## Question\n\n")
	if res.Description != "" {
		b.WriteString(res.Description + "\n\n")
	} else {
		b.WriteString("(the scenario has no description)\n\n")
	}
	b.WriteString("## Answer\n\n" + answer(written) + "\n\n")
	fmt.Fprintf(&b, "Simulated %v after %v of warmup, %d replication(s) per point, seed %d; natsim %s. "+
		"`scenario.yaml` beside this file reproduces every number.\n\n", cfg.Duration-cfg.Warmup, cfg.Warmup, res.Replications, res.Seed, res.Version)
	Setup(&b, cfg)
	if len(res.Keys) > 0 {
		b.WriteString("\nThe setup is the scenario as written; the sweep sets, point by point:\n\n")
		for _, k := range res.Keys {
			fmt.Fprintf(&b, "- %s: %s\n", k.Key, strings.Join(k.Values, ", "))
		}
		for _, z := range res.Zip {
			fmt.Fprintf(&b, "%s move together (zip:): point i takes the i-th value of each.\n", strings.Join(z, ", "))
		}
	}
	b.WriteString("\n## Evidence\n\n")
	fmt.Fprintf(&b, "Breaks are the rate over the replications and, in brackets, its upper confidence bound; "+
		"the target column judges the target (%s) on such bounds.\n\n", report.TargetText(res.TargetOrDefault()))
	head := append(res.KeyNames(), "group", "target", "breaks / 1000 client-h", "cost B / client-h", "detection p50 / p99 (s)", "downtime", "refused opens", "lost up / down")
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|" + strings.Repeat("---|", len(head)) + "\n")
	for _, r := range res.Rows {
		cells := append(append([]string{}, r.Params...), r.Group, target.Overall(res.Judge(r)).String(),
			fmt.Sprintf("%s (< %s)", sim.Num(r.Get(breaksKey).Mean), sim.Num(breaksUpper(res, r))),
			sim.Num(r.Get(costKey).Mean),
			detectionCell(r),
			fmt.Sprintf("%.2g%%", 100*r.Get(sim.GroupDowntimeFraction).Mean),
			sim.Num(r.Get(sim.GroupRefusedOpens).Mean),
			sim.Num(r.Get(sim.GroupLostUp).Mean)+" / "+sim.Num(r.Get(sim.GroupLostDown).Mean))
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	if len(written) > 0 {
		b.WriteString("\n### Charts\n")
	}
	for _, c := range written {
		fmt.Fprintf(&b, "\n#### %s\n\n![%s](%s)\n\n%s Data: `%s`.\n", c.Name, c.Name, c.File, c.Finding,
			strings.TrimSuffix(c.File, filepath.Ext(c.File))+".csv")
	}
	if len(skipped) > 0 {
		b.WriteString("\nNot drawn: " + strings.Join(skipped, "; ") + ".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Setup writes a report's setup section: a table of the middleboxes
// and one of the client groups, of cfg as written.
func Setup(b *strings.Builder, cfg *sim.Config) {
	b.WriteString("## Setup\n\n| middlebox | capacity | when full | tcp established | tcp transitory | udp / stream | unknown out / in | port kept |\n|---|---|---|---|---|---|---|---|\n")
	for _, m := range cfg.Path {
		capacity := fmt.Sprint(m.Capacity)
		if m.Capacity == 0 {
			capacity = "unlimited"
		}
		fmt.Fprintf(b, "| %s | %s | %v | %v | %v | %v / %v | %v / %v | %v |\n", m.Name, capacity, m.WhenFull, m.Timeouts.TCPEstablished,
			m.Timeouts.TCPTransitory, m.Timeouts.UDP, m.Timeouts.UDPStream, m.UnknownOutbound, m.UnknownInbound, m.PortPreservation)
	}
	b.WriteString("\n| group | clients | protocol | path | keepalive | traffic up / down | sessions |\n|---|---|---|---|---|---|---|\n")
	for gi, g := range cfg.Groups {
		proto := "tcp"
		if g.Proto != 0 {
			proto = "udp"
		}
		sess := "none"
		if g.Session != nil {
			sess = fmt.Sprintf("lifetime %s, think %s", dist(g.Session.Lifetime), dist(g.Session.Think))
		}
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s / %s | %s |\n", g.Name, g.Count, proto, cfg.PathText(&cfg.Groups[gi]), keepalive(g.Keepalive),
			dist(g.Up.Interval), dist(g.Down.Interval), sess)
	}
}

// detectionCell writes a row's detection latencies, or a dash where no
// break was seen: a latency of no break is absent, not 0.
func detectionCell(r sweep.Row) string {
	if r.Get(sim.GroupBreaksTotal).Mean == 0 {
		return "—"
	}
	return sim.Num(r.Get(sim.GroupDetectionP50).Mean) + " / " + sim.Num(r.Get(sim.GroupDetectionP99).Mean)
}

// answer is the report's answer: the trade-off's finding (the cheapest
// point meeting the target, by target.Cheapest), else what breaks-vs
// found, else a pointer to the evidence.
func answer(written []Written) string {
	for _, name := range []string{"tradeoff", "breaks-vs"} {
		for _, c := range written {
			if c.Name == name {
				return c.Finding
			}
		}
	}
	return "No chart answers it (see Not drawn below); the table below gives each point's numbers."
}

func dist(d sim.Dist) string {
	if d.IsZero() {
		return "none"
	}
	a := func(x time.Duration) string { return x.String() }
	switch d.Kind {
	case sim.Exponential:
		return "exp(" + a(d.A) + ")"
	case sim.Uniform:
		return "U(" + a(d.A) + ", " + a(d.B) + ")"
	case sim.Lognormal:
		return fmt.Sprintf("lognormal(%s, σ %g)", a(d.A), d.Shape)
	case sim.Pareto:
		return fmt.Sprintf("pareto(%s, α %g)", a(d.A), d.Shape)
	}
	return a(d.A)
}

func keepalive(k sim.Keepalive) string { return k.Type.Kind().Summary(k) }
