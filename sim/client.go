package sim

import (
	"math"
	"time"

	"github.com/natsim/natsim/nat"
)

// dataRTO is how much later a lost TCP data packet is delivered (one
// retransmission timeout).
const dataRTO = time.Second

// rtoMax is the longest a TCP sender waits between retransmissions
// (Linux's TCP_RTO_MAX).
const rtoMax = 120 * time.Second

func (s *sim) group(c *client) *groupRun { return &s.groups[c.group] }

// isLost draws the network's per-packet loss; it inlines to a test of
// the loss rate when there is none.
func (s *sim) isLost(c *client) bool {
	return s.cfg.Network.Loss > 0 && s.drawLoss(c)
}

// drawLoss draws a packet's loss at a loss rate above zero.
func (s *sim) drawLoss(c *client) bool {
	return float64(c.rng.Uint64()>>11)/(1<<53) < s.cfg.Network.Loss
}

// toServer sends a packet that crossed the middleboxes on to the server.
// A lost TCP data packet arrives one RTO later; any other lost packet is gone.
func (s *sim) toServer(ci uint32, c *client, res pathResult, arg uint32) {
	if s.radios != nil {
		s.radioPacket(ci, c, arg&pTypeMask, true)
	}
	if res != passed && res != stranger {
		return
	}
	delay := s.up
	if s.isLost(c) {
		if arg&pTypeMask != pData || s.group(c).Proto != nat.TCP {
			return
		}
		delay += dataRTO
		if s.radios != nil {
			s.radioLater(ci, c, s.now+dataRTO, pData, true) // the client's retransmission
		}
	}
	if res == stranger {
		arg |= pStranger
	}
	arg |= s.counted(arg)
	if delay == 0 {
		s.atServer(ci, c, arg) // what after would do, without the dispatch
		return
	}
	s.at(s.now+delay, event{Kind: evAtServer, Client: ci, Conn: c.conn, Arg: arg})
}

// toClient sends a server packet towards the middleboxes and the client,
// with the same loss rule; ACKs, resets and GOAWAYs are never lost.
func (s *sim) toClient(ci uint32, c *client, arg uint32) {
	arg |= s.counted(arg)
	delay := s.down
	if t := arg & pTypeMask; t != pAck && t != pRST && t != pGoAway && s.isLost(c) {
		if t != pData || s.group(c).Proto != nat.TCP {
			return
		}
		delay += dataRTO
		arg |= pResent
	}
	if delay == 0 {
		s.atClient(ci, c, arg) // what after would do, without the dispatch
		return
	}
	s.at(s.now+delay, event{Kind: evAtClient, Client: ci, Conn: c.conn, Arg: arg})
}

// counted marks a data message sent inside the measured window, so that
// its loss counts exactly when its sending did.
func (s *sim) counted(arg uint32) uint32 {
	if arg&pTypeMask == pData && s.rec.inWindow() {
		return pCounted
	}
	return 0
}

// settleOut lets a client packet's crossing decide a pending orphan: it
// went through with the flow's ports (a remap), met a new port or a drop
// (a break), or met a full table (still pending).
func (s *sim) settleOut(ci uint32, c *client, res pathResult) {
	if !c.is(fOrphan) {
		return
	}
	g := s.group(c)
	if res == stranger && g.Proto == nat.UDP {
		s.newAddress(ci)
		if g.UDPRebinding == RebindFollow {
			s.rebind(ci, c)
			return
		}
	}
	switch res {
	case passed:
		s.remap(ci, c)
	case stranger, dropped:
		s.decideBreak(ci, c, s.decider)
	}
}

