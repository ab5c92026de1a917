package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/natsim/natsim/internal/batch"
)

// progress shows how far long runs have got on stderr: a line redrawn in
// place when stderr is a terminal; otherwise (in logs and CI) a line every
// lineEvery of wall time, so that a long run is seen to be alive; nothing
// with --quiet. It is safe for concurrent use by workers.
type progress struct {
	w            io.Writer
	on           bool // draw a line in place (a terminal)
	ticks        bool // print a line every lineEvery (not a terminal)
	lines        bool // print a line per finished point (not a terminal)
	now          func() time.Time
	mu           sync.Mutex
	start        time.Time
	last         time.Time
	reached      []time.Duration // simulated time reached per run
	spans        []time.Duration // simulated time of each run
	total        time.Duration   // of all runs
	finishedRuns int

	// For sweeps: the point of each job, the jobs still running per point,
	// and each point's label.
	jobPoint  []int
	left      []int
	labels    []string
	doneCount int
}

// lineEvery is how often progress prints a line off a terminal.
const lineEvery = 10 * time.Second

// newProgress shows progress over runs of the given simulated lengths.
func newProgress(w io.Writer, quiet bool, spans []time.Duration) *progress {
	return newProgressAt(w, quiet, spans, time.Now)
}

// newProgressAt is newProgress reading the wall clock through now.
func newProgressAt(w io.Writer, quiet bool, spans []time.Duration, now func() time.Time) *progress {
	on := !quiet && isTerminal(w)
	p := &progress{w: w, on: on, ticks: !quiet && !on, now: now, start: now(),
		reached: make([]time.Duration, len(spans)), spans: spans}
	p.last = p.start
	for _, s := range spans {
		p.total += s
	}
	return p
}

// countPoints makes the display count points of a sweep as well as runs,
// and print a line for each finished point when stderr is not a terminal.
func (p *progress) countPoints(jobPoint []int, labels []string, quiet bool) {
	p.jobPoint, p.labels = jobPoint, labels
	p.left = make([]int, len(labels))
	for _, pt := range jobPoint {
		p.left[pt]++
	}
	p.lines = !quiet && !p.on
}

// jobSpans lists the simulated length of each job.
func jobSpans(jobs []batch.Job) []time.Duration {
	spans := make([]time.Duration, len(jobs))
	for i, j := range jobs {
		spans[i] = j.Config.Duration
	}
	return spans
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Reached implements batch.Observer.
func (p *progress) Reached(run int, t time.Duration) {
	if !p.on && !p.ticks {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reached[run] = t
	switch since := p.now().Sub(p.last); {
	case p.on && since > 200*time.Millisecond:
		p.draw()
	case p.ticks && since >= lineEvery:
		p.last = p.now()
		fmt.Fprintf(p.w, "natsim: %s\n", p.status())
	}
}

// Finished implements batch.Observer.
func (p *progress) Finished(run int) {
	if !p.on && !p.lines {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reached[run] = p.spans[run]
	p.finishedRuns++
	if p.jobPoint != nil {
		pt := p.jobPoint[run]
		if p.left[pt]--; p.left[pt] == 0 {
			p.doneCount++
			if p.lines {
				fmt.Fprintf(p.w, "point %d/%d done after %v: %s\n", p.doneCount, len(p.labels),
					p.now().Sub(p.start).Round(100*time.Millisecond), p.labels[pt])
			}
		}
	}
	if p.on {
		p.draw()
	}
}

// draw redraws the status line in place.
func (p *progress) draw() {
	p.last = p.now()
	fmt.Fprintf(p.w, "\r\033[K%s", p.status())
}

// status is runs done, the share of simulated time covered, elapsed time
// and an estimate of the time left.
func (p *progress) status() string {
	var sum time.Duration
	for _, r := range p.reached {
		sum += r
	}
	frac := float64(sum) / float64(p.total)
	elapsed := p.now().Sub(p.start)
	eta := "?"
	if frac > 0.01 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	points := ""
	if p.jobPoint != nil {
		points = fmt.Sprintf("points %d/%d  ", p.doneCount, len(p.labels))
	}
	return fmt.Sprintf("%sruns %d/%d  %3.0f%%  elapsed %v  left ~%s", points, p.finishedRuns, len(p.spans), 100*frac,
		elapsed.Round(time.Second), eta)
}

// done clears the progress line.
func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
