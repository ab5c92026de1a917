package radio

import (
	"time"
	"unsafe"
)

// Totals are what one lane of a Meter has counted in its window, over
// all its clients.
type Totals struct {
	Wakeups   uint64  // promotions that started in the window
	ActiveS   float64 // seconds spent in promotions and tails
	EnergyJ   float64 // joules spent in promotions and tails
	TransferJ float64 // joules of the packets' bytes (0 without coefficients)
}

// Meter is the radios of a population of clients with one profile. Each
// client has two: All is fed every packet, Quiet every packet but
// keepalives, so that what keepalives cost is the difference between the
// two, from one run. A client's two states share 32 bytes, so a packet
// touches one cache line.
type Meter struct {
	All, Quiet Totals
	promo      time.Duration
	promoW     float64
	upJ        float64
	downJ      float64
	tail       time.Duration
	ends       []time.Duration // offset from the tail's start at which phase i ends
	cum        []float64       // energy from the tail's start to ends[i], joules
	powers     []float64
	from       time.Duration // the window's start
	st         []Radios      // per client
}

// Radios is a client's two radios in a Meter: its All radio, its Quiet
// one (opaque: a caller may only point at them, to prefetch them).
type Radios [2]state

// Radios returns client i's radios.
func (m *Meter) Radios(i int) *Radios { return &m.st[i] }

// state is one radio. While on (wake >= 0), the current wakeup's
// promotion ran from wake to wake+promotion and its tail runs from anchor
// (the last packet, or the promotion's end if later). Energy has been
// accounted up to the last packet that restarted the tail (anchor), or
// up to wake if none has: see accounted.
type state struct {
	wake, anchor time.Duration
}

// StateBytes is the memory of one client's states in a Meter.
const StateBytes = int64(unsafe.Sizeof(Radios{}))

// NewMeter returns the radios of n clients with profile p (valid),
// counting from the instant from on.
func NewMeter(p *Profile, n int, from time.Duration) *Meter {
	m := &Meter{promo: p.Promotion, promoW: p.PromotionW, upJ: p.UpJPerByte, downJ: p.DownJPerByte, from: from, st: make([]Radios, n)}
	e := 0.0
	for _, ph := range p.Tail {
		m.tail += ph.Duration
		e += ph.Duration.Seconds() * ph.PowerW
		m.ends = append(m.ends, m.tail)
		m.cum = append(m.cum, e)
		m.powers = append(m.powers, ph.PowerW)
	}
	for i := range m.st {
		m.st[i] = Radios{{wake: -1}, {wake: -1}}
	}
	return m
}

// Packet is client i's radio sending (up) or receiving a packet of bytes
// at now; a keepalive does not reach the client's Quiet radio. Calls for
// one client come in order of time.
func (m *Meter) Packet(i int, now time.Duration, up bool, bytes int, keepalive bool) {
	st := &m.st[i]
	m.packet(&st[0], &m.All, now)
	if !keepalive {
		m.packet(&st[1], &m.Quiet, now)
	}
	if (m.upJ != 0 || m.downJ != 0) && now >= m.from {
		c := m.downJ
		if up {
			c = m.upJ
		}
		m.All.TransferJ += c * float64(bytes)
		if !keepalive {
			m.Quiet.TransferJ += c * float64(bytes)
		}
	}
}

// packet moves radio s, counting into t, for a packet at now.
func (m *Meter) packet(s *state, t *Totals, now time.Duration) {
	switch {
	case s.wake >= 0 && now < s.anchor+m.tail:
		if now > s.anchor { // in the tail: it restarts
			m.account(s, t, now)
			s.anchor = now
		} // else in the promotion: the packet rides it
	default:
		if s.wake >= 0 {
			m.account(s, t, s.anchor+m.tail)
		}
		*s = state{wake: now, anchor: now + m.promo}
		if now >= m.from {
			t.Wakeups++
		}
	}
}

// Finish accounts every radio up to end, the end of the run.
func (m *Meter) Finish(end time.Duration) {
	for i := range m.st {
		for lane, t := range [2]*Totals{&m.All, &m.Quiet} {
			if s := &m.st[i][lane]; s.wake >= 0 {
				m.account(s, t, min(end, s.anchor+m.tail))
			}
		}
	}
}

// accounted is the instant up to which radio s's energy has been
// counted: the tail's last restart, or the wakeup if there was none
// (then the tail starts at the promotion's end).
func (m *Meter) accounted(s *state) time.Duration {
	if s.anchor == s.wake+m.promo {
		return s.wake
	}
	return s.anchor
}

// account counts radio s's energy and active time from what it has
// accounted to to, clipped to the window, into t.
func (m *Meter) account(s *state, t *Totals, to time.Duration) {
	a := max(m.accounted(s), m.from)
	if to <= a {
		return
	}
	if pe := s.wake + m.promo; a < pe {
		x := min(to, pe)
		t.EnergyJ += (x - a).Seconds() * m.promoW
		t.ActiveS += (x - a).Seconds()
		a = x
	}
	if a >= to {
		return
	}
	x0, x1 := min(a-s.anchor, m.tail), min(to-s.anchor, m.tail)
	t.EnergyJ += m.tailEnergy(x1) - m.tailEnergy(x0)
	t.ActiveS += (x1 - x0).Seconds()
}

// tailEnergy is the energy of a tail's first x (at most its length),
// joules.
func (m *Meter) tailEnergy(x time.Duration) float64 {
	start, e := time.Duration(0), 0.0
	for i, end := range m.ends {
		if x <= end {
			return e + (x-start).Seconds()*m.powers[i]
		}
		start, e = end, m.cum[i]
	}
	return e
}