// remap is a pending orphan resolved in the connection's favour. It is
// counted when it happens (as the middlebox counts it), not at the
// removal: unlike a break it costs nothing from the removal on.
func (s *sim) remap(ci uint32, c *client) {
	c.off(fOrphan)
	s.forgetRemovals(ci)
	s.rec.remap(ci, c)
	c.off(fCliRetrying | fSrvRetrying)
	if len(s.retries) == 0 {
		return // the common case, with no call into the map
	}
	// Held-up messages get through on the next retransmission.
	for _, sent := range s.retries[ci].stuckDown {
		at := s.redelivery(sent)
		s.rec.redelivered(c, at-sent)
		if s.radios != nil {
			s.radioLater(ci, c, at, pData, false)
		}
	}
	delete(s.retries, ci)
}

// newAddress notes that a box has just given UDP client ci's flow a new
// external port: what the server sends before it takes the new address
// is lost (toOldAddress), and with udp_rebinding reject it never does.
func (s *sim) newAddress(ci uint32) {
	rb, ok := s.rebound[ci]
	if !ok {
		rb.learned = -1
	}
	rb.changed = s.now
	s.rebound[ci] = rb
}

// rebind is a pending orphan of a UDP flow resolved by a new external
// port that the server will follow (udp_rebinding follow): the flow
// survives.
func (s *sim) rebind(ci uint32, c *client) {
	c.off(fOrphan)
	s.forgetRemovals(ci)
	s.rec.rebinding(ci, c)
}

// serverTakes is a UDP server receiving a datagram of client ci now. A
// datagram sent from a new address (one a box gave the flow since the
// server last took the client's address) is followed (the server's
// replies go there from now on) or, with udp_rebinding reject, dropped.
func (s *sim) serverTakes(ci uint32, g *groupRun) bool {
	rb, ok := s.rebound[ci]
	if !ok || rb.learned >= rb.changed || s.now-s.up < rb.changed {
		return true // from the address the server knows
	}
	if g.UDPRebinding == RebindReject {
		return false
	}
	rb.learned = s.now
	s.rebound[ci] = rb
	return true
}

// toOldAddress reports whether a server datagram reaching the boxes now
// was sent to an address that the flow no longer has: before the server
// took the newest one. The boxes drop it.
func (s *sim) toOldAddress(ci uint32) bool {
	rb, ok := s.rebound[ci]
	if !ok {
		return false
	}
	if sent := s.now - s.down; rb.learned < rb.changed || sent < rb.learned {
		return true
	}
	delete(s.rebound, ci) // everything still on its way goes to the new address
	return false
}

// forgetRemovals clears the removals of a client's flow at every box
// once they have decided something (or the connection is replaced).
func (s *sim) forgetRemovals(ci uint32) {
	if len(s.gone) == 0 {
		return // the common case, with no call into the map
	}
	for h := range s.hops {
		delete(s.gone, goneKey(ci, h))
	}
}

// redelivery is when a TCP segment that the server first sent at sent,
// and has been retransmitting since with exponential backoff (from one
// RTO, doubling up to rtoMax), first reaches the boxes now or later: its
// delivery once the path has opened again now.
func (s *sim) redelivery(sent time.Duration) time.Duration {
	t, rto := sent+s.down, dataRTO
	for t < s.now {
		t, rto = t+rto, min(2*rto, rtoMax)
	}
	return t
}

// decideBreak makes a pending orphan a break. It dates from the removal
// at hop decider of the flow's path, the box whose loss turned into the
// break (on a path of several boxes; decider < 0: none known, the
// earliest removal), and keeps its cause.
func (s *sim) decideBreak(ci uint32, c *client, decider int) {
	if decider >= 0 && len(s.gone) > 0 {
		if g, ok := s.gone[goneKey(ci, decider)]; ok {
			c.orphanAt, c.cause, c.box = g.at, g.cause, uint8(s.groups[c.group].path[decider])
		}
	}
	s.forgetRemovals(ci)
	c.off(fOrphan)
	c.on(fBroken)
	s.rec.broke(ci, c)
	if r, ok := s.retries[ci]; ok {
		s.rec.lostHeld(c, int(r.stuckUp), len(r.stuckDown))
		r.stuckUp, r.stuckDown = 0, nil
		s.setRetry(ci, c, r)
	}
}

