package nat

import (
	"fmt"
	"time"
	"unsafe"
)

// Instances is a per-client middlebox: one small table per client (a
// household router, a handset's firewall), each holding only that
// client's entries, under the rules of a Table that holds them alone.
// Each instance may have its own capacity and timeouts (drawn per
// instance by the caller, given through Settings); everything else is
// the Config's.
//
// It keeps, per client, one inline slot of 32 bytes: the instance's most
// recently refreshed entry and its port counter. A client's other
// entries (a closing connection's, or one a renumbered flow left behind
// at a later hop) are few and short-lived, and wait in a map. Expiry is
// lazy per instance: a client's expired entries are removed, each at its
// exact instant, when the instance is next touched (Packet, Sync) or
// when a call sweeps every instance (Advance, Stats, ResetStats); so the
// removal callback, unlike a Table's, may run for an instant well before
// the call's now, and removals of different clients come in client order.
// Counts and occupancy integrals are exact all the same: they are built
// from each removal's own instant.
type Instances struct {
	cfg      Config
	settings Settings
	own      [NumSettings]bool // the settings each instance has of its own
	onRemove func(Removal)
	inst     []slot // by client: the instance's most recent entry and port counter
	// older holds a client's entries other than its most recent, most
	// recently refreshed first.
	older     map[uint32][]slot
	n         int // entries held, all instances together
	instances int // clients that ever had a packet here
	now       time.Duration
	buf       []slot // scratch for entries

	stats Stats
	since time.Duration
	area  SpanSum // entry-nanoseconds held in the window, of entries removed
}

// Setting names a setting that an instance may have of its own.
type Setting uint8

const (
	SetCapacity Setting = iota
	SetTCPEstablished
	SetTCPTransitory
	SetUDP
	SetUDPStream
	NumSettings
)

// Settings gives an instance its own value of setting s: a capacity in
// entries (0: unlimited), a timeout in nanoseconds. It must be a pure
// function of (client, s), and is asked only for the settings the
// Instances was told are the instance's own.
type Settings func(client uint32, s Setting) int64

// slot is one entry, or (inline, by client) an instance's most recent
// entry and its port counter.
type slot struct {
	created  time.Duration
	expires  time.Duration // last refresh + the class's timeout
	conn     uint32        // Key.Conn
	port     uint32
	nextPort uint32 // inline only: the instance's last port handed out
	facts    uint8  // the low byte of a Table entry's rank: list bits and facts
	flags    uint8  // slotUsed, slotSeen
}

// assuredBit is the assured bit of an entry's facts (the low bit of its
// expiry list).
const assuredBit = 1

const (
	slotUsed  = 1 << iota // the slot holds an entry
	slotSeen              // inline: the client has had a packet here
	slotOlder             // inline: the client has older entries too
)

// NewInstances returns a per-client box with no instances yet. The
// settings listed in own are each instance's own, given by settings; the
// others are cfg's (which must be valid all the same). onRemove is as for
// New.
func NewInstances(cfg Config, own []Setting, settings Settings, onRemove func(Removal)) (*Instances, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Instances{cfg: cfg, settings: settings, onRemove: onRemove, older: map[uint32][]slot{}}
	for _, s := range own {
		t.own[s] = true
	}
	return t, nil
}

// setting is the value of s for client's instance.
func (t *Instances) setting(client uint32, s Setting) int64 {
	if t.own[s] {
		return t.settings(client, s)
	}
	if s == SetCapacity {
		return int64(t.cfg.Capacity)
	}
	return int64(t.cfg.Timeouts.of(class(s - SetTCPEstablished)))
}

// Locate is the address of client's instance, for a caller that
// prefetches it ahead of the client's next event; nil if it has none.
func (t *Instances) Locate(client uint32) unsafe.Pointer {
	if int(client) < len(t.inst) {
		return unsafe.Pointer(&t.inst[client])
	}
	return nil
}

// ReserveClients makes room for the instances of clients 0 to clients-1.
func (t *Instances) ReserveClients(clients int) {
	if clients > len(t.inst) {
		t.inst = append(t.inst, make([]slot, clients-len(t.inst))...)
		hugePages(t.inst)
	}
}

// NotifyNextVictim does nothing: an instance's victims are its own
// client's entries, already at hand.
func (t *Instances) NotifyNextVictim(func(client uint32)) {}

