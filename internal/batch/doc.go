// Package batch runs independent simulation runs in parallel on a fixed
// number of workers and returns their results in input order, so that
// what comes out never depends on the number of workers. It is the only
// place where natsim starts goroutines for simulation work: the engine
// itself is single-threaded (package sim).
package batch
