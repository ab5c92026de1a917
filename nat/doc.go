// Package nat models one middlebox connection table: a NAT, a stateful
// firewall or a load balancer that keeps one entry per connection (5-tuple)
// and forgets it when it is idle for too long, when the table is full, or
// when it is told to.
//
// # What is modelled
//
// An entry remembers its protocol, when it was created, when it was last
// refreshed, whether traffic was seen in both directions (assured), its
// timeout class and the external port it was given. A Table holds at most
// Config.Capacity entries (0 means unlimited) and applies, per packet:
//
//   - Refresh rules: outbound packets always refresh (RFC 4787 REQ-6);
//     inbound ones only with RefreshInbound; zero-payload TCP keepalive
//     probes and their ACKs only with RefreshOnKeepalive.
//   - Timeout classes: TCP handshake and closing states use
//     TCPTransitory, established TCP uses TCPEstablished, UDP uses UDP
//     until a reply has been seen and the entry is older than 2 s, then
//     UDPStream (the Linux rule). The class and the assured bit are
//     re-evaluated at each refresh, so a packet that does not refresh
//     changes neither until the next one that does.
//   - Exact expiry: an entry idle for its timeout is gone at
//     last refresh + timeout, not at the next sweep. Expiry is lazy: every
//     call first removes what has expired by its `now`, each removal
//     stamped with its own exact instant, in order.
//   - A full table: WhenFull LRU evicts the least recently refreshed entry;
//     Refuse drops the new flow's packet; EarlyDrop evicts the least
//     recently refreshed entry that is not assured, else refuses (Linux
//     conntrack, idealised: the kernel only looks at 8 hash buckets).
//   - Packets of unknown flows: outbound non-opening packets create an
//     entry (UnknownOutbound Create, Linux tcp_loose=1) or are dropped;
//     inbound ones are dropped or answered with RST (UnknownInbound Reset).
//   - Port preservation: a re-created entry for the same flow keeps its
//     external port (Linux masquerade) or gets a fresh one (most CGNs).
//     The caller remembers the port it was given and passes it back; the
//     table never remembers removed flows.
//
// Removal reasons (Expired, Evicted, EarlyDropped) are recorded by the
// table itself and reported through the callback given to New; they are
// never inferred from the LRU's eviction callback, which also fires for
// Remove and Purge. The table has no removal on the caller's behalf: an
// expiry at a box with OnExpire ExpireReset is reported as Expired, and
// the caller (package sim) makes it a reset of both ends.
//
// # The contract with the caller
//
//   - Every call takes `now`, the time since the start of the run, and
//     calls come in non-decreasing `now` (Advance panics otherwise).
//   - Key.Client numbers clients densely from 0: it indexes an array of
//     the table's (each client's chain of entries), so a sparse numbering
//     costs memory. ReserveClients sizes that array, and the slab of
//     entries, ahead of a large run; it is a hint, not a limit.
//   - The removal callback runs inside the call that removes, in order of
//     removal instants, and must not call back into the table.
//   - NotifyNextVictim is a prefetch hint for a caller that will touch
//     the next LRU victim's state in its callback: the table tells it the
//     client of the entry it will most likely evict next. Nothing the
//     table does depends on it.
//
// # How it departs from real devices
//
// Real tables expire lazily (Linux garbage-collects up to about 60 s
// late) but a flow sees the same outcome as with exact expiry: it
// survives iff its largest gap is under the timeout. TCP state is reduced
// to the two timeout classes; sequence-number tracking, window checks and
// per-state timeouts (SYN_SENT, TIME_WAIT, ...) are folded into
// TCPTransitory.
//
// # Cost
//
// Recency order, which only a capacity-limited LRU table needs, is
// golang-lru/v2's simplelru (a map plus a doubly linked list) over the
// slots of a slab of entries; a slot evicted from a full table is moved
// to the front and reused for the new entry, so a miss allocates
// nothing. A flow's entry is found through the chain of its
// client's entries (Key.Client indexes a dense array: clients are
// numbered from 0). Expiry order is kept in one intrusive list per
// (timeout class, assured) pair over the slab: within a class every entry
// has the same timeout, so the list in refresh order is also in expiry
// order, and the next expiry is the smallest of eight list heads. A packet
// costs a short chain walk, one LRU move and O(1) list work; an insert
// into a full table adds one eviction. There is no clock, no randomness,
// no I/O and no goroutine: every call takes `now time.Duration` since the
// start of the run, and calls must come in non-decreasing `now`.
package nat
