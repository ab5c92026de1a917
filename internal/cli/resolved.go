package cli

import (
	"path/filepath"

	"github.com/natsim/natsim/internal/outfile"
	"github.com/natsim/natsim/scenarios"
)

// writeResolved writes scenario.yaml into dir: sc as it ran at points
// (scenarios.ResolvedYAML), which natsim run or sweep on it reproduces.
func writeResolved(dir string, sc *scenarios.Scenario, points []scenarios.Point) error {
	resolved, err := sc.ResolvedYAML(points)
	if err != nil {
		return err
	}
	return outfile.WriteBytes(filepath.Join(dir, "scenario.yaml"), resolved)
}
