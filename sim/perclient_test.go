package sim

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// drewFirst reports whether client j of group g drew the first of two
// equally weighted choices for setting `setting` of per-client box `box`
// in replication rep (tcp_established is setting 1): the stream
// derivation as docs/model.md states it, written out again here rather
// than called.
func drewFirst(seed uint64, rep int, box, group string, j int, setting uint64) bool {
	key := func(s string) uint64 {
		h := fnv.New64a()
		h.Write([]byte(s))
		return h.Sum64()
	}
	seed1 := mix(seed ^ mix(uint64(rep)+0x9e3779b97f4a7c15))
	client := mix(key(group) ^ mix(uint64(j)))
	r := rand.NewPCG(seed1, mix(key(box)^mix(client+setting)))
	u := float64(r.Uint64()>>11+1) / (1 << 53) // in (0, 1]
	return u <= 0.5
}

// perClientChoice is a per-client home router whose TCP established
// timeout is 60 s or 600 s with equal weights, crossed by n clients that
// ping every 300 s.
func perClientChoice(n int, d time.Duration) *Config {
	b := testBox(30*sec, nat.Create, nat.Drop, false)
	b.Name, b.PerClient = "home", true
	b.Draws.TCPEstablished = Dist{Kind: Empirical, Choice: &Choice{Values: []time.Duration{60 * sec, 600 * sec}, Weights: []float64{1, 1}}}
	g := testGroup(n)
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: 300 * sec, Timeout: 5 * sec, Misses: 1, RequestBytes: 40, ResponseBytes: 40}
	g.Reconnect.Backoff, g.Reconnect.MaxBackoff = sec, sec
	g.StartSpread = time.Minute
	cfg := testConfig(d, b, g)
	cfg.Warmup = 10 * time.Minute
	cfg.Trace, cfg.TraceOnly = true, TraceFilter{Breaks: true}
	return cfg
}

// TestPerClientChoiceBreaksThoseThatDrewTheShortTimeout: a client whose
// instance drew 60 s loses its entry before every 300 s ping, and
// reconnects after a full-jitter backoff of 1 s (0.5 s on average), so it
// breaks once per 300.5 s on average; one that drew 600 s never does.
// The breaks per 1000 client-hours are then 1000 x share / 300.5 s (about
// 12000 x share: 6000 when half drew 60 s). Which clients drew 60 s is
// recomputed from the documented streams; the realised share must be
// within 4 binomial sigmas of one half.
func TestPerClientChoiceBreaksThoseThatDrewTheShortTimeout(t *testing.T) {
	const n, d = 1000, 4 * hour
	cfg := perClientChoice(n, d)
	r := mustRun(t, cfg)
	short := 0
	for j := range n {
		if drewFirst(cfg.Seed, 0, "home", "g", j, 1) {
			short++
		}
	}
	within(t, "clients that drew 60 s", float64(short), n/2, 4*math.Sqrt(n*0.25), "4 sigma of a binomial count")
	broke := map[uint32]bool{}
	for _, ev := range r.Trace {
		broke[ev.Client] = true
	}
	for j := range n {
		if broke[uint32(j)] != drewFirst(cfg.Seed, 0, "home", "g", j, 1) {
			t.Fatalf("client %d: broke %v, but drew 60 s: %v", j, broke[uint32(j)], !broke[uint32(j)])
		}
	}
	g := r.Groups[0]
	share := float64(short) / n
	cycle := (300*sec + sec/2).Hours()
	// Each short client's count is fixed by the timing up to one cycle.
	within(t, "breaks per 1000 client-hours", g.BreaksPer1000ClientHours+1000*g.OrphanedAtEnd/g.ClientHours,
		1000*share/cycle, 1000*float64(short)/g.ClientHours, "one cycle per short client")
	box := r.Middleboxes[0]
	if box.Instances != n {
		t.Errorf("instances = %v, want %d", box.Instances, n)
	}
	if box.MaxOccupancy != 2 {
		t.Errorf("max occupancy of one instance = %v, want 2 (a connection, and the broken one's entry for 30 s)", box.MaxOccupancy)
	}
	// A long instance holds its one entry throughout. A short one holds
	// its connection's for 60 s after the handshake, then nothing until
	// the next ping 300 s after it; the ping's entry is closed by the
	// server's reset and lasts 30 s more (transitory), overlapping the
	// next connection's: between 60 and 91 s of entries per 300.5 s.
	lo, hi := 1-share+share*60/300.5, 1-share+share*91/300.5
	within(t, "mean occupancy per instance", box.MeanOccupancy, (lo+hi)/2, (hi-lo)/2+0.01, "the range of a short instance's entries, and the window's edges")
}

// TestDrawsDoNotDependOnOtherGroupsOrBoxes: adding a group before the
// clients and a box on its own path changes neither which of them broke
// nor their breaks.
func TestDrawsDoNotDependOnOtherGroupsOrBoxes(t *testing.T) {
	const n, d = 200, 2 * hour
	base := perClientChoice(n, d)
	grown := perClientChoice(n, d)
	other := testGroup(50)
	other.Name = "other"
	other.Path = []int{1}
	extra := testBox(30*sec, nat.Create, nat.Drop, false)
	extra.Name, extra.PerClient = "other-box", true
	extra.Draws.TCPEstablished = base.Path[0].Draws.TCPEstablished
	grown.Path = append(grown.Path, extra)
	grown.Groups[0].Path = []int{0}
	grown.Groups = append([]Group{other}, grown.Groups...)
	a, b := mustRun(t, base), mustRun(t, grown)
	broke := func(r *RunResult, offset uint32) map[uint32]int {
		m := map[uint32]int{}
		for _, ev := range r.Trace {
			if ev.Client >= offset && ev.Client < offset+n {
				m[ev.Client-offset]++
			}
		}
		return m
	}
	ba, bb := broke(a, 0), broke(b, 50)
	if len(ba) == 0 || len(ba) != len(bb) {
		t.Fatalf("%d clients broke alone, %d beside another group and box", len(ba), len(bb))
	}
	for c, k := range ba {
		if bb[c] != k {
			t.Fatalf("client %d broke %d times alone, %d beside another group and box", c, k, bb[c])
		}
	}
}
