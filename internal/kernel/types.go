package kernel

import (
	"fmt"
	"time"

	"github.com/natsim/natsim/sim"
)

// UsernsEnv marks a natsim that runs again inside an unprivileged user
// namespace to build its labs.
const UsernsEnv = "NATSIM_IN_USERNS"

// Box is how the nat namespace is set up: the scaled timeouts (whole
// seconds, as the sysctls take them) and the translation options.
type Box struct {
	Established int  // nf_conntrack_tcp_timeout_established, s
	UDP         int  // nf_conntrack_udp_timeout, s
	UDPStream   int  // nf_conntrack_udp_timeout_stream, s
	Loose       bool // nf_conntrack_tcp_loose: pick up mid-flow TCP
	FullyRandom bool // masquerade fully-random: a new port for a re-created entry
	Capacity    int  // most TCP connections at once (nft ct count; 0: no limit)
}

// Flow is one real connection through the lab, with the settings of its
// client group scaled to the lab's clock.
type Flow struct {
	Name      string // group/index
	UDP       bool
	Rebinding sim.Rebinding // UDP: the server follows a new source address or drops it
	Keepalive sim.Keepalive // scaled; TCP idle, interval in whole seconds
	Up, Down  time.Duration // constant gaps between messages each way (0: none)
	Port      int           // server port of this flow
	Start     time.Duration // when the flow opens, after the first one
}

// Seen is what one side saw of a flow: the connection survived the
// window, or its end was learned at At (since the flow started) by How.
type Seen struct {
	Refused  bool // the connection could not be opened (a full table)
	Alive    bool
	Remapped bool // alive, but its entry was re-created on the way (same port)
	Rebound  bool // alive, but its UDP entry was re-created on a new port, which the server followed
	At       time.Duration
	How      sim.How
}

func (s Seen) String() string {
	if s.Refused {
		return "refused"
	}
	if s.Alive {
		out := "alive"
		if s.Remapped {
			out += ", remapped"
		}
		if s.Rebound {
			out += ", rebound"
		}
		return out
	}
	return fmt.Sprintf("%s at %.2fs", s.How, s.At.Seconds())
}
