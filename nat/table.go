package nat

import (
	"fmt"
	"math"
	"math/bits"
	"time"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Key names one flow (one 5-tuple). It is a comparable struct, never a
// formatted string.
type Key struct {
	Client uint32 // index of the client in the run
	Conn   uint32 // connection number of that client (a new source port each)
}

// Proto is a flow's transport protocol.
type Proto uint8

const (
	TCP Proto = iota
	UDP
)

// Dir is a packet's direction: outbound is client to server.
type Dir uint8

const (
	Outbound Dir = iota
	Inbound
)

// Kind is what a packet does to the flow's state.
type Kind uint8

const (
	// Open is a TCP SYN or the first datagram of a UDP flow; it may
	// create an entry whatever UnknownOutbound says.
	Open Kind = iota
	// Data is any other packet with payload, or a pure ACK.
	Data
	// Probe is a zero-payload TCP keepalive probe or the ACK answering it.
	Probe
	// Close is a TCP FIN: the entry moves to the transitory class.
	Close
)

// Packet is what the table needs to know of one packet.
type Packet struct {
	Dir   Dir
	Proto Proto
	Kind  Kind
	// Port is the external port the flow was given before (0: none).
	// With PortPreservation a re-created entry gets it again.
	Port uint32
}

// Verdict is what the table did with a packet.
type Verdict uint8

const (
	Forwarded Verdict = iota // an entry was there
	Created                  // a new entry was made; the packet goes on
	Dropped                  // no entry, and the packet was dropped silently
	Reset                    // no entry, and the box answered the sender with RST
	Refused                  // no room for a new entry: the packet was dropped
)

var verdictNames = [...]string{"forwarded", "created", "dropped", "reset", "refused"}

func (v Verdict) String() string { return enumName(verdictNames[:], int(v)) }

// Outcome is the result of Table.Packet.
type Outcome struct {
	Verdict Verdict
	// Port is the external port of the entry (Forwarded, Created).
	Port uint32
	// Remapped is true when an entry was re-created mid-flow (a packet
	// other than Open, for a flow that had a port) with its old port:
	// the server sees the same 4-tuple and the connection goes on.
	Remapped bool
}

// Reason says why an entry was removed.
type Reason uint8

const (
	Expired      Reason = iota // idle for its class's timeout
	Evicted                    // least recently refreshed, in a full LRU table
	EarlyDropped               // least recently refreshed non-assured, in a full early-drop table
)

var reasonNames = [...]string{"expired", "evicted", "early_dropped"}

func (r Reason) String() string { return enumName(reasonNames[:], int(r)) }

// Removal reports one entry leaving the table, at its exact instant.
type Removal struct {
	Key    Key
	At     time.Duration // instant of removal: last refresh + timeout for Expired
	Reason Reason
}

// Stats counts what a table did since New or the last ResetStats.
type Stats struct {
	Inserts    uint64
	Evictions  uint64 // capacity evictions (LRU)
	Expiries   uint64
	EarlyDrops uint64
	// RefusedOpens and RefusedPackets count the packets that a full
	// table had no room for: connection set-ups (SYNs, first datagrams),
	// and others (a packet of a flow whose entry was removed).
	RefusedOpens   uint64
	RefusedPackets uint64
	Remaps         uint64  // entries re-created mid-flow with their old port
	MaxOccupancy   int     // most entries held at once
	MeanOccupancy  float64 // time-weighted mean number of entries
	// StartOccupancy is the number of entries held when the window began.
	StartOccupancy int
	// Removed counts entries removed for any reason, and LifetimeSum adds
	// up their lifetimes (creation to removal), for Little's law.
	Removed     uint64
	LifetimeSum SpanSum
	// StartAgeSum and EndAgeSum add up the ages of the entries held at the
	// window's start and end. With them Little's law holds exactly on the
	// window: MeanOccupancy x span = LifetimeSum + EndAgeSum - StartAgeSum.
	StartAgeSum SpanSum
	EndAgeSum   SpanSum
}

// SpanSum adds up non-negative spans without overflowing: in 128 bits of
// nanoseconds, where time.Duration's 63 hold 292 years, which a few
// thousand entries living a century each exceed.
type SpanSum struct{ hi, lo uint64 }

// Add adds a span d >= 0.
func (s *SpanSum) Add(d time.Duration) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, uint64(d), 0)
	s.hi += carry
}

