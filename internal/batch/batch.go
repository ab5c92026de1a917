package batch

import (
	"cmp"
	"context"
	"errors"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/natsim/natsim/sim"
)

// Job is one run: a configuration and its replication number.
type Job struct {
	Config      *sim.Config
	Replication int
	// Cost is the run's expected work, in any unit (events, say): the
	// costliest jobs start first, so that a long run started last does
	// not keep one worker busy after the others ran out of work. Equal
	// costs start in input order. It changes no result.
	Cost float64
}

// Observer hears about progress; every method may be called from several
// goroutines at once. A nil Observer is allowed.
type Observer interface {
	// Reached reports the simulated time job i has reached.
	Reached(i int, at time.Duration)
	// Finished reports that job i is done.
	Finished(i int)
}

// Run runs every job on up to workers goroutines, the costliest first.
// Once ctx is done it starts no new job and stops the running ones at
// their next progress report; jobs not done are left nil in the result,
// are not reported as finished, and do not count as errors (the caller
// asks ctx why).
func Run(ctx context.Context, jobs []Job, workers int, obs Observer) ([]*sim.RunResult, error) {
	return RunEach(ctx, jobs, workers, obs, nil)
}

// RunEach is Run that also hands each job that ended (finished, or
// failed with err) to keep, on the worker that ran it, before it is
// reported finished: a sweep shard records it there, so that a crash
// loses only the runs under way. What keep returns is the job's error;
// keep may be nil.
func RunEach(ctx context.Context, jobs []Job, workers int, obs Observer, keep func(i int, r *sim.RunResult, err error) error) ([]*sim.RunResult, error) {
	stop := ctx.Done()
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
				if keep != nil {
					errs[i] = keep(i, results[i], errs[i])
				}
				if obs != nil {
					obs.Finished(i)
				}
			}
		}()
	}
	order := make([]int, len(jobs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(jobs[b].Cost, jobs[a].Cost) })
feed:
	for _, i := range order {
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

// GCPercent is the garbage collector's target when several runs share
// the cores: a run allocates little but lives long, and at Go's default
// of 100 the concurrent collector takes a core's worth of time away from
// a second worker (a sweep of 8 equal points ran 1.82x faster on 2
// workers than on one at 100, 1.91x at 400; sweep's
// BenchmarkSweepTwoJobs).
const GCPercent = 400

// SingleGCPercent is the target for a batch of one run. Once its tables
// have grown a run allocates nothing, so collections are rare whatever
// the target; a low one collects the maps' growth garbage before the
// heap peaks. At 1M clients the peak heap was the live heap at 25 (229 B
// per client) and 248 B at 100, at the same speed (reference workload,
// 4 interleaved pairs: 3.48 M vs 3.44 M heartbeats/s). A series of runs
// on one worker keeps Go's default: each run leaves its arrays as
// garbage, and at 25 a sweep of small runs took 20% longer.
const SingleGCPercent = 25

// TuneGC sets the collector for a batch of runs on workers workers
// (unless the user set GOGC): GCPercent when several run at once,
// SingleGCPercent for a single run, Go's default for a series; and a soft
// memory limit (0: none) that makes it collect harder before the process
// outgrows the machine.
func TuneGC(limit int64, runs, workers int) {
	if os.Getenv("GOGC") == "" {
		switch {
		case workers > 1 && runs > 1:
			debug.SetGCPercent(GCPercent)
		case runs == 1:
			debug.SetGCPercent(SingleGCPercent)
		default:
			debug.SetGCPercent(100)
		}
	}
	if limit > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}
