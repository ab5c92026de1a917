package shard

import (
	"cmp"
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/natsim/natsim/scenarios"
)

// Run is one run of a sweep: a replication of a point (both from 0, the
// point in sweep order).
type Run struct {
	Point       int
	Replication int
}

// ID names the run within its sweep, in file names and messages.
func (r Run) ID() string { return fmt.Sprintf("p%d-r%d", r.Point, r.Replication) }

// Sweep is a sweep in its canonical form: the resolved scenario (which
// gives the same points whoever loads it), its hash, and what it expands
// to.
type Sweep struct {
	YAML     []byte
	Hash     string // hex SHA-256 of YAML
	Scenario *scenarios.Scenario
	Points   []scenarios.Point
	Keys     []string // the swept keys, in the order of the sweep's values
}

// Canonical makes the canonical form of sc run at points: the resolved
// scenario, loaded again, so that a shard runs exactly the points that a
// merge of its records will expand.
func Canonical(sc *scenarios.Scenario, points []scenarios.Point) (*Sweep, error) {
	resolved, err := sc.ResolvedYAML(points)
	if err != nil {
		return nil, err
	}
	return Parse(resolved)
}

// hashOf is the sha256 of a canonical scenario, in hex: the sweep's
// identity.
func hashOf(resolved []byte) string {
	sum := sha256.Sum256(resolved)
	return hex.EncodeToString(sum[:])
}

// Parse loads a canonical scenario.
func Parse(resolved []byte) (*Sweep, error) {
	sc, err := scenarios.Parse("scenario.yaml", resolved, nil)
	if err != nil {
		return nil, err
	}
	points, err := sc.Points(nil)
	if err != nil {
		return nil, err
	}
	s := &Sweep{YAML: resolved, Hash: hashOf(resolved), Scenario: sc, Points: points}
	for _, k := range sc.Keys(nil) {
		s.Keys = append(s.Keys, k.Key)
	}
	return s, nil
}

// Runs lists every run of the sweep in sweep order: point by point,
// replications in order.
func (s *Sweep) Runs() []Run {
	var runs []Run
	for pi, p := range s.Points {
		for rep := range p.Scenario.Replications {
			runs = append(runs, Run{pi, rep})
		}
	}
	return runs
}

// Cost is the expected work of a run of point pi: the engine's estimate
// of its events.
func (s *Sweep) Cost(pi int) float64 { return s.Points[pi].Scenario.Config.EstimateEvents() }

// Deal gives each of count shards its runs: the runs, costliest first
// (ties in sweep order), each to the shard with the least cost so far
// (ties to the lowest index). Each shard's list is in the order dealt,
// costliest first, the order to start them in. It depends only on the
// sweep and count.
func (s *Sweep) Deal(count int) [][]Run {
	runs := s.Runs()
	slices.SortStableFunc(runs, func(a, b Run) int { return cmp.Compare(s.Cost(b.Point), s.Cost(a.Point)) })
	out := make([][]Run, count)
	h := make(loads, count)
	for i := range h {
		h[i] = load{shard: i}
	}
	for _, r := range runs {
		out[h[0].shard] = append(out[h[0].shard], r)
		h[0].cost += s.Cost(r.Point)
		heap.Fix(&h, 0)
	}
	return out
}

// Owners maps every run to the shard Deal gives it to.
func (s *Sweep) Owners(count int) map[Run]int {
	own := map[Run]int{}
	for i, runs := range s.Deal(count) {
		for _, r := range runs {
			own[r] = i
		}
	}
	return own
}

// load is a shard's cost so far, in Deal's heap.
type load struct {
	shard int
	cost  float64
}

// loads is a min-heap of shards by cost, then index.
type loads []load

func (h loads) Len() int { return len(h) }
func (h loads) Less(i, j int) bool {
	return h[i].cost < h[j].cost || h[i].cost == h[j].cost && h[i].shard < h[j].shard
}
func (h loads) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *loads) Push(x any)   { *h = append(*h, x.(load)) }
func (h *loads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