// Len is the number of entries held by all instances, as of the last
// removal processed (exact after Advance).
func (t *Instances) Len() int { return t.n }

// Instances is the number of clients that have had a packet here.
func (t *Instances) Instances() int { return t.instances }

func (t *Instances) setNow(now time.Duration) {
	if now < t.now {
		panic(fmt.Sprintf("nat: time went backwards (%v after %v)", now, t.now))
	}
	t.now = now
}

// entries returns client's entries, most recently refreshed first (its
// inline slot first), in a scratch list that the next call reuses.
func (t *Instances) entries(client uint32) []slot {
	t.buf = t.buf[:0]
	if in := t.inst[client]; in.flags&slotUsed != 0 {
		t.buf = append(t.buf, in)
		if in.flags&slotOlder != 0 {
			t.buf = append(t.buf, t.older[client]...)
		}
	}
	return t.buf
}

// store writes client's entries back (most recent first; nil: none),
// keeping the inline slot's port counter and seen flag.
func (t *Instances) store(client uint32, es []slot) {
	in := &t.inst[client]
	keep, seen, had := in.nextPort, in.flags&slotSeen, in.flags&slotOlder != 0
	switch len(es) {
	case 0:
		*in = slot{}
	default:
		*in = es[0]
	}
	in.flags = in.flags&^slotOlder | seen
	if len(es) > 1 {
		in.flags |= slotOlder
		t.older[client] = append(t.older[client][:0], es[1:]...)
	} else if had {
		delete(t.older, client)
	}
	in.nextPort = keep
}

// Sync removes client's entries that have expired by now.
func (t *Instances) Sync(now time.Duration, client uint32) {
	t.setNow(now)
	if int(client) >= len(t.inst) {
		return
	}
	// Older entries may expire before the most recent (another class).
	if in := &t.inst[client]; in.flags&slotUsed != 0 && (in.expires <= now || in.flags&slotOlder != 0) {
		t.store(client, t.expire(client, t.entries(client), now))
	}
}

// expire removes from es (a client's entries, most recent first) those
// whose expiry is at or before now, in order of expiry instants (ties:
// least recently refreshed first, as a Table does), and returns the rest.
func (t *Instances) expire(client uint32, es []slot, now time.Duration) []slot {
	for {
		victim := -1
		for i := len(es) - 1; i >= 0; i-- {
			if es[i].expires <= now && (victim < 0 || es[i].expires < es[victim].expires) {
				victim = i
			}
		}
		if victim < 0 {
			return es
		}
		t.stats.Expiries++
		es = t.remove(client, es, victim, es[victim].expires, Expired)
	}
}

// remove takes es[i] out at instant at, reports it and returns the rest.
func (t *Instances) remove(client uint32, es []slot, i int, at time.Duration, r Reason) []slot {
	e := es[i]
	t.stats.Removed++
	t.stats.LifetimeSum.Add(at - e.created)
	t.area.Add(at - max(e.created, t.since))
	t.n--
	es = append(es[:i], es[i+1:]...)
	if t.onRemove != nil {
		t.onRemove(Removal{Key: Key{Client: client, Conn: e.conn}, At: at, Reason: r})
	}
	return es
}

// Packet passes one packet of flow key through its client's instance.
func (t *Instances) Packet(now time.Duration, key Key, p Packet) Outcome {
	t.setNow(now)
	ci := key.Client
	if int(ci) >= len(t.inst) {
		t.ReserveClients(max(int(ci)+1, 2*len(t.inst)))
	}
	if t.inst[ci].flags&slotSeen == 0 {
		t.inst[ci].flags |= slotSeen
		t.instances++
	}
	out, es := t.packet(now, key, p, t.expire(ci, t.entries(ci), now))
	t.store(ci, es)
	return out
}

