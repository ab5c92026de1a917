package sim

import (
	"errors"
	"math/rand/v2"
	"time"
	"unsafe"

	"github.com/natsim/natsim/internal/prefetch"
	"github.com/natsim/natsim/nat"
)

// evKind names what an event does when it comes up.
type evKind uint8

const (
	evConnect          evKind = iota // client opens a connection (start, after think, after backoff)
	evHandshake                      // the SYN's answer reaches the client: set-up completes
	evUp                             // client's next up message
	evDown                           // server's next down message
	evAtServer                       // a client packet reaches the server (Arg: packet)
	evAtClient                       // a server packet reaches the middleboxes and the client (Arg: packet)
	evKaTimer                        // the keepalive strategy's client timer
	evKaDeadline                     // the strategy's client deadline (Arg: the strategy's)
	evKaServerTimer                  // the strategy's server timer
	evKaServerDeadline               // the strategy's server deadline (Arg: the strategy's)
	evClientRTO                      // client gives up on unacknowledged data
	evServerRTO                      // server gives up on unacknowledged data
	evClose                          // session lifetime over: client closes
	evRadio                          // a packet reaches the client's radio later (Arg: type, radioUp)
	evWake                           // a reset-on-expire middlebox's next expiry (Client: box)
	evSample                         // time-series sample
	// The kinds of request-driven groups follow (pool_run.go): every kind
	// from evWake on is handled before a client's connection stamp is
	// checked.
)

// Packet types carried in an event's Arg (low 3 bits), with a flag for a
// packet that reached the server from an unknown port and the ping
// number above them.
const (
	pData     uint32 = iota // a data message
	pAck                    // the ACK of a data message
	pProbe                  // a TCP keepalive probe
	pProbeAck               // its answer
	pPing                   // an app ping (client's, or the server's for server-app)
	pPong                   // its answer
	pRST                    // a reset, or a FIN: the receiving end closes
	pGoAway                 // the server's GOAWAY too_many_pings, then its FIN

	pTypeMask = 7
	pStranger = 8  // reached the server from a new external port
	pCounted  = 16 // a data message sent inside the measured window: its loss counts
	pResent   = 32 // a data message lost once and resent one RTO later
	pSeqShift = 6
)

// cstate is where a client is in its connection's life.
type cstate uint8

const (
	stIdle       cstate = iota // no connection, by choice (before start, thinking)
	stConnecting               // SYN sent
	stOpen                     // believes its connection is up
	stDown                     // knows its connection is dead; waiting to reconnect
)

// client holds one client and the server's side of its connection, in
// one 64-byte cache line: the first touch of an event's client is the
// largest cost of a big run. The keepalive strategy owns ka (what a group
// of one type needs), yes/no facts are bits of flags, and what only a
// retransmitting client needs lives in sim.retries; a feature that needs
// more per client keeps it in a side array of its own.
type client struct {
	rng      rand.PCG
	orphanAt time.Duration // removal instant; the break's instant once broken
	// heard is the last packet the client received: TCP keepalive's idle
	// wait and server-app's watchdog run from it.
	heard time.Duration
	// lastData is the instant of the last data message either way
	// (idle_only puts pings off from it).
	lastData time.Duration
	ka       kaState
	conn     uint32 // connection stamp: the key's Conn, and the stamp of live events
	port     uint32 // external port given by the first middlebox (0: none); the others' are in sim.ports
	group    uint16
	state    cstate
	flags    flag
	cause    cause
	box      uint8 // middlebox whose removal caused the orphan
	attempt  uint8 // failed attempts since the last open (backoff exponent)
	// unanswered counts keepalives unanswered in a row (TCP probes, app
	// pongs missed); the strategy keeps it.
	unanswered uint8
}

// A client is one cache line: a field added must take the place of one.
var _ [64 - unsafe.Sizeof(client{})]struct{}
var _ [unsafe.Sizeof(client{}) - 64]struct{}

// flag is one of a client's yes/no facts.
type flag uint8

