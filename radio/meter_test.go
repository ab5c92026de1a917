package radio

import (
	"math"
	"strings"
	"testing"
	"time"
)

// toy is a profile with round numbers for hand-counted timelines:
// promotion 1 s at 2 W (2 J), tail A 2 s at 1 W (2 J) then B 3 s at
// 0.5 W (1.5 J); one isolated wakeup is 5.5 J over 6 s.
func toy() Profile {
	return Profile{
		Promotion: time.Second, PromotionW: 2,
		Tail:      []Phase{{"a", 2 * time.Second, 1}, {"b", 3 * time.Second, 0.5}},
		BatteryWh: 1,
	}
}

func sec(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// TestMeterTimelines drives one client's radio through hand-counted
// timelines (times in seconds).
func TestMeterTimelines(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from     float64 // window start
		packets  []float64
		end      float64
		wakeups  uint64
		energyJ  float64
		activeS  float64
		explains string
	}{
		{"isolated", 0, []float64{10}, 100, 1, 5.5, 6, "promotion 2 J + A 2 J + B 1.5 J"},
		{"second packet in phase a", 0, []float64{10, 13}, 100, 1, 7.5, 8,
			"promotion 10-11 (2 J), A 11-13 (2 J), then a whole tail from 13 (3.5 J)"},
		{"second packet in phase b", 0, []float64{10, 14.5}, 100, 1, 8.25, 9.5,
			"2 J + A 2 J + B 11-14.5 for 1.5 s (0.75 J) + whole tail 3.5 J"},
		{"packet rides the promotion", 0, []float64{10, 10.5}, 100, 1, 5.5, 6, "the tail runs from the promotion's end"},
		{"packet at the promotion's end", 0, []float64{10, 11}, 100, 1, 5.5, 6, "the tail starts at 11 either way"},
		{"tail over: a new wakeup", 0, []float64{10, 16}, 100, 2, 11, 12, "the tail ended at 16: two isolated wakeups"},
		{"window opens in the tail", 12, []float64{10}, 100, 0, 2.5, 4,
			"only 12-16 counts: A's last second (1 J) and B (1.5 J); the wakeup came before"},
		{"window opens in the promotion", 10.5, []float64{10}, 100, 0, 4.5, 5.5, "half the promotion (1 J) and the tail (3.5 J)"},
		{"run ends in the tail", 0, []float64{10}, 13, 1, 4, 3, "promotion 2 J and A 11-13 (2 J)"},
		{"run ends in the promotion", 0, []float64{10}, 10.25, 1, 0.5, 0.25, "a quarter of the promotion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := toy()
			m := NewMeter(&p, 1, sec(tc.from))
			for _, at := range tc.packets {
				m.Packet(0, sec(at), true, 100, false)
			}
			m.Finish(sec(tc.end))
			if a := m.All; a.Wakeups != tc.wakeups || !near(a.EnergyJ, tc.energyJ) || !near(a.ActiveS, tc.activeS) || a.TransferJ != 0 || m.Quiet != a {
				t.Errorf("got %+v (quiet %+v); want %d wakeups, %g J, %g s, no transfer (%s)", a, m.Quiet, tc.wakeups, tc.energyJ, tc.activeS, tc.explains)
			}
		})
	}
}

// near compares to a hand count: durations are whole nanoseconds, so
// the only error is float rounding.
func near(got, want float64) bool { return math.Abs(got-want) <= 1e-9*max(1, math.Abs(want)) }

// TestMeterClientsApart: one client's packets do not touch another's
// radio.
func TestMeterClientsApart(t *testing.T) {
	p := toy()
	m := NewMeter(&p, 2, 0)
	m.Packet(0, sec(10), true, 0, false)
	m.Packet(1, sec(12), false, 0, false)
	m.Packet(0, sec(13), false, 0, false) // client 0's tail restarts; client 1's radio is its own
	m.Finish(sec(100))
	if want := 7.5 + 5.5; m.All.Wakeups != 2 || !near(m.All.EnergyJ, want) {
		t.Fatalf("got %+v; want 2 wakeups, %g J", m.All, want)
	}
}