// Seconds is the sum in seconds; below 292 years exactly as
// time.Duration.Seconds gives it.
func (s SpanSum) Seconds() float64 {
	if s.hi == 0 && s.lo <= math.MaxInt64 {
		return time.Duration(s.lo).Seconds()
	}
	return (float64(s.hi)*(1<<64) + float64(s.lo)) / 1e9
}

type class uint8

const (
	classTCPEstablished class = iota
	classTCPTransitory
	classUDP
	classUDPStream
	numClasses
)

// numLists is one expiry list per (class, assured) pair.
const numLists = 2 * int(numClasses)

// udpStreamAge is how old a replied UDP entry must be before it gets the
// stream timeout (Linux nf_conntrack_proto_udp.c).
const udpStreamAge = 2 * time.Second

const none int32 = -1

type entry struct {
	key         Key
	created     time.Duration
	lastRefresh time.Duration
	// rank is the refresh order (to break ties between equal instants)
	// shifted left by 8, over the entry's list and facts (the bits
	// below), so that an entry takes 48 bytes. Ranks compare as refresh
	// orders: no two entries share one.
	rank       uint64
	port       uint32
	prev, next int32 // neighbours in the expiry list, or none
	sibling    int32 // next entry of the same client, or none
}

// The low byte of an entry's rank.
const (
	listBits        = 7      // its expiry list: class*2 + assured
	factUDP         = 1 << 3 // a UDP flow (else TCP)
	factReplied     = 1 << 4 // an inbound packet was seen
	factEstablished = 1 << 5 // TCP: handshake done or picked up mid-flow
	factClosing     = 1 << 6 // TCP: FIN seen
)

func (e *entry) list() uint8      { return uint8(e.rank & listBits) }
func (e *entry) class() class     { return class(e.list() / 2) }
func (e *entry) assured() bool    { return e.list()%2 == 1 }
func (e *entry) is(b uint64) bool { return e.rank&b != 0 }

type list struct{ head, tail int32 }

// Table is one middlebox's connection table. It is not safe for
// concurrent use.
type Table struct {
	cfg      Config
	onRemove func(Removal)
	// lru is the recency order of the slots. Its keys are slots, not
	// flow keys, and a slot stays in it for good: a slot evicted to make
	// room, or a free one, is moved to the front under the same key for
	// the new entry, so that the table allocates nothing and changes no
	// map once it has grown. Free slots may sit anywhere in the order,
	// but the table evicts only when full, when there are none. Only a
	// capacity-limited LRU table keeps one (nil otherwise): no other
	// policy ever asks for the least recently used entry.
	lru  *simplelru.LRU[int32, struct{}]
	slab []entry
	free []int32
	// byClient is the first slot of each client's entries (a client's
	// entries are few: its live connection and stale ones awaiting
	// expiry or eviction), the newest first; Key.Client indexes it.
	byClient []int32
	n        int // entries held
	// nextVictim, if not nil, is told the client of the entry that the
	// next LRU eviction will most likely remove (see NotifyNextVictim).
	nextVictim func(client uint32)
	lists      [numLists]list
	seq        uint64
	nextPort   uint32
	now        time.Duration
	timeout    [numClasses]time.Duration // per class, from cfg
	// quiet is a lower bound of the next expiry instant: Advance has
	// nothing to do before it. Refreshes and removals only move expiries
	// later; stamp lowers it for the entry it files.
	quiet time.Duration
	// mru is the slot of the most recently used entry (none if unknown):
	// a packet for it needs no LRU lookup and no move to the front.
	mru int32

	stats      Stats
	since      time.Duration // start of the stats window
	lastChange time.Duration // instant of the last change of Len
	area       float64       // integral of Len over time since `since`, entry-nanoseconds
}

