package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/radio"
)

// Config is one fully resolved run: presets applied, sweeps expanded.
type Config struct {
	Name        string
	Seed        uint64
	Duration    time.Duration // simulated time of one run
	Warmup      time.Duration // metrics count from here
	SampleEvery time.Duration // time-series step; 0 = no time series
	Path        []Middlebox   // client side first
	Groups      []Group
	Network     Network
	// Trace records every client's connection events in RunResult.Trace
	// (for kernel-check and debugging; it costs memory per event).
	Trace bool
	// TraceOnly narrows the trace to one client, or to breaks (its zero
	// value keeps everything).
	TraceOnly TraceFilter
	// Sampling simulates a hash-chosen fraction of the clients (its zero
	// value simulates all of them).
	Sampling Sampling
}

// Middlebox is one table on the path.
type Middlebox struct {
	Name string
	// Config holds the box's rules, and its capacity and timeouts where
	// Draws gives none.
	nat.Config
	// BackendKeepalive makes the box an L7 proxy for request-driven
	// groups: it keeps its own connection to the server, closes it after
	// this much idle time, and answers 502 to a request it forwards on a
	// backend connection that the server has already closed. 0: an L3/L4
	// box. Groups with one long-lived connection ignore it.
	BackendKeepalive time.Duration
	// PerClient gives every client crossing the box an instance of its
	// own (a household router, a handset's firewall) holding only that
	// client's entries; false: one table shared by all.
	PerClient bool
	// Draws are the settings given as distributions, drawn once per
	// instance (see BoxDraws).
	Draws BoxDraws
}

// BoxDraws are a middlebox's settings given as distributions: each that
// is not the zero Dist is drawn once per instance (per replication for a
// shared box, per client for a per-client one) and replaces the value in
// nat.Config. Capacity's draws are entry counts carried in the Dist's
// duration fields (1 entry = 1 ns), truncated to a whole count, at least
// 1.
type BoxDraws struct {
	Capacity                                      Dist
	TCPEstablished, TCPTransitory, UDP, UDPStream Dist
}

// Network is the path's delay and loss.
type Network struct {
	RTT  time.Duration // fixed round-trip time; all of it lies beyond the middleboxes
	Loss float64       // independent per-packet loss probability, in [0, 1)
}

// KeepaliveType selects the keepalive mechanism of a group.
type KeepaliveType uint8

const (
	KeepaliveNone      KeepaliveType = iota
	KeepaliveTCP                     // Linux TCP keepalive
	KeepaliveApp                     // client pings, server answers
	KeepaliveServerApp               // server pings, client answers (Socket.IO v4)
	KeepaliveAdaptive                // client pings at an interval an algorithm learns
	numKeepaliveTypes
)

