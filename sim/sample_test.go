package sim

import (
	"hash/fnv"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
)

// refIn is the sampling rule written out again from its definition: a
// client of group g with index i is in when hash(salt, g, i) / 2^64 <
// R, the hash being splitmix64's finaliser chained over the salt (with
// the sampling stream's constant), the FNV-1a hash of the group's name
// and the index.
func refIn(salt uint64, group string, i int, r float64) bool {
	fin := func(x uint64) uint64 {
		x += 0x9e3779b97f4a7c15
		x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
		x = (x ^ x>>27) * 0x94d049bb133111eb
		return x ^ x>>31
	}
	h := fnv.New64a()
	h.Write([]byte(group))
	v := fin(fin(fin(salt^0x73616d706c652d31)^h.Sum64()) ^ uint64(i))
	return float64(v)/math.Pow(2, 64) < r
}

// TestSampleRealisedFraction: the clients drawn are those of the rule,
// and their number is within four binomial standard deviations of N R
// for every salt (a binomial count of N trials at R; four sigma leaves
// a false failure about once in 16,000 checks). Two salts share about
// R^2 N clients (independent draws), again within four sigma.
func TestSampleRealisedFraction(t *testing.T) {
	const n, r = 200000, 0.01
	cfg := testConfig(time.Hour, testBox(time.Minute, nat.Create, nat.Drop, false), testGroup(n))
	sigma := math.Sqrt(n * r * (1 - r))
	var sets [][]int
	for salt := uint64(0); salt < 4; salt++ {
		cfg.Sampling = Sampling{Fraction: r, Salt: salt}
		p := planSample(cfg, 1)
		var want []int
		for i := range n {
			if refIn(salt, "g", i, r) {
				want = append(want, i)
			}
		}
		if !slices.Equal(p.picked[0], want) {
			t.Fatalf("salt %d: %d clients picked, the rule picks %d (or others)", salt, len(p.picked[0]), len(want))
		}
		within(t, "sampled clients", float64(len(want)), n*r, 4*sigma, "four binomial sigmas")
		sets = append(sets, want)
	}
	shared := 0
	for _, i := range sets[0] {
		if _, ok := slices.BinarySearch(sets[1], i); ok {
			shared++
		}
	}
	within(t, "clients in both salts' samples", float64(shared), n*r*r, 4*math.Sqrt(n*r*r), "four Poisson sigmas of N R^2")
}

// TestSampleScalesCapacity: a box's capacity is multiplied by the
// realised fraction of the clients crossing it, rounded to the nearest
// integer, at least 1; an unlimited box stays unlimited. The realised
// fractions are counted here from the rule (refIn), per box from the
// groups whose path crosses it.
func TestSampleScalesCapacity(t *testing.T) {
	for _, c := range []struct {
		capacity int
		fraction float64
		want     int
	}{
		{9000, 0.0995, 896}, // 895.5 rounds up
		{9000, 0.0994, 895}, // 894.6
		{1000, 0.0104, 10},  // 10.4
		{10, 0.01, 1},       // 0.1 rounds to 0: at least 1
		{10, 0, 1},          // no client sampled: still 1
		{0, 0.01, 0},        // unlimited
	} {
		if got := ScaleCapacity(c.capacity, c.fraction); got != c.want {
			t.Errorf("ScaleCapacity(%d, %v) = %d, want %d", c.capacity, c.fraction, got, c.want)
		}
	}

	// Group a crosses box front only, group b crosses front then back.
	front, back := testBox(time.Minute, nat.Create, nat.Drop, false), testBox(time.Minute, nat.Create, nat.Drop, false)
	front.Name, front.Capacity = "front", 50000
	back.Name, back.Capacity = "back", 3000
	a, b := testGroup(30000), testGroup(20000)
	a.Name, a.Path = "a", []int{0}
	b.Name, b.Path = "b", []int{0, 1}
	cfg := &Config{Name: "t", Seed: 1, Duration: time.Minute, Path: []Middlebox{front, back}, Groups: []Group{a, b},
		Sampling: Sampling{Fraction: 0.05, Salt: 7}}
	count := func(g Group) int {
		k := 0
		for i := range g.Count {
			if refIn(7, g.Name, i, 0.05) {
				k++
			}
		}
		return k
	}
	ka, kb := count(a), count(b)
	fFront, fBack := float64(ka+kb)/50000, float64(kb)/20000
	want := []SampleBox{
		{Name: "front", Clients: float64(ka + kb), Population: 50000, Fraction: fFront, Capacity: 50000,
			ScaledCapacity: math.Max(1, math.Round(50000*fFront)), Scale: 50000 / float64(ka+kb)},
		{Name: "back", Clients: float64(kb), Population: 20000, Fraction: fBack, Capacity: 3000,
			ScaledCapacity: math.Max(1, math.Round(3000*fBack)), Scale: 20000 / float64(kb)},
	}
	r := mustRun(t, cfg)
	if !reflect.DeepEqual(r.Sample.Middleboxes, want) {
		t.Errorf("boxes' sample:\n got %+v\nwant %+v", r.Sample.Middleboxes, want)
	}
	if r.Sample.Clients != float64(ka+kb) || r.Groups[0].Clients != float64(ka) || r.Groups[1].Clients != float64(kb) {
		t.Errorf("simulated %v clients (groups %v, %v), want %d (%d, %d)", r.Sample.Clients, r.Groups[0].Clients, r.Groups[1].Clients, ka+kb, ka, kb)
	}
	if g := r.Sample.Groups[1]; g.Scale != 20000/float64(kb) {
		t.Errorf("group b's scale = %v, want %v", g.Scale, 20000/float64(kb))
	}
}

