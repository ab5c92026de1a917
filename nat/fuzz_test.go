package nat

import (
	"fmt"
	"testing"
	"time"
)

// refEntry and refTable are a naive reference model of Table: a map and
// linear scans, written from the package doc, not from the fast code.
type refEntry struct {
	created, last time.Duration
	order         int // refresh order
	port          uint32
	udp           bool
	replied       bool
	est, closing  bool
	timeout       time.Duration
	assured       bool
}

type refTable struct {
	cfg      Config
	m        map[Key]*refEntry
	order    int
	nextPort uint32
	removed  []Removal
}

func (r *refTable) expire(now time.Duration) {
	for {
		var victim Key
		var at time.Duration
		found := false
		for key, e := range r.m {
			exp := e.last + e.timeout
			if exp <= now && (!found || exp < at || (exp == at && e.order < r.m[victim].order)) {
				victim, at, found = key, exp, true
			}
		}
		if !found {
			return
		}
		delete(r.m, victim)
		r.removed = append(r.removed, Removal{Key: victim, At: at, Reason: Expired})
	}
}

func (r *refTable) oldest(onlyUnassured bool) (Key, bool) {
	var victim Key
	found := false
	for key, e := range r.m {
		if onlyUnassured && e.assured {
			continue
		}
		if !found || e.order < r.m[victim].order {
			victim, found = key, true
		}
	}
	return victim, found
}

func (r *refTable) touch(e *refEntry, now time.Duration) {
	r.order++
	e.order, e.last = r.order, now
	to := r.cfg.Timeouts
	switch {
	case e.udp && e.replied && now-e.created > 2*time.Second:
		e.timeout, e.assured = to.UDPStream, true
	case e.udp:
		e.timeout, e.assured = to.UDP, false
	default:
		if e.replied && !e.closing {
			e.est = true
		}
		e.assured = e.est && e.replied
		e.timeout = to.TCPTransitory
		if e.est && !e.closing {
			e.timeout = to.TCPEstablished
		}
	}
}

func (r *refTable) packet(now time.Duration, key Key, p Packet) Outcome {
	r.expire(now)
	refresh := (p.Dir == Outbound || r.cfg.RefreshInbound) && (p.Kind != Probe || r.cfg.RefreshOnKeepalive)
	if e, ok := r.m[key]; ok {
		if p.Dir == Inbound {
			e.replied = true
		}
		if p.Kind == Close {
			e.closing = true
		}
		if refresh {
			r.touch(e, now)
		}
		return Outcome{Verdict: Forwarded, Port: e.port}
	}
	switch {
	case p.Dir == Inbound && r.cfg.UnknownInbound == SendReset:
		return Outcome{Verdict: Reset}
	case p.Dir == Inbound, p.Kind != Open && r.cfg.UnknownOutbound == Drop:
		return Outcome{Verdict: Dropped}
	}
	if r.cfg.Capacity > 0 && len(r.m) >= r.cfg.Capacity {
		victim, ok := r.oldest(r.cfg.WhenFull == EarlyDrop)
		if r.cfg.WhenFull == Refuse || !ok {
			return Outcome{Verdict: Refused}
		}
		delete(r.m, victim)
		reason := Evicted
		if r.cfg.WhenFull == EarlyDrop {
			reason = EarlyDropped
		}
		r.removed = append(r.removed, Removal{Key: victim, At: now, Reason: reason})
	}
	out := Outcome{Verdict: Created}
	if r.cfg.PortPreservation && p.Port != 0 {
		out.Port, out.Remapped = p.Port, p.Kind != Open
	} else {
		r.nextPort++
		out.Port = r.nextPort
	}
	e := &refEntry{created: now, port: out.Port, udp: p.Proto == UDP,
		est: p.Proto == TCP && p.Kind != Open, closing: p.Kind == Close}
	r.touch(e, now)
	r.m[key] = e
	return out
}

// FuzzTableAgainstReference drives the table and the reference with the
// same packets and compares every outcome, every removal (key, instant,
// reason) and the length, and checks the invariants after each packet.
// Each input byte pair is one packet: flow, direction/kind/protocol, and a
// time step.
// maxInstant is the latest instant a run forms: 100 years of run plus a
// span of at most 100 years.
const maxInstant = 2 * 100 * 365 * 24 * time.Hour

func FuzzTableAgainstReference(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 0, 5, 2, 0, 9, 3, 1, 200, 0, 4, 255})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Add([]byte{0, 16, 0, 32, 0, 48, 0, 64, 0, 80, 0, 96, 0, 112})
	for _, scale := range []byte{1 << 3, 2 << 3, 3 << 3} { // nanoseconds, hours, decades
		f.Add([]byte{scale, 0, 1, 1, 0, 5, 2, 0, 9, 3, 1, 200, 0, 4, 255, 255, 255, 255})
		f.Add([]byte{scale | 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		// The first byte's high bits scale every span, so that
		// nanosecond timeouts and decades between packets are tried as
		// well as seconds.
		unit := []time.Duration{s, time.Nanosecond, time.Hour, 1000 * time.Hour}[data[0]>>3&3]
		cfg := Config{
			Capacity:           int(data[0] % 5),
			Timeouts:           Timeouts{TCPEstablished: 40 * unit, TCPTransitory: 9 * unit, UDP: 5 * unit, UDPStream: 20 * unit},
			WhenFull:           WhenFull(data[1] % 3),
			RefreshInbound:     data[1]&4 != 0,
			RefreshOnKeepalive: data[1]&8 != 0,
			UnknownOutbound:    []Unknown{Create, Drop}[data[1]>>4&1],
			UnknownInbound:     []Unknown{Drop, SendReset}[data[1]>>5&1],
			PortPreservation:   data[1]&64 != 0,
		}
		var removed []Removal
		tab, err := New(cfg, func(r Removal) { removed = append(removed, r) })
		if err != nil {
			t.Fatal(err)
		}
		ref := &refTable{cfg: cfg, m: map[Key]*refEntry{}}
		ports := map[Key]uint32{}
		now := time.Duration(0)
		for i := 2; i+1 < len(data); i += 2 {
			a, b := data[i], data[i+1]
			key := Key{Client: uint32(a % 6)}
			p := Packet{Dir: Dir(a >> 3 & 1), Kind: Kind(a >> 4 & 3), Proto: Proto(a >> 6 & 1), Port: ports[key]}
			if p.Proto == UDP && (p.Kind == Probe || p.Kind == Close) {
				p.Kind = Data
			}
			step := time.Duration(b) * unit / 8
			if now > maxInstant-step {
				break // beyond any instant a run of at most 100 years forms
			}
			now += step
			got, want := tab.Packet(now, key, p), ref.packet(now, key, p)
			if got.Verdict == Created {
				ports[key] = got.Port
			}
			// Fresh ports are numbered the same way by both.
			if got != want || fmt.Sprint(removed) != fmt.Sprint(ref.removed) || tab.Len() != len(ref.m) {
				t.Fatalf("packet %d (%+v to %v at %v): got %+v removed %v len %d; reference %+v removed %v len %d",
					i/2, p, key, now, got, removed, tab.Len(), want, ref.removed, len(ref.m))
			}
			removed, ref.removed = removed[:0], ref.removed[:0]
			checkInvariants(t, tab)
		}
	})
}