const (
	fSrvOpen      flag = 1 << iota // the server believes the connection is up
	fOrphan                        // an entry was removed; the next packet decides
	fBroken                        // a break was decided and the connection not yet replaced
	fReconnecting                  // the current attempt follows a death
	fCliRetrying                   // client has data that no box let through
	fSrvRetrying                   // server has data that no box let through
	fDataSeen                      // data flowed since the ping timer was set (idle_only)
	fBeatAnswered                  // the last keepalive beat was answered (the recorder's, for the keepalive rate)
)

// is reports whether every fact of f holds.
func (c *client) is(f flag) bool { return c.flags&f == f }
func (c *client) on(f flag)      { c.flags |= f }
func (c *client) off(f flag)     { c.flags &^= f }

// retry is what a client holds only while it retransmits or has
// messages held up by a pending orphan: rare, so kept in a map (by client
// index) rather than in every client.
type retry struct {
	cliSince  time.Duration   // client retrying since
	srvSince  time.Duration   // server retrying since
	stuckUp   uint32          // up messages waiting for a pending orphan's outcome
	stuckDown []time.Duration // down messages waiting likewise: the instants the server sent them
}

// rebinding is a UDP flow's latest new external address: changed is
// when a box gave it, learned when the server last took the client's
// address from a datagram (before changed: it has not seen the new one).
type rebinding struct {
	changed, learned time.Duration
}

// removal is a box's removal of a flow's entry: when, and why.
type removal struct {
	at    time.Duration
	cause cause
}

// goneKey is the key of sim.gone for client ci's flow at hop h.
func goneKey(ci uint32, h int) uint64 { return uint64(ci)<<8 | uint64(h) }

// box is one middlebox on the path.
type box struct {
	t table
	// pc is t for a per-client box (nil for a shared one): its instances
	// expire lazily, so a client's are brought up to date (sync) before
	// each of its events.
	pc       *nat.Instances
	reset    bool // on_expire reset or fin: expiries must be handled at their instant
	fin      bool // on_expire fin: the ends see a graceful close
	wakeGen  uint32
	wakeAt   time.Duration
	waking   bool
	samples  []Sample
	name     string
	capacity int // as configured (a sampled run's table holds fewer: SampleBox)
}

// sim is one replication of one scenario.
type sim struct {
	cfg     *Config
	q       *queue
	now     time.Duration
	clients []client
	groups  []groupRun
	boxes   []box
	hops    int      // the longest group path
	ports   []uint32 // external port per (client, hop) for hops after the first, client-major
	// gone is, on paths of several boxes, each hop's removal of the
	// current flow's entry, by goneKey(client, hop), so that a break can
	// be dated and attributed by the box whose loss decided it. A record
	// lives only from a removal until the orphan it made is decided, so
	// a map holds the few there are at a time rather than every client
	// paying 16 bytes a hop (nil: paths of one box).
	gone map[uint64]removal
	// decider is the hop at which the last crossing departed from the
	// flow's state: the first to give it a new port, drop it or refuse it.
	decider int
	retries map[uint32]retry
	// rebound holds, for UDP clients whose flow a box gave a new port,
	// when that happened and when the server last learned the client's
	// address: rare, so kept in a map by client index.
	rebound map[uint32]rebinding
	// seed1 is the replication's seed, the first half of every stream's.
	seed1 uint64
	// perClient is true when some box is per-client.
	perClient bool
	up        time.Duration // one-way delay client to server
	down      time.Duration // one-way delay server to client
	events    uint64
	packets   uint64
	rec       recorder
	picks     *samplePlan // the clients simulated, when cfg.Sampling is on (nil: all)
	// radios are the meters of the groups that have a radio (nil: no
	// group has).
	radios []radioRun
	// shared is the shared boxes' tables, whose entries of a client warm
	// prefetches ahead of its event.
	shared []*nat.Table
	// pingWatch and doubled are, when a group has a ping policy, each
	// connection's pings as its server has seen them and how many times
	// each client has doubled its ping interval after GOAWAY (nil
	// otherwise).
	pingWatch []pingWatch
	doubled   []uint8
	// adaptive is, when a group has adaptive keepalives, each client's
	// algorithm state (nil otherwise), one cache line per client, warmed
	// with the client's own line.
	adaptive []adaptiveClient
	pool     *pools // request-driven groups' state; nil without any
}

