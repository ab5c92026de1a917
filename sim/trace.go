package sim

import "time"

// TraceKind says what happened to a client's connection.
type TraceKind uint8

const (
	TraceConnected     TraceKind = iota // a connection was set up
	TraceBreak                          // a break was decided (dated at the removal; Decided: when)
	TraceLearned                        // the client learned its connection was dead
	TraceRemap                          // an entry was re-created with the same port
	TraceRefused                        // a connection attempt met a full table
	TraceRebinding                      // a UDP flow came back on a new port and the server followed it
	TraceRemoved                        // a box removed the flow's entry (Box, Cause; dated at the removal)
	TraceKeepalive                      // a keepalive was sent (Packet; Seq)
	TraceAnswered                       // a keepalive's answer reached its sender (Packet; Seq)
	TraceMissed                         // a ping's answer did not come back in time (Seq: misses in a row)
	TraceMet                            // a packet met something other than its entry at a box (Packet, Met, Box)
	TraceServerReset                    // the server answered a packet of a connection it does not know with RST
	TraceServerGaveUp                   // the server gave up on the connection and closed its side
	TraceClosed                         // the client closed the connection at the end of its session
	TraceServerGoAway                   // the server sent GOAWAY too_many_pings and closed its side
	TraceAttemptFailed                  // an attempt of a pooled request failed, learned now (Cause: reset_on_reuse, closed_on_reuse, lb_502, timed_out_hung, refused_open; Issued, Idempotent)
	TraceRequest                        // a pooled request ended (Cause: ok_reused, ok_new, retried_ok, or its last attempt's failure; Issued, Idempotent)
)

var traceNames = [...]string{"connected", "break", "learned", "remap", "refused", "rebinding",
	"removed", "keepalive", "answered", "missed", "met", "server_reset", "server_gave_up", "closed", "server_goaway",
	"attempt_failed", "request"}

func (k TraceKind) String() string { return traceNames[k] }

// How says how a client learned that its connection was dead.
type How uint8

const (
	HowReset       How = iota + 1 // an RST (from the server or the middlebox)
	HowKeepalive                  // TCP keepalive: count probes unanswered (ETIMEDOUT)
	HowMissedPongs                // app keepalive: misses pongs missed
	HowWatchdog                   // server-app: no server ping for too long
	HowRetransmit                 // unacknowledged data past retransmit_timeout
	HowGoAway                     // the server's GOAWAY too_many_pings (the connection was alive)
)

var howNames = [...]string{"", "reset", "keepalive timeout", "missed pongs", "no server ping", "retransmission timeout", "GOAWAY too_many_pings"}

func (h How) String() string { return howNames[h] }

// Met is what a packet met at a box instead of its flow's entry.
type Met uint8

const (
	MetNewPort Met = iota + 1 // the box made a new entry with another external port
	MetDropped                // no entry: the box dropped the packet
	MetRefused                // the table was full: no room for a new entry
	MetReset                  // no entry: the box answered the server with RST
)

var metNames = [...]string{"", "new port", "dropped", "refused", "reset"}

func (m Met) String() string { return metNames[m] }

// TraceEvent is one line of a client's story, recorded when Config.Trace
// is set (kernel-check compares these with real sockets; natsim explain
// tells them). RunResult.Trace is in order of At: an event dated in the
// past (a removal found late, a break dated at its removal) takes its
// place among the events recorded before it.
type TraceEvent struct {
	At     time.Duration
	Client uint32
	Kind   TraceKind
	How    How    // for TraceLearned
	Cause  string // for TraceBreak and TraceRemoved: idle_timeout, lru_eviction, ...
	Box    string // for TraceBreak, TraceRemoved and TraceMet: the middlebox's name
	// Packet names the packet: for TraceKeepalive and TraceAnswered,
	// "probe", "ping" (the client's) or "server ping"; for TraceMet, one
	// of the names in packetNames.
	Packet string
	Met    Met    // for TraceMet
	Seq    uint32 // TraceKeepalive, TraceAnswered: the ping's number, or the TCP probe's in its run of unanswered ones; TraceMissed: misses in a row
	// Decided is, for TraceBreak, when a packet or a timer made the
	// removal a break (At is the removal).
	Decided time.Duration
	// Issued is, for TraceAttemptFailed and TraceRequest, when the
	// request was issued (it names the request among its client's).
	Issued time.Duration
	// Idempotent is, for TraceAttemptFailed and TraceRequest, whether the
	// request was drawn idempotent (a GET rather than a POST).
	Idempotent bool
}

var causeNames = [...]string{"idle_timeout", "lru_eviction", "early_drop", "reset_on_expire"}

// TraceFilter narrows a trace, for a large run; its zero value keeps
// every event of every client.
type TraceFilter struct {
	One    bool   // keep only client Client's events
	Client uint32 // its index over all groups in order (Config.ClientIndex)
	Breaks bool   // keep only TraceBreak events
}

// keeps reports whether the filter keeps an event of kind for client ci.
func (f TraceFilter) keeps(ci uint32, kind TraceKind) bool {
	return (!f.One || ci == f.Client) && (!f.Breaks || kind == TraceBreak)
}

// ClientIndex returns the index over all groups (as in TraceEvent.Client
// and TraceFilter.Client) of client n (from 0) of the named group.
func (c *Config) ClientIndex(group string, n int) (uint32, bool) {
	base := 0
	for _, g := range c.Groups {
		if g.Name == group {
			if n < 0 || n >= g.Count {
				return 0, false
			}
			return uint32(base + n), true
		}
		base += g.Count
	}
	return 0, false
}

// ClientOf is ClientIndex's inverse: the group (its index in Groups) and
// the number in it of client ci; ok is false past the last client.
func (c *Config) ClientOf(ci uint32) (group, n int, ok bool) {
	rest := int(ci)
	for gi, g := range c.Groups {
		if rest < g.Count {
			return gi, rest, true
		}
		rest -= g.Count
	}
	return 0, 0, false
}
