package sim

import (
	"math"
	"time"

	"github.com/natsim/natsim/nat"
)

// Request-driven groups (Group.Requests, Group.Pool): each client issues
// requests and serves them over a pool of connections. Every pooled
// connection is a flow of its own through the group's path (key: the
// client and the connection's serial number), so the boxes see each as
// a connection; the client's struct holds only its random stream, and
// the pool, connection and request state live in the side arrays below.

// Event kinds of request-driven groups (Client: the client; Arg: a
// request or a pooled connection; Conn: a connection's timer generation).
const (
	evReqArrive  evKind = evSample + 1 + iota // the client's next request
	evReqSend                                 // a new connection's handshake, or a validation ping, is done: send (Arg: request)
	evReqDone                                 // the response reaches the boxes and the client (Arg: request)
	evReqFail                                 // the client learns that the attempt failed (Arg: request)
	evPoolIdle                                // an idle connection's idle timeout or lifetime may be over (Arg: connection)
	evPoolProbe                               // TCP keepalive on an idle connection (Arg: connection)
	evReqAcquire                              // a failed validation is known: take another connection (Arg: request)
)

// reqCause is why a request failed.
type reqCause uint8

const (
	failResetOnReuse  reqCause = iota // a box's loss of the flow made the server (or the box) answer RST
	failClosedOnReuse                 // sent on a connection the server or a box had closed with FIN
	failLB502                         // an L7 box forwarded it on a backend connection the server had closed
	failTimedOutHung                  // it hung in a blackhole until the request timeout or the retransmission give-up
	failRefusedOpen                   // a full table refused the new connection it needed
	numReqCauses
)

// pstate is where a pooled connection is.
type pstate uint8

const (
	pcFree pstate = iota // the slot holds no connection
	pcIdle               // in the pool
	pcBusy               // carrying a request (or being validated)
)

// never is an instant that does not come.
const never = time.Duration(math.MaxInt64)

// pconn is one pooled connection.
type pconn struct {
	client    uint32
	serial    uint32 // the flow's Conn in the boxes' keys: the client's connection count
	gen       uint32 // bumped when the slot's connection ends: its timers are stale if they differ
	state     pstate
	req       int32         // the request it carries (busy; -1: none)
	reused    bool          // it has carried a request before
	killFin   bool          // killedAt was a FIN (on_expire fin), not a reset
	retireAt  time.Duration // its max lifetime runs out (never: no limit)
	idleSince time.Duration // returned to the pool at
	// heard is the last packet the client's end received (TCP
	// keepalive's idle wait runs from it).
	heard time.Duration
	// idleAt and probeAt are the instants of its pending idle timer and
	// keepalive timer (never: none pending). Timers are kept lazily: one
	// that comes up early schedules itself again, so a busy connection
	// does not schedule one per request.
	idleAt, probeAt time.Duration
	// srvLast is the server's last activity on the connection (its last
	// response sent): the server's keep-alive timeout runs from there. On
	// a path ending at an L7 box it is the box's backend connection's
	// instead (-1: the box holds none).
	srvLast time.Duration
	// killedAt is when the client's end learned the connection closed
	// under it: a box's RST or FIN at expiry, or TCP keepalive giving up
	// (never: not).
	killedAt time.Duration
}

// request is one request in flight.
type request struct {
	client     uint32
	gen        uint32 // bumped when its pending event is superseded or it ends: stale events differ
	conn       int32  // its connection (-1: none yet)
	issued     time.Duration
	sentAt     time.Duration // the current attempt's send
	attempts   uint8         // attempts made before the current one
	idempotent bool
	counted    bool // issued inside the measured window
	reused     bool // the current attempt runs on a connection taken from the pool
	retried    bool
	forceNew   bool // the next attempt must open a new connection (database/sql's last)
	opening    bool // the current connection is being opened
	written    bool // the failed attempt wrote its request
	cause      reqCause
}

// pools is the request-driven side of a run.
type pools struct {
	idle   [][]int32 // per client: its idle connections, oldest first
	open   [][]int32 // per client: all its connections
	serial []uint32  // per client: connections opened so far
	conns  []pconn
	ports  []uint32 // external port per (connection, hop), connection-major
	free   []int32  // free connection slots
	reqs   []request
	freeRq []int32
	l7     []int // per group: the hop of its L7 box, -1 for none
}

