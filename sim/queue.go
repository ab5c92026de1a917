package sim

import (
	"slices"
	"sort"
	"time"
)

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

// eventHeap is a 4-ary min-heap of events ordered by (At, seq). A 4-ary
// heap is shallower than a binary one and its children share a cache
// line. The queue keeps the events beyond its calendar's horizon in one.
type eventHeap struct {
	h []event
}

// push adds ev, whose seq is already set.
func (q *eventHeap) push(ev event) {
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

func (q *eventHeap) len() int { return len(q.h) }

// pop removes and returns the earliest event; the heap must not be empty.
func (q *eventHeap) pop() event {
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

// queue is the event queue: a calendar of buckets covering a horizon
// ahead of the current time, and a heap for the events beyond it. A
// population of periodic timers lands almost entirely in the calendar,
// where scheduling appends to a bucket's list and taking the next event
// steps through the current bucket, sorted once, instead of sifting
// through a heap of the whole population.
//
// The order is exactly the heap's, (At, seq): a bucket holds one span of
// 2^shift nanoseconds and is sorted when its turn comes; an event
// scheduled into the bucket being drained is inserted in order (its seq
// is the largest, so it goes after the events at the same instant);
// events beyond the horizon move into the calendar before it reaches
// them. Events wait in one pool of nodes linked per bucket, so that the
// calendar allocates nothing in the steady state.
type queue struct {
	shift      uint  // bucket width: 2^shift ns
	nb         int64 // buckets, a power of two
	head, tail []int32
	pool       []node
	free       int32   // first free node, or none
	cur        int64   // absolute number (At >> shift) of the bucket being drained
	cb         []event // that bucket's events, sorted, from pos on
	pos        int
	loaded     bool // cb holds bucket cur
	inCal      int  // events in the buckets' lists (not in cb)
	over       eventHeap
	seq        uint64
}

type node struct {
	ev   event
	next int32
}

const noNode int32 = -1

// newQueue makes a queue whose calendar has a bucket for about every
// event of size and covers horizon ahead (the longest period that recurs
// for every client).
func newQueue(horizon time.Duration, size int) *queue {
	nb := int64(1) << 12
	for nb < int64(size) && nb < 1<<21 {
		nb <<= 1
	}
	shift := uint(0)
	for int64(1)<<shift*nb < int64(horizon) && shift < 40 {
		shift++
	}
	q := &queue{shift: shift, nb: nb, head: make([]int32, nb), tail: make([]int32, nb), free: noNode,
		pool: make([]node, 0, size+16)}
	for i := range q.head {
		q.head[i], q.tail[i] = noNode, noNode
	}
	return q
}

// link appends ev to its bucket's list.
func (q *queue) link(ev event) {
	n := q.free
	if n != noNode {
		q.free = q.pool[n].next
		q.pool[n] = node{ev: ev, next: noNode}
	} else {
		q.pool = append(q.pool, node{ev: ev, next: noNode})
		n = int32(len(q.pool) - 1)
	}
	b := (int64(ev.At) >> q.shift) & (q.nb - 1)
	if q.tail[b] == noNode {
		q.head[b] = n
	} else {
		q.pool[q.tail[b]].next = n
	}
	q.tail[b] = n
	q.inCal++
}

// push schedules ev; events at the same instant pop in push order.
func (q *queue) push(ev event) {
	q.seq++
	ev.seq = q.seq
	abs := int64(ev.At) >> q.shift
	switch {
	case q.loaded && abs == q.cur:
		// Into the bucket being drained: after everything at or before ev.At.
		i := q.pos + sort.Search(len(q.cb)-q.pos, func(j int) bool { return q.cb[q.pos+j].At > ev.At })
		q.cb = append(q.cb, event{})
		copy(q.cb[i+1:], q.cb[i:])
		q.cb[i] = ev
	case abs < q.cur+q.nb:
		q.link(ev)
	default:
		q.over.push(ev)
	}
}

func (q *queue) len() int { return q.inCal + len(q.cb) - q.pos + q.over.len() }

// ready positions the queue at its next event and reports whether there
// is one.
func (q *queue) ready() bool {
	for {
		if q.loaded && q.pos < len(q.cb) {
			return true
		}
		if q.loaded {
			q.cur++
			q.loaded = false
		}
		if q.inCal == 0 {
			if q.over.len() == 0 {
				return false
			}
			q.cur = max(q.cur, int64(q.over.h[0].At)>>q.shift) // nothing nearer: jump
		}
		for q.over.len() > 0 && int64(q.over.h[0].At)>>q.shift < q.cur+q.nb {
			q.link(q.over.pop())
		}
		b := q.cur & (q.nb - 1)
		q.cb, q.pos = q.cb[:0], 0
		for n := q.head[b]; n != noNode; {
			next := q.pool[n].next
			q.cb = append(q.cb, q.pool[n].ev)
			q.pool[n].next, q.free = q.free, n
			n = next
		}
		q.head[b], q.tail[b] = noNode, noNode
		q.inCal -= len(q.cb)
		sortEvents(q.cb)
		q.loaded = true
	}
}

// sortEvents sorts a bucket by (At, seq): insertion sort for the few
// events a bucket usually holds.
func sortEvents(evs []event) {
	if len(evs) > 16 {
		slices.SortFunc(evs, func(x, y event) int {
			if x.before(&y) {
				return -1
			}
			return 1
		})
		return
	}
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && evs[j].before(&evs[j-1]); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

// peek returns the next event's instant; the queue must not be empty.
func (q *queue) peek() time.Duration {
	q.ready()
	return q.cb[q.pos].At
}

// pop removes and returns the earliest event; the queue must not be empty.
func (q *queue) pop() event {
	q.ready()
	ev := q.cb[q.pos]
	q.pos++
	return ev
}

// progressEvery is how many events pass between two progress reports.
const progressEvery = 1 << 18

// runUntil pops and handles every event that comes before until
// (exclusive, as SimPy's run(until)): an event at exactly until stays
// queued. Handlers may push new events. progress, if not nil, is told the
// simulated time every progressEvery events, and stops the run by
// returning false; runUntil then reports stopped.
func (q *queue) runUntil(until time.Duration, handle func(event), progress func(time.Duration) bool) (n uint64, stopped bool) {
	for q.ready() && q.peek() < until {
		ev := q.pop()
		handle(ev)
		n++
		if progress != nil && n%progressEvery == 0 && !progress(ev.At) {
			return n, true
		}
	}
	return n, false
}