// settle brings the middleboxes up to now for client ci before a
// decision that no packet of its connection is crossing them for (a
// client's or the server's timer running out): expiry is exact, so a
// removal due by now must count whether or not other clients' packets
// have made the tables look (a client alone on a box is treated as one
// among many). A shared box is advanced; of a per-client box only ci's
// instance is synced, since the others hold nothing of ci's (advancing
// them all cost a pass over every client at each break).
func (s *sim) settle(ci uint32, c *client) {
	for i := range s.boxes {
		if s.boxes[i].pc == nil {
			s.boxes[i].t.Advance(s.now)
		}
	}
	if s.perClient {
		s.sync(ci, c)
	}
}

// editRetry changes a client's retry state, making it if need be.
func (s *sim) editRetry(ci uint32, edit func(*retry)) {
	r := s.retries[ci]
	edit(&r)
	s.retries[ci] = r
}

// setRetry stores a client's retry state, or drops it when there is
// nothing left to hold.
func (s *sim) setRetry(ci uint32, c *client, r retry) {
	if !c.is(fCliRetrying) && !c.is(fSrvRetrying) && r.stuckUp == 0 && len(r.stuckDown) == 0 {
		delete(s.retries, ci)
		return
	}
	s.retries[ci] = r
}

// sawData notes a data message for idle_only: the next ping is due an
// interval after the last data (as MQTT's keep-alive and XMPP's
// whitespace pings run: the timer restarts with each message).
func (s *sim) sawData(c *client) {
	c.lastData = s.now
	c.on(fDataSeen)
}

// learnDead is the client finding out, by how, that its connection is
// dead.
func (s *sim) learnDead(ci uint32, c *client, how How) {
	if c.state != stOpen {
		return
	}
	if s.settle(ci, c); c.state != stOpen {
		return // a box reset the connection at this very instant
	}
	if c.is(fOrphan) {
		s.decideBreak(ci, c, -1)
	}
	s.rec.learned(ci, c, how)
	c.state = stDown
	c.on(fReconnecting)
	s.retryLater(ci, c)
}

// retryLater schedules the next connection attempt after a backoff with
// full jitter: uniform in [0, min(max_backoff, backoff * 2^attempt)), and
// at least 1 ns.
func (s *sim) retryLater(ci uint32, c *client) {
	rc := s.group(c).Reconnect
	ceil := rc.MaxBackoff
	if c.attempt < 40 && rc.Backoff<<c.attempt < ceil && rc.Backoff<<c.attempt > 0 {
		ceil = rc.Backoff << c.attempt
	}
	if c.attempt < math.MaxUint8 {
		c.attempt++ // saturates: the wait is capped long before
	}
	// At least 1 ns: a wait of zero, retried against a table that keeps
	// refusing, would never let time advance.
	s.at(s.now+max(1, uniformDur(&c.rng, 0, ceil)), event{Kind: evConnect, Client: ci, Conn: c.conn})
}

// endBroken closes the books on a broken connection that is being
// replaced or closed now: its downtime runs from the break until now.
func (s *sim) endBroken(c *client) {
	if !c.is(fBroken) {
		return
	}
	c.off(fBroken)
	s.rec.downtime(c, s.cfg.Duration)
}

func overlap(a, b, lo, hi time.Duration) time.Duration {
	a, b = max(a, lo), min(b, hi)
	if b <= a {
		return 0
	}
	return b - a
}