// pooled reports whether client ci belongs to a request-driven group.
func (s *sim) pooled(ci uint32) bool {
	return s.pool != nil && s.groups[s.clients[ci].group].Requests != nil
}

// initPools prepares the side arrays when some group is request-driven.
func (s *sim) initPools(total int) {
	any := false
	for gi := range s.groups {
		any = any || s.groups[gi].Requests != nil
	}
	if !any {
		return
	}
	p := &pools{idle: make([][]int32, total), open: make([][]int32, total), serial: make([]uint32, total), l7: make([]int, len(s.groups))}
	for gi := range s.groups {
		p.l7[gi] = -1
		for h, bi := range s.groups[gi].path {
			if s.cfg.Path[bi].BackendKeepalive > 0 {
				p.l7[gi] = h
			}
		}
	}
	s.pool = p
}

// poolEvent runs an event of a request-driven group.
func (s *sim) poolEvent(ev event) {
	if s.perClient {
		s.sync(ev.Client, &s.clients[ev.Client])
	}
	switch ev.Kind {
	case evReqArrive:
		s.arrive(ev.Client)
		return
	case evPoolIdle:
		s.idleTimer(int32(ev.Arg), ev.Conn)
		return
	case evPoolProbe:
		s.probe(int32(ev.Arg), ev.Conn)
		return
	}
	if s.pool.reqs[ev.Arg].gen != ev.Conn {
		return // superseded: the request failed meanwhile, or ended
	}
	switch ev.Kind {
	case evReqSend:
		s.sendReq(int32(ev.Arg))
	case evReqDone:
		s.reqDone(int32(ev.Arg))
	case evReqFail:
		s.reqFailed(int32(ev.Arg))
	case evReqAcquire:
		s.acquire(int32(ev.Arg))
	}
}

// arrive issues client ci's next request and schedules the one after.
// Draws come from the client's own stream: the gap, then whether the
// request is idempotent.
func (s *sim) arrive(ci uint32) {
	c := &s.clients[ci]
	rq := s.groups[c.group].Requests
	s.at(s.now+rq.Interval.sample(&c.rng), event{Kind: evReqArrive, Client: ci})

	p := s.pool
	var ri int32
	if n := len(p.freeRq); n > 0 {
		ri, p.freeRq = p.freeRq[n-1], p.freeRq[:n-1]
	} else {
		p.reqs = append(p.reqs, request{})
		ri = int32(len(p.reqs) - 1)
	}
	p.reqs[ri] = request{client: ci, conn: -1, gen: p.reqs[ri].gen, issued: s.now, counted: s.rec.inWindow(),
		idempotent: unit(&c.rng) <= rq.Idempotent && rq.Idempotent > 0}
	s.acquire(ri)
}

// acquire finds the request a connection: an idle one from the pool (in
// its reuse order; with validation, one known closed is discarded), or a
// new one.
func (s *sim) acquire(ri int32) {
	p := s.pool
	r := &p.reqs[ri]
	ci := r.client
	pl := s.groups[s.clients[ci].group].Pool
	for !r.forceNew && len(p.idle[ci]) > 0 {
		k := s.takeIdle(ci, pl.Reuse)
		pc := &p.conns[k]
		if s.now >= pc.retireAt {
			s.closeConn(k, true)
			continue
		}
		if pl.Validate != ValidateNone && s.knownClosed(pc) {
			s.rec.discarded(&s.clients[ci])
			s.closeConn(k, true)
			continue
		}
		r.conn, r.reused, r.opening = k, true, false
		pc.req = ri
		if pl.Validate == ValidatePing && s.now-pc.idleSince >= pl.ValidationBypass {
			s.validate(ri)
			return
		}
		s.sendReq(ri)
		return
	}
	r.forceNew = false
	s.open(ri)
}

