package nat

import (
	"errors"
	"fmt"
	"time"
)

// WhenFull is what a new entry meets in a full table.
type WhenFull uint8

const (
	// LRU evicts the least recently refreshed entry.
	LRU WhenFull = iota
	// Refuse drops the new flow's packet (AWS and Azure NAT gateways, VPP).
	Refuse
	// EarlyDrop evicts the least recently refreshed entry that is not
	// assured, else refuses (Linux conntrack, idealised).
	EarlyDrop
)

// OnExpire is what the box does when an entry expires.
type OnExpire uint8

const (
	// ExpireSilent lets the state vanish.
	ExpireSilent OnExpire = iota
	// ExpireReset sends RST to both ends at expiry (Azure LB "TCP reset on idle").
	ExpireReset
	// ExpireFin closes both ends gracefully at expiry with a FIN (an L7
	// load balancer closing an idle connection): for the table it is
	// ExpireReset; the ends see a close rather than a reset.
	ExpireFin
)

// Unknown is what the box does with a packet that has no entry.
type Unknown uint8

const (
	// Create makes a new entry (outbound only: Linux tcp_loose=1, UDP everywhere).
	Create Unknown = iota
	// Drop discards the packet silently.
	Drop
	// SendReset answers the sender with TCP RST or ICMP unreachable
	// (inbound only: Linux and AWS NAT gateway).
	SendReset
)

var (
	whenFullNames = [...]string{LRU: "lru", Refuse: "refuse", EarlyDrop: "early-drop"}
	onExpireNames = [...]string{ExpireSilent: "silent", ExpireReset: "reset", ExpireFin: "fin"}
	unknownNames  = [...]string{Create: "create", Drop: "drop", SendReset: "reset"}
)

func (w WhenFull) String() string { return enumName(whenFullNames[:], int(w)) }
func (o OnExpire) String() string { return enumName(onExpireNames[:], int(o)) }
func (u Unknown) String() string  { return enumName(unknownNames[:], int(u)) }

func enumName(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("invalid(%d)", i)
}

// Timeouts are the idle timeouts of the four entry classes.
type Timeouts struct {
	TCPEstablished time.Duration // established TCP
	TCPTransitory  time.Duration // TCP handshake and closing states
	UDP            time.Duration // UDP with no reply seen yet (or younger than 2 s)
	UDPStream      time.Duration // UDP with a reply seen, entry older than 2 s
}

// Config describes one middlebox table. The zero value is not valid: every
// timeout must be positive.
type Config struct {
	Capacity           int      // most entries held at once; 0 = unlimited
	Timeouts           Timeouts // idle timeout per class
	WhenFull           WhenFull // policy for a new entry in a full table
	RefreshInbound     bool     // inbound packets refresh an entry
	RefreshOnKeepalive bool     // zero-payload TCP keepalive probes (and their ACKs) refresh
	OnExpire           OnExpire // what expiry does to the connection's ends
	UnknownOutbound    Unknown  // Create or Drop
	UnknownInbound     Unknown  // Drop or SendReset
	PortPreservation   bool     // a re-created entry keeps the flow's external port
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Capacity < 0 {
		errs = append(errs, fmt.Errorf("nat: capacity must be >= 0 (got %d)", c.Capacity))
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"tcp_established", c.Timeouts.TCPEstablished},
		{"tcp_transitory", c.Timeouts.TCPTransitory},
		{"udp", c.Timeouts.UDP},
		{"udp_stream", c.Timeouts.UDPStream},
	} {
		if t.d <= 0 {
			errs = append(errs, fmt.Errorf("nat: timeout %s must be > 0 (got %v)", t.name, t.d))
		}
	}
	if int(c.WhenFull) >= len(whenFullNames) {
		errs = append(errs, fmt.Errorf("nat: when_full is %v", c.WhenFull))
	}
	if int(c.OnExpire) >= len(onExpireNames) {
		errs = append(errs, fmt.Errorf("nat: on_expire is %v", c.OnExpire))
	}
	if c.UnknownOutbound != Create && c.UnknownOutbound != Drop {
		errs = append(errs, fmt.Errorf("nat: unknown_outbound must be create or drop (got %v)", c.UnknownOutbound))
	}
	if c.UnknownInbound != Drop && c.UnknownInbound != SendReset {
		errs = append(errs, fmt.Errorf("nat: unknown_inbound must be drop or reset (got %v)", c.UnknownInbound))
	}
	return errors.Join(errs...)
}

// of returns the timeout of an entry class.
func (t Timeouts) of(c class) time.Duration {
	switch c {
	case classTCPEstablished:
		return t.TCPEstablished
	case classTCPTransitory:
		return t.TCPTransitory
	case classUDP:
		return t.UDP
	default:
		return t.UDPStream
	}
}
