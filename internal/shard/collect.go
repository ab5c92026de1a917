package shard

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/natsim/natsim/sim"
)

// State is where a run of a sweep stands across its shard folders.
type State int

const (
	Missing  State = iota // no folder holds a record of it
	Finished              // recorded with its result
	Failed                // recorded with an error, and nowhere with a result
)

// Collection is the runs of one sweep gathered from shard folders.
type Collection struct {
	Sweep  *Sweep
	Count  int // the number of shards the sweep was dealt to
	Pieces []*Piece
	State  map[Run]State
	Errors map[Run]string     // why each failed run failed
	Runs   [][]*sim.RunResult // per point, per replication; nil for a run not finished
}

// Collect reads shard folders of one sweep. It refuses folders of
// different scenarios (by the canonical scenario's hash), dealt to
// different numbers of shards, and a run recorded twice with different
// bytes (the simulation would not be deterministic: a bug to report);
// a run recorded twice alike is kept once.
func Collect(dirs []string) (*Collection, error) {
	var c Collection
	var errs []error
	from := map[Run]*Piece{}
	for _, dir := range dirs {
		p, err := Read(dir, c.Sweep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.Sweep == nil {
			c.Sweep, c.Count = p.Sweep, p.Manifest.Shard.Count
			c.State, c.Errors = map[Run]State{}, map[Run]string{}
		}
		first := c.Pieces
		if len(first) > 0 && p.Manifest.Hash != c.Sweep.Hash {
			errs = append(errs, fmt.Errorf("%s and %s are shards of different scenarios (%s, sha256 %.12s; %s, sha256 %.12s): give only the shards of one sweep",
				first[0].Dir, dir, first[0].Manifest.Name, first[0].Manifest.Hash, p.Manifest.Name, p.Manifest.Hash))
			continue
		}
		if p.Manifest.Shard.Count != c.Count {
			errs = append(errs, fmt.Errorf("%s is shard %s, but %s is of %d shards: the runs were dealt differently; merge the shards of one submission",
				dir, p.Manifest.Shard, first[0].Dir, c.Count))
			continue
		}
		c.Pieces = append(c.Pieces, p)
		for r, rec := range p.Records {
			prev, seen := from[r]
			switch {
			case !seen:
			case bytes.Equal(prev.Raw[r], p.Raw[r]):
				continue
			case prev.Records[r].Result != nil && rec.Result != nil:
				errs = append(errs, fmt.Errorf("run %s is recorded by %s and by %s with different results: the simulation was not deterministic (a bug: please report it with both records)",
					r.ID(), prev.Dir, dir))
				continue
			case rec.Result == nil: // a failure where a result is known
				continue
			}
			from[r] = p
			c.State[r] = Finished
			if rec.Result == nil {
				c.State[r], c.Errors[r] = Failed, rec.Error
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c.Sweep == nil {
		return nil, errors.New("no shard folder given")
	}
	for pi, p := range c.Sweep.Points {
		runs := make([]*sim.RunResult, p.Scenario.Replications)
		for rep := range runs {
			if r := (Run{pi, rep}); c.State[r] == Finished {
				runs[rep] = from[r].Records[r].Result
			}
		}
		c.Runs = append(c.Runs, runs)
	}
	return &c, nil
}

// Unfinished lists the runs not finished (missing or failed), in sweep
// order.
func (c *Collection) Unfinished() []Run {
	var out []Run
	for _, r := range c.Sweep.Runs() {
		if c.State[r] != Finished {
			out = append(out, r)
		}
	}
	return out
}

// Resubmit lists the shards that own an unfinished run, in order.
func (c *Collection) Resubmit() []int {
	own := c.Sweep.Owners(c.Count)
	var out []int
	for _, r := range c.Unfinished() {
		if !slices.Contains(out, own[r]) {
			out = append(out, own[r])
		}
	}
	slices.Sort(out)
	return out
}
