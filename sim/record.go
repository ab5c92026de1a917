package sim

import (
	"slices"
	"time"

	"github.com/natsim/natsim/nat"
)

// recorder is the one place where a run counts what happens: the engine
// tells it each thing as it happens, through one method per kind of
// event, and the recorder applies the measured window (counts start at
// the warmup) and feeds both the metrics and the trace. Nothing else
// touches the counters.
type recorder struct {
	now    *time.Duration // the run's clock
	warmup time.Duration
	end    time.Duration // the run's end: the window is [warmup, end]
	// open is whether the measured window has begun (the clock has
	// reached warmup): the run opens it when its clock gets there, so
	// that a count asks one flag rather than the clock.
	open      bool
	groups    []groupMetrics // by group index
	boxBreaks []uint64       // breaks caused, by middlebox index
	trace     bool           // Config.Trace: every trace method returns at once without it
	filter    TraceFilter    // Config.TraceOnly
	boxNames  []string       // by middlebox index, for the trace
	// orig is, in a sampled run, each client's index over all groups of
	// the full population: the trace and its filter name clients by it,
	// so that a sampled client's story reads as in the full run.
	orig   []uint32
	traced []TraceEvent
	// beats is each client's last keepalive beat, by client index, for
	// the keepalive rate (see keepalive).
	beats lastBeats
}

// lastBeats is the last keepalive beat of each client: at is when it was
// sent (the client's start before its first), gap how long after the
// beat before it, in seconds (0 for none). Whether its answer came is
// the client's fBeatAnswered. 12 bytes a client: the gap is a float32,
// exact for whole seconds up to 2^24 and within 6e-8 of any gap, which
// moves the rate by as little.
type lastBeats struct {
	at  []time.Duration
	gap []float32
}

// lastGap is client ci's last gap.
func (b *lastBeats) lastGap(ci uint32) time.Duration {
	return time.Duration(float64(b.gap[ci]) * float64(time.Second))
}

// inWindow reports whether now is inside the measured window.
func (r *recorder) inWindow() bool { return r.open }

// openWindow begins the measured window; the run calls it when its clock
// reaches warmup, before any event at that instant.
func (r *recorder) openWindow() { r.open = true }

// note adds ev, an event of client ci, to the trace when tracing is on
// and the filter keeps it; it returns at once when tracing is off. An
// event dated in the past (a removal found late, a break dated at its
// removal) takes its place in order of At.
func (r *recorder) note(ci uint32, ev TraceEvent) {
	if !r.trace {
		return
	}
	r.add(ci, ev)
}

// noteNow adds an event of kind (and how) happening now; callers check
// r.trace first, so that nothing is built when tracing is off.
//
//go:noinline
func (r *recorder) noteNow(ci uint32, kind TraceKind, how How) {
	r.add(ci, TraceEvent{At: *r.now, Kind: kind, How: how})
}

// add puts ev in the trace if the filter keeps it, in order of At.
func (r *recorder) add(ci uint32, ev TraceEvent) {
	if r.orig != nil {
		ci = r.orig[ci]
	}
	if !r.filter.keeps(ci, ev.Kind) {
		return
	}
	ev.Client = ci
	i := len(r.traced)
	for i > 0 && r.traced[i-1].At > ev.At {
		i--
	}
	r.traced = slices.Insert(r.traced, i, ev)
}

// removal is box bi's removal, at instant at, of the entry of client
// ci's current flow (trace only).
func (r *recorder) removal(ci uint32, bi int, at time.Duration, why cause) {
	if r.trace {
		r.traceRemoval(ci, bi, at, why)
	}
}

// traceRemoval builds removal's trace event, out of line so that removal inlines.
//
//go:noinline
func (r *recorder) traceRemoval(ci uint32, bi int, at time.Duration, why cause) {
	r.add(ci, TraceEvent{At: at, Kind: TraceRemoved, Box: r.boxNames[bi], Cause: causeNames[why]})
}

// sentKeepalive is a keepalive packet (probe, ping or server ping) number
// seq sent now (trace only; keepalive counts its cost).
func (r *recorder) sentKeepalive(ci uint32, packet string, seq uint32) {
	if r.trace {
		r.traceSentKeepalive(ci, packet, seq)
	}
}

