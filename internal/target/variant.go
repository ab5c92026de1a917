package target

import (
	"strings"

	"github.com/natsim/natsim/sim"
)

// Variant is what a target is judged on: a group as a whole, or one path
// of a group that mixes paths (the clients that drew it), with its
// results in each replication.
type Variant struct {
	Group string
	// Path is the path's boxes joined by " then ", client side first (as
	// the report names them); empty for the group as a whole.
	Path string
	Via  []string // the path's boxes; nil for the group as a whole
	// Index is the path's index in the group's Paths (and its paths: in
	// the file), -1 for the group as a whole.
	Index int
	// Share is the mean share of the group's clients that drew the path
	// over the replications; 1 for the group as a whole.
	Share float64
	Reps  []sim.GroupResult
}

// Variants lists what a group's target is judged on, given its results
// in each replication: the group as a whole, then each of its paths
// that some client drew (a path no client drew, of weight 0 or by
// chance, has no exposure: nothing of it was seen to judge).
func Variants(reps []sim.GroupResult) []Variant {
	out := []Variant{{Group: reps[0].Name, Index: -1, Share: 1, Reps: reps}}
	for pi, p := range reps[0].Paths {
		v := Variant{Group: reps[0].Name, Path: PathName(p.Via), Via: p.Via, Index: pi}
		var hours float64
		for _, g := range reps {
			v.Reps = append(v.Reps, g.Paths[pi].GroupResult)
			v.Share += g.Paths[pi].Share / float64(len(reps))
			hours += g.Paths[pi].ClientHours
		}
		if hours > 0 {
			out = append(out, v)
		}
	}
	return out
}

// PathName names a path by its boxes, client side first.
func PathName(via []string) string { return strings.Join(via, " then ") }

// judged names the variant's group and path on its judgements (a path's
// results are named GROUP.paths.I).
func (v Variant) judged(js []Judgement) []Judgement {
	for i := range js {
		js[i].Group, js[i].Path = v.Group, v.Path
	}
	return js
}
