package nat

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestInstancesMatchTables drives the same random packets through an
// Instances and, as the reference, through one Table per client holding
// that client's entries alone, configured with the instance's own
// capacity and timeouts: every outcome, every removal (key, instant,
// reason), the entries held and the window's statistics must agree.
func TestInstancesMatchTables(t *testing.T) {
	var all Stats
	for seed := range uint64(300) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			st := compareInstances(t, seed)
			all.Evictions += st.Evictions
			all.EarlyDrops += st.EarlyDrops
			all.RefusedOpens += st.RefusedOpens + st.RefusedPackets
			all.Remaps += st.Remaps
		})
	}
	// The comparison means something only if every rule came into play.
	if all.Evictions == 0 || all.EarlyDrops == 0 || all.RefusedOpens == 0 || all.Remaps == 0 {
		t.Errorf("some rule never came into play: %+v", all)
	}
}

func compareInstances(t *testing.T, seed uint64) Stats {
	r := rand.New(rand.NewPCG(seed, 7))
	const clients = 4
	pick := func(xs ...time.Duration) time.Duration { return xs[r.IntN(len(xs))] }
	base := Config{
		WhenFull: WhenFull(r.IntN(3)), RefreshInbound: r.IntN(2) == 0, RefreshOnKeepalive: r.IntN(2) == 0,
		UnknownOutbound: []Unknown{Create, Drop}[r.IntN(2)], UnknownInbound: []Unknown{Drop, SendReset}[r.IntN(2)],
		PortPreservation: r.IntN(2) == 0, Capacity: 2,
		Timeouts: Timeouts{TCPEstablished: 5 * time.Second, TCPTransitory: time.Second, UDP: 2 * time.Second, UDPStream: 4 * time.Second},
	}
	own := make([]Config, clients)
	for i := range own {
		own[i] = base
		own[i].Capacity = r.IntN(4)
		own[i].Timeouts = Timeouts{
			TCPEstablished: pick(3*time.Second, 6*time.Second), TCPTransitory: pick(time.Second, 2*time.Second),
			UDP: pick(time.Second, 3*time.Second), UDPStream: pick(3*time.Second, 5*time.Second),
		}
	}
	var got, want [clients][]Removal
	settings := func(c uint32, s Setting) int64 {
		if s == SetCapacity {
			return int64(own[c].Capacity)
		}
		return int64(own[c].Timeouts.of(class(s - SetTCPEstablished)))
	}
	// The instances have the first k settings of their own, the others
	// are base's.
	all := []Setting{SetCapacity, SetTCPEstablished, SetTCPTransitory, SetUDP, SetUDPStream}
	k := 1 + r.IntN(len(all))
	for i := range own {
		o := &own[i]
		for _, s := range all[k:] {
			switch s {
			case SetCapacity:
				o.Capacity = base.Capacity
			case SetTCPEstablished:
				o.Timeouts.TCPEstablished = base.Timeouts.TCPEstablished
			case SetTCPTransitory:
				o.Timeouts.TCPTransitory = base.Timeouts.TCPTransitory
			case SetUDP:
				o.Timeouts.UDP = base.Timeouts.UDP
			case SetUDPStream:
				o.Timeouts.UDPStream = base.Timeouts.UDPStream
			}
		}
	}
	inst, err := NewInstances(base, all[:k], settings,
		func(rm Removal) { got[rm.Key.Client] = append(got[rm.Key.Client], rm) })
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]*Table, clients)
	for i := range refs {
		if refs[i], err = New(own[i], func(rm Removal) { want[rm.Key.Client] = append(want[rm.Key.Client], rm) }); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step int, now time.Duration) {
		t.Helper()
		n := 0
		for i := range refs {
			n += refs[i].Len()
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("step %d at %v: client %d removals %v, want %v", step, now, i, got[i], want[i])
			}
		}
		if inst.Len() != n {
			t.Fatalf("step %d at %v: %d entries, want %d", step, now, inst.Len(), n)
		}
	}
	ports, seen := map[Key]uint32{}, map[uint32]bool{}
	now := time.Duration(0)
	const steps, warmup = 400, 100
	for step := range steps {
		now += time.Duration(r.IntN(1500)) * time.Millisecond
		key := Key{Client: uint32(r.IntN(clients)), Conn: uint32(1 + r.IntN(3))}
		p := Packet{Dir: Dir(r.IntN(2)), Proto: Proto(key.Conn % 2), Kind: Kind(r.IntN(4)), Port: ports[key]}
		out, ref := inst.Packet(now, key, p), refs[key.Client].Packet(now, key, p)
		if out != ref {
			t.Fatalf("step %d at %v: %v %+v: got %+v, want %+v", step, now, key, p, out, ref)
		}
		if out.Port != 0 {
			ports[key] = out.Port
		}
		seen[key.Client] = true
		switch {
		case step == warmup:
			inst.ResetStats(now)
			for _, ref := range refs {
				ref.ResetStats(now)
			}
			check(step, now)
		case r.IntN(20) == 0:
			inst.Advance(now)
			for _, ref := range refs {
				ref.Advance(now)
			}
			check(step, now)
		}
	}
	now += 2 * time.Second
	st := inst.Stats(now)
	var sum Stats
	for _, ref := range refs {
		s := ref.Stats(now)
		sum.Inserts += s.Inserts
		sum.Evictions += s.Evictions
		sum.Expiries += s.Expiries
		sum.EarlyDrops += s.EarlyDrops
		sum.RefusedOpens += s.RefusedOpens
		sum.RefusedPackets += s.RefusedPackets
		sum.Remaps += s.Remaps
		sum.MaxOccupancy = max(sum.MaxOccupancy, s.MaxOccupancy)
		sum.MeanOccupancy += s.MeanOccupancy
		sum.StartOccupancy += s.StartOccupancy
		sum.Removed += s.Removed
		sum.LifetimeSum.Add(time.Duration(s.LifetimeSum.lo))
		sum.StartAgeSum.Add(time.Duration(s.StartAgeSum.lo))
		sum.EndAgeSum.Add(time.Duration(s.EndAgeSum.lo))
	}
	check(steps, now)
	// The mean occupancies are sums of float64 quotients on one side and
	// one quotient of an exact sum on the other: equal to rounding.
	if d := st.MeanOccupancy - sum.MeanOccupancy; d > 1e-9 || d < -1e-9 {
		t.Fatalf("mean occupancy %v, want %v", st.MeanOccupancy, sum.MeanOccupancy)
	}
	st.MeanOccupancy = sum.MeanOccupancy
	if st != sum {
		t.Fatalf("stats\n got %+v\nwant %+v", st, sum)
	}
	if inst.Instances() != len(seen) {
		t.Fatalf("%d instances, want %d", inst.Instances(), len(seen))
	}
	return st
}
