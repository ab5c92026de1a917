package sim

import (
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/natsim/natsim/nat"
)

// adaptiveKeepalive is the client's heartbeat at an interval that an
// algorithm (Keepalive.Adaptive) changes after each beat: a pong back
// within Timeout is a success, none a failure, and a failure closes the
// connection, which the client then reconnects. Each client's algorithm
// state lives in a side array and survives its reconnects. c.ka[0]
// numbers the beats sent on the connection; c.ka[1] is the beat in
// flight (0: none).
type adaptiveKeepalive struct {
	Keepalive
	// sum and started are the intervals in force of the group's clients
	// that have started, summed (seconds), and their number: the time
	// series' mean interval, kept up to date so that a sample costs O(1).
	sum     float64
	started int
}

// adaptiveClient is one client's algorithm state and what the engine
// keeps around it: one cache line.
type adaptiveClient struct {
	st    adaptiveState
	sent  time.Duration // when the last beat was sent (or the connection set up)
	iv    time.Duration // the interval in force, for the results
	since time.Duration // when iv took force
}

// An adaptive client's record is one cache line, as the client's own.
var _ [64 - unsafe.Sizeof(adaptiveClient{})]struct{}
var _ [unsafe.Sizeof(adaptiveClient{}) - 64]struct{}

// adaptiveFields are adaptive's settings: the preset, its parameters
// (each read by the presets that adaptiveParams lists), and the ping's.
var adaptiveFields = func() []KeepaliveField {
	f := []KeepaliveField{{Name: "preset", Choice: func(k *Keepalive) *uint8 { return (*uint8)(&k.Adaptive.Preset) },
		Choices: AdaptivePresetNames(), Required: true}}
	for _, p := range adaptiveParams {
		f = append(f, KeepaliveField{Name: p.name, Duration: p.dur, Count: p.count, Applies: p.applies})
	}
	return append(f,
		KeepaliveField{Name: "ack_timeout", Duration: func(k *Keepalive) *time.Duration { return &k.Timeout }, Default: int64(8 * time.Second)},
		KeepaliveField{Name: "request_bytes", Count: func(k *Keepalive) *int { return &k.RequestBytes }, Default: 40},
		KeepaliveField{Name: "response_bytes", Count: func(k *Keepalive) *int { return &k.ResponseBytes }, Default: 40},
	)
}()

// adaptiveParam is one parameter of the algorithms and the presets that
// read it.
type adaptiveParam struct {
	name    string
	dur     func(*Keepalive) *time.Duration
	count   func(*Keepalive) *int
	presets []AdaptivePreset
}

func (p adaptiveParam) applies(k Keepalive) bool {
	for _, q := range p.presets {
		if q == k.Adaptive.Preset {
			return true
		}
	}
	return false
}

var adaptiveParams = []adaptiveParam{
	{"min", func(k *Keepalive) *time.Duration { return &k.Adaptive.Min }, nil, []AdaptivePreset{PresetMars, PresetCourier, PresetEAS, PresetComposite}},
	{"max", func(k *Keepalive) *time.Duration { return &k.Adaptive.Max }, nil, []AdaptivePreset{PresetMars, PresetCourier, PresetEAS, PresetComposite}},
	{"start", func(k *Keepalive) *time.Duration { return &k.Adaptive.Start }, nil, []AdaptivePreset{PresetEAS, PresetComposite}},
	{"step", func(k *Keepalive) *time.Duration { return &k.Adaptive.Step }, nil, []AdaptivePreset{PresetMars, PresetCourier, PresetEAS}},
	{"margin", func(k *Keepalive) *time.Duration { return &k.Adaptive.Margin }, nil, []AdaptivePreset{PresetMars, PresetComposite}},
	{"resolution", func(k *Keepalive) *time.Duration { return &k.Adaptive.Resolution }, nil, []AdaptivePreset{PresetCourier, PresetComposite}},
	{"reprobe", func(k *Keepalive) *time.Duration { return &k.Adaptive.Reprobe }, nil, []AdaptivePreset{PresetMars}},
	{"successes", nil, func(k *Keepalive) *int { return &k.Adaptive.Successes }, []AdaptivePreset{PresetMars}},
	{"failures", nil, func(k *Keepalive) *int { return &k.Adaptive.Failures }, []AdaptivePreset{PresetMars, PresetCourier}},
	{"warm_up", nil, func(k *Keepalive) *int { return &k.Adaptive.WarmUp }, []AdaptivePreset{PresetMars}},
	{"reset_after", nil, func(k *Keepalive) *int { return &k.Adaptive.ResetAfter }, []AdaptivePreset{PresetCourier}},
}

