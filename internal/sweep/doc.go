// Package sweep runs a scenario over the points of a sweep (each point
// replicated with independent seeds, all runs in parallel through package
// batch) and writes what a design review needs to reproduce and chart it:
// sweep.csv and sweep.json (one row per point and client group, the swept
// keys first, then every metric's mean and 95% half-width), runs.csv (one
// row per replication) and timeseries.csv (the first replication of each
// point); the command adds scenario.yaml (scenarios.ResolvedYAML). An
// interrupted sweep writes the points it finished and says it is partial.
package sweep
