package review

import (
	"errors"

	"github.com/natsim/natsim/internal/sweep"
	"github.com/natsim/natsim/sim"
)

// RunNames lists the charts drawn for a single run (natsim run --charts).
// A trade-off needs several points of one group and breaks-vs, detection
// and heatmap draw a metric against swept values: a single run has
// neither.
var RunNames = []string{"occupancy"}

// WriteRun draws the charts of a single run into dir as NAME.format, from
// the run's own result: the occupancy of each middlebox over time (first,
// the first replication; none when it has no time series).
func WriteRun(dir string, cfg *sim.Config, first *sim.RunResult, format string) ([]Written, error) {
	var boxes []string
	for _, m := range cfg.Path {
		boxes = append(boxes, m.Name)
	}
	occ, err := drawOccupancy(cfg.Name+": "+occupancyWhat, nil, boxes, sweep.SeriesOf(cfg, first, nil))
	switch {
	case errors.Is(err, ErrNotApplicable): // a run without a time series
		return nil, nil
	case err != nil:
		return nil, err
	}
	w, err := save(occ, dir, format)
	if err != nil {
		return nil, err
	}
	return []Written{w}, nil
}