// groupRun is a group's configuration and its counters: the engine's
// group. A group that mixes paths runs as one groupRun per path, which
// share its configuration and hold the clients that drew that path; the
// group's result is made from theirs (finish).
type groupRun struct {
	*Group
	of      int            // the group's index in Config.Groups
	variant int            // the index of its path in Group.Paths (0 for a group of one path)
	clients int            // clients that are in this groupRun
	ka      keepaliver     // the keepalive strategy
	kind    *KeepaliveKind // its description
	// path is the middleboxes its connections cross, client side first
	// (indexes into sim.boxes); hopOf is each box's place on it (-1: not
	// on it).
	path  []int
	hopOf []int8
	// perClient lists the per-client boxes on path; first is the index of
	// the group's first client, and key the FNV-1a hash of its name.
	perClient []int
	first     int
	key       uint64
	// The time the group's clients existed in the window, each from its
	// first connection attempt on: whole is how many existed for all of
	// it, partHours the hours of the others.
	whole     int
	partHours float64
	// intervals is the group's mean adaptive interval over time (nil:
	// not adaptive, or no series).
	intervals *IntervalSeries
}

// Run simulates replication rep of cfg and returns its metrics. It is a
// pure function of (cfg, rep): it reads no clock and starts no goroutine.
// progress, if not nil, is called now and then with the simulated time
// reached, for a progress display; it must not touch cfg, and it stops the
// run by returning false (Run then returns ErrStopped).
func Run(cfg *Config, rep int, progress func(time.Duration) bool) (*RunResult, error) {
	s, err := newSim(cfg, rep)
	if err != nil {
		return nil, err
	}
	return s.run(rep, progress)
}

// newSim sets up replication rep of cfg: its boxes, clients and first
// events.
func newSim(cfg *Config, rep int) (*sim, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &sim{cfg: cfg, up: cfg.Network.RTT / 2, seed1: StreamSeed(cfg.Seed, rep)}
	s.down = cfg.Network.RTT - s.up
	s.picks = planSample(cfg, s.seed1)
	for i := range cfg.Path {
		mb := &cfg.Path[i]
		s.boxes = append(s.boxes, box{reset: mb.OnExpire != nat.ExpireSilent, fin: mb.OnExpire == nat.ExpireFin, name: mb.Name, capacity: mb.Capacity})
	}
	for i := range s.boxes {
		if err := s.makeTable(i); err != nil {
			return nil, err
		}
	}
	total := 0
	first := make([]int, len(cfg.Groups)) // each group's first groupRun
	for gi := range cfg.Groups {
		g := &cfg.Groups[gi]
		first[gi] = len(s.groups)
		paths := [][]int{cfg.PathOf(g)}
		if len(g.Paths) > 0 {
			paths = paths[:0]
			for _, p := range g.Paths {
				paths = append(paths, p.Via)
			}
		}
		for v, path := range paths {
			gr := s.groupRun(gi, v, path)
			gr.first, gr.key = total, nameKey(g.Name)
			s.groups = append(s.groups, gr)
			s.hops = max(s.hops, len(path))
		}
		total += s.simulated(gi)
	}
	s.rec = recorder{now: &s.now, warmup: cfg.Warmup, end: cfg.Duration, trace: cfg.Trace, filter: cfg.TraceOnly,
		groups: make([]groupMetrics, len(s.groups)), boxBreaks: make([]uint64, len(s.boxes))}
	if s.picks != nil {
		s.rec.orig = s.picks.orig
	}
	for i := range s.boxes {
		s.rec.boxNames = append(s.rec.boxNames, s.boxes[i].name)
	}
	s.clients = make([]client, total)
	s.rec.beats = lastBeats{at: make([]time.Duration, total), gap: make([]float32, total)}
	s.ports = make([]uint32, total*(s.hops-1))
	if s.hops > 1 {
		s.gone = map[uint64]removal{}
	}
	// The per-client arrays, read at random by every event.
	prefetch.HugePages(s.clients)
	prefetch.HugePages(s.rec.beats.at)
	prefetch.HugePages(s.rec.beats.gap)
	prefetch.HugePages(s.ports)
	s.startRadios()
	s.watchPings()
	for _, g := range cfg.Groups {
		if g.Keepalive.Type == KeepaliveAdaptive {
			s.adaptive = make([]adaptiveClient, total)
			prefetch.HugePages(s.adaptive)
			break
		}
	}
	s.initPools(total)
	s.retries = make(map[uint32]retry)
	s.rebound = make(map[uint32]rebinding)
	horizon := cfg.horizon()
	waiting, firings := cfg.timers()
	s.q = newQueue(horizon, horizon.Seconds()*firings, waiting)
	s.q.warm = s.warm
	for i := range s.boxes {
		s.boxes[i].t.ReserveClients(total)
		s.boxes[i].t.NotifyNextVictim(s.warmNow)
	}
	ci := 0
	for gi, g := range cfg.Groups {
		for k := range s.simulated(gi) {
			j := s.member(gi, k) // the client's index in the group's full population
			c := &s.clients[ci]
			cseed := s.groups[first[gi]].clientKey(j)
			c.group = uint16(first[gi] + drawPath(g.Paths, s.seed1, cseed))
			gr := &s.groups[c.group]
			gr.clients++
			c.rng.Seed(s.seed1, cseed)
			start := g.StartDelay + uniformDur(&c.rng, 0, g.StartSpread)
			s.rec.beats.at[ci] = start
			if start <= cfg.Warmup {
				gr.whole++
			} else {
				gr.partHours += overlap(start, cfg.Duration, cfg.Warmup, cfg.Duration).Hours()
			}
			kind := evConnect
			if g.Requests != nil {
				kind = evReqArrive
			}
			s.q.push(event{At: start, Kind: kind, Client: uint32(ci)})
			ci++
		}
	}
	if cfg.SampleEvery > 0 {
		s.q.push(event{Kind: evSample})
	}
	return s, nil
}