// String is the type's name in scenario files.
func (k KeepaliveType) String() string {
	if kind := k.Kind(); kind != nil {
		return kind.Name
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Rebinding is what a UDP server does when a client's datagrams come
// from a new external address (a box gave the flow a new port).
type Rebinding uint8

const (
	// RebindFollow answers and pushes to the newest source address (an
	// unconnected socket, QUIC connection migration, WireGuard roaming):
	// the flow survives, and what the server sent to the old address
	// before it saw the new one is lost.
	RebindFollow Rebinding = iota
	// RebindReject drops datagrams from an unknown address (a connected
	// socket): the connection is broken and the client learns only from
	// its own timers.
	RebindReject
)

var rebindingNames = [...]string{"follow", "reject"}

func (r Rebinding) String() string {
	if int(r) < len(rebindingNames) {
		return rebindingNames[r]
	}
	return fmt.Sprintf("invalid(%d)", r)
}

// Rebindings lists the values of Rebinding.
var Rebindings = []Rebinding{RebindFollow, RebindReject}

// Keepalive configures a group's keepalive. Which fields matter depends
// on Type: Idle, Interval and Count for TCP; Interval, Jitter, Timeout,
// Misses, RequestBytes, ResponseBytes and IdleOnly for app and server-app;
// Adaptive, Timeout, RequestBytes and ResponseBytes for adaptive.
type Keepalive struct {
	Type          KeepaliveType
	Idle          time.Duration // TCP: idle time before the first probe
	Interval      time.Duration // TCP: between unanswered probes; app: between pings
	Count         int           // TCP: unanswered probes before the connection is dead, 1 to MaxKeepaliveCount
	Jitter        time.Duration // app: each interval is drawn uniform in Interval±Jitter
	Timeout       time.Duration // app: a pong later than this is a miss
	Misses        int           // app: misses in a row before the connection is dead, 1 to MaxMisses
	RequestBytes  int           // app: size of a ping, bytes
	ResponseBytes int           // app: size of a pong, bytes
	IdleOnly      bool          // app: ping only when no data flowed during the interval
	Adaptive      Adaptive      // adaptive: the algorithm and its parameters (Timeout is its ack timeout)
}

// Traffic is one direction's messages; a zero Interval means none.
type Traffic struct {
	Interval Dist // between messages
	Bytes    int  // size of a message, bytes
}

// Reconnect is what a client does after losing its connection.
type Reconnect struct {
	Backoff          time.Duration // first wait; doubles per failed attempt, full jitter
	MaxBackoff       time.Duration // cap of the wait
	HandshakePackets int           // packets of one connection set-up (TCP: 3; with TLS 1.3: about 8)
	HandshakeBytes   int           // bytes of one connection set-up (TCP: 172; with TLS 1.3: about 2352)
}

// Session makes connections finite: after Lifetime the client closes and
// opens a new connection after Think.
type Session struct {
	Lifetime Dist
	Think    Dist
}

// Group is a population of identical clients.
type Group struct {
	Name              string
	Count             int
	Proto             nat.Proto
	StartDelay        time.Duration // first connects no earlier than this
	StartSpread       time.Duration // first connects uniform over [StartDelay, StartDelay+StartSpread)
	Up, Down          Traffic
	Keepalive         Keepalive
	Reconnect         Reconnect
	Session           *Session      // nil: a connection lives until it breaks
	RetransmitTimeout time.Duration // TCP gives up on unacknowledged data after this
	UDPRebinding      Rebinding     // UDP: the server's answer to a new source address
	// Path lists the middleboxes the group's connections cross, client
	// side first, as indexes into Config.Path; empty: all of them, in
	// order.
	Path []int
	// Paths, when the group mixes paths, lists them: each client draws
	// one by weight when the run starts and keeps it (Path is then
	// unused). Empty: every client takes Path.
	Paths []WeightedPath
	// Radio is the power model of the clients' radios (nil: energy is not
	// measured).
	Radio *radio.Profile
	// Requests and Pool make the group request-driven (pool.go): nil
	// for a group with one long-lived connection per client.
	Requests *Requests
	Pool     *Pool
	// ServerKeepalive is the server's keep-alive idle timeout for a
	// request-driven group: it closes a connection idle this long with a
	// FIN (nginx 75 s, Node 5 s, Apache 5 s); 0 = never.
	ServerKeepalive time.Duration
	// PingPolicy, if set, is the server's enforcement of the client's
	// pings (app and adaptive keepalives), as gRPC servers enforce them.
	PingPolicy *PingPolicy
}

// PingPolicy is a gRPC-style server's limit on client pings (grpc-go
// internal/transport/http2_server.go handlePing): a ping that arrives
// sooner than MinInterval after the connection's previous one is a
// strike, unless the server has sent data since that ping (which clears
// the strikes); with more than MaxStrikes strikes the server sends
// GOAWAY (ENHANCE_YOUR_CALM, "too_many_pings") and closes the
// connection, and the client doubles its ping interval for its next
// connections (grpc-go clientconn.go adjustParams).
type PingPolicy struct {
	MinInterval time.Duration // grpc-go EnforcementPolicy.MinTime: 5 min by default
	MaxStrikes  int           // grpc-go maxPingStrikes: 2
}

// WeightedPath is one of a group's paths and its weight: a client takes
// it with probability Weight / (sum of the group's weights).
type WeightedPath struct {
	Via    []int   // middleboxes, client side first, as indexes into Config.Path
	Weight float64 // >= 0
}

// MaxPaths bounds the paths of one group that mixes them.
const MaxPaths = 64

// PathOf returns the middleboxes that g's connections cross, client side
// first, as indexes into c.Path: g.Path, or every middlebox in order
// when g.Path is empty. For a group that mixes paths it returns every
// box that one of its paths crosses, in the order they first appear.
func (c *Config) PathOf(g *Group) []int {
	if len(g.Paths) > 0 {
		var all []int
		for _, p := range g.Paths {
			for _, bi := range p.Via {
				if !slices.Contains(all, bi) {
					all = append(all, bi)
				}
			}
		}
		return all
	}
	if len(g.Path) > 0 {
		return g.Path
	}
	all := make([]int, len(c.Path))
	for i := range all {
		all[i] = i
	}
	return all
}

// PathText describes g's path for people: "home then cgnat", or for a
// group that mixes paths each with its weight, "carrier-a (weight 1) or
// carrier-b (weight 3)".
func (c *Config) PathText(g *Group) string {
	names := func(path []int) string {
		var out []string
		for _, bi := range path {
			out = append(out, c.Path[bi].Name)
		}
		return strings.Join(out, " then ")
	}
	if len(g.Paths) == 0 {
		return names(c.PathOf(g))
	}
	var out []string
	for _, p := range g.Paths {
		out = append(out, fmt.Sprintf("%s (weight %g)", names(p.Via), p.Weight))
	}
	return strings.Join(out, " or ")
}

// DistKind is the family of a Dist.
type DistKind uint8

const (
	Constant DistKind = iota
	Exponential
	Uniform
	Lognormal
	Pareto
	Empirical // one of a list of values, by weight
)

// Dist is a distribution of durations. The zero value is "never".
type Dist struct {
	Kind  DistKind
	A, B  time.Duration // Constant: A; Exponential: mean A; Uniform: [A, B]; Lognormal: median A; Pareto: scale A
	Shape float64       // Lognormal: sigma; Pareto: shape
	// Choice holds an Empirical distribution's values (a pointer, so that
	// a Dist stays comparable).
	Choice *Choice
}

// Choice is an empirical distribution: Values[i] with probability
// Weights[i] / (sum of Weights).
type Choice struct {
	Values  []time.Duration
	Weights []float64 // >= 0, not all zero; same length as Values
}

// pick returns the value whose share of the total weight contains u in
// (0, 1]: value i for u in (W(i-1), W(i)], W the running sums over the
// total.
func (c *Choice) pick(u float64) time.Duration {
	total := 0.0
	for _, w := range c.Weights {
		total += w
	}
	run, last := 0.0, 0
	for i, w := range c.Weights {
		run += w
		if w > 0 {
			last = i
			if u*total <= run {
				break
			}
		}
	}
	return c.Values[last]
}

// mean is the weighted mean of the values.
func (c *Choice) mean() float64 {
	sum, total := 0.0, 0.0
	for i, w := range c.Weights {
		sum += w * float64(c.Values[i])
		total += w
	}
	return sum / total
}

// IsZero reports whether d is the zero Dist (no events).
func (d Dist) IsZero() bool { return d == Dist{} }

// Mean returns the distribution's mean (+Inf for a Pareto shape <= 1).
func (d Dist) Mean() float64 {
	a, b := float64(d.A), float64(d.B)
	switch d.Kind {
	case Exponential:
		return a
	case Uniform:
		return (a + b) / 2
	case Lognormal:
		return a * math.Exp(d.Shape*d.Shape/2)
	case Pareto:
		if d.Shape <= 1 {
			return math.Inf(1)
		}
		return d.Shape * a / (d.Shape - 1)
	case Empirical:
		return d.Choice.mean()
	default:
		return a
	}
}

// Least returns the smallest value a draw of d can take: 0 for the
// exponential and lognormal, the lower bound of a uniform, the scale of a
// Pareto, the least value of weight > 0 of a choice.
func (d Dist) Least() time.Duration {
	switch d.Kind {
	case Exponential, Lognormal:
		return 0
	case Empirical:
		least := time.Duration(math.MaxInt64)
		for i, v := range d.Choice.Values {
			if d.Choice.Weights[i] > 0 && v < least {
				least = v
			}
		}
		return least
	default:
		return d.A
	}
}

// sample draws one value; never less than 1 ns so that chains advance.
func (d Dist) sample(r *rand.PCG) time.Duration {
	var v float64
	a := float64(d.A)
	switch d.Kind {
	case Constant:
		return max(d.A, 1)
	case Exponential:
		v = -a * math.Log(unit(r))
	case Uniform:
		v = a + (float64(d.B)-a)*unit(r)
	case Lognormal:
		v = a * math.Exp(d.Shape*normal(r))
	case Pareto:
		v = a / math.Pow(unit(r), 1/d.Shape)
	case Empirical:
		return max(d.Choice.pick(unit(r)), 1)
	}
	if v >= math.MaxInt64/2 {
		return math.MaxInt64 / 2
	}
	return max(time.Duration(v), 1)
}

// unit returns a uniform float64 in (0, 1], so that logarithms are finite.
func unit(r *rand.PCG) float64 { return float64(r.Uint64()>>11+1) / (1 << 53) }

// normal returns a standard normal deviate (Box-Muller, one of the pair).
func normal(r *rand.PCG) float64 {
	return math.Sqrt(-2*math.Log(unit(r))) * math.Cos(2*math.Pi*unit(r))
}

// uniformDur returns a duration uniform in [lo, hi).
func uniformDur(r *rand.PCG, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Uint64()%uint64(hi-lo))
}

// Validate reports every problem with c at once. The scenario loader
// checks files more thoroughly; this guards the engine's own assumptions.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("sim: "+format, args...)) }
	if c.Duration <= 0 || c.Duration > MaxSpan {
		add("duration must be in (0, %v] (got %v)", MaxSpan, c.Duration)
	}
	if c.Warmup < 0 || c.Warmup >= c.Duration {
		add("warmup must be in [0, duration) (got %v)", c.Warmup)
	}
	if c.SampleEvery < 0 {
		add("sample_every must be >= 0 (got %v)", c.SampleEvery)
	}
	if len(c.Path) == 0 || len(c.Path) > maxPath {
		add("path must have 1 to %d middleboxes (got %d)", maxPath, len(c.Path))
	}
	for _, m := range c.Path {
		if m.BackendKeepalive < 0 || m.BackendKeepalive > MaxSpan {
			add("middlebox %s: backend_keepalive_timeout must be in [0, %v] (got %v)", m.Name, MaxSpan, m.BackendKeepalive)
		}
		if err := m.Config.Validate(); err != nil {
			add("middlebox %s: %w", m.Name, err)
		}
		if m.PerClient && m.OnExpire != nat.ExpireSilent {
			add("middlebox %s: a per-client box cannot reset or close on expiry (not supported)", m.Name)
		}
		for _, d := range m.Draws.list() {
			if err := d.check(); err != nil {
				add("middlebox %s: %w", m.Name, err)
			}
		}
		if t := m.Timeouts; max(t.TCPEstablished, t.TCPTransitory, t.UDP, t.UDPStream) > MaxSpan {
			add("middlebox %s: a timeout exceeds %v", m.Name, MaxSpan)
		}
	}
	if len(c.Groups) == 0 {
		add("at least one client group is needed")
	}
	total := 0
	for _, g := range c.Groups {
		total += g.Count
		if g.Count <= 0 {
			add("group %s: count must be > 0 (got %d)", g.Name, g.Count)
		}
		if kind := g.Keepalive.Type.Kind(); kind == nil {
			add("group %s: keepalive type %v", g.Name, g.Keepalive.Type)
		} else {
			if kind.TCPOnly && g.Proto != nat.TCP {
				add("group %s: %s keepalive needs protocol tcp", g.Name, kind.Name)
			}
			for _, p := range kind.Check(g.Keepalive) {
				add("group %s: keepalive.%s: %s (got %s)", g.Name, p.Field, p.Msg, p.Value)
			}
		}
		if g.Reconnect.Backoff <= 0 || g.Reconnect.MaxBackoff < g.Reconnect.Backoff {
			add("group %s: reconnect needs 0 < backoff <= max_backoff", g.Name)
		}
		if g.UDPRebinding > RebindReject || (g.UDPRebinding != RebindFollow && g.Proto != nat.UDP) {
			add("group %s: udp_rebinding %v needs protocol udp", g.Name, g.UDPRebinding)
		}
		c.validatePath(g.Name, g.Path, add)
		if len(g.Paths) == 1 || len(g.Paths) > MaxPaths {
			add("group %s: paths must have 2 to %d entries (got %d)", g.Name, MaxPaths, len(g.Paths))
		}
		sum := 0.0
		for _, p := range g.Paths {
			if len(p.Via) == 0 {
				add("group %s: a path of paths is empty", g.Name)
			}
			c.validatePath(g.Name, p.Via, add)
			if !(p.Weight >= 0) || math.IsInf(p.Weight, 1) {
				add("group %s: a path's weight must be finite and >= 0 (got %v)", g.Name, p.Weight)
			}
			sum += p.Weight
		}
		if len(g.Paths) > 0 && !(sum > 0) {
			add("group %s: the weights of paths add up to %v, not a positive number", g.Name, sum)
		}
		if p := g.PingPolicy; p != nil {
			if k := g.Keepalive.Type.Kind(); k == nil || k.Driver != DriveClientPing {
				add("group %s: a ping policy needs a keepalive whose client pings (app or adaptive)", g.Name)
			}
			if p.MinInterval <= 0 || p.MinInterval > MaxSpan || p.MaxStrikes < 0 || p.MaxStrikes > 254 {
				add("group %s: ping policy needs min_ping_interval in (0, %v] and max_ping_strikes in [0, 254]", g.Name, MaxSpan)
			}
		}
		if g.RetransmitTimeout <= 0 {
			add("group %s: retransmit_timeout must be > 0", g.Name)
		}
		if g.Radio != nil {
			if err := g.Radio.Validate(); err != nil {
				add("group %s: %w", g.Name, err)
			}
		}
		c.checkPool(&g, add)
		k := g.Keepalive
		if !SpansFit(float64(g.StartDelay), float64(g.StartSpread)) ||
			!SpansFit(float64(k.Idle), float64(k.Count)*float64(k.Interval)) ||
			!SpansFit(float64(k.Misses)*float64(k.Interval), float64(k.Jitter), float64(k.Timeout)) ||
			!SpansFit(float64(g.RetransmitTimeout)) || !SpansFit(float64(g.Reconnect.MaxBackoff)) {
			add("group %s: a span or sum of spans exceeds %v", g.Name, MaxSpan)
		}
	}
	if runs := c.groupRuns(); runs > maxGroupRuns {
		add("too many groups (%d, counting one per path of a group that mixes paths; at most %d)", runs, maxGroupRuns)
	}
	if total > MaxClients {
		add("too many clients (%d, at most %d)", total, MaxClients)
	}
	if !(c.Sampling.Fraction >= 0 && c.Sampling.Fraction <= 1) {
		add("sampling fraction must be in [0, 1] (got %v)", c.Sampling.Fraction)
	}
	if c.Network.Loss < 0 || c.Network.Loss >= 1 || math.IsNaN(c.Network.Loss) {
		add("loss must be in [0, 1) (got %v)", c.Network.Loss)
	}
	if c.Network.RTT < 0 {
		add("rtt must be >= 0 (got %v)", c.Network.RTT)
	}
	return errors.Join(errs...)
}

