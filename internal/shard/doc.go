// Package shard splits a sweep's runs between independent processes
// (the tasks of a Slurm, Kubernetes or AWS Batch job array) and puts
// their results back together.
//
// A run is one replication of one point: its identity is the sweep's
// canonical scenario (the resolved scenario.yaml, by its SHA-256), the
// point's index in the sweep and the replication. Its seed is the
// engine's, a function of the scenario's seed and the replication
// (sim.Run), so it never depends on which shard, worker or order ran it:
// a run gives the same bytes wherever it runs.
//
// Deal gives each of N shards its runs, the costliest first, each to the
// shard with the least work so far (longest processing time first), so
// that expensive points spread evenly. The cost of a run is the engine's
// estimate of its events (sim.Config.EstimateEvents: timer firings over
// the duration and the clients' first connections).
//
// A shard's folder holds scenario.yaml (the canonical scenario, which
// natsim sweep re-runs as is), shard.json (the manifest: format, natsim
// version, the canonical scenario and its hash, the shard, the runs it
// owns), one run-ID.json per finished run, each written whole by a
// rename, and complete.json, written last. Re-running the shard skips the
// runs it finds recorded. Collect reads any number of shard folders,
// refuses pieces of different scenarios or runs recorded twice with
// different bytes, and returns each point's runs for the sweep's usual
// statistics.
//
// Costs: Deal sorts the runs once and keeps the shards in a heap, O(R
// log R + R log N) for R runs. Reading a folder reads every record once.
package shard
