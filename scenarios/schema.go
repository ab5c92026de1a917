package scenarios

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a Go duration written as in `350s`, `4m` or `2h4m`.
type Duration time.Duration

// File is a scenario file as written. Pointer fields tell "not given"
// from a zero value, so that defaults and presets fill only what is
// missing.
type File struct {
	Name         string          `yaml:"name,omitempty"`
	Description  string          `yaml:"description,omitempty"`
	Seed         *uint64         `yaml:"seed,omitempty"`
	Duration     *Duration       `yaml:"duration,omitempty"`
	Warmup       *Duration       `yaml:"warmup,omitempty"`
	Replications *int            `yaml:"replications,omitempty"`
	SampleEvery  *Duration       `yaml:"sample_every,omitempty"`
	Path         []MiddleboxSpec `yaml:"path,omitempty"`        // the path of every group that names none
	Middleboxes  []MiddleboxSpec `yaml:"middleboxes,omitempty"` // boxes that groups name in their path
	Clients      []GroupSpec     `yaml:"clients,omitempty"`
	Network      NetworkSpec     `yaml:"network,omitempty"`
	Server       *ServerSpec     `yaml:"server,omitempty"` // every group's server, unless a group has its own
	Sweep        Sweep           `yaml:"sweep,omitempty"`
	Target       *TargetSpec     `yaml:"target,omitempty"`
	Sampling     *SamplingSpec   `yaml:"sampling,omitempty"`
	Advise       *AdviseSpec     `yaml:"advise,omitempty"`
}

// AdviseSpec is what natsim advise tunes: one duration, given to every
// key of Tune, searched in Range for the least Cost that meets the
// target, Margin below the cliff on top of the uncertainty.
type AdviseSpec struct {
	Tune   TuneKeys    `yaml:"tune,omitempty"`   // a key, or a list of keys tied to one value
	Range  TuneRange   `yaml:"range,omitempty"`  // [A, B], A < B
	Cost   *string     `yaml:"cost,omitempty"`   // a name of target.Costs; default the first
	Margin *MarginSpec `yaml:"margin,omitempty"` // a fraction such as 5% or a duration
}

// TuneKeys are the keys advise sets to one value: written as one key or
// a list of keys.
type TuneKeys []string

// TuneRange is the range [A, B] advise searches; both zero when not given.
type TuneRange struct{ Lo, Hi Duration }

// MarginSpec is a margin written as a fraction of the cliff (5%) or as a
// duration (15s).
type MarginSpec struct {
	Fraction float64  // of the cliff, in [0, 1)
	Span     Duration // or this
}

// SamplingSpec simulates a hash-chosen fraction of the clients, shared
// capacities scaled to match (--sample and --salt set it).
type SamplingSpec struct {
	Fraction *float64 `yaml:"fraction,omitempty"` // in (0, 1]
	Salt     *uint64  `yaml:"salt,omitempty"`     // default 0
}

// TargetSpec is the target every client group must meet: limits on
// upper confidence bounds (internal/target).
type TargetSpec struct {
	BreaksPer1000ClientHours *float64 `yaml:"breaks_per_1000_client_hours,omitempty"`
	DowntimeFraction         *float64 `yaml:"downtime_fraction,omitempty"`
	LostPer1000Messages      *float64 `yaml:"lost_per_1000_messages,omitempty"`
	PushDelayP99S            *float64 `yaml:"push_delay_p99_s,omitempty"`
	FailedPerMillionRequests *float64 `yaml:"failed_per_million_requests,omitempty"` // of request-driven groups
	Confidence               *float64 `yaml:"confidence,omitempty"`                  // default 0.95
}

// ServerSpec is the server end, top level or per group: its
// enforcement of its clients' pings, gRPC style (for groups whose
// clients ping: keepalive app or adaptive), and its keep-alive idle
// timeout (for request-driven groups).
type ServerSpec struct {
	MinPingInterval  *Duration `yaml:"min_ping_interval,omitempty"`
	MaxPingStrikes   *int      `yaml:"max_ping_strikes,omitempty"`
	KeepaliveTimeout *Duration `yaml:"keepalive_timeout,omitempty"`
}

// BoxNames is a group's path: names of middleboxes, client side first.
// nil: not given; empty: given as [] (a mistake the resolver reports).
type BoxNames []string

