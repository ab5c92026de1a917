package sim

import "time"

// event is one scheduled callback. It is a small value with no pointers,
// so the queue costs the garbage collector nothing to scan.
type event struct {
	At     time.Duration // instant it runs
	seq    uint64        // order of scheduling: FIFO among equal instants
	Kind   evKind
	Client uint32 // client index, or middlebox index for evWake
	Conn   uint32 // connection stamp the event belongs to; stale if it differs
	Arg    uint32 // kind-specific: a ping sequence number, a message flag, ...
}

func (e *event) before(o *event) bool {
	return e.At < o.At || (e.At == o.At && e.seq < o.seq)
}

// queue is a 4-ary min-heap of events ordered by (At, seq). A 4-ary heap
// is shallower than a binary one and its children share a cache line,
// which pays off for a population of periodic timers.
type queue struct {
	h   []event
	seq uint64
}

// push schedules ev; events at the same instant pop in push order.
func (q *queue) push(ev event) {
	q.seq++
	ev.seq = q.seq
	q.h = append(q.h, ev)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !q.h[i].before(&q.h[p]) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *queue) len() int { return len(q.h) }

// peek returns the next event's instant; the queue must not be empty.
func (q *queue) peek() time.Duration { return q.h[0].At }

// pop removes and returns the earliest event; the queue must not be empty.
func (q *queue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	last := q.h[n]
	q.h = q.h[:n]
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		end := c + 4
		if end > n {
			end = n
		}
		for j := c + 1; j < end; j++ {
			if q.h[j].before(&q.h[m]) {
				m = j
			}
		}
		if !q.h[m].before(&last) {
			break
		}
		q.h[i] = q.h[m]
		i = m
	}
	q.h[i] = last
	return top
}

// progressEvery is how many events pass between two progress reports.
const progressEvery = 1 << 18

// runUntil pops and handles every event that comes before until
// (exclusive, as SimPy's run(until)): an event at exactly until stays
// queued. Handlers may push new events. progress, if not nil, is told the
// simulated time every progressEvery events, and stops the run by
// returning false; runUntil then reports stopped.
func (q *queue) runUntil(until time.Duration, handle func(event), progress func(time.Duration) bool) (n uint64, stopped bool) {
	for len(q.h) > 0 && q.h[0].At < until {
		ev := q.pop()
		handle(ev)
		n++
		if progress != nil && n%progressEvery == 0 && !progress(ev.At) {
			return n, true
		}
	}
	return n, false
}
