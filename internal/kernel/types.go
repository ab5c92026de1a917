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
	Pool      *PoolFlow     // a request-driven group's flow (nil: one long-lived connection)
}

// PoolFlow is a request-driven group in the lab: a Go net/http client
// issuing requests at a constant gap, the first at the flow's start,
// over its Transport's keep-alive pool, to a Go net/http server.
type PoolFlow struct {
	Gap time.Duration // between requests
	// Idempotent is the share of GETs (Go retries them) among POSTs (not
	// retried once written): at 0 or 1 one method; between, each
	// request's method is natsim's draw, in Methods.
	Idempotent      float64
	Methods         []string      // each request's method, in order, set by Plan.Simulate
	Timeout         time.Duration // http.Client.Timeout: a hung request fails then
	Service         time.Duration // the handler's time to answer
	MaxIdle         int           // Transport.MaxIdleConnsPerHost
	IdleTimeout     time.Duration // Transport.IdleConnTimeout (0: none)
	ServerKeepalive time.Duration // http.Server.IdleTimeout (0: none)
}

// Method is the HTTP method of the flow's n-th request (from 0):
// natsim's draw if Plan.Simulate made one, else the flow's one method.
func (p *PoolFlow) Method(n int) string {
	switch {
	case n < len(p.Methods):
		return p.Methods[n]
	case p.Idempotent >= 0.5:
		return "GET"
	}
	return "POST"
}

// Outcomes of a pooled request, as both sides name them.
const (
	OKReused     = "ok reused"          // first attempt, on a pooled connection
	OKNew        = "ok new"             // first attempt, on a new connection
	RetriedOK    = "retried ok"         // a failed attempt, then success on another connection
	FailedReset  = "failed reset"       // an RST (ECONNRESET) on a reused connection, not retried
	FailedClosed = "failed closed"      // EOF: the server had closed the connection, not retried
	Hung         = "hung until timeout" // no answer until the request's timeout
)

// Request is what one side saw of one pooled request: its outcome and,
// unless it succeeded at once, when (since it was issued) its client
// learned that an attempt failed: the first failed attempt of a retried
// request, the last of a failed one.
type Request struct {
	Issued  time.Duration // since the flow's start
	Method  string        // GET or POST
	Outcome string
	At      time.Duration
}

// Failed reports whether an attempt of the request failed.
func (r Request) Failed() bool { return r.Outcome != OKReused && r.Outcome != OKNew }

func (r Request) String() string {
	if !r.Failed() {
		return r.Outcome
	}
	return fmt.Sprintf("%s at +%.3fs", r.Outcome, r.At.Seconds())
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
	Requests []Request // a pooled flow's requests, in the order issued
}

func (s Seen) String() string {
	if s.Requests != nil {
		return fmt.Sprintf("%d requests", len(s.Requests))
	}
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