// traceSentKeepalive builds sentKeepalive's trace event, out of line so that sentKeepalive inlines.
//
//go:noinline
func (r *recorder) traceSentKeepalive(ci uint32, packet string, seq uint32) {
	r.add(ci, TraceEvent{At: *r.now, Kind: TraceKeepalive, Packet: packet, Seq: seq})
}

// answered is keepalive seq's answer back at its sender (trace only).
func (r *recorder) answered(ci uint32, packet string, seq uint32) {
	if r.trace {
		r.traceAnswered(ci, packet, seq)
	}
}

// traceAnswered builds answered's trace event, out of line so that answered inlines.
//
//go:noinline
func (r *recorder) traceAnswered(ci uint32, packet string, seq uint32) {
	r.add(ci, TraceEvent{At: *r.now, Kind: TraceAnswered, Packet: packet, Seq: seq})
}

// missed is a ping whose answer did not come back in time, the misses-th
// in a row (trace only).
func (r *recorder) missed(ci uint32, packet string, misses uint8) {
	if r.trace {
		r.traceMissed(ci, packet, misses)
	}
}

// traceMissed builds missed's trace event, out of line so that missed inlines.
//
//go:noinline
func (r *recorder) traceMissed(ci uint32, packet string, misses uint8) {
	r.add(ci, TraceEvent{At: *r.now, Kind: TraceMissed, Packet: packet, Seq: uint32(misses)})
}

// met is a packet of client ci (outbound or not, of kind) meeting what at
// box bi instead of its flow's entry (trace only).
func (r *recorder) met(ci uint32, bi int, proto nat.Proto, outbound bool, kind nat.Kind, what Met) {
	if r.trace {
		r.traceMet(ci, bi, proto, outbound, kind, what)
	}
}

// traceMet builds met's trace event, out of line so that met inlines.
//
//go:noinline
func (r *recorder) traceMet(ci uint32, bi int, proto nat.Proto, outbound bool, kind nat.Kind, what Met) {
	r.add(ci, TraceEvent{At: *r.now, Kind: TraceMet, Box: r.boxNames[bi], Packet: packetName(proto, outbound, kind), Met: what})
}

// server is the server's side doing kind (TraceServerReset,
// TraceServerGaveUp) to client ci's connection, or the client closing it
// (TraceClosed) (trace only).
func (r *recorder) server(ci uint32, kind TraceKind) {
	if r.trace {
		r.traceServer(ci, kind)
	}
}

// traceServer builds server's trace event, out of line so that server inlines.
//
//go:noinline
func (r *recorder) traceServer(ci uint32, kind TraceKind) {
	r.add(ci, TraceEvent{At: *r.now, Kind: kind})
}

// packetName names a packet for TraceMet.
func packetName(proto nat.Proto, outbound bool, kind nat.Kind) string {
	switch {
	case !outbound && kind == nat.Probe:
		return "probe's ACK"
	case !outbound && kind == nat.Close:
		return "server's RST"
	case !outbound:
		return "server's packet"
	case kind == nat.Open && proto == nat.TCP:
		return "SYN"
	case kind == nat.Open:
		return "first datagram"
	case kind == nat.Probe:
		return "probe"
	case kind == nat.Close:
		return "FIN"
	}
	return "packet"
}

// sent is a data message sent, up or down; it reports whether it counts
// (sent inside the window), so that its loss, wherever and whenever it is
// found, counts exactly when its sending did.
func (r *recorder) sent(c *client, up bool) bool {
	if !r.inWindow() {
		return false
	}
	m := &r.groups[c.group]
	if up {
		m.sentUp++
	} else {
		m.sentDown++
	}
	return true
}

// lost is a counted data message lost, up or down.
func (r *recorder) lost(c *client, up bool) {
	if up {
		r.groups[c.group].lostUp++
	} else {
		r.groups[c.group].lostDown++
	}
}

// lostHeld is a client's held-up messages lost when its orphan turned out
// a break (they count: only counted messages are held).
func (r *recorder) lostHeld(c *client, up, down int) {
	r.groups[c.group].lostUp += uint64(up)
	r.groups[c.group].lostDown += uint64(down)
}

// delivered is a counted down message delivered after delay, over a path
// whose one-way delay is base.
func (r *recorder) delivered(c *client, delay, base time.Duration) {
	r.groups[c.group].push.add(delay, base)
}