// MiddleboxSpec is one middlebox, of the top-level path or of the
// middleboxes list. Without a preset every
// field must be given; with one, what is written overrides the preset.
type MiddleboxSpec struct {
	Name               string       `yaml:"name,omitempty"`
	Preset             *string      `yaml:"preset,omitempty"`
	Capacity           *Count       `yaml:"capacity,omitempty"`
	Instances          *string      `yaml:"instances,omitempty"` // shared (default) or per-client
	WhenFull           *string      `yaml:"when_full,omitempty"`
	Timeouts           TimeoutsSpec `yaml:"timeouts,omitempty"`
	RefreshInbound     *bool        `yaml:"refresh_inbound,omitempty"`
	RefreshOnKeepalive *bool        `yaml:"refresh_on_keepalive,omitempty"`
	OnExpire           *string      `yaml:"on_expire,omitempty"`
	UnknownOutbound    *string      `yaml:"unknown_outbound,omitempty"`
	UnknownInbound     *string      `yaml:"unknown_inbound,omitempty"`
	PortPreservation   *bool        `yaml:"port_preservation,omitempty"`
	// Optional in every case (a box without them is an L3/L4 box that
	// counts every packet as activity).
	Activity                *string   `yaml:"activity,omitempty"`                  // packets | data
	BackendKeepaliveTimeout *Duration `yaml:"backend_keepalive_timeout,omitempty"` // an L7 box's own backend idle timeout
}

// optionalBoxFields are the fields of MiddleboxSpec that a box without a
// preset may leave out.
var optionalBoxFields = []string{"preset", "instances", "activity", "backend_keepalive_timeout"}

// TimeoutsSpec are the idle timeouts per entry class, each a duration or
// a distribution drawn once per instance of the box.
type TimeoutsSpec struct {
	TCPEstablished *Dist `yaml:"tcp_established,omitempty"`
	TCPTransitory  *Dist `yaml:"tcp_transitory,omitempty"`
	UDP            *Dist `yaml:"udp,omitempty"`
	UDPStream      *Dist `yaml:"udp_stream,omitempty"`
}

// GroupSpec is one client group.
type GroupSpec struct {
	Name              string        `yaml:"name,omitempty"`
	Count             *int          `yaml:"count,omitempty"`
	Protocol          *string       `yaml:"protocol,omitempty"`
	StartDelay        *Duration     `yaml:"start_delay,omitempty"`
	StartSpread       *Duration     `yaml:"start_spread,omitempty"`
	Traffic           TrafficSpec   `yaml:"traffic,omitempty"`
	Keepalive         KeepaliveSpec `yaml:"keepalive,omitempty"`
	Reconnect         ReconnectSpec `yaml:"reconnect,omitempty"`
	Session           *SessionSpec  `yaml:"session,omitempty"`
	RetransmitTimeout *Duration     `yaml:"retransmit_timeout,omitempty"`
	UDPRebinding      *string       `yaml:"udp_rebinding,omitempty"`
	Path              BoxNames      `yaml:"path,omitempty,flow"` // nil: the top-level path
	Paths             PathSpecs     `yaml:"paths,omitempty"`     // paths each client draws one of; not with path
	Radio             *RadioSpec    `yaml:"radio,omitempty"`     // nil: energy not measured
	Server            *ServerSpec   `yaml:"server,omitempty"`    // nil: the top-level server's
	Requests          *RequestsSpec `yaml:"requests,omitempty"`
	Pool              *PoolSpec     `yaml:"pool,omitempty"`
}

// RequestsSpec makes a group request-driven.
type RequestsSpec struct {
	Interval      *Dist     `yaml:"interval,omitempty"`
	Service       *Duration `yaml:"service,omitempty"`
	RequestBytes  *int      `yaml:"request_bytes,omitempty"`
	ResponseBytes *int      `yaml:"response_bytes,omitempty"`
	Idempotent    *float64  `yaml:"idempotent,omitempty"`
	Timeout       *Duration `yaml:"timeout,omitempty"`
}

// PoolSpec is a request-driven group's connection pool; a preset fills
// what is not written.
type PoolSpec struct {
	Preset            *string    `yaml:"preset,omitempty"`
	MaxIdle           *int       `yaml:"max_idle,omitempty"`
	IdleTimeout       *Duration  `yaml:"idle_timeout,omitempty"`
	MaxLifetime       *Duration  `yaml:"max_lifetime,omitempty"`
	LifetimeJitter    *Share     `yaml:"lifetime_jitter,omitempty"`
	Reuse             *string    `yaml:"reuse,omitempty"`
	Validate          *string    `yaml:"validate,omitempty"`
	ValidationTimeout *Duration  `yaml:"validation_timeout,omitempty"`
	ValidationBypass  *Duration  `yaml:"validation_bypass,omitempty"`
	Retry             *RetrySpec `yaml:"retry,omitempty"`
}

// Share is a fraction written as a number (0.025) or a percentage
// ("2.5%").
type Share float64

// RetrySpec is a retry rule: a name (none, go, urllib3, database-sql)
// or {attempts: N}.
type RetrySpec struct {
	Name     string
	Attempts int
}

// PathSpecs is a group's paths: each client draws one by weight. Its
// items have no name: a key addresses them by index, from 0.
type PathSpecs []PathSpec