// New returns an empty table. onRemove, if not nil, is called for every
// entry removed by the table, in order of removal instants, from inside
// the call that removes it; it must not call back into the table.
func New(cfg Config, onRemove func(Removal)) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Table{cfg: cfg, onRemove: onRemove, mru: none, quiet: math.MaxInt64}
	if cfg.WhenFull == LRU && cfg.Capacity > 0 {
		lru, err := simplelru.NewLRU[int32, struct{}](cfg.Capacity, nil)
		if err != nil {
			return nil, fmt.Errorf("nat: %w", err)
		}
		t.lru = lru
	}
	for c := range numClasses {
		t.timeout[c] = cfg.Timeouts.of(c)
	}
	for i := range t.lists {
		t.lists[i] = list{none, none}
	}
	return t, nil
}

// ReserveClients sizes the table for the flows of clients 0 to
// clients-1 (Key.Client numbers clients densely from 0, and indexes an
// array of the table's), so that a large run does not grow and copy its
// arrays as it fills. It is a hint: a larger Key.Client grows them.
func (t *Table) ReserveClients(clients int) {
	if clients > len(t.byClient) {
		t.growClients(clients)
	}
	entries := clients
	if t.cfg.Capacity > 0 {
		entries = min(entries, t.cfg.Capacity)
	}
	t.slab = append(make([]entry, 0, max(entries, len(t.slab))), t.slab...)
	hugePages(t.slab)
}

func (t *Table) growClients(n int) {
	old := len(t.byClient)
	t.byClient = append(t.byClient, make([]int32, n-old)...)
	for i := old; i < n; i++ {
		t.byClient[i] = none
	}
	hugePages(t.byClient)
}

// NotifyNextVictim has f told, after each LRU eviction, the client of
// the entry most likely to be evicted next, so that the caller can
// prefetch what its removal callback will touch. It is a hint for speed
// only: it changes nothing the table does.
func (t *Table) NotifyNextVictim(f func(client uint32)) { t.nextVictim = f }

// warmLRU looks slot up in the LRU without touching its recency, for
// the side effect alone: its place in the LRU's map comes into cache
// while the current packet's work goes on, before the next eviction
// moves it to the front.
func (t *Table) warmLRU(slot int32) { t.lru.Contains(slot) }

// lookup returns the slot of key's entry.
func (t *Table) lookup(key Key) (int32, bool) {
	if int(key.Client) >= len(t.byClient) {
		return none, false
	}
	for s := t.byClient[key.Client]; s != none; s = t.slab[s].sibling {
		if t.slab[s].key.Conn == key.Conn {
			return s, true
		}
	}
	return none, false
}

// Config returns the table's configuration.
func (t *Table) Config() Config { return t.cfg }

// Len returns the number of entries held.
func (t *Table) Len() int { return t.n }

// Packet passes one packet of flow key through the table at now.
func (t *Table) Packet(now time.Duration, key Key, p Packet) Outcome {
	t.Advance(now)
	refresh := t.cfg.refreshes(p)
	var slot int32
	var ok bool
	if t.mru != none && t.slab[t.mru].key == key {
		// A reply to the packet just seen: the entry is already at the front.
		slot, ok = t.mru, true
	} else if slot, ok = t.lookup(key); ok && refresh {
		t.toFront(slot)
		t.mru = slot
	}
	if ok {
		e := &t.slab[slot]
		e.rank = seenFacts(e.rank, p)
		if refresh {
			t.refresh(slot, now)
		}
		return Outcome{Verdict: Forwarded, Port: e.port}
	}
	if v, ok := t.cfg.unknown(p); ok {
		return Outcome{Verdict: v}
	}
	slot = none
	if t.cfg.Capacity > 0 && t.n >= t.cfg.Capacity {
		if slot, ok = t.makeRoom(now); !ok {
			if p.Kind == Open {
				t.stats.RefusedOpens++
			} else {
				t.stats.RefusedPackets++
			}
			return Outcome{Verdict: Refused}
		}
	}
	return t.insert(now, key, p, slot)
}