// checkAdaptive reports what is wrong with an adaptive setting.
func checkAdaptive(k Keepalive) []FieldProblem {
	a := k.Adaptive
	if int(a.Preset) >= int(numAdaptivePresets) {
		return []FieldProblem{{"preset", "must be one of mars, courier, eas, composite", strconv.Itoa(int(a.Preset))}}
	}
	var p []FieldProblem
	for _, q := range adaptiveParams {
		if !q.applies(k) {
			continue
		}
		if q.dur != nil {
			if d := *q.dur(&k); d <= 0 || d > MaxSpan {
				p = append(p, FieldProblem{q.name, fmt.Sprintf("must be a positive duration of at most %v", MaxSpan), strconv.Quote(d.String())})
			}
		} else {
			p = append(p, countIn(q.name, *q.count(&k), 1, 254, " (a client counts them in one byte)")...)
		}
	}
	if a.Min > 0 && a.Max > 0 && a.Max <= a.Min {
		p = append(p, FieldProblem{"max", "must be greater than min (" + a.Min.String() + ")", strconv.Quote(a.Max.String())})
	}
	if (a.Preset == PresetEAS || a.Preset == PresetComposite) && (a.Start < a.Min || a.Start > a.Max) {
		p = append(p, FieldProblem{"start", "must be within [min, max]", strconv.Quote(a.Start.String())})
	}
	if a.Preset == PresetCourier && a.Resolution > 0 && (a.Step%a.Resolution != 0 || a.Min%a.Resolution != 0 || a.Max%a.Resolution != 0) {
		p = append(p, FieldProblem{"resolution", "must divide min, max and step (courier counts in whole units)", strconv.Quote(a.Resolution.String())})
	}
	p = append(p, positive("ack_timeout", k.Timeout)...)
	p = append(p, countIn("request_bytes", k.RequestBytes, 1, int(^uint(0)>>1), "")...)
	return append(p, countIn("response_bytes", k.ResponseBytes, 1, int(^uint(0)>>1), "")...)
}

// summarizeAdaptive describes an adaptive setting in one line.
func summarizeAdaptive(k Keepalive) string {
	a := k.Adaptive
	return fmt.Sprintf("adaptive %v within [%v, %v], %d+%d B, ack timeout %v", a.Preset, a.Min, a.Max, k.RequestBytes, k.ResponseBytes, k.Timeout)
}

func init() {
	register(&KeepaliveKind{
		Type: KeepaliveAdaptive, Name: "adaptive", Fields: adaptiveFields, Driver: DriveClientPing,
		Summary: summarizeAdaptive, check: checkAdaptive,
		timers: func(k Keepalive) (int, float64) { return 1, perSecond((k.Adaptive.Min + k.Adaptive.Max) / 2) },
		make:   func(k Keepalive) keepaliver { return &adaptiveKeepalive{Keepalive: k} },
		Defaults: func(k *Keepalive) {
			if int(k.Adaptive.Preset) < int(numAdaptivePresets) {
				k.Adaptive = adaptiveDefaults[k.Adaptive.Preset]
			}
		},
	})
}

// client returns ci's record in the run's side array of adaptive
// clients (sim.adaptive).
func (a *adaptiveKeepalive) client(s *sim, ci uint32) *adaptiveClient { return &s.adaptive[ci] }

// start is a connection set up: the outcome of a beat that the last
// connection left in flight is a failure (Mars counts a beat cut off by
// a dead socket as failed), counted now, the algorithm hears of the disconnection and
// the new connection, and the first beat is scheduled: at once for mars
// (LongLink sends a noop as soon as it connects), after the algorithm's
// interval for the others.
func (a *adaptiveKeepalive) start(s *sim, ci uint32, c *client) {
	ac := a.client(s, ci)
	alg := &a.Adaptive
	if !ac.st.inited {
		alg.init(&ac.st)
		ac.iv, ac.since = alg.next(&ac.st), s.now
		a.sum += ac.iv.Seconds()
		a.started++
	} else {
		if ac.st.inFlight {
			ac.st.inFlight, ac.st.failed = false, true
			s.rec.adaptiveFailure(c)
			alg.result(&ac.st, false, false, s.now)
		}
		alg.disconnected(&ac.st)
		if ac.st.failed {
			ac.st.failed = false
			s.rec.adaptiveReconnect(c)
		}
	}
	alg.connected(&ac.st)
	if alg.Preset == PresetMars {
		s.at(s.now, event{Kind: evKaTimer, Client: ci, Conn: c.conn})
		return
	}
	ac.sent = s.now
	a.schedule(s, ci, c, ac)
}

