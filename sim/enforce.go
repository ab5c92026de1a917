package sim

import "time"

// pingWatch is a server's record of one connection's client pings under
// a PingPolicy (grpc-go http2Server's lastPingAt, pingStrikes and
// resetPingStrikes).
type pingWatch struct {
	last     time.Duration // the previous ping's arrival (-1: none on this connection)
	strikes  uint8
	dataSent bool // the server has sent data since the previous ping
}

// watchPings makes the servers' ping records and the clients' interval
// doublings when a group has a ping policy; without one they stay nil
// and the engine's checks of them cost a nil test.
func (s *sim) watchPings() {
	for _, g := range s.cfg.Groups {
		if g.PingPolicy != nil {
			s.pingWatch = make([]pingWatch, len(s.clients))
			s.doubled = make([]uint8, len(s.clients))
			return
		}
	}
}

// policePing is a client ping reaching a server with a ping policy, after
// its answer has gone out (grpc-go answers every ping before judging it):
// a ping sooner than MinInterval after the previous one is a strike
// unless data went out since, which clears the strikes; more than
// MaxStrikes strikes and the server sends GOAWAY and closes.
func (s *sim) policePing(ci uint32, c *client, p *PingPolicy) {
	w := &s.pingWatch[ci]
	switch {
	case w.dataSent:
		w.dataSent, w.strikes = false, 0
	case w.last >= 0 && s.now < w.last+p.MinInterval:
		w.strikes++
	}
	w.last = s.now
	if int(w.strikes) > p.MaxStrikes {
		s.rec.server(ci, TraceServerGoAway)
		c.off(fSrvOpen)
		s.toClient(ci, c, pGoAway)
	}
}

// goneAway is the client receiving GOAWAY too_many_pings: it closes the
// connection, doubles its ping interval for every later connection
// (grpc-go's adjustParams, up to the longest span a run allows) and
// reconnects.
func (s *sim) goneAway(ci uint32, c *client) {
	g := s.group(c)
	base := g.Keepalive.Interval
	if g.Keepalive.Type == KeepaliveAdaptive {
		base = g.Keepalive.Adaptive.Max
	}
	if d := s.doubled[ci]; d < 62 && base<<(d+1) > 0 && base<<(d+1) <= MaxSpan {
		s.doubled[ci]++
	}
	s.rec.goaway(c)
	s.learnDead(ci, c, HowGoAway)
}

// scaled is a client's ping interval d after the doublings that GOAWAYs
// have made it take.
func (s *sim) scaled(ci uint32, d time.Duration) time.Duration {
	if s.doubled == nil {
		return d
	}
	return d << s.doubled[ci]
}