// maxGroupRuns bounds the engine's groups: a client names its own in 16
// bits.
const maxGroupRuns = 1 << 16

// groupRuns counts the groups the engine runs: one per group, or one per
// path of a group that mixes paths.
func (c *Config) groupRuns() int {
	n := 0
	for _, g := range c.Groups {
		n += max(1, len(g.Paths))
	}
	return n
}

// validatePath checks that path names boxes of c, none twice.
func (c *Config) validatePath(group string, path []int, add func(string, ...any)) {
	seen := make([]bool, len(c.Path))
	for _, bi := range path {
		if bi < 0 || bi >= len(c.Path) || seen[bi] {
			add("group %s: path names middlebox %d twice or out of range", group, bi)
			return
		}
		seen[bi] = true
	}
}

// MaxClients bounds the clients of a run, all groups together: a client
// is numbered by a uint32 in events and table keys.
const MaxClients = math.MaxUint32 / 2

// MaxKeepaliveCount is the most TCP keepalive probes a connection may
// leave unanswered before it is dead: Linux refuses a larger TCP_KEEPCNT
// (MAX_TCP_KEEPCNT, 127).
const MaxKeepaliveCount = 127

// MaxMisses is the most app pongs a connection may miss in a row before it
// is dead: a client counts them in one byte.
const MaxMisses = 255