// Advance removes every entry whose expiry instant is at or before now.
// Packet calls it first; call it directly to bring the table (and its
// occupancy statistics) up to now without a packet.
func (t *Table) Advance(now time.Duration) {
	if now < t.now {
		panic(fmt.Sprintf("nat: time went backwards (%v after %v)", now, t.now))
	}
	t.now = now
	if now < t.quiet {
		return
	}
	for {
		slot, at, ok := t.nextExpiry()
		if !ok || at > now {
			t.quiet = at
			if !ok {
				t.quiet = math.MaxInt64
			}
			return
		}
		t.stats.Expiries++
		t.remove(slot, at, Expired)
	}
}

// NextExpiry returns the instant at which the next entry will expire if
// nothing refreshes it, and false if the table is empty.
func (t *Table) NextExpiry() (time.Duration, bool) {
	_, at, ok := t.nextExpiry()
	return at, ok
}

// Stats returns the counters of the window that started at the last
// ResetStats (or New) and ends at now.
func (t *Table) Stats(now time.Duration) Stats {
	t.Advance(now)
	s := t.stats
	s.EndAgeSum = t.ageSum(now)
	if span := now - t.since; span > 0 {
		area := t.area + float64(t.Len())*float64(now-t.lastChange)
		s.MeanOccupancy = area / float64(span)
	} else {
		s.MeanOccupancy = float64(t.Len())
	}
	return s
}

// ResetStats starts a new statistics window at now (the end of warmup).
func (t *Table) ResetStats(now time.Duration) {
	t.Advance(now)
	t.stats = Stats{MaxOccupancy: t.Len(), StartOccupancy: t.Len(), StartAgeSum: t.ageSum(now)}
	t.since, t.lastChange, t.area = now, now, 0
}

// ageSum adds up the ages of the entries held (O(n): for window edges).
func (t *Table) ageSum(now time.Duration) SpanSum {
	var sum SpanSum
	for _, l := range t.lists {
		for i := l.head; i != none; i = t.slab[i].next {
			sum.Add(now - t.slab[i].created)
		}
	}
	return sum
}

// refreshes reports whether a packet refreshes its entry.
func (c *Config) refreshes(p Packet) bool {
	if p.Kind == Probe && !c.RefreshOnKeepalive {
		return false
	}
	return p.Dir == Outbound || c.RefreshInbound
}

// unknown is the verdict on a packet of a flow that has no entry, if the
// configuration decides it without looking for room: an inbound packet,
// or an outbound one other than Open where UnknownOutbound is Drop.
func (c *Config) unknown(p Packet) (Verdict, bool) {
	switch {
	case p.Dir == Inbound && c.UnknownInbound == SendReset:
		return Reset, true
	case p.Dir == Inbound, p.Kind != Open && c.UnknownOutbound == Drop:
		return Dropped, true
	}
	return Created, false
}

// portFor gives a new entry its external port: the flow's old one with
// PortPreservation (a remap if the packet is not an Open), else the next
// of *next, which counts the ports handed out (0 is never one).
func (c *Config) portFor(p Packet, next *uint32) Outcome {
	out := Outcome{Verdict: Created}
	if c.PortPreservation && p.Port != 0 {
		out.Port = p.Port
		out.Remapped = p.Kind != Open
		return out
	}
	*next++
	if *next == 0 {
		*next = 1
	}
	out.Port = *next
	return out
}

// newFacts are the facts of a new entry made by p. A TCP packet other
// than a SYN is picked up mid-flow, as Linux does with tcp_loose=1.
func newFacts(p Packet) uint64 {
	switch {
	case p.Proto == UDP:
		return factUDP
	case p.Kind == Close:
		return factEstablished | factClosing
	case p.Kind != Open:
		return factEstablished
	}
	return 0
}