// redelivered is a held-up down message delivered after delay once its
// orphan turned out a remap.
func (r *recorder) redelivered(c *client, delay time.Duration) {
	r.groups[c.group].push.addOther(delay)
}

// heldAtEnd is n messages still held up when the run ends.
func (r *recorder) heldAtEnd(c *client, n int) { r.groups[c.group].heldAtEnd += uint64(n) }

// remap is a pending orphan resolved in the connection's favour, counted
// when it happens (as the middlebox counts it).
func (r *recorder) remap(ci uint32, c *client) {
	if r.trace {
		r.traceRemap(ci)
	}
	if r.inWindow() {
		r.groups[c.group].remaps++
	}
}

// traceRemap builds remap's trace event, out of line so that remap inlines.
//
//go:noinline
func (r *recorder) traceRemap(ci uint32) { r.noteNow(ci, TraceRemap, 0) }

// rebinding is a UDP flow given a new port that its server followed.
func (r *recorder) rebinding(ci uint32, c *client) {
	if r.trace {
		r.noteNow(ci, TraceRebinding, 0)
	}
	if r.inWindow() {
		r.groups[c.group].rebindings++
	}
}

// broke is a break decided, dated at c.orphanAt and caused by box c.box:
// it counts when its removal fell inside the window.
func (r *recorder) broke(ci uint32, c *client) {
	if r.trace {
		r.traceBreak(ci, c)
	}
	if c.orphanAt >= r.warmup {
		r.groups[c.group].breaks[c.cause]++
		r.boxBreaks[c.box]++
	}
}

// traceBreak builds a break's trace event, out of line.
//
//go:noinline
func (r *recorder) traceBreak(ci uint32, c *client) {
	r.add(ci, TraceEvent{At: c.orphanAt, Kind: TraceBreak, Cause: causeNames[c.cause], Box: r.boxNames[c.box], Decided: *r.now})
}

// learned is the client finding out, by how, that its connection is
// dead: a break's detection latency, or a spurious disconnect when no
// entry was lost.
func (r *recorder) learned(ci uint32, c *client, how How) {
	if r.trace {
		r.noteNow(ci, TraceLearned, how)
	}
	m := &r.groups[c.group]
	switch {
	case c.is(fBroken) && c.orphanAt >= r.warmup:
		m.latencies = append(m.latencies, (*r.now - c.orphanAt).Seconds())
	case !c.is(fBroken) && r.inWindow() && how != HowGoAway:
		m.spurious++
	}
}

// closedBroken is a session closing on a broken connection that its
// client had not noticed: the books close on the break now.
func (r *recorder) closedBroken(c *client) {
	if c.orphanAt >= r.warmup {
		m := &r.groups[c.group]
		m.latencies = append(m.latencies, (*r.now - c.orphanAt).Seconds())
	}
}

// downtime is a broken connection replaced or closed now: it was down
// from its break until now (clipped to the window at the end of the run).
func (r *recorder) downtime(c *client, end time.Duration) {
	r.groups[c.group].downtime += overlap(c.orphanAt, *r.now, r.warmup, end)
}

// refused is a connection attempt that met a full table; a reconnect
// attempt has still paid for its SYN.
func (r *recorder) refused(ci uint32, c *client, rc Reconnect) {
	if r.trace {
		r.noteNow(ci, TraceRefused, 0)
	}
	if !r.inWindow() {
		return
	}
	m := &r.groups[c.group]
	m.refused++
	if c.is(fReconnecting) {
		m.rcPackets++
		m.rcBytes += uint64(rc.HandshakeBytes / max(rc.HandshakePackets, 1))
	}
}

// connected is a connection set up; one that replaces a dead connection
// is a reconnect and pays the handshake.
func (r *recorder) connected(ci uint32, c *client, rc Reconnect) {
	if r.trace {
		r.noteNow(ci, TraceConnected, 0)
	}
	if !c.is(fReconnecting) || !r.inWindow() {
		return
	}
	m := &r.groups[c.group]
	m.reconnects++
	m.rcPackets += uint64(rc.HandshakePackets)
	m.rcBytes += uint64(rc.HandshakeBytes)
}

