package radio

import (
	"slices"
	"time"
)

// DefaultBatteryWh is a phone battery of 3.85 V x 3000 mAh.
const DefaultBatteryWh = 11.55

// ms is a span of x milliseconds.
func ms(x float64) time.Duration { return time.Duration(x * float64(time.Millisecond)) }

// LTE's figures (Huang et al., "A Close Examination of Performance and
// Power Characteristics of 4G LTE Networks", MobiSys 2012; the same model
// as AT&T ARO's lte.conf): the tail's base power is 1060 mW, with 1 ms
// on-durations at 1680.2 mW every short (20 ms) or long (40 ms) DRX
// cycle; idle pages for 43.2 ms at 594.3 mW every 1.28 s.
const (
	lteBaseW    = 1.060
	lteOnW      = 1.6802
	lteTail     = 11576 * time.Millisecond
	lteShortDRX = 20 * time.Millisecond // the short DRX phase: one short cycle
	lteCR       = 100 * time.Millisecond
	lteIdleW    = 0.5943 * 43.2 / 1280
)

// drx is the time-averaged power of a DRX phase whose 1 ms on-duration
// comes once per cycle of cycleMs milliseconds.
func drx(cycleMs float64) float64 { return lteBaseW + (lteOnW-lteBaseW)/cycleMs }

// presets are the built-in profiles, by name; docs/radio.md gives each
// figure's source.
var presets = map[string]Profile{
	"lte": {
		Promotion: ms(260.1), PromotionW: 1.2107,
		Tail: []Phase{
			{"continuous-reception", lteCR, lteBaseW},
			{"short-drx", lteShortDRX, drx(20)},
			{"long-drx", lteTail - lteCR - lteShortDRX, drx(40)},
		},
		IdleW: lteIdleW, BatteryWh: DefaultBatteryWh,
	},
	// AT&T ARO's 3G profile (imap.conf); Qian et al., IMC 2010.
	"umts": {
		Promotion: 2 * time.Second, PromotionW: 0.51,
		Tail: []Phase{
			{"dch", 4 * time.Second, 1.02},
			{"fach", 10 * time.Second, 0.40},
		},
		BatteryWh: DefaultBatteryWh,
	},
	// Huang et al. 2012: idle beacons are 7.6 ms at 77.2 mW every 308.2 ms.
	"wifi": {
		Promotion: ms(79.1), PromotionW: 0.1244,
		Tail:  []Phase{{"tail", ms(238.1), 0.1193}},
		IdleW: 0.0772 * 7.6 / 308.2, BatteryWh: DefaultBatteryWh,
	},
	// 5G standalone: the timers of T-Mobile's SA low-band network
	// (Narayanan et al., "A Variegated Look at 5G in the Wild", SIGCOMM
	// 2021: connected for 10.2 s after the last packet, then RRC_INACTIVE
	// until 15 s). The powers are not published there: assumed LTE's
	// (promotion, long DRX while connected, idle paging while inactive).
	"nr-sa": {
		Promotion: ms(260.1), PromotionW: 1.2107,
		Tail: []Phase{
			{"connected", ms(10200), drx(40)},
			{"inactive", ms(4800), lteIdleW},
		},
		IdleW: lteIdleW, BatteryWh: DefaultBatteryWh,
	},
}

// Preset returns a copy of the named profile.
func Preset(name string) (Profile, bool) {
	p, ok := presets[name]
	return p.Clone(), ok
}

// Presets lists the presets' names, sorted.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
