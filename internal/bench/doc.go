// Package bench measures natsim on the reference workload
// (docs/sources.md, "Performance baselines", or a scaled copy):
// heartbeats, events and packets per second of wall time, and peak heap
// and resident memory per client. natsim bench and the go test
// benchmarks both use it. Unlike sim it reads the wall clock: that is
// what it measures.
package bench
