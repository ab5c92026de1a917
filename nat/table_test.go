package nat

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

const s = time.Second

// linuxLike is a small Linux-conntrack-like configuration for the steps.
func linuxLike() Config {
	return Config{
		Capacity:           3,
		Timeouts:           Timeouts{TCPEstablished: 300 * s, TCPTransitory: 120 * s, UDP: 30 * s, UDPStream: 120 * s},
		WhenFull:           LRU,
		RefreshInbound:     true,
		RefreshOnKeepalive: true,
		UnknownOutbound:    Create,
		UnknownInbound:     SendReset,
		PortPreservation:   true,
	}
}

func k(n uint32) Key { return Key{Client: n} }

var (
	synOut   = Packet{Dir: Outbound, Proto: TCP, Kind: Open}
	dataOut  = Packet{Dir: Outbound, Proto: TCP, Kind: Data}
	dataIn   = Packet{Dir: Inbound, Proto: TCP, Kind: Data}
	probeOut = Packet{Dir: Outbound, Proto: TCP, Kind: Probe}
	finOut   = Packet{Dir: Outbound, Proto: TCP, Kind: Close}
	udpOpen  = Packet{Dir: Outbound, Proto: UDP, Kind: Open}
	udpOut   = Packet{Dir: Outbound, Proto: UDP, Kind: Data}
	udpIn    = Packet{Dir: Inbound, Proto: UDP, Kind: Data}
)

func withPort(p Packet, port uint32) Packet { p.Port = port; return p }

// step is one line of a story: at At, flow Key sends P (or, with advance,
// the clock just moves), and the table must answer Want and report exactly
// Removed.
type step struct {
	At      time.Duration
	Key     Key
	P       Packet
	advance bool
	Want    Verdict
	Remap   bool
	Removed []Removal
	Len     int
}

