package sim

import (
	"math"
	"time"

	"github.com/natsim/natsim/internal/prefetch"
	"github.com/natsim/natsim/radio"
)

// radioRun is the radios of a group that has one. Its meter's All
// radios are fed every packet the clients send or receive, its Quiet ones
// the same packets but keepalives (probes and their ACKs, pings and
// pongs), so that what keepalives cost is the difference, from one run.
type radioRun struct {
	meter   *radio.Meter
	profile *radio.Profile
	first   int // index of the group's first client
	count   int // the group's clients simulated
}

// radioUp marks, in an evRadio event's Arg, a packet the client sends;
// the packet's type is in the low bits (pTypeMask).
const radioUp uint32 = 1 << 3

// controlBytes is the size of a packet without payload (SYN, ACK, FIN,
// RST): an IPv4 and TCP header with timestamps.
const controlBytes = 52

// startRadios makes the meters of the groups that have a radio; s.radios
// stays nil when none has, so that every hook costs one nil test.
func (s *sim) startRadios() {
	first := 0
	for gi, g := range s.cfg.Groups {
		n := s.simulated(gi)
		if g.Radio != nil {
			if s.radios == nil {
				s.radios = make([]radioRun, len(s.cfg.Groups))
			}
			s.radios[gi] = radioRun{meter: radio.NewMeter(g.Radio, n, s.cfg.Warmup), profile: g.Radio, first: first, count: n}
		}
		first += n
	}
}

// radioPacket feeds client ci's radio, if its group has one, a packet of
// type typ that it sends (up) or receives now. Callers test s.radios !=
// nil first, so that a run without radios pays one test per packet.
func (s *sim) radioPacket(ci uint32, c *client, typ uint32, up bool) {
	r := &s.radios[s.groups[c.group].of]
	if r.meter == nil {
		return
	}
	bytes := 0
	if r.profile.UpJPerByte != 0 || r.profile.DownJPerByte != 0 {
		bytes = s.packetBytes(c, typ, up)
	}
	ka := typ == pProbe || typ == pProbeAck || typ == pPing || typ == pPong
	r.meter.Packet(int(ci)-r.first, s.now, up, bytes, ka)
}

// warmRadio prefetches the radios of client ci, whose event is coming
// up, as warm does its state: a packet's radio update then finds them in
// cache.
func (s *sim) warmRadio(ci uint32) {
	for gi := range s.radios {
		r := &s.radios[gi]
		if i := int(ci) - r.first; i >= 0 && i < r.count {
			prefetch.Line(r.meter.Radios(i))
			return
		}
	}
}

// radioLater feeds client ci's radio a packet at a later instant (a
// retransmission, a held-up message delivered), through the queue.
func (s *sim) radioLater(ci uint32, c *client, at time.Duration, typ uint32, up bool) {
	arg := typ
	if up {
		arg |= radioUp
	}
	s.at(at, event{Kind: evRadio, Client: ci, Conn: c.conn, Arg: arg})
}

// packetBytes is the size of a packet of type typ, for the transfer
// energy.
func (s *sim) packetBytes(c *client, typ uint32, up bool) int {
	g := s.group(c)
	k := &g.Keepalive
	switch {
	case typ == pData && up:
		return g.Up.Bytes
	case typ == pData:
		return g.Down.Bytes
	case typ == pPing:
		return k.RequestBytes
	case typ == pPong:
		return k.ResponseBytes
	}
	return controlBytes
}

// finishRadios closes the radios' books at end and sets each radio
// group's result.
func (s *sim) finishRadios(end time.Duration, groups []GroupResult) {
	for gi := range s.radios {
		r := &s.radios[gi]
		if r.meter == nil {
			continue
		}
		r.meter.Finish(end)
		groups[gi].Radio = r.result(groups[gi].ClientHours)
	}
}

// result turns the meters' totals into rates per client-hour of the
// window (hours of client time in it).
func (r *radioRun) result(hours float64) RadioResult {
	per := func(x float64) float64 { return x / max(hours, math.SmallestNonzeroFloat64) }
	all, quiet := r.meter.All, r.meter.Quiet
	active := per(all.ActiveS)
	energy := per(all.EnergyJ + all.TransferJ)
	idle := r.profile.IdleW * max(0, 3600-active)
	return RadioResult{
		WakeupsPerClientHour:          per(float64(all.Wakeups)),
		ActiveSPerClientHour:          active,
		EnergyJPerClientHour:          energy,
		IdleEnergyJPerClientHour:      idle,
		KeepaliveEnergyJPerClientHour: energy - per(quiet.EnergyJ+quiet.TransferJ),
		BatteryPercentPerDay:          100 * 24 * (energy + idle) / (3600 * r.profile.BatteryWh),
	}
}

// RadioResult is the energy of a group's radios (docs/radio.md), per
// client-hour of the window; zero (and left out of JSON) for a group
// without a radio.
type RadioResult struct {
	// WakeupsPerClientHour counts promotions from IDLE.
	WakeupsPerClientHour float64 `json:"wakeups_per_client_hour"`
	// ActiveSPerClientHour is the time in promotions and tails, seconds.
	ActiveSPerClientHour float64 `json:"radio_active_s_per_client_hour"`
	// EnergyJPerClientHour is the energy of promotions and tails, and of
	// the bytes when the radio has transfer coefficients, joules; idle
	// power is apart.
	EnergyJPerClientHour float64 `json:"energy_j_per_client_hour"`
	// IdleEnergyJPerClientHour is idle_w over the time not active, joules.
	IdleEnergyJPerClientHour float64 `json:"idle_energy_j_per_client_hour"`
	// KeepaliveEnergyJPerClientHour is EnergyJPerClientHour less that of
	// the same run's packets without the keepalives, joules.
	KeepaliveEnergyJPerClientHour float64 `json:"keepalive_energy_j_per_client_hour"`
	// BatteryPercentPerDay is a day of the energy and the idle energy, as
	// a share of battery_wh, percent.
	BatteryPercentPerDay float64 `json:"battery_percent_per_day"`
}

// RadioCI95 holds the 95% half-widths of a radio's rates, as CI95 does
// for the group.
type RadioCI95 struct {
	EnergyJPerClientHour          float64 `json:"energy_j_per_client_hour"`
	KeepaliveEnergyJPerClientHour float64 `json:"keepalive_energy_j_per_client_hour"`
	BatteryPercentPerDay          float64 `json:"battery_percent_per_day"`
}
