package radio

import (
	"time"
	"unsafe"
)

// Totals are what a Meter has counted in its window, over all its
// clients.
type Totals struct {
	Wakeups   uint64  // promotions that started in the window
	ActiveS   float64 // seconds spent in promotions and tails
	EnergyJ   float64 // joules spent in promotions and tails
	TransferJ float64 // joules of the packets' bytes (0 without coefficients)
}

// Meter is the radios of a population of clients with one profile.
type Meter struct {
	Totals
	promo  time.Duration
	promoW float64
	upJ    float64
	downJ  float64
	tail   time.Duration
	ends   []time.Duration // offset from the tail's start at which phase i ends
	cum    []float64       // energy from the tail's start to ends[i], joules
	powers []float64
	from   time.Duration // the window's start
	st     []state
}

// state is one client's radio. While on, the current wakeup's promotion
// ran from wake to wake+promotion and its tail runs from anchor (the
// last packet, or the promotion's end if later); energy has been
// accounted up to acc.
type state struct {
	wake, anchor, acc time.Duration
	on                bool
}

// NewMeter returns the radios of n clients with profile p (valid),
// counting from the instant from on.
func NewMeter(p *Profile, n int, from time.Duration) *Meter {
	m := &Meter{promo: p.Promotion, promoW: p.PromotionW, upJ: p.UpJPerByte, downJ: p.DownJPerByte, from: from, st: make([]state, n)}
	e := 0.0
	for _, ph := range p.Tail {
		m.tail += ph.Duration
		e += ph.Duration.Seconds() * ph.PowerW
		m.ends = append(m.ends, m.tail)
		m.cum = append(m.cum, e)
		m.powers = append(m.powers, ph.PowerW)
	}
	return m
}

// Packet is client i's radio sending (up) or receiving a packet of bytes
// at now. Calls for one client come in order of time.
func (m *Meter) Packet(i int, now time.Duration, up bool, bytes int) {
	s := &m.st[i]
	switch {
	case s.on && now < s.anchor+m.tail:
		if now > s.anchor { // in the tail: it restarts
			m.account(s, now)
			s.anchor = now
		} // else in the promotion: the packet rides it
	default:
		if s.on {
			m.account(s, s.anchor+m.tail)
		}
		*s = state{wake: now, anchor: now + m.promo, acc: now, on: true}
		if now >= m.from {
			m.Wakeups++
		}
	}
	if (m.upJ != 0 || m.downJ != 0) && now >= m.from {
		c := m.downJ
		if up {
			c = m.upJ
		}
		m.TransferJ += c * float64(bytes)
	}
}

// Finish accounts every radio up to end, the end of the run.
func (m *Meter) Finish(end time.Duration) {
	for i := range m.st {
		if s := &m.st[i]; s.on {
			m.account(s, min(end, s.anchor+m.tail))
		}
	}
}

// account counts client state s's energy and active time from s.acc to
// to, clipped to the window.
func (m *Meter) account(s *state, to time.Duration) {
	a := max(s.acc, m.from)
	s.acc = max(s.acc, to)
	if to <= a {
		return
	}
	if pe := s.wake + m.promo; a < pe {
		x := min(to, pe)
		m.EnergyJ += (x - a).Seconds() * m.promoW
		m.ActiveS += (x - a).Seconds()
		a = x
	}
	if a >= to {
		return
	}
	x0, x1 := min(a-s.anchor, m.tail), min(to-s.anchor, m.tail)
	m.EnergyJ += m.tailEnergy(x1) - m.tailEnergy(x0)
	m.ActiveS += (x1 - x0).Seconds()
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

// StateBytes is the memory of one client's state in a Meter.
const StateBytes = int64(unsafe.Sizeof(state{}))
