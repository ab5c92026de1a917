package sim

import (
	"math"

	"github.com/natsim/natsim/nat"
)

// Sampling simulates a fraction of every group's clients, chosen by a
// hash of (salt, group, client index) as in SHARDS (Waldspurger et al.,
// "Efficient MRC Construction with SHARDS", FAST 2015): a client of
// group g with index i is in when hash(salt, g, i) / 2^64 < Fraction.
// A sampled client keeps its identity: every stream of its own (its
// traffic, jitter, start, path draw) is seeded by its index in the full
// population, so it behaves exactly as it does in the full run. Shared
// boxes' capacities are scaled by the realised fraction of the clients
// that cross them; timeouts and rates are not.
type Sampling struct {
	Fraction float64 // in (0, 1]; 0 simulates every client
	Salt     uint64  // selects which clients; different salts give independent samples
}

// On reports whether s samples at all.
func (s Sampling) On() bool { return s.Fraction > 0 }

// groupKey is the part of the sampling hash that a group's clients
// share: the salt's and the group's, hashed once per group.
func (s Sampling) groupKey(gseed uint64) uint64 { return mix(mix(s.Salt^sampleStream) ^ gseed) }

// in reports whether client j of the group whose key (groupKey) is key
// is in the sample: hash(salt, group, j) / 2^64 < Fraction.
func (s Sampling) in(key uint64, j int) bool {
	return float64(mix(key^uint64(j))) < s.Fraction*(1<<64)
}

// sampleStream sets the sampling hash apart from the other streams.
const sampleStream = 0x73616d706c652d31 // "sample-1"

// SampleResult says what a sampled run simulated: how many clients of
// how many, and per shared box the realised fraction of the clients
// that cross it and the capacity it was given. The counts of the result
// are the sample's; a count times its Scale estimates the population's.
// Rates and fractions (per client-hour, per message, of time) need no
// scaling.
type SampleResult struct {
	Fraction    float64       `json:"fraction"` // asked for, R
	Salt        uint64        `json:"salt"`
	Clients     float64       `json:"clients"`    // simulated, all groups
	Population  float64       `json:"population"` // clients of the scenario, all groups
	Groups      []SampleGroup `json:"groups"`
	Middleboxes []SampleBox   `json:"middleboxes"`
}

// SampleGroup is one group's sample.
type SampleGroup struct {
	Name       string  `json:"name"`
	Clients    float64 `json:"clients"`    // simulated
	Population float64 `json:"population"` // the group's count
	// Scale is Population / Clients: a count of the group's (breaks,
	// reconnects, messages lost) times Scale estimates the population's.
	Scale float64 `json:"scale"`
}

// SampleBox is one middlebox's sample: of the clients whose path
// crosses it, how many were simulated, and the capacity it was given.
type SampleBox struct {
	Name       string  `json:"name"`
	Clients    float64 `json:"clients"`    // simulated clients that cross it
	Population float64 `json:"population"` // clients of the scenario that cross it
	Fraction   float64 `json:"fraction"`   // realised: Clients / Population
	Capacity   float64 `json:"capacity"`   // as configured; 0 is unlimited
	// ScaledCapacity is the capacity the run gave the box: Capacity x
	// Fraction rounded to the nearest integer, at least 1 (0: unlimited).
	ScaledCapacity float64 `json:"scaled_capacity"`
	// Scale is 1 / Fraction: a count of the box's (evictions, breaks,
	// inserts) times Scale estimates the population's.
	Scale float64 `json:"scale"`
}

// samplePlan is the clients a sampled run simulates and what that does
// to its boxes.
type samplePlan struct {
	picked [][]int  // per group, the indexes of its sampled clients, ascending
	orig   []uint32 // per simulated client, its index over all groups of the full population
	result SampleResult
}