// takeIdle takes client ci's next idle connection in reuse order.
func (s *sim) takeIdle(ci uint32, order Reuse) int32 {
	p := s.pool
	idle := p.idle[ci]
	var k int32
	if order == ReuseFIFO {
		k = idle[0]
		p.idle[ci] = append(idle[:0], idle[1:]...)
	} else {
		k = idle[len(idle)-1]
		p.idle[ci] = idle[:len(idle)-1]
	}
	s.rec.idleChanged(s.clients[ci].group, -1)
	p.conns[k].state = pcBusy
	return k
}

// knownClosed reports whether the client's end of pc has seen it closed
// by now: the server's keep-alive FIN has arrived, or a box's RST or FIN
// at expiry, or TCP keepalive gave up on it.
func (s *sim) knownClosed(pc *pconn) bool {
	return s.now >= pc.killedAt || !s.serverOpen(pc, s.now-s.down)
}

// open opens a new connection for the request: its SYN crosses the path
// now, the handshake completes one round trip later.
func (s *sim) open(ri int32) {
	p := s.pool
	ci := p.reqs[ri].client
	c := &s.clients[ci]
	g := &s.groups[c.group]
	var k int32
	if n := len(p.free); n > 0 {
		k, p.free = p.free[n-1], p.free[:n-1]
	} else {
		p.conns = append(p.conns, pconn{})
		p.ports = append(p.ports, make([]uint32, s.hops)...)
		k = int32(len(p.conns) - 1)
	}
	p.serial[ci]++
	p.open[ci] = append(p.open[ci], k)
	pc := &p.conns[k]
	*pc = pconn{client: ci, serial: p.serial[ci], gen: pc.gen + 1, state: pcBusy, req: ri, retireAt: never, killedAt: never,
		idleAt: never, probeAt: never, srvLast: s.now + s.up}
	if p.l7[c.group] >= 0 {
		pc.srvLast = -1
	}
	clear(p.ports[int(k)*s.hops:][:s.hops])
	if pl := g.Pool; pl.MaxLifetime > 0 {
		shorten := time.Duration(float64(pl.MaxLifetime) * pl.LifetimeJitter * float64(c.rng.Uint64()>>11) / (1 << 53))
		pc.retireAt = s.now + pl.MaxLifetime - shorten
	}
	r := &p.reqs[ri]
	r.conn, r.reused, r.opening = k, false, true
	s.rec.newConn(c, g.Reconnect)
	if s.crossPool(k, nat.Outbound, nat.Open) == refused {
		s.failAt(ri, failRefusedOpen, s.now, false)
		return
	}
	s.reqAt(s.now+s.cfg.Network.RTT, evReqSend, ri)
}

// validate sends a ping on the request's connection before the request:
// answered, the request follows one round trip later; met with a reset
// or a closed server, the connection is discarded when that comes back;
// unanswered, when the validation timeout runs out.
func (s *sim) validate(ri int32) {
	p := s.pool
	r := &p.reqs[ri]
	pc := &p.conns[r.conn]
	g := &s.groups[s.clients[r.client].group]
	rtt := s.cfg.Network.RTT
	wait := rtt // a reset, or a closed server's RST
	switch res := s.crossPool(r.conn, nat.Outbound, nat.Data); {
	case res == dropped, res == refused:
		wait = validationWait(g)
	case res == passed && s.serverOpen(pc, s.now+s.up):
		if s.crossPoolIn(r.conn, s.now+rtt) {
			pc.srvLast = max(pc.srvLast, s.now+s.up)
			s.reqAt(s.now+rtt, evReqSend, ri)
			return
		}
		wait = validationWait(g)
	}
	s.rec.discarded(&s.clients[r.client])
	s.closeConn(r.conn, wait == rtt)
	r.conn = -1
	s.reqAt(s.now+wait, evReqAcquire, ri)
}

// validationWait is how long an unanswered validation ping holds the
// request: the validation timeout, or without one (0) until TCP gives
// up retransmitting.
func validationWait(g *groupRun) time.Duration {
	if g.Pool.ValidationTimeout > 0 {
		return g.Pool.ValidationTimeout
	}
	return g.RetransmitTimeout
}