// maxPath bounds the number of middleboxes on a path.
const maxPath = 16

// MaxSpan bounds every span of a configuration and every sum of spans
// that the engine forms from one (start delay plus spread, a keepalive's
// probes, the run's duration): 100 years of simulated time. An instant
// is now plus such a span, so it stays below 200 years, well within
// time.Duration's 292.
const MaxSpan = 100 * 365 * 24 * time.Hour

// SpansFit reports whether a sum of spans (terms in nanoseconds, such as
// n x d) is within [0, MaxSpan]; it is computed in floating point so
// that it cannot overflow.
func SpansFit(terms ...float64) bool {
	sum := 0.0
	for _, t := range terms {
		sum += t
	}
	return sum >= 0 && sum <= float64(MaxSpan)
}

// EstimateBytes is a rough upper estimate of the memory one run of c
// needs, so that a scenario that cannot fit is refused before anything is
// allocated.
func (c *Config) EstimateBytes() int64 {
	clients := int64(c.Simulated())
	// A queued event is a 32-byte item; a table entry is a 48-byte slab
	// entry, a 64-byte simplelru entry and its map slot (16 B at a load
	// of one half). A client has its state, a port and a chain head per
	// middlebox, up to three queued events and a share of the latency
	// samples. On a path of several boxes an orphaned client has a
	// removal record per box in a map (24 B a slot, at a load down to
	// one half): counted as if every client were orphaned at once.
	const perEvent, perEntry, perRemoval = 32, 48 + 64 + 32, 48
	perClient := int64(unsafe.Sizeof(client{})) + 8*int64(len(c.Path)) + 3*perEvent + 16
	if len(c.Path) > 1 {
		perClient += perRemoval * int64(len(c.Path))
	}
	var radios int64 // a client with a radio has its states in its group's meter
	for _, g := range c.Groups {
		if g.Radio != nil {
			radios += int64(g.Count) * radio.StateBytes
		}
	}
	var entries int64
	for _, m := range c.Path {
		if m.PerClient {
			// A per-client box: a 32-byte slot per client, and about as
			// much again for the entries of the few that hold several.
			perClient += 64
			continue
		}
		n := 2 * clients // a closing connection keeps its entry while the next one opens
		if m.Capacity > 0 {
			n = min(n, int64(c.capacityOf(m)))
		}
		entries += n
	}
	return saturate(float64(64<<20+clients*perClient+entries*perEntry+radios) + float64(c.SeriesBytes()) + float64(c.latencyBytes()))
}