// schedule asks the algorithm for the next interval and arms the beat
// that far after the last one (or the connection's start).
func (a *adaptiveKeepalive) schedule(s *sim, ci uint32, c *client, ac *adaptiveClient) {
	iv := s.scaled(ci, a.Adaptive.next(&ac.st))
	a.setInterval(s, c, ac, iv)
	s.at(max(ac.sent+iv, s.now), event{Kind: evKaTimer, Client: ci, Conn: c.conn})
}

// setInterval notes the interval in force for the results.
func (a *adaptiveKeepalive) setInterval(s *sim, c *client, ac *adaptiveClient, iv time.Duration) {
	if iv != ac.iv {
		s.rec.adaptiveInterval(c, ac.iv, ac.since)
		a.sum += iv.Seconds() - ac.iv.Seconds()
		ac.iv, ac.since = iv, s.now
	}
}

// intervals is the sum of the intervals in force over the group's
// clients that have started (seconds), and their number.
func (a *adaptiveKeepalive) intervals() (float64, int) { return a.sum, a.started }

// timer sends a beat; mars asks for the next interval right away.
func (a *adaptiveKeepalive) timer(s *sim, ci uint32, c *client) {
	if c.state != stOpen {
		return
	}
	ac := a.client(s, ci)
	c.ka[0]++
	seq := c.ka[0]
	s.rec.keepalive(ci, c, a.RequestBytes)
	s.rec.sentKeepalive(ci, "ping", seq)
	ac.sent, c.ka[1], ac.st.inFlight = s.now, seq, true
	if a.Adaptive.Preset == PresetMars {
		a.schedule(s, ci, c, ac)
	}
	res := s.crossOut(ci, c, nat.Data)
	s.settleOut(ci, c, res)
	s.toServer(ci, c, res, pPing|seq<<pSeqShift)
	if c.state == stOpen && c.ka[1] == seq {
		s.at(s.now+a.Timeout, event{Kind: evKaDeadline, Client: ci, Conn: c.conn, Arg: seq})
	}
}

// deadline is a beat's ack timeout: unanswered, it failed, and the
// client closes the connection and reconnects.
func (a *adaptiveKeepalive) deadline(s *sim, ci uint32, c *client, seq uint32) {
	ac := a.client(s, ci)
	if c.state != stOpen || c.ka[1] != seq {
		return
	}
	c.ka[1], ac.st.inFlight = 0, false
	s.rec.missed(ci, "ping", 1)
	s.rec.adaptiveFailure(c)
	a.Adaptive.result(&ac.st, false, true, s.now)
	ac.st.failed = true
	s.learnDead(ci, c, HowMissedPongs)
}

// atServer answers a ping with its pong.
func (a *adaptiveKeepalive) atServer(s *sim, ci uint32, c *client, arg uint32) {
	s.answerPing(ci, c, arg, a.ResponseBytes)
}

// atClient is a pong: the beat in flight succeeded.
func (a *adaptiveKeepalive) atClient(s *sim, ci uint32, c *client, arg uint32) {
	seq := arg >> pSeqShift
	ac := a.client(s, ci)
	if arg&pTypeMask != pPong || c.ka[1] != seq {
		return
	}
	s.rec.answered(ci, "ping", seq)
	c.ka[1], ac.st.inFlight = 0, false
	a.Adaptive.result(&ac.st, true, false, s.now)
	if a.Adaptive.Preset != PresetMars {
		a.schedule(s, ci, c, ac)
	}
}

// finish closes the books on a client's interval at the end of the run.
func (a *adaptiveKeepalive) finish(s *sim, ci uint32, c *client) {
	ac := a.client(s, ci)
	if !ac.st.inited {
		return
	}
	s.rec.adaptiveInterval(c, ac.iv, ac.since)
	s.rec.adaptiveEnd(c, ac.iv)
}

func (a *adaptiveKeepalive) serverTimer(*sim, uint32, *client)            {}
func (a *adaptiveKeepalive) serverDeadline(*sim, uint32, *client, uint32) {}