// seenFacts adds to an entry's facts what packet p shows.
func seenFacts(facts uint64, p Packet) uint64 {
	if p.Dir == Inbound {
		facts |= factReplied
	}
	if p.Kind == Close {
		facts |= factClosing
	}
	return facts
}

// classify re-evaluates, at a refresh at now of an entry created at
// created, its timeout class and assured bit: it returns the entry's low
// facts byte with the expiry list bits (class*2 + assured) set, and the
// established fact if a TCP entry has now seen a reply.
func classify(facts uint64, created, now time.Duration) uint64 {
	var c class
	assured := false
	is := func(b uint64) bool { return facts&b != 0 }
	switch {
	case is(factUDP):
		c = classUDP
		if is(factReplied) && now-created > udpStreamAge {
			c, assured = classUDPStream, true
		}
	case is(factClosing):
		c, assured = classTCPTransitory, is(factEstablished) && is(factReplied)
	default:
		if is(factReplied) {
			facts |= factEstablished
		}
		c = classTCPTransitory
		if is(factEstablished) {
			c, assured = classTCPEstablished, is(factReplied)
		}
	}
	list := uint64(c) * 2
	if assured {
		list++
	}
	return facts&^listBits | list
}

// refresh moves an entry to the tail of its expiry list, re-evaluating its
// class and assured bit.
func (t *Table) refresh(slot int32, now time.Duration) {
	t.unlink(slot)
	t.stamp(slot, now)
}

// stamp marks a new or just unlinked entry as refreshed at now and links
// it into the list of its (class, assured) pair.
func (t *Table) stamp(slot int32, now time.Duration) {
	e := &t.slab[slot]
	low := classify(e.rank&0xff, e.created, now)
	t.quiet = min(t.quiet, now+t.timeout[low&listBits/2])
	t.seq++
	e.lastRefresh = now
	e.rank = t.seq<<8 | low
	t.pushBack(slot)
}

// makeRoom applies WhenFull to a full table and reports whether room
// was made. An LRU eviction returns the evicted slot, still in the LRU,
// for the new entry to reuse; otherwise slot is none.
func (t *Table) makeRoom(now time.Duration) (slot int32, ok bool) {
	switch t.cfg.WhenFull {
	case LRU:
		slot, _, _ = t.lru.GetOldest()
		// In a table whose entries share one expiry list, the list is the
		// LRU order: the next victim is this one's successor.
		next := t.slab[slot].next
		t.stats.Evictions++
		t.forget(slot, now, Evicted)
		if next != none {
			t.warmLRU(next)
			if t.nextVictim != nil {
				t.nextVictim(t.slab[next].key.Client)
			}
		}
		return slot, true
	case EarlyDrop:
		victim := none
		for l := 0; l < numLists; l += 2 { // even lists: not assured
			h := t.lists[l].head
			if h != none && (victim == none || t.slab[h].rank < t.slab[victim].rank) {
				victim = h
			}
		}
		if victim == none {
			return none, false
		}
		t.stats.EarlyDrops++
		t.remove(victim, now, EarlyDropped)
		return none, true
	default:
		return none, false
	}
}

// toFront makes slot the most recently used, in a table that keeps the
// order.
func (t *Table) toFront(slot int32) {
	if t.lru != nil {
		t.lru.Get(slot)
	}
}

// insert makes key's entry in slot reuse, just evicted, or (none) in a
// free or new slot.
func (t *Table) insert(now time.Duration, key Key, p Packet, reuse int32) Outcome {
	slot := reuse
	switch n := len(t.free); {
	case slot != none:
		t.toFront(slot)
	case n > 0:
		slot, t.free = t.free[n-1], t.free[:n-1]
		t.toFront(slot)
	default:
		before := cap(t.slab)
		t.slab = append(t.slab, entry{})
		if cap(t.slab) != before {
			hugePages(t.slab) // a new, bigger array
		}
		slot = int32(len(t.slab) - 1)
		if t.lru != nil {
			t.lru.Add(slot, struct{}{})
		}
	}
	if int(key.Client) >= len(t.byClient) {
		t.growClients(max(int(key.Client)+1, 2*len(t.byClient)))
	}
	out := t.cfg.portFor(p, &t.nextPort)
	t.slab[slot] = entry{key: key, created: now, rank: newFacts(p), port: out.Port, prev: none, next: none,
		sibling: t.byClient[key.Client]}
	t.byClient[key.Client] = slot
	t.stamp(slot, now)
	t.mru = slot
	t.n++
	t.changed(now, +1)
	t.stats.Inserts++
	if out.Remapped {
		t.stats.Remaps++
	}
	return out
}