// TestSampleHoldsScaledCapacity: a sampled LRU table below its
// population fills to its scaled capacity and no further.
func TestSampleHoldsScaledCapacity(t *testing.T) {
	g := testGroup(20000)
	g.StartSpread = time.Minute
	g.Keepalive = Keepalive{Type: KeepaliveApp, Interval: time.Minute, Timeout: 10 * sec, Misses: 2, RequestBytes: 40, ResponseBytes: 40}
	b := testBox(time.Hour, nat.Create, nat.Drop, false)
	b.Capacity = 16000
	cfg := testConfig(5*time.Minute, b, g)
	cfg.Sampling = Sampling{Fraction: 0.1, Salt: 3}
	r := mustRun(t, cfg)
	capacity := r.Sample.Middleboxes[0].ScaledCapacity
	if capacity != math.Round(16000*r.Sample.Middleboxes[0].Fraction) || r.Middleboxes[0].MaxOccupancy != capacity || r.Middleboxes[0].Evictions == 0 {
		t.Errorf("scaled capacity %v, max occupancy %v, evictions %v: want the table full at 16000 x %v",
			capacity, r.Middleboxes[0].MaxOccupancy, r.Middleboxes[0].Evictions, r.Sample.Middleboxes[0].Fraction)
	}
}

// TestSampledClientsKeepTheirStories: through boxes with only timeouts
// (nothing shared between clients), a sampled client's trace is its
// trace in the full run: its start, traffic, path draw (a group mixes
// two paths of different timeouts) and every connection, break and
// learning all come from streams of its own, seeded by its index in the
// full population, and so do the idle timeouts it draws at a box of
// its own (per-client, a setting drawn per client). One kind of line is
// left out: "removed" at a box
// after a removal elsewhere had already orphaned the connection. A table
// finds expiries when it is next touched, by any client's packet, and a
// removal found after the connection's break was decided is of no
// consequence and not traced; with fewer clients, fewer are found in
// time. The break itself, its box and cause, are compared.
func TestSampledClientsKeepTheirStories(t *testing.T) {
	short, long := testBox(90*sec, nat.Create, nat.Drop, false), testBox(150*sec, nat.Create, nat.Drop, false)
	short.Name, long.Name = "short", "long"
	// long is a box per client whose idle timeout each client draws:
	// a sampled client must draw the same one as in the full run.
	long.PerClient = true
	long.Draws.TCPEstablished = Dist{Kind: Uniform, A: 100 * sec, B: 200 * sec}
	other := testGroup(300)
	other.Name = "other"
	other.Up = Traffic{Interval: Dist{Kind: Exponential, A: time.Minute}, Bytes: 10}
	g := testGroup(2000)
	g.StartSpread = time.Minute
	g.Up = Traffic{Interval: Dist{Kind: Exponential, A: 2 * time.Minute}, Bytes: 10}
	g.Down = Traffic{Interval: Dist{Kind: Exponential, A: 3 * time.Minute}, Bytes: 10}
	g.Paths = []WeightedPath{{Via: []int{0}, Weight: 1}, {Via: []int{1}, Weight: 2}}
	cfg := &Config{Name: "t", Seed: 5, Duration: 30 * time.Minute, Path: []Middlebox{short, long}, Groups: []Group{other, g}, Trace: true}
	full := mustRun(t, cfg)
	cfg.Sampling = Sampling{Fraction: 0.05, Salt: 2}
	sampled := mustRun(t, cfg)
	stories := func(trace []TraceEvent) map[uint32][]TraceEvent {
		out := map[uint32][]TraceEvent{}
		for _, ev := range trace {
			if ev.Kind != TraceRemoved {
				out[ev.Client] = append(out[ev.Client], ev)
			}
		}
		return out
	}
	all, some := stories(full.Trace), stories(sampled.Trace)
	if want := int(sampled.Sample.Clients); len(some) != want || want < 50 {
		t.Fatalf("%d sampled clients have a story, want all %d of them (and some)", len(some), want)
	}
	breaks := 0
	for ci, story := range some {
		gi, i, _ := cfg.ClientOf(ci)
		if !refIn(2, cfg.Groups[gi].Name, i, 0.05) {
			t.Errorf("client %d (%s %d) is not in the sample, but has a story", ci, cfg.Groups[gi].Name, i)
		}
		if !reflect.DeepEqual(story, all[ci]) {
			t.Errorf("client %d: sampled story differs from the full run's:\n got %v\nwant %v", ci, story, all[ci])
		}
		for _, ev := range story {
			if ev.Kind == TraceBreak {
				breaks++
			}
		}
	}
	if breaks == 0 {
		t.Error("no sampled client broke: the comparison says little")
	}
}

// BenchmarkSamplePlan measures choosing a sample: one hash per client of
// the population, reported per client of it.
func BenchmarkSamplePlan(b *testing.B) {
	cfg := testConfig(time.Hour, testBox(time.Minute, nat.Create, nat.Drop, false), testGroup(10_000_000))
	cfg.Sampling = Sampling{Fraction: 0.01, Salt: 1}
	for b.Loop() {
		planSample(cfg, 1)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10e6, "ns/population-client")
}