// crossPoolIn reports whether an answer the server sends so that it
// reaches the boxes at instant at would cross them. The boxes are
// only asked when that instant is now; an answer due later is taken to
// cross (the entry was refreshed by the packet it answers one round
// trip before, far less than any box's timeout).
func (s *sim) crossPoolIn(k int32, at time.Duration) bool {
	return at > s.now || s.crossPool(k, nat.Inbound, nat.Data) == passed
}

// serverOpen reports whether the server still holds pc open when a
// packet of it arrives at instant at (keep-alive timeout not yet run
// out since its last activity).
func (s *sim) serverOpen(pc *pconn, at time.Duration) bool {
	gi := s.clients[pc.client].group
	k := s.groups[gi].ServerKeepalive
	return k <= 0 || s.pool.l7[gi] >= 0 || at < pc.srvLast+k
}

// sendReq sends the request on its connection now, completing a new
// connection's handshake first, and schedules what comes of it.
func (s *sim) sendReq(ri int32) {
	p := s.pool
	r := &p.reqs[ri]
	k := r.conn
	pc := &p.conns[k]
	c := &s.clients[r.client]
	g := &s.groups[c.group]
	rtt := s.cfg.Network.RTT
	r.sentAt, r.written = s.now, true
	if r.opening {
		r.opening = false
		if s.crossPool(k, nat.Inbound, nat.Data) != passed {
			s.failAt(ri, failRefusedOpen, s.now, false)
			return
		}
	} else if s.now >= pc.killedAt {
		if pc.killFin {
			s.failAt(ri, failClosedOnReuse, s.now+rtt, true)
		} else {
			s.failAt(ri, failResetOnReuse, s.now, false) // the RST is there: the write fails, nothing written
		}
		return
	}
	switch s.crossPool(k, nat.Outbound, nat.Data) {
	case stranger:
		s.failAt(ri, failResetOnReuse, s.now+rtt, true) // the server answers a stranger with RST
		return
	case dropped, refused:
		s.failAt(ri, failTimedOutHung, s.hangEnd(r, g), true)
		return
	}
	atServer := s.now + s.up
	if h := p.l7[c.group]; h >= 0 {
		var ok bool
		if atServer, ok = s.backend(pc, g); !ok {
			s.failAt(ri, failLB502, s.now+rtt, true)
			return
		}
	} else if !s.serverOpen(pc, atServer) {
		s.failAt(ri, failClosedOnReuse, s.now+rtt, true) // the server closed it: RST, or EOF before any byte
		return
	}
	pc.srvLast = atServer + g.Requests.Service
	s.reqAt(pc.srvLast+s.down, evReqDone, ri)
}

// backend is an L7 box (the last on the path, at the client's end of
// the delay) forwarding a request that reaches it now on pc's backend
// connection: it opens a new one when it holds none, when it closed its
// own after backend_keepalive_timeout, or when the server's FIN has come
// back; if the server closed it but its FIN is still on the way, the
// request meets the close and the box answers 502. It returns when the
// request reaches the server.
func (s *sim) backend(pc *pconn, g *groupRun) (time.Duration, bool) {
	b := s.cfg.Path[g.path[len(g.path)-1]].BackendKeepalive
	k := g.ServerKeepalive
	last := pc.srvLast
	switch {
	case last < 0, s.now >= last+s.down+b, k > 0 && s.now >= last+k+s.down:
		return s.now + s.cfg.Network.RTT + s.up, true // a new backend connection first
	case k > 0 && s.now+s.up >= last+k:
		pc.srvLast = -1
		return 0, false
	}
	return s.now + s.up, true
}

// hangEnd is when a request stuck in a blackhole fails: at its timeout,
// or when TCP gives up retransmitting, whichever is first.
func (s *sim) hangEnd(r *request, g *groupRun) time.Duration {
	end := s.now + g.RetransmitTimeout
	if t := g.Requests.Timeout; t > 0 {
		end = min(end, max(r.issued+t, s.now))
	}
	return end
}

