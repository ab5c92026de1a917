package sim

import "time"

// TraceKind says what happened to a client's connection.
type TraceKind uint8

const (
	TraceConnected TraceKind = iota // a connection was set up
	TraceBreak                      // a break was decided (dated at the removal)
	TraceLearned                    // the client learned its connection was dead
	TraceRemap                      // an entry was re-created with the same port
	TraceRefused                    // a connection attempt met a full table
	TraceRebinding                  // a UDP flow came back on a new port and the server followed it
)

var traceNames = [...]string{"connected", "break", "learned", "remap", "refused", "rebinding"}

func (k TraceKind) String() string { return traceNames[k] }

// How says how a client learned that its connection was dead.
type How uint8

const (
	HowReset       How = iota + 1 // an RST (from the server or the middlebox)
	HowKeepalive                  // TCP keepalive: count probes unanswered (ETIMEDOUT)
	HowMissedPongs                // app keepalive: misses pongs missed
	HowWatchdog                   // server-app: no server ping for too long
	HowRetransmit                 // unacknowledged data past retransmit_timeout
)

var howNames = [...]string{"", "reset", "keepalive timeout", "missed pongs", "no server ping", "retransmission timeout"}

func (h How) String() string { return howNames[h] }

// TraceEvent is one line of a client's story, recorded when
// Config.Trace is set (kernel-check compares these with real sockets).
type TraceEvent struct {
	At     time.Duration
	Client uint32
	Kind   TraceKind
	How    How    // for TraceLearned
	Cause  string // for TraceBreak: idle_timeout, lru_eviction, ...
}

var causeNames = [...]string{"idle_timeout", "lru_eviction", "early_drop", "reset_on_expire"}