// run runs the events to the end and closes the books.
func (s *sim) run(rep int, progress func(time.Duration) bool) (*RunResult, error) {
	cfg := s.cfg
	for _, until := range []time.Duration{cfg.Warmup, cfg.Duration} {
		n, stopped := s.q.runUntil(until, s.handle, progress)
		s.events += n
		if stopped {
			return nil, ErrStopped
		}
		s.now = until
		if until == cfg.Warmup {
			for i := range s.boxes {
				s.boxes[i].t.ResetStats(cfg.Warmup)
			}
			s.rec.openWindow()
		}
	}
	return s.finish(rep), nil
}

// groupRun makes the engine's group for path number v (of path) of
// group gi.
func (s *sim) groupRun(gi, v int, path []int) groupRun {
	g := &s.cfg.Groups[gi]
	k := g.Keepalive
	gr := groupRun{Group: g, of: gi, variant: v, ka: k.Type.Kind().make(k), kind: k.Type.Kind(), path: path, hopOf: make([]int8, len(s.boxes))}
	for i := range gr.hopOf {
		gr.hopOf[i] = -1
	}
	for h, bi := range gr.path {
		gr.hopOf[bi] = int8(h)
		if s.cfg.Path[bi].PerClient {
			gr.perClient = append(gr.perClient, bi)
		}
	}
	return gr
}

// pathStream sets the stream of path draws apart from the clients' own.
const pathStream = 0x70617468732d3031 // "paths-01"

// drawPath returns the index of the path that a client of a group that
// mixes paths takes, drawn by weight from a stream of its own, seeded by
// (seed1, the client's seed) like the client's stream but apart from it:
// seed1 comes from (seed, replication) and cseed from (group name, client
// index), so that adding a group, a box or a path elsewhere changes no
// draw and a client's other draws are the same whatever path it takes.
// It is 0, drawing nothing, for a group of one path.
func drawPath(paths []WeightedPath, seed1, cseed uint64) int {
	if len(paths) == 0 {
		return 0
	}
	var sum float64
	for _, p := range paths {
		sum += p.Weight
	}
	rng := rand.NewPCG(seed1^pathStream, cseed)
	u := (float64(rng.Uint64()>>11) + 0.5) / (1 << 53) * sum // in (0, sum)
	last := 0
	for i, p := range paths {
		if p.Weight == 0 {
			continue
		}
		if u < p.Weight {
			return i
		}
		u -= p.Weight
		last = i
	}
	return last // rounding left u at or above the last weight
}