// reqDone is the response reaching the boxes and the client.
func (s *sim) reqDone(ri int32) {
	p := s.pool
	r := &p.reqs[ri]
	g := &s.groups[s.clients[r.client].group]
	switch s.crossPool(r.conn, nat.Inbound, nat.Data) {
	case reset:
		s.failAt(ri, failResetOnReuse, s.now, true)
		return
	case dropped:
		s.failAt(ri, failTimedOutHung, s.hangEnd(r, g), true)
		return
	}
	s.crossPool(r.conn, nat.Outbound, nat.Data) // the client's ACK
	c := &s.clients[r.client]
	if s.rec.trace {
		outcome := "ok_new"
		switch {
		case r.retried:
			outcome = "retried_ok"
		case r.reused:
			outcome = "ok_reused"
		}
		s.rec.traceRequest(r.client, TraceRequest, outcome, r)
	}
	if r.counted {
		s.rec.requestOK(c, r.retried, r.reused, s.now-r.issued-s.cfg.Network.RTT-g.Requests.Service)
	}
	s.release(r.conn)
	s.freeRequest(ri)
}

// reqAt schedules the request's next step.
func (s *sim) reqAt(at time.Duration, kind evKind, ri int32) {
	r := &s.pool.reqs[ri]
	s.at(at, event{Kind: kind, Client: r.client, Conn: r.gen, Arg: uint32(ri)})
}

// failAt makes the request's attempt fail with cause, learned by the
// client at instant at (at once if that is now).
func (s *sim) failAt(ri int32, why reqCause, at time.Duration, written bool) {
	if at <= s.now {
		s.markFailed(ri, why, written)
		s.reqFailed(ri)
		return
	}
	s.failLater(ri, why, at, written)
}

// failLater is failAt through the queue even at the current instant,
// for a caller inside a table call (a removal callback), where learning
// of the failure at once would send packets through that same table.
func (s *sim) failLater(ri int32, why reqCause, at time.Duration, written bool) {
	s.markFailed(ri, why, written)
	s.reqAt(at, evReqFail, ri)
}

// markFailed notes the cause of the request's failed attempt.
func (s *sim) markFailed(ri int32, why reqCause, written bool) {
	r := &s.pool.reqs[ri]
	r.cause, r.written = why, written
	r.gen++ // whatever was pending for it is superseded
}

// reqFailed is the client learning that an attempt failed: the
// connection is discarded, and the pool's retry rule decides whether
// the request is tried again.
func (s *sim) reqFailed(ri int32) {
	p := s.pool
	r := &p.reqs[ri]
	c := &s.clients[r.client]
	g := &s.groups[c.group]
	if r.conn >= 0 {
		s.closeConn(r.conn, r.cause != failTimedOutHung)
		r.conn = -1
	}
	if s.rec.trace {
		s.rec.traceRequest(r.client, TraceAttemptFailed, reqCauseNames[r.cause], r)
	}
	if g.Pool.Retry.allows(r) {
		r.attempts++
		r.retried = true
		s.acquire(ri)
		return
	}
	if s.rec.trace {
		s.rec.traceRequest(r.client, TraceRequest, reqCauseNames[r.cause], r)
	}
	if r.counted {
		hung := time.Duration(-1)
		if r.cause == failTimedOutHung {
			hung = s.now - r.sentAt
		}
		s.rec.requestFailed(c, r.cause, hung)
	}
	s.freeRequest(ri)
}

// allows applies a retry rule to a failed attempt. A hung request is
// never retried (its time is spent), nor a 502 except under an attempt
// budget (it is an HTTP answer, not a transport error).
func (rule Retry) allows(r *request) bool {
	if r.cause == failTimedOutHung || r.attempts >= MaxAttempts {
		return false
	}
	switch rule.Kind {
	case RetryGo:
		return r.cause != failLB502 && r.reused && (!r.written || r.idempotent)
	case RetryURLLib3:
		return r.cause != failLB502 && r.idempotent && r.attempts < 3
	case RetryDatabaseSQL:
		// Two attempts on cached connections, then one on a new one.
		if r.cause == failLB502 || r.attempts >= 2 {
			return false
		}
		r.forceNew = r.attempts == 1
		return true
	case RetryAttempts:
		return r.idempotent && int(r.attempts)+1 < rule.Attempts
	}
	return false
}

// freeRequest returns a finished request's slot.
func (s *sim) freeRequest(ri int32) {
	s.pool.reqs[ri].gen++
	s.pool.freeRq = append(s.pool.freeRq, ri)
}

