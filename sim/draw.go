package sim

import (
	"errors"
	"hash/fnv"
	"math"
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
// number as nat.Setting gives it (capacity 0, tcp_established 1,
// tcp_transitory 2, udp 3, udp_stream 4). So a draw depends on nothing but the seed, the
// replication, the box's and group's names, the client's index in its
// group and the setting: adding a group, a box or another drawn setting
// changes no other draw.

// list gives the settings' distributions in the order of nat.Setting,
// which numbers their streams.
func (d *BoxDraws) list() [nat.NumSettings]Dist {
	return [nat.NumSettings]Dist{d.Capacity, d.TCPEstablished, d.TCPTransitory, d.UDP, d.UDPStream}
}

// own lists the settings that d draws.
func (d *BoxDraws) own() []nat.Setting {
	var out []nat.Setting
	for s, dist := range d.list() {
		if !dist.IsZero() {
			out = append(out, nat.Setting(s))
		}
	}
	return out
}

// nameKey is the FNV-1a hash of a name: the part of a stream's seed that
// says whose it is.
func nameKey(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// drawOne draws setting s of an instance from dist, on the setting's
// stream (see the streams above): a capacity in entries (at least 1), a
// timeout in nanoseconds (at most MaxSpan).
func drawOne(dist *Dist, s nat.Setting, seed1, box, instance uint64) int64 {
	var r rand.PCG
	r.Seed(seed1, mix(box^mix(instance+uint64(s))))
	v := dist.sample(&r)
	if s != nat.SetCapacity {
		v = min(v, MaxSpan)
	}
	return int64(v)
}

// draw returns a shared instance's configuration: cfg with each setting
// that d gives drawn.
func (d *BoxDraws) draw(cfg nat.Config, seed1, box, instance uint64) nat.Config {
	dists := d.list()
	for _, s := range d.own() {
		v := drawOne(&dists[s], s, seed1, box, instance)
		switch s {
		case nat.SetCapacity:
			cfg.Capacity = int(min(v, math.MaxInt32))
		case nat.SetTCPEstablished:
			cfg.Timeouts.TCPEstablished = time.Duration(v)
		case nat.SetTCPTransitory:
			cfg.Timeouts.TCPTransitory = time.Duration(v)
		case nat.SetUDP:
			cfg.Timeouts.UDP = time.Duration(v)
		case nat.SetUDPStream:
			cfg.Timeouts.UDPStream = time.Duration(v)
		}
	}
	return cfg
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