// SeriesBytes estimates the time series a run keeps (and a sweep keeps
// for every run): a sample per middlebox every SampleEvery, in a slice
// that grows by doubling.
func (c *Config) SeriesBytes() int64 {
	if c.SampleEvery <= 0 {
		return 0
	}
	samples := float64(c.Duration)/float64(c.SampleEvery) + 2
	return saturate(2 * samples * float64(len(c.Path)) * float64(unsafe.Sizeof(Sample{})))
}

// latencyBytes estimates the detection latencies a run collects, one per
// detected break, in a slice that grows by doubling. A connection breaks
// at most once per reconnect wait (half the backoff on average, full
// jitter) plus, unless a table is smaller than its clients and can evict
// it, the shortest idle timeout of the path; and a break takes at least
// four events.
func (c *Config) latencyBytes() int64 {
	clients := int64(c.Simulated())
	shortest, limited := time.Duration(math.MaxInt64), false
	for _, m := range c.Path {
		t := m.Timeouts
		shortest = min(shortest, t.TCPEstablished, t.TCPTransitory, t.UDP, t.UDPStream)
		limited = limited || (m.Capacity > 0 && int64(c.capacityOf(m)) < 2*clients)
	}
	breaks := 0.0
	for _, g := range c.Groups {
		gap := float64(g.Reconnect.Backoff) / 2
		if !limited {
			gap += float64(shortest)
		}
		breaks += c.sampledCount(&g) * float64(c.Duration) / max(gap, 1)
	}
	return saturate(16 * min(breaks, c.EstimateEvents()/4))
}