// release returns a connection to its pool after a response, or closes
// it when the pool is full, its lifetime is over or it is known closed.
func (s *sim) release(k int32) {
	p := s.pool
	pc := &p.conns[k]
	ci := pc.client
	c := &s.clients[ci]
	g := &s.groups[c.group]
	pl := g.Pool
	pc.reused = true
	if len(p.idle[ci]) >= pl.MaxIdle || s.now >= pc.retireAt || s.knownClosed(pc) {
		s.closeConn(k, true)
		return
	}
	pc.state, pc.idleSince, pc.heard, pc.req = pcIdle, s.now, s.now, -1
	p.idle[ci] = append(p.idle[ci], k)
	s.rec.idleChanged(c.group, 1)
	if at := s.idleEnd(pc, pl); at < never && pc.idleAt == never {
		pc.idleAt = at
		s.at(at, event{Kind: evPoolIdle, Client: ci, Conn: pc.gen, Arg: uint32(k)})
	}
	if g.Keepalive.Type == KeepaliveTCP && pc.probeAt == never {
		s.armProbe(k, pc, s.now+g.Keepalive.Idle)
	}
}

// armProbe schedules connection k's keepalive timer at instant at.
func (s *sim) armProbe(k int32, pc *pconn, at time.Duration) {
	pc.probeAt = at
	s.at(at, event{Kind: evPoolProbe, Client: pc.client, Conn: pc.gen, Arg: uint32(k)})
}

// idleEnd is when the pool closes idle connection pc: at its idle
// timeout or the end of its lifetime.
func (s *sim) idleEnd(pc *pconn, pl *Pool) time.Duration {
	end := pc.retireAt
	if pl.IdleTimeout > 0 {
		end = min(end, pc.idleSince+pl.IdleTimeout)
	}
	return end
}

// idleTimer closes an idle connection whose idle timeout or lifetime is
// over.
func (s *sim) idleTimer(k int32, gen uint32) {
	pc := &s.pool.conns[k]
	if pc.gen != gen {
		return // its connection has ended
	}
	pc.idleAt = never
	if pc.state != pcIdle {
		return // busy: the pool arms the timer again when it comes back
	}
	pl := s.groups[s.clients[pc.client].group].Pool
	if end := s.idleEnd(pc, pl); s.now < end {
		pc.idleAt = end // reused since: the timer runs from its latest return
		s.at(end, event{Kind: evPoolIdle, Client: pc.client, Conn: gen, Arg: uint32(k)})
		return
	}
	s.removeIdle(k)
	s.closeConn(k, true)
}

// removeIdle takes connection k out of its client's idle list.
func (s *sim) removeIdle(k int32) {
	p := s.pool
	ci := p.conns[k].client
	for i, x := range p.idle[ci] {
		if x == k {
			p.idle[ci] = append(p.idle[ci][:i], p.idle[ci][i+1:]...)
			s.rec.idleChanged(s.clients[ci].group, -1)
			return
		}
	}
}

// closeConn ends connection k. With fin the client closes it (after
// its own choice, or after reading the server's FIN or RST): its FIN
// crosses the boxes and moves their entries to the closing class. A
// connection that a box reset or closed at expiry, or one given up in a
// blackhole, sends nothing the boxes keep.
func (s *sim) closeConn(k int32, fin bool) {
	p := s.pool
	if fin && p.conns[k].killedAt > s.now {
		s.crossPool(k, nat.Outbound, nat.Close)
	}
	ci := p.conns[k].client
	for i, x := range p.open[ci] {
		if x == k {
			p.open[ci] = append(p.open[ci][:i], p.open[ci][i+1:]...)
			break
		}
	}
	p.conns[k].state = pcFree
	p.conns[k].gen++
	p.free = append(p.free, k)
}