// makeTable makes box i's table: one shared table with the settings
// drawn for the replication, or a per-client box whose instances draw
// theirs by client.
func (s *sim) makeTable(i int) error {
	mb := &s.cfg.Path[i]
	b := &s.boxes[i]
	onRemove := func(r nat.Removal) { s.removed(i, r) }
	boxKey := nameKey(mb.Name)
	if !mb.PerClient {
		t, err := nat.New(s.sampledTable(i, mb.Draws.draw(mb.Config, s.seed1, boxKey, 0)), onRemove)
		b.t = t
		s.shared = append(s.shared, t)
		return err
	}
	s.perClient = true
	dists := mb.Draws.list()
	settings := func(ci uint32, set nat.Setting) int64 {
		g := &s.groups[s.clients[ci].group]
		return drawOne(&dists[set], set, s.seed1, boxKey, g.clientKey(s.member(g.of, int(ci)-g.first)))
	}
	pc, err := nat.NewInstances(mb.Config, mb.Draws.own(), settings, onRemove)
	b.t, b.pc = pc, pc
	return err
}

// clientKey is the key of the group's j-th client: the second half of
// its random stream's seed, and its instances' key in their settings'.
func (g *groupRun) clientKey(j int) uint64 { return clientSeed(g.key, j) }

// sync brings client ci's instances at the per-client boxes of its path
// up to now, so that what they removed is known before its event.
func (s *sim) sync(ci uint32, c *client) {
	for _, bi := range s.groups[c.group].perClient {
		s.boxes[bi].pc.Sync(s.now, ci)
	}
}

// ErrStopped is returned by a run that its progress callback stopped.
var ErrStopped = errors.New("sim: run stopped")

// StreamSeed is the seed from which every client stream of replication
// rep of a run with seed seed is derived. Distinct (seed, rep) pairs may
// share it; two runs whose StreamSeeds differ draw independent numbers.
func StreamSeed(seed uint64, rep int) uint64 {
	return mix(seed ^ mix(uint64(rep)+0x9e3779b97f4a7c15))
}

// mix is splitmix64's finaliser: it spreads seeds so that nearby inputs
// give unrelated streams.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// after runs ev after delay: at once when the delay is zero (so that an
// exchange over a zero-RTT path costs one event), else through the queue.
func (s *sim) after(delay time.Duration, ev event) {
	if delay == 0 {
		ev.At = s.now
		s.handle(ev)
		return
	}
	ev.At = s.now + delay
	s.q.push(ev)
}

// at schedules ev at instant at (never inline).
func (s *sim) at(at time.Duration, ev event) {
	ev.At = at
	s.q.push(ev)
}

func (s *sim) handle(ev event) {
	s.now = ev.At
	if ev.Kind >= evWake {
		s.special(ev)
		return
	}
	c := &s.clients[ev.Client]
	if ev.Conn != c.conn {
		return // for a connection that has been replaced
	}
	if s.perClient {
		s.sync(ev.Client, c)
	}
	switch ev.Kind {
	case evConnect:
		s.connect(ev.Client, c)
	case evHandshake:
		s.handshake(ev.Client, c)
	case evUp:
		s.upMessage(ev.Client, c)
	case evDown:
		s.downMessage(ev.Client, c)
	case evAtServer:
		s.atServer(ev.Client, c, ev.Arg)
	case evAtClient:
		s.atClient(ev.Client, c, ev.Arg)
	case evKaTimer:
		s.groups[c.group].ka.timer(s, ev.Client, c)
	case evKaDeadline:
		s.groups[c.group].ka.deadline(s, ev.Client, c, ev.Arg)
	case evKaServerTimer:
		s.groups[c.group].ka.serverTimer(s, ev.Client, c)
	case evKaServerDeadline:
		s.groups[c.group].ka.serverDeadline(s, ev.Client, c, ev.Arg)
	case evClientRTO:
		s.clientRTO(ev.Client, c)
	case evServerRTO:
		s.serverRTO(ev.Client, c)
	case evClose:
		s.closeSession(ev.Client, c)
	case evRadio:
		s.radioPacket(ev.Client, c, ev.Arg&pTypeMask, ev.Arg&radioUp != 0)
	}
}

