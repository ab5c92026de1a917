package sim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/natsim/natsim/nat"
)

// pinger is what the app and server-app keepalives share: a ping every
// Interval ± Jitter (drawn fresh each time) of RequestBytes, answered by
// a pong of ResponseBytes; a pong not back within Timeout is a miss, and
// Misses in a row declare the connection dead. With IdleOnly a ping is
// due an interval after the last data message rather than after the last
// ping. c.ka[0] numbers the pings sent on the connection; c.ka[1] is the
// latest one answered or missed; c.unanswered counts misses in a row.
type pinger struct{ Keepalive }

// pingFields are the settings of app and server-app.
var pingFields = []KeepaliveField{
	{Name: "interval", Duration: func(k *Keepalive) *time.Duration { return &k.Interval }, Required: true},
	{Name: "jitter", Duration: func(k *Keepalive) *time.Duration { return &k.Jitter }},
	{Name: "timeout", Duration: func(k *Keepalive) *time.Duration { return &k.Timeout }, Required: true},
	{Name: "misses", Count: func(k *Keepalive) *int { return &k.Misses }, Default: 1},
	{Name: "request_bytes", Count: func(k *Keepalive) *int { return &k.RequestBytes }, Required: true},
	{Name: "response_bytes", Count: func(k *Keepalive) *int { return &k.ResponseBytes }, Required: true},
	{Name: "idle_only", Flag: func(k *Keepalive) *bool { return &k.IdleOnly }},
}

// checkPings reports what is wrong with a ping setting.
func checkPings(k Keepalive) []FieldProblem {
	p := append(positive("interval", k.Interval), positive("timeout", k.Timeout)...)
	if k.Jitter < 0 || (k.Interval > 0 && k.Jitter >= k.Interval) {
		p = append(p, FieldProblem{"jitter", "must be >= 0 and smaller than the interval (" + k.Interval.String() + ")", strconv.Quote(k.Jitter.String())})
	}
	p = append(p, countIn("misses", k.Misses, 1, MaxMisses, "")...)
	p = append(p, spanSum("misses", "misses x interval + jitter + timeout", strconv.Itoa(k.Misses),
		float64(k.Misses)*float64(k.Interval), float64(k.Jitter), float64(k.Timeout))...)
	p = append(p, countIn("request_bytes", k.RequestBytes, 1, int(^uint(0)>>1), "")...)
	return append(p, countIn("response_bytes", k.ResponseBytes, 1, int(^uint(0)>>1), "")...)
}

// summarizePings describes a ping setting in one line.
func summarizePings(k Keepalive) string {
	every := fmt.Sprintf("%v every %v", k.Type, k.Interval)
	if k.Jitter > 0 {
		every += fmt.Sprintf(" ± %v", k.Jitter)
	}
	misses := "misses"
	if k.Misses == 1 {
		misses = "miss"
	}
	s := fmt.Sprintf("%s, %d+%d B, timeout %v, %d %s", every, k.RequestBytes, k.ResponseBytes, k.Timeout, k.Misses, misses)
	if k.IdleOnly {
		s += ", when idle"
	}
	return s
}

// interval draws one interval of client ci: Interval ± Jitter, Interval
// doubled as many times as GOAWAYs have made the client double it.
func (p *pinger) interval(s *sim, ci uint32, c *client) time.Duration {
	iv := s.scaled(ci, p.Interval)
	return uniformDur(&c.rng, iv-p.Jitter, iv+p.Jitter+1)
}

// due is a ping timer (of kind) coming up: it schedules the next one an
// interval later and reports true, or, with idle_only when data has
// flowed since the timer was set, moves this one to an interval after
// the last data and reports whether that is already past. The timer is
// kept lazily, like sim.due's: it is not moved at every message.
func (p *pinger) due(s *sim, ci uint32, c *client, kind evKind) bool {
	next := p.interval(s, ci, c)
	at, now := s.now+next, true
	if p.IdleOnly && c.is(fDataSeen) {
		c.off(fDataSeen)
		if d := c.lastData + next; d > s.now {
			at, now = d, false
		}
	}
	s.at(at, event{Kind: kind, Client: ci, Conn: c.conn})
	return now
}

// ping numbers and costs a new ping.
func (p *pinger) ping(s *sim, ci uint32, c *client) uint32 {
	c.ka[0]++
	s.rec.keepalive(ci, c, p.RequestBytes)
	return c.ka[0]
}

// answered takes the pong of ping seq.
func (p *pinger) answered(c *client, seq uint32) {
	if seq > c.ka[1] {
		c.ka[1], c.unanswered = seq, 0
	}
}

// missed is ping seq's deadline: unless its pong (or a later one) is
// back, it is a miss, and seq counts as answered from now on, so that its
// pong arriving late cannot reset the count of misses in a row (the
// trace notes the miss as packet's). It reports whether the misses in a
// row have reached Misses.
func (p *pinger) missed(s *sim, ci uint32, c *client, seq uint32, packet string) bool {
	if c.ka[1] >= seq {
		return false
	}
	c.ka[1] = seq
	c.unanswered++
	s.rec.missed(ci, packet, c.unanswered)
	return int(c.unanswered) >= p.Misses
}

// appKeepalive is the client's heartbeat: it pings, the server answers.
type appKeepalive struct{ pinger }

func init() {
	register(&KeepaliveKind{
		Type: KeepaliveApp, Name: "app", Fields: pingFields, Driver: DriveClientPing,
		Summary: summarizePings, check: checkPings,
		timers: func(k Keepalive) (int, float64) { return 1, perSecond(k.Interval) },
		make:   func(k Keepalive) keepaliver { return &appKeepalive{pinger{k}} },
	})
}

