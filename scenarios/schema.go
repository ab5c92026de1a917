package scenarios

import "time"

// Duration is a Go duration written as in `350s`, `4m` or `2h4m`.
type Duration time.Duration

// File is a scenario file as written. Pointer fields tell "not given"
// from a zero value, so that defaults and presets fill only what is
// missing.
type File struct {
	Name         string          `yaml:"name"`
	Description  string          `yaml:"description"`
	Seed         *uint64         `yaml:"seed"`
	Duration     *Duration       `yaml:"duration"`
	Warmup       *Duration       `yaml:"warmup"`
	Replications *int            `yaml:"replications"`
	SampleEvery  *Duration       `yaml:"sample_every"`
	Path         []MiddleboxSpec `yaml:"path"`
	Clients      []GroupSpec     `yaml:"clients"`
	Network      NetworkSpec     `yaml:"network"`
	Sweep        Sweep           `yaml:"sweep"`
}

// MiddleboxSpec is one middlebox of the path. Without a preset every
// field must be given; with one, what is written overrides the preset.
type MiddleboxSpec struct {
	Name               string       `yaml:"name"`
	Preset             *string      `yaml:"preset"`
	Capacity           *int         `yaml:"capacity"`
	WhenFull           *string      `yaml:"when_full"`
	Timeouts           TimeoutsSpec `yaml:"timeouts"`
	RefreshInbound     *bool        `yaml:"refresh_inbound"`
	RefreshOnKeepalive *bool        `yaml:"refresh_on_keepalive"`
	OnExpire           *string      `yaml:"on_expire"`
	UnknownOutbound    *string      `yaml:"unknown_outbound"`
	UnknownInbound     *string      `yaml:"unknown_inbound"`
	PortPreservation   *bool        `yaml:"port_preservation"`
}

// TimeoutsSpec are the idle timeouts per entry class.
type TimeoutsSpec struct {
	TCPEstablished *Duration `yaml:"tcp_established"`
	TCPTransitory  *Duration `yaml:"tcp_transitory"`
	UDP            *Duration `yaml:"udp"`
	UDPStream      *Duration `yaml:"udp_stream"`
}

// GroupSpec is one client group.
type GroupSpec struct {
	Name              string        `yaml:"name"`
	Count             *int          `yaml:"count"`
	Protocol          *string       `yaml:"protocol"`
	StartSpread       *Duration     `yaml:"start_spread"`
	Traffic           TrafficSpec   `yaml:"traffic"`
	Keepalive         KeepaliveSpec `yaml:"keepalive"`
	Reconnect         ReconnectSpec `yaml:"reconnect"`
	Session           *SessionSpec  `yaml:"session"`
	RetransmitTimeout *Duration     `yaml:"retransmit_timeout"`
}

// TrafficSpec holds the two directions' messages.
type TrafficSpec struct {
	Up   *MessagesSpec `yaml:"up"`
	Down *MessagesSpec `yaml:"down"`
}

// MessagesSpec is one direction's messages.
type MessagesSpec struct {
	Interval *Dist `yaml:"interval"`
	Bytes    *int  `yaml:"bytes"`
}

// KeepaliveSpec is a group's keepalive; which fields apply depends on Type.
type KeepaliveSpec struct {
	Type          *string   `yaml:"type"`
	Idle          *Duration `yaml:"idle"`
	Interval      *Duration `yaml:"interval"`
	Count         *int      `yaml:"count"`
	Jitter        *Duration `yaml:"jitter"`
	Timeout       *Duration `yaml:"timeout"`
	Misses        *int      `yaml:"misses"`
	RequestBytes  *int      `yaml:"request_bytes"`
	ResponseBytes *int      `yaml:"response_bytes"`
	IdleOnly      *bool     `yaml:"idle_only"`
}

// ReconnectSpec is what a client does after losing its connection.
type ReconnectSpec struct {
	Backoff          *Duration `yaml:"backoff"`
	MaxBackoff       *Duration `yaml:"max_backoff"`
	HandshakePackets *int      `yaml:"handshake_packets"`
	HandshakeBytes   *int      `yaml:"handshake_bytes"`
}

// SessionSpec makes connections finite.
type SessionSpec struct {
	Lifetime *Dist `yaml:"lifetime"`
	Think    *Dist `yaml:"think"`
}

// NetworkSpec is the path's delay and loss.
type NetworkSpec struct {
	RTT  *Duration `yaml:"rtt"`
	Loss *float64  `yaml:"loss"`
}

// Dist is a distribution as written: a duration (constant) or one of
// {exponential: MEAN}, {uniform: [MIN, MAX]}, {lognormal: {median: D,
// sigma: X}}, {pareto: {scale: D, shape: X}}.
type Dist struct {
	Kind  string // constant, exponential, uniform, lognormal, pareto
	A, B  Duration
	Shape float64
}

// Sweep is the `sweep:` block: swept keys in file order, each with its
// values.
type Sweep []SweepKey

// SweepKey is one swept field and the values it takes.
type SweepKey struct {
	Key    string
	Values []string
	line   int
}
