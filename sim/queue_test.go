package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// checkHeap verifies the heap property after a step.
func checkHeap(t *testing.T, h *eventHeap) {
	t.Helper()
	for i := 1; i < len(h.h); i++ {
		if h.h[i].before(&h.h[(i-1)/4]) {
			t.Fatalf("heap property broken at %d", i)
		}
	}
}

func TestHeapInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h eventHeap
	for i := range 3000 {
		if r.IntN(3) > 0 || h.len() == 0 {
			h.push(item{at: time.Duration(r.IntN(100)), order: uint64(i)})
		} else {
			h.pop()
		}
		checkHeap(t, &h)
	}
}

func TestQueueSameInstantIsFIFO(t *testing.T) {
	q := newQueue(time.Second, 10, 10)
	for i := range 100 {
		q.push(event{At: time.Duration(i % 3), Arg: uint32(i)})
	}
	var got []uint32
	last := time.Duration(-1)
	for q.len() > 0 {
		ev := q.pop()
		if ev.At < last {
			t.Fatalf("time went backwards: %v after %v", ev.At, last)
		}
		if ev.At == last && ev.Arg < got[len(got)-1] {
			t.Fatalf("same-instant events out of scheduling order: %d after %d", ev.Arg, got[len(got)-1])
		}
		last = ev.At
		got = append(got, ev.Arg)
	}
	if len(got) != 100 {
		t.Fatalf("popped %d", len(got))
	}
}

// TestQueueMatchesSort drives the calendar queue and a sorted list with
// the same pushes and pops, with times well past the calendar's horizon
// (the overflow heap), at the current instant (into the bucket being
// drained), and far ahead (a jump over an empty calendar): both must give
// the same events in the same order.
func TestQueueMatchesSort(t *testing.T) {
	for _, horizon := range []time.Duration{time.Microsecond, time.Millisecond, time.Second} {
		r := rand.New(rand.NewPCG(1, uint64(horizon)))
		q := newQueue(horizon, 1, 1)
		type queued struct {
			ev  event
			seq uint64
		}
		var want []queued
		now := time.Duration(0)
		for range 20000 {
			if r.IntN(3) > 0 || q.len() == 0 {
				var d time.Duration
				switch r.IntN(4) {
				case 0:
					d = 0
				case 1:
					d = time.Duration(r.IntN(int(horizon)))
				case 2:
					d = time.Duration(r.IntN(int(horizon) * 50))
				default:
					d = time.Duration(r.IntN(1000))
				}
				ev := event{At: now + d, Kind: evKind(r.IntN(int(evSample) + 1)), Arg: uint32(len(want))}
				q.push(ev)
				want = append(want, queued{ev, q.seq})
			} else {
				slices.SortFunc(want, func(a, b queued) int {
					if a.ev.At < b.ev.At || (a.ev.At == b.ev.At && a.seq < b.seq) {
						return -1
					}
					return 1
				})
				got := q.pop()
				if got != want[0].ev {
					t.Fatalf("horizon %v: popped %+v, want %+v", horizon, got, want[0].ev)
				}
				now = got.At
				want = want[1:]
			}
			if q.len() != len(want) {
				t.Fatalf("len %d, want %d", q.len(), len(want))
			}
		}
	}
}

func TestRunUntilIsExclusive(t *testing.T) {
	q := newQueue(time.Second, 1, 1)
	var ran []time.Duration
	q.push(event{At: 5})
	q.push(event{At: 10})
	n, _ := q.runUntil(10, func(ev event) {
		ran = append(ran, ev.At)
		if ev.At == 5 {
			q.push(event{At: 7}) // scheduled by a handler, before until: runs
		}
	}, nil)
	if n != 2 || !slices.Equal(ran, []time.Duration{5, 7}) || q.len() != 1 || q.pop().At != 10 {
		t.Fatalf("ran %v (n=%d), left %d", ran, n, q.len())
	}
}

// TestCancelByStamp shows how events are cancelled: an event carries the
// connection stamp it was scheduled for, and a handler ignores it when the
// client has moved on (the flag is checked when the event comes up, as in
// ns-3).
func TestCancelByStamp(t *testing.T) {
	q := newQueue(time.Second, 1, 1)
	stamp := uint32(1)
	q.push(event{At: 10, Conn: stamp})
	stamp++ // the connection was replaced: the pending event is cancelled
	q.push(event{At: 20, Conn: stamp})
	var live []time.Duration
	q.runUntil(100, func(ev event) {
		if ev.Conn == stamp {
			live = append(live, ev.At)
		}
	}, nil)
	if !slices.Equal(live, []time.Duration{20}) {
		t.Fatalf("live events %v", live)
	}
}

// BenchmarkQueue is a population of 100,000 periodic timers: each pop
// schedules the same timer one period (about 60 s) later.
func BenchmarkQueue(b *testing.B) {
	q := newQueue(75*time.Second, 100000, 100000)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 100000 {
		q.push(event{At: time.Duration(r.Int64N(int64(time.Minute))), Client: uint32(i)})
	}
	b.ResetTimer()
	for range b.N {
		ev := q.pop()
		ev.At += time.Minute - 3*time.Second + time.Duration(r.Int64N(int64(6*time.Second)))
		q.push(ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