// probe is TCP keepalive on an idle pooled connection (only while no
// request is outstanding, as Linux runs it only while nothing is
// unacknowledged): a probe after keepalive idle; answered, the next one
// an idle later; met with RST, the connection is dead one round trip
// later; unanswered, after count probes interval apart.
func (s *sim) probe(k int32, gen uint32) {
	pc := &s.pool.conns[k]
	if pc.gen != gen {
		return
	}
	pc.probeAt = never
	if pc.state != pcIdle || s.knownClosed(pc) {
		return // a request is outstanding: the pool arms the timer again when it comes back
	}
	c := &s.clients[pc.client]
	ka := s.groups[c.group].Keepalive
	if due := pc.heard + ka.Idle; s.now < due {
		s.armProbe(k, pc, due)
		return
	}
	s.rec.keepalive(pc.client, c, probeBytes)
	switch s.crossPool(k, nat.Outbound, nat.Probe) {
	case passed:
		if !s.serverOpen(pc, s.now+s.up) {
			return // the server's FIN is on its way; the pool will see it
		}
		if s.crossPoolIn(k, s.now+s.cfg.Network.RTT) {
			s.rec.keepaliveAnswer(pc.client, c, probeBytes)
			pc.heard = s.now + s.cfg.Network.RTT
			s.armProbe(k, pc, pc.heard+ka.Idle)
			return
		}
		pc.killedAt = s.now + s.cfg.Network.RTT
	case stranger:
		pc.killedAt = s.now + s.cfg.Network.RTT
	default:
		pc.killedAt = s.now + time.Duration(ka.Count)*ka.Interval
	}
}

// poolKilled is a reset-on-expire or FIN-on-expire box removing a pooled
// connection's entry: the client's end learns at once (the boxes are at
// the client's end of the delay); a request in flight on it fails.
func (s *sim) poolKilled(bi int, r nat.Removal) {
	p := s.pool
	ci := r.Key.Client
	g := &s.groups[s.clients[ci].group]
	h := int(g.hopOf[bi])
	for _, k := range p.open[ci] {
		pc := &p.conns[k]
		if pc.killedAt < never || (h == 0 && pc.serial != r.Key.Conn) || (h > 0 && p.ports[int(k)*s.hops+h-1] != r.Key.Conn) {
			continue
		}
		pc.killedAt, pc.killFin = r.At, s.boxes[bi].fin
		if ri := pc.req; pc.state == pcBusy && ri >= 0 && !p.reqs[ri].opening {
			s.failLater(ri, failResetOnReuse, max(r.At, s.now), true)
		}
		return
	}
}

// crossPool sends a packet of pooled connection k through the boxes of
// its group's path: outbound in order, inbound in reverse. As for a
// client's flow, a box that gives the flow a new port makes it a
// stranger to the server and a new flow to every box beyond.
func (s *sim) crossPool(k int32, dir nat.Dir, kind nat.Kind) pathResult {
	s.packets++
	p := s.pool
	pc := &p.conns[k]
	ci := pc.client
	g := &s.groups[s.clients[ci].group]
	ports := p.ports[int(k)*s.hops:][:len(g.path)]
	key := func(h int) nat.Key {
		if h == 0 {
			return nat.Key{Client: ci, Conn: pc.serial}
		}
		return nat.Key{Client: ci, Conn: ports[h-1]}
	}
	if dir == nat.Inbound {
		for h := len(g.path) - 1; h >= 0; h-- {
			bi := g.path[h]
			out := s.boxes[bi].t.Packet(s.now, key(h), nat.Packet{Dir: nat.Inbound, Proto: nat.TCP, Kind: kind})
			s.wakeIfReset(bi)
			switch out.Verdict {
			case nat.Dropped:
				return dropped
			case nat.Reset:
				return reset
			}
		}
		return passed
	}
	res := passed
	for h, bi := range g.path {
		out := s.boxes[bi].t.Packet(s.now, key(h), nat.Packet{Dir: nat.Outbound, Proto: nat.TCP, Kind: kind, Port: ports[h]})
		s.wakeIfReset(bi)
		switch out.Verdict {
		case nat.Created:
			if ports[h] != 0 && out.Port != ports[h] {
				res = stranger
				clear(ports[h+1:])
			}
			ports[h] = out.Port
		case nat.Dropped:
			return dropped
		case nat.Refused:
			if res != passed {
				return dropped
			}
			return refused
		}
	}
	return res
}