func (s *sim) connect(ci uint32, c *client) {
	if c.state == stOpen || c.state == stConnecting {
		return
	}
	c.conn++
	c.state = stConnecting
	c.off(fSrvOpen | fOrphan | fCliRetrying | fSrvRetrying)
	c.unanswered, c.ka = 0, kaState{}
	delete(s.retries, ci)
	delete(s.rebound, ci)
	if s.pingWatch != nil {
		s.pingWatch[ci] = pingWatch{last: -1}
	}
	s.forgetRemovals(ci)
	for h := range s.groups[c.group].path {
		*s.port(ci, c, h) = 0
	}
	res := s.crossOut(ci, c, nat.Open)
	if s.radios != nil {
		s.radioPacket(ci, c, pAck, true) // the SYN
	}
	if res == refused {
		s.openFailed(ci, c)
		return
	}
	s.after(s.cfg.Network.RTT, event{Kind: evHandshake, Client: ci, Conn: c.conn})
}

// openFailed is a connection attempt that met a full table: its SYN was
// refused, or the entry it made was evicted before the answer came back.
// A reconnect attempt has still paid for its SYN.
func (s *sim) openFailed(ci uint32, c *client) {
	s.rec.refused(ci, c, s.group(c).Reconnect)
	c.state = stDown
	s.retryLater(ci, c)
}

// handshake completes a connection set-up: the SYN's answer crosses the
// path inbound and the client's ACK outbound.
func (s *sim) handshake(ci uint32, c *client) {
	if c.state != stConnecting {
		return
	}
	g := s.group(c)
	if s.crossIn(ci, c, nat.Data) != passed {
		s.openFailed(ci, c)
		return
	}
	if s.radios != nil {
		s.radioPacket(ci, c, pAck, false) // the SYN's answer
	}
	if g.Proto == nat.TCP {
		s.crossOut(ci, c, nat.Data)
		if s.radios != nil {
			s.radioPacket(ci, c, pAck, true) // the handshake's ACK
		}
	}
	c.state, c.attempt = stOpen, 0
	c.on(fSrvOpen)
	c.off(fDataSeen)
	s.rec.connected(ci, c, g.Reconnect)
	c.heard, c.lastData = s.now, s.now
	c.off(fReconnecting)
	s.endBroken(c)
	ev := event{Client: ci, Conn: c.conn}
	if !g.Up.Interval.IsZero() {
		ev.Kind = evUp
		s.at(s.now+g.Up.Interval.sample(&c.rng), ev)
	}
	if !g.Down.Interval.IsZero() {
		ev.Kind = evDown
		s.at(s.now+g.Down.Interval.sample(&c.rng), ev)
	}
	g.ka.start(s, ci, c)
	if g.Session != nil {
		ev.Kind = evClose
		s.at(s.now+g.Session.Lifetime.sample(&c.rng), ev)
	}
}

func (s *sim) upMessage(ci uint32, c *client) {
	if c.state != stOpen {
		return
	}
	g := s.group(c)
	// A server-app server puts off its ping for data it sent or
	// acknowledged; UDP data from the client has no answer that the
	// client would hear.
	counted := s.message(ci, c, evUp, g.Up.Interval, g.Proto == nat.TCP || !g.kind.ServerSends)
	res := s.crossOut(ci, c, nat.Data)
	// TCP retransmits a segment that a full table refused; a datagram is
	// gone.
	pending := c.is(fOrphan) && res == refused && g.Proto == nat.TCP
	s.settleOut(ci, c, res)
	switch {
	case !counted:
	case pending:
		s.editRetry(ci, func(r *retry) { r.stuckUp++ }) // delivered if a later packet remaps, else lost
	case res == dropped, res == refused, res == stranger && g.Proto == nat.TCP:
		s.rec.lost(c, true) // a UDP server follows a new port or drops what comes from it: its call
	}
	if (res == dropped || res == refused) && g.Proto == nat.TCP && !c.is(fCliRetrying) {
		c.on(fCliRetrying)
		s.editRetry(ci, func(r *retry) { r.cliSince = s.now })
		s.at(s.now+g.RetransmitTimeout, event{Kind: evClientRTO, Client: ci, Conn: c.conn})
	}
	s.toServer(ci, c, res, pData)
}