// EstimateEvents is about how many events a run processes: four per
// firing of a recurring timer (the firing and the packets it brings;
// the shipped examples take 1.4 to 4), four per client for its first
// connection, and the time-series samples.
func (c *Config) EstimateEvents() float64 {
	_, firings := c.timers()
	clients := c.Simulated()
	events := 4*firings*c.Duration.Seconds() + 4*clients
	if c.SampleEvery > 0 {
		events += float64(c.Duration) / float64(c.SampleEvery)
	}
	return events
}

// saturate converts a byte count to int64, saturating rather than
// overflowing.
func saturate(x float64) int64 {
	if !(x < math.MaxInt64/2) {
		return math.MaxInt64 / 2
	}
	return int64(x)
}

// horizon is how far ahead the event queue's calendar reaches: past the
// longest period that recurs for every client (keepalive intervals, idle
// times, mean gaps between messages and sessions), at most a day. Events
// beyond it wait in a heap.
func (c *Config) horizon() time.Duration {
	h := 10 * time.Second
	period := func(d time.Duration) {
		if d < 24*time.Hour {
			h = max(h, d)
		}
	}
	for _, g := range c.Groups {
		k := g.Keepalive
		period(k.Interval + k.Jitter)
		period(k.Idle)
		if k.Type == KeepaliveAdaptive {
			period(k.Adaptive.Max)
		}
		for _, d := range []Dist{g.Up.Interval, g.Down.Interval} {
			if !d.IsZero() {
				period(time.Duration(d.Mean()))
			}
		}
		if g.Session != nil {
			period(time.Duration(g.Session.Lifetime.Mean()))
			period(time.Duration(g.Session.Think.Mean()))
		}
		if g.Requests != nil {
			period(time.Duration(g.Requests.Interval.Mean()))
		}
	}
	return h + h/4
}