func (a *appKeepalive) start(s *sim, ci uint32, c *client) {
	s.at(s.now+a.interval(s, ci, c), event{Kind: evKaTimer, Client: ci, Conn: c.conn})
}

func (a *appKeepalive) timer(s *sim, ci uint32, c *client) {
	if c.state != stOpen || !a.due(s, ci, c, evKaTimer) {
		return // closed, or other traffic flowed: the ping is due later
	}
	seq := a.ping(s, ci, c)
	s.rec.sentKeepalive(ci, "ping", seq)
	res := s.crossOut(ci, c, nat.Data)
	s.settleOut(ci, c, res)
	s.toServer(ci, c, res, pPing|seq<<pSeqShift)
	if c.state == stOpen && c.ka[1] < seq {
		s.at(s.now+a.Timeout, event{Kind: evKaDeadline, Client: ci, Conn: c.conn, Arg: seq})
	}
}

func (a *appKeepalive) deadline(s *sim, ci uint32, c *client, seq uint32) {
	if c.state == stOpen && a.missed(s, ci, c, seq, "ping") {
		s.learnDead(ci, c, HowMissedPongs)
	}
}

// atServer answers a ping with its pong.
func (a *appKeepalive) atServer(s *sim, ci uint32, c *client, arg uint32) {
	s.answerPing(ci, c, arg, a.ResponseBytes)
}

// answerPing is the server answering a client's ping (a packet of arg)
// with a pong of the given size.
func (s *sim) answerPing(ci uint32, c *client, arg uint32, bytes int) {
	if arg&pTypeMask == pPing {
		s.rec.keepaliveAnswer(ci, c, bytes)
		s.toClient(ci, c, pPong|arg&^pTypeMask)
	}
}

func (a *appKeepalive) atClient(s *sim, ci uint32, c *client, arg uint32) {
	if arg&pTypeMask == pPong {
		s.rec.answered(ci, "ping", arg>>pSeqShift)
		a.answered(c, arg>>pSeqShift)
	}
}

func (a *appKeepalive) serverTimer(*sim, uint32, *client)            {}
func (a *appKeepalive) serverDeadline(*sim, uint32, *client, uint32) {}

// serverAppKeepalive is the server's heartbeat (Socket.IO v4): it pings,
// the client answers. The client gives up when nothing has come from the
// server for watchdog (misses x interval + jitter + timeout, Socket.IO's
// pingInterval + pingTimeout when misses is 1): its client timer.
type serverAppKeepalive struct {
	pinger
	watchdog time.Duration
}

func init() {
	register(&KeepaliveKind{
		Type: KeepaliveServerApp, Name: "server-app", Fields: pingFields, ServerSends: true, Driver: DriveServerPing,
		Summary: summarizePings, check: checkPings,
		timers: func(k Keepalive) (int, float64) { return 2, perSecond(k.Interval) },
		make: func(k Keepalive) keepaliver {
			return &serverAppKeepalive{pinger{k}, time.Duration(k.Misses)*k.Interval + k.Jitter + k.Timeout}
		},
	})
}

func (a *serverAppKeepalive) start(s *sim, ci uint32, c *client) {
	s.at(s.now+a.interval(s, ci, c), event{Kind: evKaServerTimer, Client: ci, Conn: c.conn})
	s.at(s.now+a.watchdog, event{Kind: evKaTimer, Client: ci, Conn: c.conn})
}

// timer is the client's watchdog.
func (a *serverAppKeepalive) timer(s *sim, ci uint32, c *client) {
	if c.state == stOpen && s.due(c.heard+a.watchdog, ci, c, evKaTimer) {
		s.learnDead(ci, c, HowWatchdog)
	}
}

func (a *serverAppKeepalive) serverTimer(s *sim, ci uint32, c *client) {
	if !c.is(fSrvOpen) || !a.due(s, ci, c, evKaServerTimer) {
		return
	}
	seq := a.ping(s, ci, c)
	s.rec.sentKeepalive(ci, "server ping", seq)
	s.toClient(ci, c, pPing|seq<<pSeqShift)
	if c.is(fSrvOpen) && c.ka[1] < seq {
		s.at(s.now+a.Timeout, event{Kind: evKaServerDeadline, Client: ci, Conn: c.conn, Arg: seq})
	}
}

func (a *serverAppKeepalive) serverDeadline(s *sim, ci uint32, c *client, seq uint32) {
	if c.is(fSrvOpen) && a.missed(s, ci, c, seq, "server ping") {
		s.serverGivesUp(ci, c)
	}
}

func (a *serverAppKeepalive) atServer(s *sim, ci uint32, c *client, arg uint32) {
	if arg&pTypeMask == pPong {
		s.rec.answered(ci, "server ping", arg>>pSeqShift)
		a.answered(c, arg>>pSeqShift)
	}
}

// atClient answers the server's ping with a pong.
func (a *serverAppKeepalive) atClient(s *sim, ci uint32, c *client, arg uint32) {
	if arg&pTypeMask == pPing {
		s.rec.keepaliveAnswer(ci, c, a.ResponseBytes)
		res := s.crossOut(ci, c, nat.Data)
		s.settleOut(ci, c, res)
		s.toServer(ci, c, res, pPong|arg&^pTypeMask)
	}
}

func (a *serverAppKeepalive) deadline(*sim, uint32, *client, uint32) {}