func (s *sim) downMessage(ci uint32, c *client) {
	if !c.is(fSrvOpen) {
		return
	}
	g := s.group(c)
	s.message(ci, c, evDown, g.Down.Interval, true)
	if s.pingWatch != nil {
		s.pingWatch[ci].dataSent = true
	}
	s.toClient(ci, c, pData)
}

// message is the common part of sending an up or down message: the next
// one of its direction is scheduled a gap later, the data is noted for
// idle_only (if it counts there), and it is recorded as sent; message
// reports whether it counts.
func (s *sim) message(ci uint32, c *client, kind evKind, gap Dist, idles bool) bool {
	s.at(s.now+gap.sample(&c.rng), event{Kind: kind, Client: ci, Conn: c.conn})
	if idles {
		s.sawData(c)
	}
	return s.rec.sent(c, kind == evUp)
}

// atServer is a client packet reaching the server.
func (s *sim) atServer(ci uint32, c *client, arg uint32) {
	g := s.group(c)
	typ := arg & pTypeMask
	switch {
	case typ == pRST:
		c.off(fSrvOpen)
		return
	case g.Proto == nat.UDP && !s.serverTakes(ci, g):
		if arg&pCounted != 0 {
			s.rec.lost(c, true)
		}
		return
	case arg&pStranger != 0 && g.Proto == nat.TCP:
		// An unknown 4-tuple: the server answers RST. It also drops the
		// old connection, as a server does when the same client shows up
		// again (session takeover).
		c.off(fSrvOpen)
		s.rec.server(ci, TraceServerReset)
		s.toClient(ci, c, pRST)
		return
	case !c.is(fSrvOpen):
		if arg&pCounted != 0 {
			s.rec.lost(c, true)
		}
		s.rec.server(ci, TraceServerReset)
		s.toClient(ci, c, pRST)
		return
	}
	if typ != pData {
		g.ka.atServer(s, ci, c, arg)
		if typ == pPing && g.PingPolicy != nil {
			s.policePing(ci, c, g.PingPolicy)
		}
	} else if g.Proto == nat.TCP {
		s.toClient(ci, c, pAck)
	}
}

// atClient is a server packet crossing the middleboxes to the client.
func (s *sim) atClient(ci uint32, c *client, arg uint32) {
	g := s.group(c)
	typ := arg & pTypeMask
	kind := nat.Data
	switch typ {
	case pProbeAck:
		kind = nat.Probe
	case pRST, pGoAway:
		kind = nat.Close
	}
	if g.Proto == nat.UDP && s.toOldAddress(ci) {
		if arg&pCounted != 0 {
			s.rec.lost(c, false)
		}
		return
	}
	res := s.crossIn(ci, c, kind)
	if res == reset && g.Proto == nat.UDP && g.UDPRebinding == RebindFollow {
		res = dropped // an unconnected socket ignores ICMP errors
	}
	switch res {
	case reset:
		if c.is(fOrphan) {
			s.decideBreak(ci, c, s.decider)
		}
		if arg&pCounted != 0 {
			s.rec.lost(c, false)
		}
		if typ != pRST { // the box answers the server with RST; never an RST with RST
			s.after(s.up, event{Kind: evAtServer, Client: ci, Conn: c.conn, Arg: pRST})
		}
		return
	case dropped:
		retransmits := g.Proto == nat.TCP && (typ == pData || typ == pPing || typ == pPong)
		switch {
		case arg&pCounted == 0:
		case c.is(fOrphan) && retransmits && typ == pData:
			// Delivered if the client remaps in time, else lost.
			sent := s.sentAt(arg)
			s.editRetry(ci, func(r *retry) { r.stuckDown = append(r.stuckDown, sent) })
		default:
			s.rec.lost(c, false) // a datagram is never resent
		}
		if retransmits && !c.is(fSrvRetrying) && c.is(fSrvOpen) {
			c.on(fSrvRetrying)
			since := s.now - s.down
			s.editRetry(ci, func(r *retry) { r.srvSince = since })
			// A timeout shorter than the one-way delay has run out already:
			// the server gives up now, never in the past.
			s.at(max(since+g.RetransmitTimeout, s.now), event{Kind: evServerRTO, Client: ci, Conn: c.conn})
		}
		return
	}
	if s.radios != nil {
		s.radioPacket(ci, c, typ, false)
	}
	if c.state != stOpen {
		// The client's socket is gone: its stack answers RST.
		if typ != pRST {
			if arg&pCounted != 0 {
				s.rec.lost(c, false)
			}
			s.toServer(ci, c, s.crossOut(ci, c, nat.Close), pRST)
		}
		return
	}
	c.heard = s.now // any packet shows the server alive (TCP keepalive's idle wait, server-app's watchdog)
	switch typ {
	case pRST:
		s.learnDead(ci, c, HowReset)
	case pGoAway:
		s.goneAway(ci, c)
	case pData:
		s.sawData(c)
		if arg&pCounted != 0 {
			s.rec.delivered(c, s.now-s.sentAt(arg), s.down)
		}
		if g.Proto == nat.TCP {
			s.settleOut(ci, c, s.crossOut(ci, c, nat.Data)) // the ACK
			if s.radios != nil {
				s.radioPacket(ci, c, pAck, true)
			}
		}
	default:
		g.ka.atClient(s, ci, c, arg)
	}
}

