// Package batch runs independent simulation runs in parallel on a fixed
// number of workers and returns their results in input order, so that
// what comes out never depends on the number of workers. It is the only
// place where natsim starts goroutines for simulation work: the engine
// itself is single-threaded (package sim).
package batch

import (
	"errors"
	"sync"
	"time"

	"github.com/natsim/natsim/sim"
)

// Job is one run: a configuration and its replication number.
type Job struct {
	Config      *sim.Config
	Replication int
}

// Observer hears about progress; every method may be called from several
// goroutines at once. A nil Observer is allowed.
type Observer interface {
	// Reached reports the simulated time job i has reached.
	Reached(i int, at time.Duration)
	// Finished reports that job i is done.
	Finished(i int)
}

// Run runs every job on up to workers goroutines. Once stop is closed
// (nil: never) it starts no new job and stops the running ones; jobs not
// done are left nil in the result, are not reported as finished, and do
// not count as errors.
func Run(jobs []Job, workers int, obs Observer, stop <-chan struct{}) ([]*sim.RunResult, error) {
	results := make([]*sim.RunResult, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, len(jobs))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				progress := func(at time.Duration) bool {
					if obs != nil {
						obs.Reached(i, at)
					}
					select {
					case <-stop:
						return false
					default:
						return true
					}
				}
				results[i], errs[i] = sim.Run(jobs[i].Config, jobs[i].Replication, progress)
				if errors.Is(errs[i], sim.ErrStopped) {
					errs[i] = nil
					continue
				}
				if obs != nil {
					obs.Finished(i)
				}
			}
		}()
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-stop:
			break feed
		}
	}
	close(next)
	wg.Wait()
	return results, errors.Join(errs...)
}