// special runs the events that belong to no client's connection: a
// box's wake-up, a sample, a request-driven group's.
func (s *sim) special(ev event) {
	switch ev.Kind {
	case evWake:
		s.wake(ev)
	case evSample:
		s.sample()
	default:
		s.poolEvent(ev)
	}
}

// pathResult is what the path did to one packet.
type pathResult uint8

const (
	passed   pathResult = iota // crossed every middlebox with the flow's ports
	stranger                   // crossed, but some box gave the flow a new port
	dropped                    // a box dropped it for want of an entry (final)
	refused                    // a full box had no room for a new entry (may pass later)
	reset                      // inbound: a box answered the server with RST
)

// port is where the flow's external port at hop h of its path is kept.
func (s *sim) port(ci uint32, c *client, h int) *uint32 {
	if h == 0 {
		return &c.port
	}
	return &s.ports[int(ci)*(s.hops-1)+h-1]
}

// flow is the key of client c's current flow at hop h of its path: the
// client's connection at the first box; at a later box, the external
// port the box before gave it (a flow renumbered there is a new flow
// here).
func (s *sim) flow(ci uint32, c *client, h int) nat.Key {
	if h == 0 {
		return nat.Key{Client: ci, Conn: c.conn}
	}
	return nat.Key{Client: ci, Conn: *s.port(ci, c, h-1)}
}

// crossOut sends a client packet through the middleboxes of its group's
// path in order, noting in s.decider the first hop that departed from
// the flow's state. A flow that a box gives a new port is new to every
// box beyond it, so their ports are forgotten (they give fresh ones);
// once renumbered, a flow cannot come back, so a later drop or refusal
// makes the crossing final (dropped).
func (s *sim) crossOut(ci uint32, c *client, kind nat.Kind) pathResult {
	s.packets++
	g := &s.groups[c.group]
	if len(g.path) == 1 {
		return s.crossOutOne(ci, c, g, kind)
	}
	res := passed
	key := nat.Key{Client: ci, Conn: c.conn}
	for h, bi := range g.path {
		b := &s.boxes[bi]
		port := s.port(ci, c, h)
		out := b.t.Packet(s.now, key, nat.Packet{Dir: nat.Outbound, Proto: g.Proto, Kind: kind, Port: *port})
		s.wakeIfReset(bi)
		switch out.Verdict {
		case nat.Created:
			if *port != 0 && out.Port != *port {
				if res == passed {
					res, s.decider = stranger, h
				}
				s.rec.met(ci, bi, g.Proto, true, kind, MetNewPort)
				for j := h + 1; j < len(g.path); j++ {
					*s.port(ci, c, j) = 0
				}
			}
			*port = out.Port
		case nat.Dropped, nat.Refused:
			if res != passed {
				s.rec.met(ci, bi, g.Proto, true, kind, metOf(out.Verdict))
				return dropped
			}
			return s.outbound(ci, g, h, bi, kind, out.Verdict)
		}
		key.Conn = *port
	}
	return res
}

// crossOutOne is crossOut on a path of one box, the common case: the
// flow's key and port are the client's own.
func (s *sim) crossOutOne(ci uint32, c *client, g *groupRun, kind nat.Kind) pathResult {
	bi := g.path[0]
	b := &s.boxes[bi]
	out := b.t.Packet(s.now, nat.Key{Client: ci, Conn: c.conn}, nat.Packet{Dir: nat.Outbound, Proto: g.Proto, Kind: kind, Port: c.port})
	s.wakeIfReset(bi)
	switch out.Verdict {
	case nat.Created:
		res := passed
		if c.port != 0 && out.Port != c.port {
			res, s.decider = stranger, 0
			s.rec.met(ci, bi, g.Proto, true, kind, MetNewPort)
		}
		c.port = out.Port
		return res
	case nat.Dropped, nat.Refused:
		return s.outbound(ci, g, 0, bi, kind, out.Verdict)
	}
	return passed
}

