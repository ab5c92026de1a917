package sim

import (
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/natsim/natsim/nat"
)

// Streams of box settings. A setting given as a distribution is drawn
// once per instance, from a stream of its own: PCG seeded with
// (seed1, mix(box ^ mix(instance + setting))), where seed1 is the
// replication's seed (as for the clients), box the FNV-1a hash of the
// box's name, instance 0 for a shared box and, for a per-client box, the
// client's own key mix(group ^ mix(j)) (group the FNV-1a hash of its
// group's name, j its index in the group), and setting the setting's
// place in drawOrder. So a draw depends on nothing but the seed, the
// replication, the box's and group's names, the client's index in its
// group and the setting: adding a group, a box or another drawn setting
// changes no other draw.

// drawOrder numbers the settings a box may draw (their stream).
const (
	drawCapacity = iota
	drawTCPEstablished
	drawTCPTransitory
	drawUDP
	drawUDPStream
)

// list gives the settings' distributions in drawOrder.
func (d *BoxDraws) list() []Dist {
	return []Dist{d.Capacity, d.TCPEstablished, d.TCPTransitory, d.UDP, d.UDPStream}
}

// nameKey is the FNV-1a hash of a name: the part of a stream's seed that
// says whose it is.
func nameKey(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// draw returns one instance's settings: cfg with each setting that d
// gives drawn from its stream (see the streams above).
func (d *BoxDraws) draw(cfg nat.Config, seed1, box, instance uint64) (capacity int, t nat.Timeouts) {
	capacity, t = cfg.Capacity, cfg.Timeouts
	one := func(setting int, dist Dist) time.Duration {
		var r rand.PCG
		r.Seed(seed1, mix(box^mix(instance+uint64(setting))))
		return dist.sample(&r)
	}
	if !d.Capacity.IsZero() {
		capacity = int(one(drawCapacity, d.Capacity))
	}
	for _, s := range []struct {
		setting int
		dist    Dist
		dst     *time.Duration
	}{
		{drawTCPEstablished, d.TCPEstablished, &t.TCPEstablished},
		{drawTCPTransitory, d.TCPTransitory, &t.TCPTransitory},
		{drawUDP, d.UDP, &t.UDP},
		{drawUDPStream, d.UDPStream, &t.UDPStream},
	} {
		if !s.dist.IsZero() {
			*s.dst = min(one(s.setting, s.dist), MaxSpan)
		}
	}
	return capacity, t
}

// check reports what makes a box setting's distribution unusable.
func (d Dist) check() error {
	if d.Kind != Empirical {
		return nil
	}
	c := d.Choice
	if c == nil || len(c.Values) == 0 || len(c.Values) != len(c.Weights) {
		return errors.New("sim: a choice needs as many weights as values, at least one")
	}
	total := 0.0
	for _, w := range c.Weights {
		if !(w >= 0) {
			return errors.New("sim: a choice's weights must be >= 0")
		}
		total += w
	}
	if total <= 0 {
		return errors.New("sim: a choice's weights must not all be zero")
	}
	return nil
}