// timers describes the clients' recurring timers (a keepalive or ping
// timer, a server ping's watchdog, up and down messages, a session's
// end): how many wait in the queue at once, one per timer of every
// client, and about how many fire per second, each once per mean period
// (the watchdog, pushed back by every ping, hardly ever). The queue's
// calendar has a bucket for about every firing over its horizon, so that
// a bucket holds a few events (a firing brings a packet or two with it)
// and is sorted cheaply.
func (c *Config) timers() (waiting int, firings float64) {
	per := func(d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return 1 / d.Seconds()
	}
	for _, g := range c.Groups {
		n, rate := g.Keepalive.Type.Kind().timers(g.Keepalive)
		for _, d := range []Dist{g.Up.Interval, g.Down.Interval} {
			if !d.IsZero() {
				n++
				rate += per(time.Duration(d.Mean()))
			}
		}
		if g.Session != nil {
			n++
			rate += per(time.Duration(g.Session.Lifetime.Mean() + g.Session.Think.Mean()))
		}
		if g.Requests != nil {
			// A request's arrival, its response and its connection's idle
			// timer: about three events each.
			n += 2
			rate += 3 * per(time.Duration(g.Requests.Interval.Mean()))
		}
		waiting += int(c.sampledCount(&g)) * n
		firings += rate * c.sampledCount(&g)
	}
	return waiting, firings
}