// sentAt is when the server sent a data message reaching the boxes now.
func (s *sim) sentAt(arg uint32) time.Duration {
	if arg&pResent != 0 {
		return s.now - s.down - dataRTO
	}
	return s.now - s.down
}

// serverGivesUp is the server's own detection: it closes its side, and a
// pending orphan is a break (the client learns when it next speaks).
func (s *sim) serverGivesUp(ci uint32, c *client) {
	s.settle(ci, c)
	s.rec.server(ci, TraceServerGaveUp)
	c.off(fSrvOpen | fSrvRetrying)
	s.setRetry(ci, c, s.retries[ci])
	if c.is(fOrphan) {
		s.decideBreak(ci, c, -1)
	}
}

func (s *sim) clientRTO(ci uint32, c *client) {
	if c.state == stOpen && c.is(fCliRetrying) && s.due(s.retries[ci].cliSince+s.group(c).RetransmitTimeout, ci, c, evClientRTO) {
		s.learnDead(ci, c, HowRetransmit)
	}
}

func (s *sim) serverRTO(ci uint32, c *client) {
	if c.is(fSrvOpen|fSrvRetrying) && s.due(s.retries[ci].srvSince+s.group(c).RetransmitTimeout, ci, c, evServerRTO) {
		s.serverGivesUp(ci, c)
	}
}

// closeSession ends a connection by choice after its lifetime: a FIN
// (TCP) moves its entries to the transitory class, and the client opens a
// new connection after its think time.
func (s *sim) closeSession(ci uint32, c *client) {
	if c.state != stOpen {
		return
	}
	g := s.group(c)
	s.rec.server(ci, TraceClosed)
	if g.Proto == nat.TCP {
		res := s.crossOut(ci, c, nat.Close)
		s.settleOut(ci, c, res)
		s.toServer(ci, c, res, pRST)
	} else {
		// A UDP session ends silently: no packet decides a pending
		// orphan, and the connection it would have decided is gone.
		c.off(fSrvOpen | fOrphan)
	}
	if c.is(fOrphan) {
		s.decideBreak(ci, c, -1)
	}
	if c.is(fBroken) {
		s.rec.closedBroken(c)
	}
	s.endBroken(c)
	c.state = stIdle
	c.off(fReconnecting)
	s.at(s.now+g.Session.Think.sample(&c.rng), event{Kind: evConnect, Client: ci, Conn: c.conn})
}
