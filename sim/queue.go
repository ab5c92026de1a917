package sim

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/natsim/natsim/internal/prefetch"
)

// event is one scheduled callback. It is a small value with no pointers,
// so the queue costs the garbage collector nothing to scan.
type event struct {
	At     time.Duration // instant it runs
	Kind   evKind
	Client uint32 // client index, or middlebox index for evWake
	Conn   uint32 // connection stamp the event belongs to; stale if it differs
	Arg    uint32 // kind-specific: a ping sequence number, a message flag, ...
}

// item is an event as the queue keeps it: 32 bytes, with its order of
// scheduling and its kind in one word and the queue's list link in what
// would otherwise be padding.
type item struct {
	at     time.Duration
	order  uint64 // seq<<8 | kind: FIFO among equal instants
	client uint32
	conn   uint32
	arg    uint32
	next   int32 // next item of the same bucket, or noNode
}

func (it *item) before(o *item) bool {
	return it.at < o.at || (it.at == o.at && it.order < o.order)
}

func (it *item) event() event {
	return event{At: it.at, Kind: evKind(it.order), Client: it.client, Conn: it.conn, Arg: it.arg}
}

// eventHeap is a 4-ary min-heap of items ordered by (at, order). A 4-ary
// heap is shallower than a binary one and its children share a cache
// line. The queue keeps the events beyond its calendar's horizon in one.
type eventHeap struct {
	h []item
}

// push adds it.
func (q *eventHeap) push(it item) {
	q.h = append(q.h, it)
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

// pop removes and returns the earliest item; the heap must not be empty.
func (q *eventHeap) pop() item {
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
// them. Events wait in one pool of items linked per bucket (in any
// order, since a bucket is sorted when loaded), so that the calendar
// allocates nothing in the steady state.
type queue struct {
	shift  uint  // bucket width: 2^shift ns
	nb     int64 // buckets, a power of two
	head   []int32
	pool   []item
	free   int32  // first free item, or noNode
	cur    int64  // absolute number (At >> shift) of the bucket being drained
	cb     []item // that bucket's items, sorted, from pos on
	pos    int
	loaded bool // cb holds bucket cur
	inCal  int  // items in the buckets' lists (not in cb)
	over   eventHeap
	seq    uint64
	now    time.Duration // instant of the last event popped
	// warm, if not nil, is given the clients of the events a few buckets
	// ahead, to prefetch their state in two stages a bucket apart: stage
	// 0 the client's own lines, stage 1 what those lines lead to (see
	// sim.warm).
	warm func(client uint32, stage int)
	// held is the items of the last hold pushes into the calendar, in the
	// pool but not yet in their buckets' lists: linking one reads and
	// writes its bucket's head, most often a miss to memory, so link
	// prefetches the head and attaches the item hold pushes later (ready
	// attaches at once those of the bucket it loads). held[i] < 0: none.
	held  [hold]int32
	nheld uint // pushes into the calendar so far: the next is held[nheld%hold]
	// heldMin is at most the earliest bucket (At >> shift) of a held
	// item, so that loading a bucket before it skips the scan.
	heldMin int64
}

// hold is how many pushes an item waits for its bucket's head to arrive
// in cache.
const hold = 8

// ahead is how many events ahead pop warms a client in a bucket that
// holds more than prefetch reached: a few microseconds of work.
const ahead = 4

const noNode int32 = -1

// newQueue makes a queue whose calendar covers horizon ahead (the longest
// period that recurs for every client) in about buckets buckets (a power
// of two at most, between 2^12 and 2^21), and whose pool starts with room
// for size events.
func newQueue(horizon time.Duration, buckets float64, size int) *queue {
	nb := int64(1) << 12
	for float64(2*nb) <= buckets && nb < 1<<21 {
		nb <<= 1
	}
	shift := uint(0)
	for int64(1)<<shift*nb < int64(horizon) && shift < 40 {
		shift++
	}
	q := &queue{shift: shift, nb: nb, head: make([]int32, nb), free: noNode,
		pool: make([]item, 0, size+16)}
	for i := range q.head {
		q.head[i] = noNode
	}
	for i := range q.held {
		q.held[i] = noNode
	}
	q.heldMin = math.MaxInt64
	prefetch.HugePages(q.head)
	prefetch.HugePages(q.pool)
	return q
}

// link puts it into the calendar: into the pool at once, and into its
// bucket's list hold links later (see held).
func (q *queue) link(it item) {
	n := q.free
	if n != noNode {
		q.free = q.pool[n].next
	} else {
		before := cap(q.pool)
		q.pool = append(q.pool, item{})
		if cap(q.pool) != before {
			prefetch.HugePages(q.pool) // a new, bigger array
		}
		n = int32(len(q.pool) - 1)
	}
	q.pool[n] = it
	prefetch.Line(&q.head[(int64(it.at)>>q.shift)&(q.nb-1)])
	i := q.nheld % hold
	if old := q.held[i]; old != noNode {
		q.attach(old)
	}
	q.held[i] = n
	q.heldMin = min(q.heldMin, int64(it.at)>>q.shift)
	q.nheld++
	q.inCal++
}

// attach puts pool item n into its bucket's list.
func (q *queue) attach(n int32) {
	b := (int64(q.pool[n].at) >> q.shift) & (q.nb - 1)
	q.pool[n].next = q.head[b]
	q.head[b] = n
}

// attachHeld attaches the held items of bucket cur, about to be loaded.
func (q *queue) attachHeld() {
	if q.heldMin > q.cur {
		return // the common case: every held item is for a later bucket
	}
	q.heldMin = math.MaxInt64
	for i, n := range q.held {
		if n == noNode {
			continue
		}
		if b := int64(q.pool[n].at) >> q.shift; b == q.cur {
			q.attach(n)
			q.held[i] = noNode
		} else {
			q.heldMin = min(q.heldMin, b)
		}
	}
}

// push schedules ev; events at the same instant pop in push order.
// An instant before the last event popped is a programming error (the
// calendar would file it a whole cycle late and time would go backwards),
// so push panics on it, as ns-3's Simulator::Schedule does.
func (q *queue) push(ev event) {
	if ev.At < q.now {
		q.past(ev)
	}
	q.seq++
	it := item{at: ev.At, order: q.seq<<8 | uint64(ev.Kind), client: ev.Client, conn: ev.Conn, arg: ev.Arg}
	abs := int64(ev.At) >> q.shift
	switch {
	case q.loaded && abs == q.cur:
		// Into the bucket being drained: after everything at or before ev.At.
		i := q.pos + sort.Search(len(q.cb)-q.pos, func(j int) bool { return q.cb[q.pos+j].at > ev.At })
		q.cb = append(q.cb, item{})
		copy(q.cb[i+1:], q.cb[i:])
		q.cb[i] = it
	case abs < q.cur+q.nb:
		q.link(it)
	default:
		q.over.push(it)
	}
}

// past is push's panic, out of line so that push stays small.
//
//go:noinline
func (q *queue) past(ev event) {
	panic(fmt.Sprintf("sim: event %d scheduled at %v, before the current instant %v", ev.Kind, ev.At, q.now))
}

// len returns the number of events queued.
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
			q.cur = max(q.cur, int64(q.over.h[0].at)>>q.shift) // nothing nearer: jump
		}
		for q.over.len() > 0 && int64(q.over.h[0].at)>>q.shift < q.cur+q.nb {
			q.link(q.over.pop())
		}
		q.attachHeld()
		b := q.cur & (q.nb - 1)
		q.cb, q.pos = q.cb[:0], 0
		for n := q.head[b]; n != noNode; {
			it := &q.pool[n]
			if i := len(q.cb); q.warm != nil && i >= depth-2 && i < depth-2+ahead {
				// A crowded bucket: the items prefetch did not reach, now
				// (the rest from pop, ahead events early).
				if i > depth-2 {
					q.warm(it.client, 0)
				}
				q.warm(it.client, 1)
			}
			next := it.next
			q.cb = append(q.cb, *it)
			it.next, q.free = q.free, n
			n = next
		}
		q.head[b] = noNode
		q.inCal -= len(q.cb)
		sortItems(q.cb)
		q.loaded = true
		q.prefetch()
	}
}

