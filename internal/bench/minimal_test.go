package bench

import (
	"math/rand/v2"
	"runtime/debug"
	"testing"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// timer is one client's next heartbeat in minimalLoop's heap.
type timer struct {
	at     time.Duration
	client uint32
}

// minimalLoop is the yardstick the performance issue compares natsim
// with: a loop that does nothing but a hand-written 4-ary heap of
// heartbeat timers plus simplelru Get and, on a miss, Add. Its timing is
// the reference workload's (starts spread over a minute, heartbeats every
// 60 s ± 6 s, a table of 0.8 x clients); there is no port, no expiry, no
// pong and no metric. It returns the number of heartbeats.
func minimalLoop(clients int, horizon time.Duration) int {
	lru, _ := simplelru.NewLRU[uint32, struct{}](clients*8/10, nil)
	r := rand.New(rand.NewPCG(1, 2))
	h := make([]timer, 0, clients)
	less := func(i, j int) bool { return h[i].at < h[j].at }
	push := func(t timer) {
		h = append(h, t)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 4
			if !less(i, p) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
	}
	for c := range clients {
		push(timer{at: time.Duration(r.Int64N(int64(time.Minute))), client: uint32(c)})
	}
	n := 0
	for h[0].at < horizon {
		t := h[0]
		if _, ok := lru.Get(t.client); !ok {
			lru.Add(t.client, struct{}{})
		}
		n++
		// Reschedule in place and sift down.
		h[0].at = t.at + 54*time.Second + time.Duration(r.Int64N(int64(12*time.Second)))
		for i := 0; ; {
			m := i
			for c := 4*i + 1; c <= 4*i+4 && c < len(h); c++ {
				if less(c, m) {
					m = c
				}
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	return n
}

// BenchmarkMinimalHeapLoop runs minimalLoop at the reference workload's
// size, in heartbeats per second, to compare with BenchmarkReference in
// the same period of a shared machine. It runs at Go's default GC
// target, whatever an earlier benchmark set (it allocates on every miss).
func BenchmarkMinimalHeapLoop(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for range b.N {
		start := time.Now()
		n := minimalLoop(100000, time.Hour)
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "heartbeats/s")
	}
}

func TestMinimalLoopCountsHeartbeats(t *testing.T) {
	// 1,000 clients, one hour, one heartbeat a minute: about 60,000.
	if n := minimalLoop(1000, time.Hour); n < 59000 || n > 61000 {
		t.Fatalf("%d heartbeats", n)
	}
}