// packet is Packet on the client's unexpired entries es; it returns them
// as the packet leaves them.
func (t *Instances) packet(now time.Duration, key Key, p Packet, es []slot) (Outcome, []slot) {
	refresh := t.cfg.refreshes(p)
	for i := range es {
		if es[i].conn != key.Conn {
			continue
		}
		e := es[i]
		e.facts = uint8(seenFacts(uint64(e.facts), p))
		if !refresh {
			es[i] = e
			return Outcome{Verdict: Forwarded, Port: e.port}, es
		}
		t.stamp(key.Client, &e, now)
		copy(es[1:i+1], es[:i])
		es[0] = e
		return Outcome{Verdict: Forwarded, Port: e.port}, es
	}
	if v, ok := t.cfg.unknown(p); ok {
		return Outcome{Verdict: v}, es
	}
	if capacity := int(t.setting(key.Client, SetCapacity)); capacity > 0 && len(es) >= capacity {
		var ok bool
		if es, ok = t.makeRoom(key.Client, es, now); !ok {
			if p.Kind == Open {
				t.stats.RefusedOpens++
			} else {
				t.stats.RefusedPackets++
			}
			return Outcome{Verdict: Refused}, es
		}
	}
	next := t.inst[key.Client].nextPort
	out := t.cfg.portFor(p, &next)
	t.inst[key.Client].nextPort = next
	e := slot{created: now, conn: key.Conn, port: out.Port, facts: uint8(newFacts(p)), flags: slotUsed}
	t.stamp(key.Client, &e, now)
	es = append(es, slot{})
	copy(es[1:], es)
	es[0] = e
	t.n++
	t.stats.Inserts++
	t.stats.MaxOccupancy = max(t.stats.MaxOccupancy, len(es))
	if out.Remapped {
		t.stats.Remaps++
	}
	return out, es
}

// stamp marks e, an entry of client's, as refreshed at now under the
// instance's timeouts.
func (t *Instances) stamp(client uint32, e *slot, now time.Duration) {
	e.facts = uint8(classify(uint64(e.facts), e.created, now))
	e.expires = now + time.Duration(t.setting(client, SetTCPEstablished+Setting(e.facts&listBits/2)))
}

// makeRoom applies WhenFull to a full instance (es, most recent first)
// and reports whether room was made.
func (t *Instances) makeRoom(client uint32, es []slot, now time.Duration) ([]slot, bool) {
	switch t.cfg.WhenFull {
	case LRU:
		t.stats.Evictions++
		return t.remove(client, es, len(es)-1, now, Evicted), true
	case EarlyDrop:
		for i := len(es) - 1; i >= 0; i-- {
			if es[i].facts&assuredBit == 0 {
				t.stats.EarlyDrops++
				return t.remove(client, es, i, now, EarlyDropped), true
			}
		}
	}
	return es, false
}

// Advance removes every entry of every instance that has expired by now
// (O(clients): for samples and window edges, not per packet).
func (t *Instances) Advance(now time.Duration) {
	t.setNow(now)
	for ci := range t.inst {
		t.Sync(now, uint32(ci))
	}
}

// NextExpiry returns the earliest expiry of any entry (O(clients)).
func (t *Instances) NextExpiry() (time.Duration, bool) {
	var at time.Duration
	ok := false
	for ci := range t.inst {
		for _, e := range t.entries(uint32(ci)) {
			if !ok || e.expires < at {
				at, ok = e.expires, true
			}
		}
	}
	return at, ok
}

// Stats returns the counters of the window that started at the last
// ResetStats and ends at now, all instances together, except
// MaxOccupancy: the most entries any one instance held. MeanOccupancy is
// the time-weighted mean of the entries of all instances together.
func (t *Instances) Stats(now time.Duration) Stats {
	t.Advance(now)
	s := t.stats
	area := t.area
	s.EndAgeSum = t.ages(now, func(e slot) { area.Add(now - max(e.created, t.since)) })
	if span := now - t.since; span > 0 {
		s.MeanOccupancy = area.Seconds() / span.Seconds()
	} else {
		s.MeanOccupancy = float64(t.n)
	}
	return s
}

// ResetStats starts a new statistics window at now.
func (t *Instances) ResetStats(now time.Duration) {
	t.Advance(now)
	t.stats = Stats{StartOccupancy: t.n}
	t.stats.StartAgeSum = t.ages(now, func(slot) {})
	for ci := range t.inst {
		t.stats.MaxOccupancy = max(t.stats.MaxOccupancy, len(t.entries(uint32(ci))))
	}
	t.since, t.area = now, SpanSum{}
}

// ages adds up the ages of the entries held at now, calling each on every
// one of them.
func (t *Instances) ages(now time.Duration, each func(slot)) SpanSum {
	var sum SpanSum
	for ci := range t.inst {
		for _, e := range t.entries(uint32(ci)) {
			sum.Add(now - e.created)
			each(e)
		}
	}
	return sum
}