// outbound is a client packet stopped at hop h (box bi) by verdict v, a
// drop or a refusal, with the flow's ports kept so far: that box decided
// the crossing.
func (s *sim) outbound(ci uint32, g *groupRun, h, bi int, kind nat.Kind, v nat.Verdict) pathResult {
	s.decider = h
	s.rec.met(ci, bi, g.Proto, true, kind, metOf(v))
	if v == nat.Dropped {
		return dropped
	}
	return refused
}

// metOf is what a packet met at a box that dropped or refused it.
func metOf(v nat.Verdict) Met {
	if v == nat.Refused {
		return MetRefused
	}
	return MetDropped
}

// crossIn sends a server packet through the middleboxes of its group's
// path in reverse order, noting in s.decider the hop that dropped or
// reset it.
func (s *sim) crossIn(ci uint32, c *client, kind nat.Kind) pathResult {
	s.packets++
	g := &s.groups[c.group]
	if len(g.path) == 1 {
		return s.crossInOne(ci, c, g, kind)
	}
	for h := len(g.path) - 1; h >= 0; h-- {
		bi := g.path[h]
		b := &s.boxes[bi]
		out := b.t.Packet(s.now, s.flow(ci, c, h), nat.Packet{Dir: nat.Inbound, Proto: g.Proto, Kind: kind})
		s.wakeIfReset(bi)
		if out.Verdict == nat.Dropped || out.Verdict == nat.Reset {
			return s.inbound(ci, g, h, bi, kind, out.Verdict)
		}
	}
	return passed
}

// inbound is a server packet stopped at hop h (box bi) by verdict v, a
// drop or a reset: that box decided the crossing.
func (s *sim) inbound(ci uint32, g *groupRun, h, bi int, kind nat.Kind, v nat.Verdict) pathResult {
	s.decider = h
	if v == nat.Reset {
		s.rec.met(ci, bi, g.Proto, false, kind, MetReset)
		return reset
	}
	s.rec.met(ci, bi, g.Proto, false, kind, MetDropped)
	return dropped
}

// crossInOne is crossIn on a path of one box.
func (s *sim) crossInOne(ci uint32, c *client, g *groupRun, kind nat.Kind) pathResult {
	bi := g.path[0]
	b := &s.boxes[bi]
	out := b.t.Packet(s.now, nat.Key{Client: ci, Conn: c.conn}, nat.Packet{Dir: nat.Inbound, Proto: g.Proto, Kind: kind})
	s.wakeIfReset(bi)
	if out.Verdict == nat.Dropped || out.Verdict == nat.Reset {
		return s.inbound(ci, g, 0, bi, kind, out.Verdict)
	}
	return passed
}

// warm prefetches the state of a client whose event is coming up, in two
// stages a little apart: stage 0 the lines found from its index alone,
// stage 1 its entries in the shared tables, whose places stage 0 brought
// into cache (a lookup there would otherwise wait on memory twice).
func (s *sim) warm(ci uint32, stage int) {
	if stage == 1 {
		for _, t := range s.shared {
			if p := t.Locate(ci); p != nil {
				prefetch.Line((*byte)(p))
			}
		}
		return
	}
	if int(ci) < len(s.clients) {
		prefetch.Line(&s.clients[ci])
		if s.radios != nil {
			s.warmRadio(ci)
		}
		if s.adaptive != nil {
			prefetch.Line(&s.adaptive[ci])
		}
		// Its last keepalive beat, which its next beat reads and writes.
		prefetch.Line(&s.rec.beats.at[ci])
		prefetch.Line(&s.rec.beats.gap[ci])
		// Its ports at the later hops of its path, which its packets
		// carry there.
		if s.hops > 1 {
			prefetch.Line(&s.ports[int(ci)*(s.hops-1)])
		}
		// Where its entries in the shared tables are, for stage 1.
		for _, t := range s.shared {
			if p := t.LocateIndex(ci); p != nil {
				prefetch.Line((*byte)(p))
			}
		}
	}
	if s.perClient {
		for i := range s.boxes {
			if pc := s.boxes[i].pc; pc != nil {
				if p := pc.Locate(ci); p != nil {
					prefetch.Line((*byte)(p))
				}
			}
		}
	}
}

// warmNow is warm's two stages at once, for a client whose entry is
// about to be evicted (the LRU's next victim).
func (s *sim) warmNow(ci uint32) {
	s.warm(ci, 0)
	s.warm(ci, 1)
}