// PathSpec is one of a group's paths and its weight.
type PathSpec struct {
	Via    BoxNames `yaml:"via,omitempty,flow"` // middleboxes, client side first
	Weight *float64 `yaml:"weight,omitempty"`   // >= 0; default 1
}

// TrafficSpec holds the two directions' messages.
type TrafficSpec struct {
	Up   *MessagesSpec `yaml:"up,omitempty"`
	Down *MessagesSpec `yaml:"down,omitempty"`
}

// MessagesSpec is one direction's messages.
type MessagesSpec struct {
	Interval *Dist `yaml:"interval,omitempty"`
	Bytes    *int  `yaml:"bytes,omitempty"`
}

// KeepaliveSpec is a group's keepalive; which fields apply depends on Type.
type KeepaliveSpec struct {
	Type          *string   `yaml:"type,omitempty"`
	Idle          *Duration `yaml:"idle,omitempty"`
	Interval      *Duration `yaml:"interval,omitempty"`
	Count         *int      `yaml:"count,omitempty"`
	Jitter        *Duration `yaml:"jitter,omitempty"`
	Timeout       *Duration `yaml:"timeout,omitempty"`
	Misses        *int      `yaml:"misses,omitempty"`
	RequestBytes  *int      `yaml:"request_bytes,omitempty"`
	ResponseBytes *int      `yaml:"response_bytes,omitempty"`
	IdleOnly      *bool     `yaml:"idle_only,omitempty"`
	// adaptive
	Preset     *string   `yaml:"preset,omitempty"`
	Min        *Duration `yaml:"min,omitempty"`
	Max        *Duration `yaml:"max,omitempty"`
	Start      *Duration `yaml:"start,omitempty"`
	Step       *Duration `yaml:"step,omitempty"`
	Margin     *Duration `yaml:"margin,omitempty"`
	Resolution *Duration `yaml:"resolution,omitempty"`
	Reprobe    *Duration `yaml:"reprobe,omitempty"`
	Successes  *int      `yaml:"successes,omitempty"`
	Failures   *int      `yaml:"failures,omitempty"`
	WarmUp     *int      `yaml:"warm_up,omitempty"`
	ResetAfter *int      `yaml:"reset_after,omitempty"`
	AckTimeout *Duration `yaml:"ack_timeout,omitempty"`
}

// ReconnectSpec is what a client does after losing its connection.
type ReconnectSpec struct {
	Backoff          *Duration `yaml:"backoff,omitempty"`
	MaxBackoff       *Duration `yaml:"max_backoff,omitempty"`
	HandshakePackets *int      `yaml:"handshake_packets,omitempty"`
	HandshakeBytes   *int      `yaml:"handshake_bytes,omitempty"`
}

// SessionSpec makes connections finite.
type SessionSpec struct {
	Lifetime *Dist `yaml:"lifetime,omitempty"`
	Think    *Dist `yaml:"think,omitempty"`
}

// NetworkSpec is the path's delay and loss.
type NetworkSpec struct {
	RTT  *Duration `yaml:"rtt,omitempty"`
	Loss *float64  `yaml:"loss,omitempty"`
}

// Dist is a distribution as written: a duration (constant) or one of
// {exponential: MEAN}, {uniform: [MIN, MAX]}, {lognormal: {median: D,
// sigma: X}}, {pareto: {scale: D, shape: X}}, {choice: [V...], weights:
// [W...]} (weights optional: equal).
type Dist struct {
	Kind    string // constant, exponential, uniform, lognormal, pareto, choice
	A, B    Duration
	Shape   float64
	Values  []Duration // choice
	Weights []float64  // choice; nil: equal weights
}

// Fixed is the value of a constant distribution.
func (d *Dist) Fixed() (Duration, bool) { return d.A, d.Kind == "constant" }

// Count is a whole number that may be drawn, as a box's capacity: a
// number, or a distribution written as a Dist is, with numbers for
// durations. Its values are carried in the Dist's Duration fields.
type Count Dist

// Sweep is the `sweep:` block: swept keys in file order, each with its
// values. The sweep's points are the cartesian product of its axes: an
// axis is one key, or keys written under `zip:` (or joined by ';' in one
// --param) that move together, point i of the axis taking the i-th value
// of each.
type Sweep []SweepKey

// SweepKey is one swept field and the values it takes.
type SweepKey struct {
	Key    string
	Values []string
	zipped bool         // moves with the key before it: the same axis
	field  string       // where the sweep block names it: sweep.KEY or sweep.zip.KEY ("" for a flag)
	nodes  []*yaml.Node // the values' nodes in the sweep block, so that problems point at them
	line   int          // where the sweep block names it (0 for a flag)
	col    int
	flag   string // the --param flag that gave it, if any
}
