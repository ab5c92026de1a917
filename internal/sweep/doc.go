// Package sweep runs a scenario over the points of a sweep (each point
// replicated with independent seeds, all runs in parallel through package
// batch) and writes what a design review needs to reproduce and chart it:
// sweep.json (the swept keys, then for each point its values and its
// result: the object natsim run --json writes, sim.Result), sweep.csv
// (one row per point and client group: the swept values, then every
// metric's mean, each half-width after its mean, then each middlebox's),
// runs.csv (one row per replication) and timeseries.csv (the first
// replication of each point); the command adds scenario.yaml
// (scenarios.ResolvedYAML). Swept durations are given in seconds, under
// the key's name with _s. An interrupted sweep writes the points it
// finished and says it is partial. docs/model.md, section 9, describes
// the files; docs/result.schema.json is their JSON Schema.
package sweep