// prefetch works through the depth buckets ahead of the current one, a
// step for each bucket loaded, since an item's successor in its list is
// known only once the item is in cache: the bucket d ahead has its first
// depth-d items in cache, so prefetch walks them, prefetches the next,
// warms the client of the last (stage 0) and that of the one before
// (stage 1, a bucket after its stage 0). A bucket arrives with its first
// depth-1 items and clients warmed; ready and pop warm those of a bucket
// that holds more (a bucket holds a few at a million clients).
func (q *queue) prefetch() {
	mask := q.nb - 1
	for d := int64(1); d <= depth; d++ {
		n := q.head[(q.cur+d)&mask]
		for i := int64(0); i < depth-d && n != noNode; i++ {
			it := &q.pool[n]
			if q.warm != nil && i >= depth-d-2 {
				q.warm(it.client, int(depth-d-1-i))
			}
			n = it.next
		}
		if n != noNode {
			prefetch.Line(&q.pool[n])
		}
	}
}

// depth is how many buckets ahead prefetch reaches, and so how many items
// of a bucket it warms: a bucket is a few events, a few microseconds of
// work, enough to hide a miss to memory.
const depth = 8

// sortItems sorts a bucket by (at, order): insertion sort for the few
// items a bucket usually holds.
func sortItems(its []item) {
	if len(its) > 16 {
		slices.SortFunc(its, func(x, y item) int {
			if x.before(&y) {
				return -1
			}
			return 1
		})
		return
	}
	for i := 1; i < len(its); i++ {
		for j := i; j > 0 && its[j].before(&its[j-1]); j-- {
			its[j], its[j-1] = its[j-1], its[j]
		}
	}
}

// pop removes and returns the earliest event; the queue must not be empty.
// It warms the client of the event ahead events later in the bucket
// (stage 0, and stage 1 of the one ahead/2 later): timers without
// jitter that started together (an adaptive heartbeat's) crowd a few
// buckets with many events, beyond those that prefetch and ready reach.
func (q *queue) pop() event {
	q.ready()
	if q.warm != nil {
		// Stage 1 half as far ahead as stage 0, so that it finds what
		// stage 0 fetched in cache rather than waiting for it.
		if i := q.pos + ahead; i < len(q.cb) {
			q.warm(q.cb[i].client, 0)
		}
		if i := q.pos + ahead/2; i < len(q.cb) {
			q.warm(q.cb[i].client, 1)
		}
	}
	ev := q.cb[q.pos].event()
	q.pos++
	q.now = ev.At
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
	for q.ready() && q.cb[q.pos].at < until {
		ev := q.pop()
		handle(ev)
		n++
		if progress != nil && n%progressEvery == 0 && !progress(ev.At) {
			return n, true
		}
	}
	return n, false
}
