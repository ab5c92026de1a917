package scenarios

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/natsim/natsim/radio"
)

// RadioSpec is a group's radio: a preset whose parameters may be
// overridden, or every parameter without one.
type RadioSpec struct {
	Preset     *string  `yaml:"preset,omitempty"`
	PromotionS *float64 `yaml:"promotion_s,omitempty"`
	PromotionW *float64 `yaml:"promotion_w,omitempty"`
	// Tail is the phases after the last packet, in order. With a preset,
	// an item overrides the given fields of the preset's phase of that
	// name; without one, it is the whole tail.
	Tail          []PhaseSpec `yaml:"tail,omitempty"`
	IdleW         *float64    `yaml:"idle_w,omitempty"`
	UpUJPerByte   *float64    `yaml:"up_uj_per_byte,omitempty"`
	DownUJPerByte *float64    `yaml:"down_uj_per_byte,omitempty"`
	BatteryWh     *float64    `yaml:"battery_wh,omitempty"`
}

// PhaseSpec is one phase of a radio's tail.
type PhaseSpec struct {
	Name      string   `yaml:"name,omitempty"`
	DurationS *float64 `yaml:"duration_s,omitempty"`
	PowerW    *float64 `yaml:"power_w,omitempty"`
}

// maxRadioSpan bounds a radio's promotion and each tail phase: a day is
// far beyond any radio timer, and keeps instants far from overflow.
const maxRadioSpan = 24 * time.Hour

// radio resolves a group's radio at path.
func (r *resolver) radio(path string, s *RadioSpec) *radio.Profile {
	var p radio.Profile
	if s.Preset != nil {
		var ok bool
		if p, ok = radio.Preset(*s.Preset); !ok {
			r.bad(path+".preset", unknownMsg("radio preset", *s.Preset, radio.Presets()), strconv.Quote(*s.Preset))
			return nil
		}
	} else {
		why := " without a preset (" + strings.Join(radio.Presets(), ", ") + ")"
		r.required(path+".promotion_s", s.PromotionS != nil, why)
		r.required(path+".promotion_w", s.PromotionW != nil, why)
		r.required(path+".tail", s.Tail != nil, why)
		p.BatteryWh = radio.DefaultBatteryWh
	}
	if s.PromotionS != nil {
		p.Promotion = r.span(path+".promotion_s", *s.PromotionS, true)
	}
	r.watts(path+".promotion_w", s.PromotionW, &p.PromotionW)
	r.watts(path+".idle_w", s.IdleW, &p.IdleW)
	r.perByte(path+".up_uj_per_byte", s.UpUJPerByte, &p.UpJPerByte)
	r.perByte(path+".down_uj_per_byte", s.DownUJPerByte, &p.DownJPerByte)
	if s.BatteryWh != nil {
		if p.BatteryWh = *s.BatteryWh; !(p.BatteryWh > 0) || math.IsInf(p.BatteryWh, 0) {
			r.bad(path+".battery_wh", "must be a number > 0", formatFloat(p.BatteryWh))
		}
	}
	if s.Preset == nil {
		p.Tail = make([]radio.Phase, 0, len(s.Tail))
	}
	for _, ph := range s.Tail {
		pp := path + ".tail." + ph.Name
		i := slices.IndexFunc(p.Tail, func(x radio.Phase) bool { return x.Name == ph.Name })
		if s.Preset == nil {
			r.required(pp+".duration_s", ph.DurationS != nil, "")
			r.required(pp+".power_w", ph.PowerW != nil, "")
			p.Tail = append(p.Tail, radio.Phase{Name: ph.Name})
			i = len(p.Tail) - 1
		} else if i < 0 {
			names := make([]string, len(p.Tail))
			for j, x := range p.Tail {
				names[j] = x.Name
			}
			r.bad(pp, "unknown phase of radio preset "+*s.Preset+" (a tail of your own needs no preset); phases: "+strings.Join(names, ", "), strconv.Quote(ph.Name))
			continue
		}
		if ph.DurationS != nil {
			p.Tail[i].Duration = r.span(pp+".duration_s", *ph.DurationS, false)
		}
		r.watts(pp+".power_w", ph.PowerW, &p.Tail[i].PowerW)
	}
	if s.Tail != nil && len(s.Tail) == 0 {
		r.bad(path+".tail", "needs at least one phase", "[]")
	}
	return &p
}

// span converts seconds at path to a duration: >= 0 (> 0 unless zero is
// allowed) and at most maxRadioSpan.
func (r *resolver) span(path string, secs float64, zero bool) time.Duration {
	if !(secs > 0 || zero && secs == 0) || secs > maxRadioSpan.Seconds() {
		lo := "> 0"
		if zero {
			lo = ">= 0"
		}
		r.bad(path, "must be a number of seconds "+lo+" and at most "+strconv.Itoa(int(maxRadioSpan.Seconds())), formatFloat(secs))
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// watts sets *dst to an optional power at path, which must be >= 0.
func (r *resolver) watts(path string, v *float64, dst *float64) { r.amount(path, v, dst, "watts", 1) }

// perByte sets *dst to an optional energy per byte at path, given in
// microjoules, in joules.
func (r *resolver) perByte(path string, uj *float64, dst *float64) {
	r.amount(path, uj, dst, "microjoules", 1e-6)
}

// amount sets *dst to scale times an optional finite number of unit at
// path, which must be >= 0.
func (r *resolver) amount(path string, v *float64, dst *float64, unit string, scale float64) {
	if v == nil {
		return
	}
	if !(*v >= 0) || math.IsInf(*v, 0) {
		r.bad(path, "must be a number of "+unit+" >= 0", formatFloat(*v))
		return
	}
	*dst = *v * scale
}

func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
