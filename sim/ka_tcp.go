package sim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/natsim/natsim/nat"
)

// Linux's TCP keepalive defaults (net.ipv4.tcp_keepalive_time, _intvl,
// _probes), taken when a scenario leaves them out.
const (
	LinuxKeepaliveIdle     = 7200 * time.Second
	LinuxKeepaliveInterval = 75 * time.Second
	LinuxKeepaliveCount    = 9
)

// probeBytes is the size of a TCP keepalive probe and of its ACK (IPv4,
// timestamps).
const probeBytes = 52

// tcpKeepalive is Linux's tcp_keepalive_timer: probes start after Idle
// without receiving anything, repeat every Interval while unanswered, and
// after Count unanswered probes the connection is dead (ETIMEDOUT). While
// data is unacknowledged the retransmission timer is in charge instead.
// It counts unanswered probes in c.unanswered and uses no kaState.
type tcpKeepalive struct{ Keepalive }

func init() {
	register(&KeepaliveKind{
		Type: KeepaliveTCP, Name: "tcp", TCPOnly: true, Driver: DriveTCPOption,
		Fields: []KeepaliveField{
			{Name: "idle", Duration: func(k *Keepalive) *time.Duration { return &k.Idle }, Default: int64(LinuxKeepaliveIdle)},
			{Name: "interval", Duration: func(k *Keepalive) *time.Duration { return &k.Interval }, Default: int64(LinuxKeepaliveInterval)},
			{Name: "count", Count: func(k *Keepalive) *int { return &k.Count }, Default: LinuxKeepaliveCount},
		},
		Summary: func(k Keepalive) string { return fmt.Sprintf("TCP idle %v, %d x %v", k.Idle, k.Count, k.Interval) },
		check: func(k Keepalive) []FieldProblem {
			p := append(positive("idle", k.Idle), positive("interval", k.Interval)...)
			p = append(p, countIn("count", k.Count, 1, MaxKeepaliveCount, " (Linux refuses a larger TCP_KEEPCNT)")...)
			return append(p, spanSum("count", "idle + count x interval", strconv.Itoa(k.Count), float64(k.Idle), float64(k.Count)*float64(k.Interval))...)
		},
		timers: func(k Keepalive) (int, float64) { return 1, perSecond(k.Idle) },
		make:   func(k Keepalive) keepaliver { return &tcpKeepalive{k} },
	})
}

func (k *tcpKeepalive) start(s *sim, ci uint32, c *client) {
	s.at(s.now+k.Idle, event{Kind: evKaTimer, Client: ci, Conn: c.conn})
}

func (k *tcpKeepalive) timer(s *sim, ci uint32, c *client) {
	if c.state != stOpen {
		return
	}
	ev := event{Kind: evKaTimer, Client: ci, Conn: c.conn}
	if c.is(fCliRetrying) {
		s.at(s.now+k.Idle, ev)
		return
	}
	if !s.due(c.heard+k.Idle, ci, c, evKaTimer) {
		c.unanswered = 0 // something was received: the idle wait restarts
		return
	}
	if int(c.unanswered) >= k.Count {
		s.learnDead(ci, c, HowKeepalive)
		return
	}
	c.unanswered++
	s.rec.keepalive(ci, c, probeBytes)
	s.rec.sentKeepalive(ci, "probe", uint32(c.unanswered))
	res := s.crossOut(ci, c, nat.Probe)
	s.settleOut(ci, c, res)
	s.toServer(ci, c, res, pProbe)
	if c.state == stOpen {
		s.at(s.now+k.Interval, ev)
	}
}

// atServer answers a probe with its ACK.
func (k *tcpKeepalive) atServer(s *sim, ci uint32, c *client, arg uint32) {
	if arg&pTypeMask == pProbe {
		s.rec.keepaliveAnswer(ci, c, probeBytes)
		s.toClient(ci, c, pProbeAck)
	}
}

// atClient takes a probe's ACK: the probes are answered.
func (k *tcpKeepalive) atClient(s *sim, ci uint32, c *client, arg uint32) {
	if arg&pTypeMask == pProbeAck {
		s.rec.answered(ci, "probe", uint32(c.unanswered))
		c.unanswered = 0
	}
}

func (k *tcpKeepalive) deadline(*sim, uint32, *client, uint32)       {}
func (k *tcpKeepalive) serverTimer(*sim, uint32, *client)            {}
func (k *tcpKeepalive) serverDeadline(*sim, uint32, *client, uint32) {}