// plan draws the sample of cfg for the replication whose client streams
// are seeded by seed1 (a group that mixes paths draws each client's path
// from it, so which boxes a client crosses, and so each box's realised
// fraction, follows the replication). It returns nil without sampling.
func planSample(cfg *Config, seed1 uint64) *samplePlan {
	smp := cfg.Sampling
	if !smp.On() {
		return nil
	}
	p := &samplePlan{result: SampleResult{Fraction: smp.Fraction, Salt: smp.Salt}}
	crossing := make([]int, len(cfg.Path))
	sampled := make([]int, len(cfg.Path))
	base := 0
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		gseed := nameKey(g.Name)
		key := smp.groupKey(gseed)
		var picked []int
		for j := 0; j < g.Count; j++ {
			in := smp.in(key, j)
			if in {
				picked = append(picked, j)
				p.orig = append(p.orig, uint32(base+j))
			}
			if len(g.Paths) > 0 {
				for _, bi := range g.Paths[drawPath(g.Paths, seed1, clientSeed(gseed, j))].Via {
					crossing[bi]++
					sampled[bi] += b2i(in)
				}
			}
		}
		if len(g.Paths) == 0 {
			for _, bi := range cfg.PathOf(g) {
				crossing[bi] += g.Count
				sampled[bi] += len(picked)
			}
		}
		p.picked = append(p.picked, picked)
		p.result.Groups = append(p.result.Groups, SampleGroup{Name: g.Name, Clients: float64(len(picked)),
			Population: float64(g.Count), Scale: ratio(g.Count, len(picked))})
		p.result.Clients += float64(len(picked))
		p.result.Population += float64(g.Count)
		base += g.Count
	}
	for bi, m := range cfg.Path {
		b := SampleBox{Name: m.Name, Clients: float64(sampled[bi]), Population: float64(crossing[bi]),
			Capacity: float64(m.Capacity), Scale: ratio(crossing[bi], sampled[bi])}
		if crossing[bi] > 0 {
			b.Fraction = float64(sampled[bi]) / float64(crossing[bi])
		}
		b.ScaledCapacity = float64(ScaleCapacity(m.Capacity, b.Fraction))
		if m.PerClient {
			b.ScaledCapacity = b.Capacity // each instance holds one client's entries: not scaled
		}
		p.result.Middleboxes = append(p.result.Middleboxes, b)
	}
	return p
}

// ScaleCapacity is a shared box's capacity in a sample that holds
// fraction of the clients crossing it: capacity x fraction rounded to
// the nearest integer, at least 1; 0 (unlimited) stays 0.
func ScaleCapacity(capacity int, fraction float64) int {
	if capacity == 0 {
		return 0
	}
	return max(1, int(math.Round(float64(capacity)*fraction)))
}

// ratio is a / b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clientSeed is the seed of client j of the group whose name hashes to
// gseed: its index in the full population, whether or not the run
// samples.
func clientSeed(gseed uint64, j int) uint64 { return mix(gseed ^ mix(uint64(j))) }

// sampledCount is the clients of g a run simulates, for estimates made
// before it runs: all of them, or with sampling an upper bound (the
// expected count plus four binomial standard deviations).
func (c *Config) sampledCount(g *Group) float64 {
	n := float64(g.Count)
	r := c.Sampling.Fraction
	if !c.Sampling.On() || r >= 1 {
		return n
	}
	return min(n, math.Ceil(n*r+4*math.Sqrt(n*r*(1-r))))
}

// Simulated is the clients a run simulates, all groups: every client, or
// with sampling an upper bound for the estimates (sampledCount).
func (c *Config) Simulated() float64 {
	n := 0.0
	for i := range c.Groups {
		n += c.sampledCount(&c.Groups[i])
	}
	return n
}

// capacityOf is the capacity that m is expected to have in a run, for
// estimates: scaled by the fraction asked for when sampling (the
// realised fraction is within a few per cent of it).
func (c *Config) capacityOf(m Middlebox) int {
	if !c.Sampling.On() || m.PerClient {
		return m.Capacity
	}
	return ScaleCapacity(m.Capacity, c.Sampling.Fraction)
}

// MinSampledTable is the fewest entries a sampled shared table should
// hold: SHARDS' error grows as the sample shrinks (its authors keep
// samples of thousands of keys; below about a thousand, their fixed-rate
// results degrade), and natsim's own accuracy benchmark is measured
// above it.
const MinSampledTable = 1000

// SmallSampledTable reports whether a shared box of capacity entries, sampled
// at fraction, holds fewer than MinSampledTable (an unlimited box never
// does).
func SmallSampledTable(capacity int, fraction float64) bool {
	return capacity > 0 && ScaleCapacity(capacity, fraction) < MinSampledTable
}

// simulated is how many clients of group gi the run simulates: all of
// them, or those sampled.
func (s *sim) simulated(gi int) int {
	if s.picks != nil {
		return len(s.picks.picked[gi])
	}
	return s.cfg.Groups[gi].Count
}

// member is the index in group gi's full population of the group's k-th
// simulated client: k itself without sampling. Every stream of a
// client's own (its traffic, its path, its per-client boxes' settings)
// is keyed by it, so that a sampled client is the same client as in the
// full run.
func (s *sim) member(gi, k int) int {
	if s.picks != nil {
		return s.picks.picked[gi][k]
	}
	return k
}

// sampledTable is shared box i's table settings for this run: with sampling,
// its capacity (as drawn for the replication) times the box's realised
// fraction (ScaleCapacity), which the run's sample result records.
func (s *sim) sampledTable(i int, cfg nat.Config) nat.Config {
	if s.picks == nil {
		return cfg
	}
	b := &s.picks.result.Middleboxes[i]
	b.Capacity = float64(cfg.Capacity)
	cfg.Capacity = ScaleCapacity(cfg.Capacity, b.Fraction)
	b.ScaledCapacity = float64(cfg.Capacity)
	return cfg
}
