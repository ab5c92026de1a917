// Package sim is natsim's discrete-event engine: populations of clients
// holding persistent connections through a path of middlebox tables
// (package nat), with keepalives, traffic, sessions and reconnects, and
// the metrics that docs/model.md defines (section 9).
//
// # Engine
//
// Simulated time is a time.Duration since the start of the run. One run
// is one goroutine with one event queue (a calendar of pointer-free
// events, with a 4-ary heap for those beyond its horizon, ordered by
// time, then by scheduling order, so events at the same instant run
// first-come first-served). Clients are state machines
// whose methods are the events' handlers; there is no goroutine per
// client. An event carries the connection stamp it was scheduled for and
// is ignored when it comes up for a connection that has been replaced
// (cancel by flag, as in ns-3). A hop of zero delay is handled at once
// rather than queued, so a heartbeat over a zero-RTT path costs one
// event. Run is a pure function of (Config, replication): nothing reads
// the wall clock, sleeps or starts goroutines, and every client draws
// from its own PCG stream seeded from (seed, replication, group name,
// index in group), so adding a client or a group leaves the others'
// draws unchanged.
//
// A large run waits on memory more than it computes: a client's state is
// one 64-byte line, and the queue prefetches the items and client states
// of the events a few calendar buckets ahead (PERFORMANCE.md).
//
// # Where things live
//
//   - run.go: Run, the client record, the crossing of a group's path
//     (Group.Path: its own list of boxes; a flow's port and removal are
//     kept per hop), removal callbacks.
//   - client.go: a connection's life (connect, handshake, messages, the
//     packets at either end, orphans decided, deaths learned, reconnects,
//     sessions).
//   - keepalive.go: the keepalive strategies' interface and registry
//     (KeepaliveKind: name, fields and defaults, checks, the kernel
//     driver); ka_tcp.go and ka_app.go (app and server-app) implement
//     it. A new strategy is a file that registers itself, plus its
//     KeepaliveType constant.
//   - record.go: the recorder, through which every counted thing passes;
//     it applies the measured window once and feeds the trace too.
//   - trace.go: the trace's events (Config.Trace; TraceOnly narrows it to
//     one client or to breaks), which natsim explain tells as a story.
//     Off, every trace method of the recorder returns at once.
//   - metrics.go, result.go: the counters, the result types, the
//     aggregation over replications and the text report.
//   - radio.go: the hooks that feed a group's radios (package radio)
//     every packet a client sends or receives, and their result. With
//     no radio in the run each hook is one nil test.
//   - table.go: what the engine needs of a middlebox table (nat.Table).
//   - queue.go: the calendar queue.
//
// # Modelling choices
//
// These are the choices docs/model.md describes for users; the list
// here is for readers of the code.
//
//   - Where the delay is: every middlebox sits next to the client; the
//     whole one-way delay RTT/2 lies between the last middlebox and the
//     server. A client packet crosses the tables when it is sent; a server
//     packet crosses them when it arrives.
//   - Loss is on that wide segment: a lost outbound packet has already
//     refreshed the tables, a lost inbound one has not. A lost TCP data
//     packet is delivered one RTO (1 s) later; a lost ping, pong, probe or
//     probe ACK is gone; ACKs, handshakes, FINs and RSTs are not lost.
//   - Connection set-up: the SYN crosses the path (and may be refused by a
//     full table); one RTT later its answer crosses inbound and the
//     client's ACK outbound. handshake_packets and handshake_bytes are
//     counted as reconnect overhead for set-ups that follow a dead
//     connection (a refused attempt pays for its SYN only); first
//     connections and session re-opens are not overhead.
//   - TCP keepalive follows Linux's tcp_keepalive_timer: the idle wait
//     runs from the last packet received; after a probe the timer comes
//     back in interval, and if something was received since, the idle
//     wait restarts from then; probes are suspended while data is
//     unacknowledged (the retransmission timeout is in charge).
//   - App pings are data: with idle_only a ping is due an interval (with
//     its jitter) after the last data message either way, as MQTT's
//     keep-alive timer restarts with each message; the timer is put off,
//     not skipped, so no silence is longer than interval + jitter. For
//     server-app the server puts its ping off only for data it sent or
//     acknowledged (UDP data from the client has no answer the client
//     would hear). Over TCP a pong acknowledges its ping; no separate
//     ACKs are modelled for pings.
//   - A pong is a miss if it is not back by its ping's deadline
//     (timeout): a late pong does not reset the count of misses.
//   - server-app: the client gives up when nothing has arrived from the
//     server for misses x interval + jitter + timeout (Socket.IO's
//     pingInterval + pingTimeout when misses is 1); any packet from the
//     server shows it alive, not only its pings.
//   - On a path of several boxes a flow is known at each box after the
//     first by the external port the box before gave it: a flow that a
//     box renumbers is a new flow at every box beyond (which gives it a
//     fresh port, and counts no remap). The box that decides a break is
//     the one whose loss turned into it: the first to renumber the flow,
//     drop it or refuse it on the way out, or the one that dropped or
//     reset a server packet on the way in. The break dates from that
//     box's removal and keeps its cause; a break that no crossing decided
//     (a timer ran out) dates from the earliest removal.
//   - A server that sees the client arrive from a new external port answers
//     RST and drops the old connection (as servers do when the same client
//     shows up again), so nothing more is sent to the old port.
//   - Server to client with unknown_inbound drop: the server keeps
//     retransmitting data (and pings and pongs over TCP); the orphan stays
//     undecided until the client re-creates the entry with the same port
//     (a remap: each held-up message is delivered by the server's first
//     retransmission to reach the box after it, the retransmissions
//     coming 1 s after the first sending, then at doubling gaps up to
//     Linux's 120 s) or the server gives up after retransmit_timeout or
//     its own missed pongs (a break: they are lost). A client packet
//     refused by a full table leaves the orphan undecided likewise.
//     Messages still held up at the end are held_at_end, neither lost nor
//     delivered. A UDP datagram that meets no entry, or a full table, is
//     lost: UDP never retransmits.
//   - push_delay_s is the delivery delay of the down messages delivered
//     in the window: the one-way delay, one RTO (1 s) more for a packet
//     lost once, or the wait of a held-up message.
//   - UDP has no reset. A UDP flow that a box gives a new port is a
//     rebinding or a break by the group's udp_rebinding. follow (the
//     default: an unconnected server socket, QUIC connection migration,
//     WireGuard roaming): the server takes the address of each datagram
//     sent from the new port as the client's, so the flow survives (a
//     rebinding, neither a remap nor a break), and the datagrams it sent
//     to the old address before it took the new one are lost at the box;
//     ICMP errors from a box that resets unknown inbound packets are
//     ignored (an unconnected socket does not see them). reject (a
//     connected socket): datagrams from the new port are dropped, so it is
//     a break that the client learns of only from its own timers, and the
//     server's datagrams keep going to the old address, which is gone; an
//     ICMP error closes the server's side. UDP data is not retransmitted.
//   - Traffic generators run only while their sender believes the
//     connection is up; messages are not generated while a client knows
//     it is disconnected, so lost_up and lost_down count messages sent into
//     a broken or missing entry, never ones held back.
//   - A session that ends while its connection is broken and undetected
//     closes the books on the break at that moment (its detection latency
//     is the time to the close).
//   - A connection that dies with no entry lost (too many pings or probes
//     lost to the network) is not a break: it is counted in
//     spurious_disconnects, and the client reconnects.
//
// # Metrics
//
// Counters cover the window after Warmup: breaks by the instant of the
// removal that caused them, messages and overhead by the instant they
// were sent. downtime_fraction is the time from each break to the
// reconnection that replaced it, clipped to the window, over
// client_hours: the time each client existed in the window, from its
// first connection attempt on (not clients x window). Detection latency
// quantiles are nearest-rank over the breaks detected in the window.
// With replications, every number is the mean over runs and CI95 holds
// Student-t half-widths of the rates and fractions. docs/model.md
// defines every field of the result.
//
// # Cost
//
// Per event: one queue push and pop, and one table operation per
// middlebox crossed. The queue (queue.go) is a calendar of buckets over
// a horizon a little beyond the longest period that recurs for every
// client (periods of a day or more excepted): a push appends to its
// bucket's list and a pop steps through the current bucket, sorted by
// insertion when its turn comes, so a population of periodic timers
// costs a small constant per event. Events beyond the horizon wait in a
// 4-ary heap (O(log4 n)) and move into the calendar before it reaches
// them. Items are pointer-free 32-byte values in one pool, so the steady
// state allocates nothing. Per client: one 64-byte line of state (type
// client in run.go), an external port per middlebox after the first
// (and, on a path of several boxes, a removal record per box), its
// events in the queue and its table entries. Measurements are in
// PERFORMANCE.md.
package sim