func runSteps(t *testing.T, cfg Config, steps []step) *Table {
	t.Helper()
	var got []Removal
	tab, err := New(cfg, func(r Removal) { got = append(got, r) })
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range steps {
		got = got[:0]
		if st.advance {
			tab.Advance(st.At)
		} else {
			out := tab.Packet(st.At, st.Key, st.P)
			if out.Verdict != st.Want || out.Remapped != st.Remap {
				t.Fatalf("step %d at %v: %v -> %v remapped=%v, want %v remapped=%v",
					i, st.At, st.Key, out.Verdict, out.Remapped, st.Want, st.Remap)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(st.Removed) {
			t.Fatalf("step %d at %v: removed %v, want %v", i, st.At, got, st.Removed)
		}
		if tab.Len() != st.Len {
			t.Fatalf("step %d at %v: len %d, want %d", i, st.At, tab.Len(), st.Len)
		}
		checkInvariants(t, tab)
	}
	return tab
}

func TestExactExpiryBoundary(t *testing.T) {
	cfg := linuxLike()
	runSteps(t, cfg, []step{
		// A connection opens and completes its handshake: established, 300 s.
		{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
		{At: 0, Key: k(1), P: dataIn, Want: Forwarded, Len: 1},
		{At: 0, Key: k(1), P: dataOut, Want: Forwarded, Len: 1},
		// One nanosecond before the timeout the entry is still there and
		// the packet refreshes it.
		{At: 300*s - 1, Key: k(1), P: dataOut, Want: Forwarded, Len: 1},
		// Exactly at last refresh + timeout it is gone, dated at that instant.
		{At: 600*s - 1, advance: true, Len: 0,
			Removed: []Removal{{Key: k(1), At: 600*s - 1, Reason: Expired}}},
		// A late inbound packet meets no entry: the box answers RST.
		{At: 700 * s, Key: k(1), P: dataIn, Want: Reset, Len: 0},
	})
}

func TestHandshakeUsesTransitoryTimeout(t *testing.T) {
	runSteps(t, linuxLike(), []step{
		// A SYN with no answer lives for tcp_transitory (120 s), not 300 s.
		{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
		{At: 119 * s, advance: true, Len: 1},
		{At: 120 * s, advance: true, Len: 0,
			Removed: []Removal{{Key: k(1), At: 120 * s, Reason: Expired}}},
		// A FIN moves an established entry back to transitory.
		{At: 200 * s, Key: k(2), P: synOut, Want: Created, Len: 1},
		{At: 200 * s, Key: k(2), P: dataIn, Want: Forwarded, Len: 1},
		{At: 210 * s, Key: k(2), P: finOut, Want: Forwarded, Len: 1},
		{At: 330 * s, advance: true, Len: 0,
			Removed: []Removal{{Key: k(2), At: 330 * s, Reason: Expired}}},
	})
}

func TestUDPStreamRule(t *testing.T) {
	runSteps(t, linuxLike(), []step{
		// Unreplied UDP: 30 s.
		{At: 0, Key: k(1), P: udpOpen, Want: Created, Len: 1},
		{At: 30 * s, advance: true, Len: 0,
			Removed: []Removal{{Key: k(1), At: 30 * s, Reason: Expired}}},
		// A reply within 2 s of creation keeps the short timeout ...
		{At: 100 * s, Key: k(2), P: udpOpen, Want: Created, Len: 1},
		{At: 101 * s, Key: k(2), P: udpIn, Want: Forwarded, Len: 1},
		{At: 131 * s, advance: true, Len: 0,
			Removed: []Removal{{Key: k(2), At: 131 * s, Reason: Expired}}},
		// ... a reply after 2 s gives the stream timeout (120 s).
		{At: 200 * s, Key: k(3), P: udpOpen, Want: Created, Len: 1},
		{At: 203 * s, Key: k(3), P: udpIn, Want: Forwarded, Len: 1},
		{At: 322 * s, advance: true, Len: 1},
		{At: 323 * s, advance: true, Len: 0,
			Removed: []Removal{{Key: k(3), At: 323 * s, Reason: Expired}}},
	})
}

func TestLRUEvictionOrder(t *testing.T) {
	runSteps(t, linuxLike(), []step{
		{At: 1 * s, Key: k(1), P: udpOpen, Want: Created, Len: 1},
		{At: 2 * s, Key: k(2), P: udpOpen, Want: Created, Len: 2},
		{At: 3 * s, Key: k(3), P: udpOpen, Want: Created, Len: 3},
		// Refreshing 1 makes 2 the least recently refreshed.
		{At: 4 * s, Key: k(1), P: udpOut, Want: Forwarded, Len: 3},
		{At: 5 * s, Key: k(4), P: udpOpen, Want: Created, Len: 3,
			Removed: []Removal{{Key: k(2), At: 5 * s, Reason: Evicted}}},
		// Same-instant refreshes are ordered by arrival: 3 goes next.
		{At: 6 * s, Key: k(5), P: udpOpen, Want: Created, Len: 3,
			Removed: []Removal{{Key: k(3), At: 6 * s, Reason: Evicted}}},
		// An expired entry is removed (at its own instant) before the
		// full-table policy looks for a victim: no eviction.
		{At: 40 * s, Key: k(6), P: udpOpen, Want: Created, Len: 1,
			Removed: []Removal{
				{Key: k(1), At: 34 * s, Reason: Expired},
				{Key: k(4), At: 35 * s, Reason: Expired},
				{Key: k(5), At: 36 * s, Reason: Expired},
			}},
	})
}

func TestInboundDoesNotRefreshWhenConfigured(t *testing.T) {
	cfg := linuxLike()
	cfg.RefreshInbound = false
	cfg.Capacity = 2
	runSteps(t, cfg, []step{
		{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
		{At: 0, Key: k(1), P: dataIn, Want: Forwarded, Len: 1},
		{At: 0, Key: k(1), P: dataOut, Want: Forwarded, Len: 1},
		{At: 1 * s, Key: k(2), P: synOut, Want: Created, Len: 2},
		// Inbound traffic on 1 neither refreshes it nor changes its LRU rank.
		{At: 2 * s, Key: k(1), P: dataIn, Want: Forwarded, Len: 2},
		{At: 3 * s, Key: k(3), P: synOut, Want: Created, Len: 2,
			Removed: []Removal{{Key: k(1), At: 3 * s, Reason: Evicted}}},
	})
}

func TestKeepaliveRefresh(t *testing.T) {
	for _, refresh := range []bool{true, false} {
		cfg := linuxLike()
		cfg.RefreshOnKeepalive = refresh
		want := []step{
			{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
			{At: 0, Key: k(1), P: dataIn, Want: Forwarded, Len: 1},
			{At: 0, Key: k(1), P: dataOut, Want: Forwarded, Len: 1},
			{At: 200 * s, Key: k(1), P: probeOut, Want: Forwarded, Len: 1},
		}
		if refresh { // the probe moved the expiry to 500 s
			want = append(want, step{At: 499 * s, advance: true, Len: 1})
		} else { // an L7 proxy ignores probes: gone at 300 s
			want = append(want, step{At: 300 * s, advance: true, Len: 0,
				Removed: []Removal{{Key: k(1), At: 300 * s, Reason: Expired}}})
		}
		t.Run(fmt.Sprint("refresh=", refresh), func(t *testing.T) { runSteps(t, cfg, want) })
	}
}

func TestRefuse(t *testing.T) {
	cfg := linuxLike()
	cfg.WhenFull = Refuse
	cfg.Capacity = 1
	tab := runSteps(t, cfg, []step{
		{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
		{At: 1 * s, Key: k(2), P: synOut, Want: Refused, Len: 1},
		// Once 1 expires there is room again.
		{At: 120 * s, Key: k(2), P: synOut, Want: Created, Len: 1,
			Removed: []Removal{{Key: k(1), At: 120 * s, Reason: Expired}}},
	})
	if st := tab.Stats(120 * s); st.RefusedOpens != 1 || st.Expiries != 1 || st.Inserts != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestEarlyDrop(t *testing.T) {
	cfg := linuxLike()
	cfg.WhenFull = EarlyDrop
	cfg.Capacity = 2
	runSteps(t, cfg, []step{
		// 1 is assured (reply seen); 2 is a SYN with no answer.
		{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
		{At: 0, Key: k(1), P: dataIn, Want: Forwarded, Len: 1},
		{At: 1 * s, Key: k(2), P: synOut, Want: Created, Len: 2},
		// 1 is older but assured: 2 is dropped instead.
		{At: 2 * s, Key: k(3), P: synOut, Want: Created, Len: 2,
			Removed: []Removal{{Key: k(2), At: 2 * s, Reason: EarlyDropped}}},
		{At: 2 * s, Key: k(3), P: dataIn, Want: Forwarded, Len: 2},
		// Both assured: nothing to drop, the new flow is refused.
		{At: 3 * s, Key: k(4), P: synOut, Want: Refused, Len: 2},
	})
}

func TestRemapAndPortPreservation(t *testing.T) {
	for _, preserve := range []bool{true, false} {
		cfg := linuxLike()
		cfg.PortPreservation = preserve
		var removed []Removal
		tab, _ := New(cfg, func(r Removal) { removed = append(removed, r) })
		first := tab.Packet(0, k(1), synOut)
		tab.Packet(0, k(1), dataIn)
		// Idle past the 300 s timeout, then the client speaks first.
		out := tab.Packet(400*s, k(1), withPort(dataOut, first.Port))
		if len(removed) != 1 || removed[0].At != 300*s {
			t.Fatalf("preserve=%v: removals %v", preserve, removed)
		}
		if out.Verdict != Created || out.Remapped != preserve || (out.Port == first.Port) != preserve {
			t.Errorf("preserve=%v: %+v (first port %d)", preserve, out, first.Port)
		}
		if got := tab.Stats(400 * s).Remaps; got != map[bool]uint64{true: 1, false: 0}[preserve] {
			t.Errorf("preserve=%v: remaps %d", preserve, got)
		}
		checkInvariants(t, tab)
	}
}

func TestUnknownOutboundDrop(t *testing.T) {
	cfg := linuxLike()
	cfg.UnknownOutbound = Drop
	cfg.UnknownInbound = Drop
	runSteps(t, cfg, []step{
		// Mid-flow packets of unknown flows vanish; a SYN still opens.
		{At: 0, Key: k(1), P: dataOut, Want: Dropped, Len: 0},
		{At: 0, Key: k(1), P: probeOut, Want: Dropped, Len: 0},
		{At: 0, Key: k(1), P: dataIn, Want: Dropped, Len: 0},
		{At: 0, Key: k(1), P: synOut, Want: Created, Len: 1},
	})
}

func TestOccupancyStats(t *testing.T) {
	cfg := linuxLike()
	cfg.Capacity = 0
	tab, _ := New(cfg, nil)
	tab.Packet(0, k(1), udpOpen)        // expires at 30 s
	tab.Packet(10*s, k(2), udpOpen)     // expires at 40 s
	tab.ResetStats(20 * s)              // window starts with 2 entries
	st := tab.Stats(60 * s)             // 2 until 30, 1 until 40, 0 until 60
	want := (2*10 + 1*10 + 0*20) / 40.0 // entry-seconds / seconds
	if st.MeanOccupancy != want || st.MaxOccupancy != 2 || st.Expiries != 2 || st.Inserts != 0 {
		t.Errorf("stats %+v, want mean %v", st, want)
	}
	// Little's law on the window: lifetimes 30 s and 30 s, ages at the
	// start 20 s and 10 s, none at the end: (60 - 30) / 40 = 0.75.
	if st.LifetimeSum.Seconds() != 60 || st.StartAgeSum.Seconds() != 30 || st.EndAgeSum.Seconds() != 0 ||
		(st.LifetimeSum.Seconds()+st.EndAgeSum.Seconds()-st.StartAgeSum.Seconds())/40 != st.MeanOccupancy {
		t.Errorf("little: %+v", st)
	}
}

func TestTimeGoingBackwardsPanics(t *testing.T) {
	tab, _ := New(linuxLike(), nil)
	tab.Advance(10 * s)
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	tab.Advance(9 * s)
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{Capacity: -1, UnknownOutbound: SendReset, UnknownInbound: Create}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"capacity must be >= 0", "tcp_established must be > 0",
		"udp_stream must be > 0", "unknown_outbound must be create or drop", "unknown_inbound must be drop or reset"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// checkInvariants verifies the table's internal consistency: the LRU and
// the expiry lists hold the same entries, each list is in refresh order,
// nothing is held past its expiry, and capacity is respected.
func checkInvariants(t *testing.T, tab *Table) {
	t.Helper()
	if c := tab.cfg.Capacity; c > 0 && tab.Len() > c {
		t.Fatalf("len %d > capacity %d", tab.Len(), c)
	}
	if got := len(tab.slab) - len(tab.free); got != tab.Len() {
		t.Fatalf("slab holds %d, lru %d", got, tab.Len())
	}
	n := 0
	oldest := none
	for l := range tab.lists {
		prev := none
		for i := tab.lists[l].head; i != none; i = tab.slab[i].next {
			e := &tab.slab[i]
			n++
			if int(e.list()) != l || e.prev != prev {
				t.Fatalf("entry %v: list %d prev %d, in list %d after %d", e.key, e.list(), e.prev, l, prev)
			}
			if prev != none && tab.slab[prev].rank >= e.rank {
				t.Fatalf("list %d out of refresh order at %v", l, e.key)
			}
			if exp := e.lastRefresh + tab.cfg.Timeouts.of(e.class()); exp <= tab.now {
				t.Fatalf("entry %v held past its expiry %v (now %v)", e.key, exp, tab.now)
			}
			if slot, ok := tab.lookup(e.key); !ok || slot != i {
				t.Fatalf("entry %v: found at slot %d ok=%v, want %d", e.key, slot, ok, i)
			}
			if oldest == none || e.rank < tab.slab[oldest].rank {
				oldest = i
			}
			prev = i
		}
		if tab.lists[l].tail != prev {
			t.Fatalf("list %d tail %d, want %d", l, tab.lists[l].tail, prev)
		}
	}
	if n != tab.Len() {
		t.Fatalf("lists hold %d, len %d", n, tab.Len())
	}
	chained := 0
	for _, s := range tab.byClient {
		for ; s != none; s = tab.slab[s].sibling {
			chained++
		}
	}
	if chained != n {
		t.Fatalf("client chains hold %d, lists %d", chained, n)
	}
	if tab.lru == nil {
		if tab.cfg.WhenFull == LRU && tab.cfg.Capacity > 0 {
			t.Fatal("a capacity-limited LRU table without its LRU")
		}
		return
	}
	// The LRU holds every slot; the used ones in refresh order.
	if tab.lru.Len() != len(tab.slab) {
		t.Fatalf("lru %d slots, slab %d", tab.lru.Len(), len(tab.slab))
	}
	free := make(map[int32]bool)
	for _, s := range tab.free {
		free[s] = true
	}
	var used []int32
	for _, s := range tab.lru.Keys() { // oldest first
		if !free[s] {
			used = append(used, s)
		}
	}
	if len(used) != n {
		t.Fatalf("lru holds %d used slots, lists %d", len(used), n)
	}
	for i := 1; i < len(used); i++ {
		if tab.slab[used[i-1]].rank >= tab.slab[used[i]].rank {
			t.Fatalf("lru out of refresh order at %v", tab.slab[used[i]].key)
		}
	}
	if n > 0 && used[0] != oldest {
		t.Fatalf("lru oldest %v, least recently refreshed %v", tab.slab[used[0]].key, tab.slab[oldest].key)
	}
	if tab.mru != none && used[n-1] != tab.mru {
		t.Fatalf("mru %v is not the LRU's newest", tab.slab[tab.mru].key)
	}
}

// TestSpanSumDoesNotOverflow: a few thousand entries living a century
// add up to more than time.Duration holds; the sum stays right.
func TestSpanSumDoesNotOverflow(t *testing.T) {
	const century = 100 * 365 * 24 * time.Hour
	var sum SpanSum
	for range 3000 {
		sum.Add(century)
	}
	want := 3000 * century.Seconds()
	if got := sum.Seconds(); math.Abs(got-want) > want*1e-12 {
		t.Fatalf("sum %v s, want %v s", got, want)
	}
	var small SpanSum
	small.Add(1500 * time.Millisecond)
	small.Add(7 * time.Nanosecond)
	if got, want := small.Seconds(), (1500*time.Millisecond + 7).Seconds(); got != want {
		t.Fatalf("small sum %v, want exactly %v", got, want)
	}
}