// removed is every middlebox's removal callback. It runs inside a table
// call, so it only records state and schedules events: an entry of a
// client's open, unbroken connection was removed, so the connection is
// orphaned (from the earliest removal) until a packet decides.
func (s *sim) removed(bi int, r nat.Removal) {
	if s.boxes[bi].reset && r.Reason == nat.Expired {
		if s.pooled(r.Key.Client) {
			s.poolKilled(bi, r)
			return
		}
		s.resetOnExpire(bi, r)
		return
	}
	c := &s.clients[r.Key.Client]
	if s.stale(r, c, bi) {
		return // an entry of a closed, dead or already broken connection
	}
	s.rec.removal(r.Key.Client, bi, r.At, causeOf(r.Reason))
	if s.gone != nil {
		s.gone[goneKey(r.Key.Client, int(s.groups[c.group].hopOf[bi]))] = removal{r.At, causeOf(r.Reason)}
	}
	if !c.is(fOrphan) || r.At < c.orphanAt {
		c.on(fOrphan)
		c.orphanAt, c.cause, c.box = r.At, causeOf(r.Reason), uint8(bi)
	}
}

// stale reports whether a removal at box bi is of no consequence: the
// entry of an earlier flow, or of a connection that is not open or has
// broken already.
func (s *sim) stale(r nat.Removal, c *client, bi int) bool {
	if s.hops == 1 {
		// Paths of one box: a box holds entries only of clients whose path
		// it is, at hop 0, where the flow's key is the connection's.
		return r.Key.Conn != c.conn || c.state != stOpen || c.is(fBroken)
	}
	h := s.groups[c.group].hopOf[bi]
	return h < 0 || r.Key != s.flow(r.Key.Client, c, int(h)) || c.state != stOpen || c.is(fBroken)
}

// resetOnExpire handles an expiry at a box that resets both ends: the
// client learns at the expiry instant (wake-ups make it the current time).
func (s *sim) resetOnExpire(bi int, r nat.Removal) {
	c := &s.clients[r.Key.Client]
	if s.stale(r, c, bi) {
		return
	}
	s.rec.removal(r.Key.Client, bi, r.At, causeResetOnExpire)
	if s.radios != nil {
		s.radioPacket(r.Key.Client, c, pRST, false) // the box's RST to the client
	}
	c.on(fOrphan)
	c.orphanAt, c.cause, c.box = r.At, causeResetOnExpire, uint8(bi)
	s.decideBreak(r.Key.Client, c, -1)
	s.learnDead(r.Key.Client, c, HowReset)
	s.at(r.At+s.up, event{Kind: evAtServer, Client: r.Key.Client, Conn: c.conn, Arg: pRST})
}

// wakeIfReset keeps a reset-on-expire box's wake-up armed.
func (s *sim) wakeIfReset(bi int) {
	if s.boxes[bi].reset {
		s.armWake(bi)
	}
}

// armWake makes sure a reset-on-expire box is woken at its next expiry.
func (s *sim) armWake(bi int) {
	b := &s.boxes[bi]
	next, ok := b.t.NextExpiry()
	if !ok || (b.waking && b.wakeAt <= next) {
		return
	}
	b.wakeGen++
	b.wakeAt, b.waking = next, true
	s.at(next, event{Kind: evWake, Client: uint32(bi), Conn: b.wakeGen})
}

func (s *sim) wake(ev event) {
	b := &s.boxes[ev.Client]
	if ev.Conn != b.wakeGen {
		return // superseded by an earlier wake-up
	}
	b.waking = false
	b.t.Advance(s.now)
	s.armWake(int(ev.Client))
}

// sample records one time-series point per middlebox.
func (s *sim) sample() {
	for i := range s.boxes {
		b := &s.boxes[i]
		b.t.Advance(s.now)
		b.samples = append(b.samples, Sample{At: s.now, Occupancy: b.t.Len(), Breaks: s.rec.boxBreaks[i]})
	}
	s.sampleIntervals()
	if next := s.now + s.cfg.SampleEvery; next < s.cfg.Duration {
		s.at(next, event{Kind: evSample})
	}
}
