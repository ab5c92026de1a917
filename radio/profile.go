package radio

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Phase is one stage of a radio's tail.
type Phase struct {
	Name     string
	Duration time.Duration // how long the phase lasts once reached
	PowerW   float64       // time-averaged power during the phase, watts
}

// Profile is one radio's power model.
type Profile struct {
	Promotion  time.Duration // IDLE to CONNECTED
	PromotionW float64       // power during the promotion, watts
	Tail       []Phase       // after the last packet, in order; at least one
	IdleW      float64       // power while IDLE, watts (paging, beacons)
	// UpJPerByte and DownJPerByte are the transfer energy of a byte sent
	// and received, joules; both zero leaves it out.
	UpJPerByte, DownJPerByte float64
	// BatteryWh is the battery that battery_percent_per_day is a share of,
	// watt-hours.
	BatteryWh float64
}

// TailLength is the time from the last packet to IDLE.
func (p *Profile) TailLength() time.Duration {
	var t time.Duration
	for _, ph := range p.Tail {
		t += ph.Duration
	}
	return t
}

// PerWakeup is the energy of one isolated wakeup: a promotion and a whole
// tail, joules (transfer energy aside).
func (p *Profile) PerWakeup() float64 {
	e := p.Promotion.Seconds() * p.PromotionW
	for _, ph := range p.Tail {
		e += ph.Duration.Seconds() * ph.PowerW
	}
	return e
}

// Validate reports every parameter out of range at once.
func (p *Profile) Validate() error {
	var errs []error
	bad := func(field string, v any, msg string) {
		errs = append(errs, fmt.Errorf("radio: %s must be %s (got %v)", field, msg, v))
	}
	if p.Promotion < 0 {
		bad("promotion_s", p.Promotion.Seconds(), ">= 0")
	}
	if len(p.Tail) == 0 {
		errs = append(errs, errors.New("radio: tail needs at least one phase"))
	}
	for _, ph := range p.Tail {
		if ph.Duration <= 0 {
			bad("tail."+ph.Name+".duration_s", ph.Duration.Seconds(), "> 0")
		}
		if !(ph.PowerW >= 0) {
			bad("tail."+ph.Name+".power_w", ph.PowerW, ">= 0")
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"promotion_w", p.PromotionW}, {"idle_w", p.IdleW}, {"up_uj_per_byte", p.UpJPerByte}, {"down_uj_per_byte", p.DownJPerByte}} {
		if !(f.v >= 0) {
			bad(f.name, f.v, ">= 0")
		}
	}
	if !(p.BatteryWh > 0) {
		bad("battery_wh", p.BatteryWh, "> 0")
	}
	return errors.Join(errs...)
}

// Clone returns a copy of p that shares nothing with it.
func (p Profile) Clone() Profile {
	p.Tail = slices.Clone(p.Tail)
	return p
}