// TestMeterQuietLane: keepalives reach a client's All radio only. A
// data packet at 10 and a keepalive at 13: All is the "second packet in
// phase a" timeline (7.5 J), Quiet an isolated wakeup (5.5 J); a
// keepalive alone at 30 wakes All only.
func TestMeterQuietLane(t *testing.T) {
	p := toy()
	m := NewMeter(&p, 1, 0)
	m.Packet(0, sec(10), true, 0, false)
	m.Packet(0, sec(13), false, 0, true)
	m.Packet(0, sec(30), true, 0, true)
	m.Finish(sec(100))
	if !near(m.All.EnergyJ, 7.5+5.5) || m.All.Wakeups != 2 || !near(m.Quiet.EnergyJ, 5.5) || m.Quiet.Wakeups != 1 {
		t.Fatalf("all %+v, quiet %+v; want 13 J in 2 wakeups, 5.5 J in 1", m.All, m.Quiet)
	}
}

// TestMeterTransfer: bytes cost their coefficient per direction, inside
// the window only; without coefficients the energy does not depend on
// bytes.
func TestMeterTransfer(t *testing.T) {
	p := toy()
	p.UpJPerByte, p.DownJPerByte = 1e-6, 2e-7
	m := NewMeter(&p, 1, sec(5))
	m.Packet(0, sec(1), true, 1000, false) // before the window: not counted
	m.Packet(0, sec(10), true, 1000, false)
	m.Packet(0, sec(10), false, 5000, false)
	m.Finish(sec(100))
	if want := 1000*1e-6 + 5000*2e-7; !near(m.All.TransferJ, want) {
		t.Errorf("transfer %g J, want %g", m.All.TransferJ, want)
	}
	plain := toy()
	for _, bytes := range []int{0, 52, 1 << 20} {
		m := NewMeter(&plain, 1, 0)
		m.Packet(0, sec(10), true, bytes, false)
		m.Finish(sec(100))
		if m.All.TransferJ != 0 || !near(m.All.EnergyJ, 5.5) {
			t.Errorf("%d bytes: %+v, want 5.5 J", bytes, m.All)
		}
	}
}

// TestPresets checks the presets against the figures typed here from
// their sources: tail lengths, and one isolated wakeup's energy.
func TestPresets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tail   time.Duration
		wakeup float64 // J: promotion plus tail
	}{
		// 0.2601 s x 1.2107 W; 0.1 s x 1.06 W; 0.02 s x (1.06 + 0.6202/20) W; 11.456 s x (1.06 + 0.6202/40) W
		{"lte", 11576 * time.Millisecond, 0.2601*1.2107 + 0.1*1.06 + 0.02*(1.06+0.6202/20) + 11.456*(1.06+0.6202/40)},
		{"umts", 14 * time.Second, 2*0.51 + 4*1.02 + 10*0.40},
		{"wifi", 238100 * time.Microsecond, 0.0791*0.1244 + 0.2381*0.1193},
		{"nr-sa", 15 * time.Second, 0.2601*1.2107 + 10.2*(1.06+0.6202/40) + 4.8*0.5943*43.2/1280},
	} {
		p, ok := Preset(tc.name)
		if !ok {
			t.Fatalf("no preset %q", tc.name)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if p.TailLength() != tc.tail || math.Abs(p.PerWakeup()-tc.wakeup) > 1e-9 {
			t.Errorf("%s: tail %v, %g J per wakeup; want %v, %g J", tc.name, p.TailLength(), p.PerWakeup(), tc.tail, tc.wakeup)
		}
	}
}

func TestValidate(t *testing.T) {
	p := toy()
	p.Tail = append(p.Tail, Phase{"c", 0, -1})
	p.PromotionW, p.BatteryWh = math.NaN(), 0
	err := p.Validate()
	for _, want := range []string{"tail.c.duration_s", "tail.c.power_w", "promotion_w", "battery_wh"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