// keepalive is a keepalive beat sent now by client ci (or by the server,
// to it): a TCP probe, a ping or a server ping of the given size. Besides
// the packet counted in the window, the beat adds to the keepalive rate
// its bytes times the share of its gap (the time since the client's beat
// before, or since its start) that lies inside the window: the beats'
// gaps tile each client's time, so that the rate does not depend on how
// many beats happen to fall inside the window.
func (r *recorder) keepalive(ci uint32, c *client, bytes int) {
	m := &r.groups[c.group]
	if r.inWindow() {
		m.kaPackets++
		m.kaBytes += uint64(bytes)
	}
	at, now := r.beats.at[ci], *r.now
	r.beats.at[ci], r.beats.gap[ci] = now, float32((now - at).Seconds())
	c.off(fBeatAnswered)
	m.beatBytes = bytes
	m.kaRate += float64(bytes) * r.share(at, now)
}

// keepaliveAnswer is the answer to client ci's last beat (a probe's ACK,
// a pong), of the given size: counted in the window when it happens, and
// in the rate with its beat's share.
func (r *recorder) keepaliveAnswer(ci uint32, c *client, bytes int) {
	m := &r.groups[c.group]
	if r.inWindow() {
		m.kaPackets++
		m.kaBytes += uint64(bytes)
	}
	at := r.beats.at[ci]
	c.on(fBeatAnswered)
	m.answerBytes = bytes
	m.kaRate += float64(bytes) * r.share(at-r.beats.lastGap(ci), at)
}

// share is the fraction of the gap [from, to] that lies inside the
// window [warmup, end); a gap of no length counts whole if it is inside.
func (r *recorder) share(from, to time.Duration) float64 {
	if to <= from {
		if to >= r.warmup && to < r.end {
			return 1
		}
		return 0
	}
	return float64(overlap(from, to, r.warmup, r.end)) / float64(to-from)
}

// closeBeat adds to the rate, at the end of the run, the unfinished gap
// after client ci's last beat: as long as the gap before it, at most,
// and cut at the end. A periodic beat's next gap is its last, so that
// the rate of periodic beats is exact; it is at most one beat off
// otherwise.
func (r *recorder) closeBeat(ci uint32, c *client) {
	at, gap := r.beats.at[ci], r.beats.lastGap(ci)
	if gap <= 0 {
		return
	}
	m := &r.groups[c.group]
	bytes := m.beatBytes
	if c.is(fBeatAnswered) {
		bytes += m.answerBytes
	}
	m.kaRate += float64(bytes) * float64(overlap(at, min(at+gap, r.end), r.warmup, r.end)) / float64(gap)
}

// atEnd closes the books on one client when the run ends: an orphan still
// undecided, a break still undetected.
func (r *recorder) atEnd(c *client) {
	m := &r.groups[c.group]
	if c.is(fOrphan) && c.orphanAt >= r.warmup {
		m.orphanedAtEnd++
	}
	if c.is(fBroken) && c.state == stOpen && c.orphanAt >= r.warmup {
		m.undetected++
	}
}

// adaptiveInterval is an adaptive heartbeat's interval iv, in force
// from since until now, ending: the part inside the window counts
// towards the group's time-weighted mean interval.
func (r *recorder) adaptiveInterval(c *client, iv, since time.Duration) {
	m := &r.groups[c.group]
	if d := overlap(since, *r.now, r.warmup, *r.now); d > 0 {
		m.ivWeighted += iv.Seconds() * d.Seconds()
		m.ivTime += d.Seconds()
	}
}

// adaptiveEnd is a client's adaptive interval at the end of the run.
func (r *recorder) adaptiveEnd(c *client, iv time.Duration) {
	m := &r.groups[c.group]
	m.ivEnd = append(m.ivEnd, iv.Seconds())
}

// adaptiveFailure is an adaptive heartbeat that failed (no pong within
// its ack timeout): the client closes the connection.
func (r *recorder) adaptiveFailure(c *client) {
	if r.inWindow() {
		r.groups[c.group].kaFailures++
	}
}

// adaptiveReconnect is a connection set up to replace one that a failed
// adaptive heartbeat closed.
func (r *recorder) adaptiveReconnect(c *client) {
	if r.inWindow() {
		r.groups[c.group].kaFailReconnects++
	}
}

// goaway is a server's GOAWAY too_many_pings reaching its client, which
// closes the connection.
func (r *recorder) goaway(c *client) {
	if r.inWindow() {
		r.groups[c.group].goaways++
	}
}
