package sim

import "time"

// recorder is the one place where a run counts what happens: the engine
// tells it each thing as it happens, through one method per kind of
// event, and the recorder applies the measured window (counts start at
// the warmup) and feeds both the metrics and the trace. Nothing else
// touches the counters.
type recorder struct {
	now       *time.Duration // the run's clock
	warmup    time.Duration
	groups    []groupMetrics // by group index
	boxBreaks []uint64       // breaks caused, by middlebox index
	trace     bool
	traced    []TraceEvent
}

// inWindow reports whether now is inside the measured window.
func (r *recorder) inWindow() bool { return *r.now >= r.warmup }

// note adds a line to the trace when tracing is on.
func (r *recorder) note(ci uint32, kind TraceKind, how How, c *client) {
	if !r.trace {
		return
	}
	ev := TraceEvent{At: *r.now, Client: ci, Kind: kind, How: how}
	if kind == TraceBreak {
		ev.At, ev.Cause = c.orphanAt, causeNames[c.cause]
	}
	r.traced = append(r.traced, ev)
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
	r.note(ci, TraceRemap, 0, c)
	if r.inWindow() {
		r.groups[c.group].remaps++
	}
}

// rebinding is a UDP flow given a new port that its server followed.
func (r *recorder) rebinding(ci uint32, c *client) {
	r.note(ci, TraceRebinding, 0, c)
	if r.inWindow() {
		r.groups[c.group].rebindings++
	}
}

// broke is a break decided, dated at c.orphanAt and caused by box c.box:
// it counts when its removal fell inside the window.
func (r *recorder) broke(ci uint32, c *client) {
	r.note(ci, TraceBreak, 0, c)
	if c.orphanAt >= r.warmup {
		r.groups[c.group].breaks[c.cause]++
		r.boxBreaks[c.box]++
	}
}

// learned is the client finding out, by how, that its connection is
// dead: a break's detection latency, or a spurious disconnect when no
// entry was lost.
func (r *recorder) learned(ci uint32, c *client, how How) {
	r.note(ci, TraceLearned, how, c)
	m := &r.groups[c.group]
	switch {
	case c.is(fBroken) && c.orphanAt >= r.warmup:
		m.latencies = append(m.latencies, (*r.now - c.orphanAt).Seconds())
	case !c.is(fBroken) && r.inWindow():
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
	r.note(ci, TraceRefused, 0, c)
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
	r.note(ci, TraceConnected, 0, c)
	if !c.is(fReconnecting) || !r.inWindow() {
		return
	}
	m := &r.groups[c.group]
	m.reconnects++
	m.rcPackets += uint64(rc.HandshakePackets)
	m.rcBytes += uint64(rc.HandshakeBytes)
}

// keepalive is one keepalive packet of the given size, either way.
func (r *recorder) keepalive(c *client, bytes int) {
	if r.inWindow() {
		m := &r.groups[c.group]
		m.kaPackets++
		m.kaBytes += uint64(bytes)
	}
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