// remove takes an entry out at instant at, reports it and frees its slot.
func (t *Table) remove(slot int32, at time.Duration, r Reason) {
	t.forget(slot, at, r)
	t.free = append(t.free, slot)
}

// forget takes an entry out of the expiry lists and its client's chain
// and reports it; the slot is neither free nor used, for remove to free
// or an insert to reuse.
func (t *Table) forget(slot int32, at time.Duration, r Reason) {
	e := &t.slab[slot]
	key := e.key
	if slot == t.mru {
		t.mru = none
	}
	t.stats.Removed++
	t.stats.LifetimeSum.Add(at - e.created)
	t.unlink(slot)
	t.unchain(slot)
	t.n--
	t.changed(at, -1)
	if t.onRemove != nil {
		t.onRemove(Removal{Key: key, At: at, Reason: r})
	}
}

// changed records a change of Len by delta at instant at for the
// time-weighted occupancy; Len has already changed.
func (t *Table) changed(at time.Duration, delta int) {
	if at > t.lastChange {
		t.area += float64(t.Len()-delta) * float64(at-t.lastChange)
		t.lastChange = at
	}
	if n := t.Len(); n > t.stats.MaxOccupancy {
		t.stats.MaxOccupancy = n
	}
}

// nextExpiry finds the entry that expires first (ties: least recently
// refreshed) among the heads of the expiry lists.
func (t *Table) nextExpiry() (slot int32, at time.Duration, ok bool) {
	slot = none
	for l := range t.lists {
		h := t.lists[l].head
		if h == none {
			continue
		}
		e := &t.slab[h]
		exp := e.lastRefresh + t.timeout[e.class()]
		if slot == none || exp < at || (exp == at && e.rank < t.slab[slot].rank) {
			slot, at = h, exp
		}
	}
	return slot, at, slot != none
}

// unchain takes slot out of its client's chain.
func (t *Table) unchain(slot int32) {
	e := &t.slab[slot]
	p := &t.byClient[e.key.Client]
	for *p != slot {
		p = &t.slab[*p].sibling
	}
	*p = e.sibling
}

func (t *Table) pushBack(slot int32) {
	e := &t.slab[slot]
	l := &t.lists[e.list()]
	e.prev, e.next = l.tail, none
	if l.tail != none {
		t.slab[l.tail].next = slot
	} else {
		l.head = slot
	}
	l.tail = slot
}

func (t *Table) unlink(slot int32) {
	e := &t.slab[slot]
	l := &t.lists[e.list()]
	if e.prev != none {
		t.slab[e.prev].next = e.next
	} else {
		l.head = e.next
	}
	if e.next != none {
		t.slab[e.next].prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = none, none
}

// LocateIndex is the address of the word of t's client index that
// Locate reads (nil if client is beyond it), for a caller that
// prefetches in two stages: that word first, and Locate's entry once the
// word is in cache.
func (t *Table) LocateIndex(client uint32) unsafe.Pointer {
	if int(client) < len(t.byClient) {
		return unsafe.Pointer(&t.byClient[client])
	}
	return nil
}

// Locate is the address of client's first entry (nil if it has none),
// for a caller that prefetches it ahead of the client's next packet, as
// Instances.Locate is: the packet's lookup then finds it in cache.
func (t *Table) Locate(client uint32) unsafe.Pointer {
	if int(client) < len(t.byClient) {
		if s := t.byClient[client]; s != none {
			return unsafe.Pointer(&t.slab[s])
		}
	}
	return nil
}
