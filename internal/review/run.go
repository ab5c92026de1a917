package review

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/sim"
)

// RunNames lists the charts drawn for a single run (natsim run --charts),
// in report order. breaks-vs, detection and heatmap draw a metric against
// swept values, which a single run does not have.
var RunNames = []string{"tradeoff", "occupancy"}

// WriteRun draws the charts of a single run into dir as NAME.format, from
// the run's own result: the trade-off with a point per client group (res,
// the mean over replications) and the occupancy of each middlebox over
// time (first, the first replication; left out when it has no time
// series).
func WriteRun(dir string, cfg *sim.Config, res *sim.Result, first *sim.RunResult, format string) ([]Written, error) {
	// The finding gives the break rate's bound of each group as a whole,
	// whatever the target.
	breaksOnly := sweep.DefaultTarget()
	window := time.Duration((res.DurationS - res.WarmupS) * float64(time.Second))
	var ls []tradeLine
	for _, g := range res.Groups {
		p := tradePoint{label: g.Name, overhead: g.Overhead.CostBytesPerClientHour,
			breaks: sweep.Stat{Mean: g.BreaksPer1000ClientHours}, judged: target.Whole(target.JudgeAggregate(breaksOnly, window, g, res.Replications))}
		if g.CI95 != nil {
			p.breaks.CI95 = g.CI95.BreaksPer1000ClientHours
		}
		ls = append(ls, tradeLine{name: g.Name, points: []tradePoint{p}})
	}
	charts := []*Chart{drawTradeoff(cfg.Name+": "+tradeoffWhat, ls, func(l tradeLine) string {
		p := l.points[0]
		return fmt.Sprintf("%s: %s, at %s bytes per client-hour", l.name,
			boundsText(p.judged, breaksOnly.Confidence), fmtNum(math.Round(p.overhead)))
	})}
	var boxes []string
	for _, m := range cfg.Path {
		boxes = append(boxes, m.Name)
	}
	occ, err := drawOccupancy(cfg.Name+": "+occupancyWhat, nil, boxes, sweep.SeriesOf(cfg, first, nil))
	switch {
	case err == nil:
		charts = append(charts, occ)
	case !errors.Is(err, ErrNotApplicable): // a run without a time series
		return nil, err
	}
	var written []Written
	for _, c := range charts {
		w, err := save(c, dir, format)
		if err != nil {
			return nil, err
		}
		written = append(written, w)
	}
	return written, nil
}
