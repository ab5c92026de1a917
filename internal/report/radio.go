package report

import (
	"strconv"

	"github.com/natsim/natsim/sim"
)

// radio writes the energy of a group's radios, if it has them: wakeups
// and active time, then energy, the keepalives' share, idle energy and
// the battery a day of it takes.
func (p *printer) radio(cg *sim.Group, g sim.GroupResult, ci sim.RadioCI95) {
	r := g.Radio
	if r == (sim.RadioResult{}) {
		return
	}
	pm := func(v, hw float64, u unit) string { return withCI(v, hw, g.CI95 != nil, u) }
	p.line("radio", "%s wakeups and %s s active per client-hour", Number(r.WakeupsPerClientHour), Number(r.ActiveSPerClientHour))
	p.line("radio energy", "%s J per client-hour, %s J of it for keepalives; idle %s J",
		pm(r.EnergyJPerClientHour, ci.EnergyJPerClientHour, plain),
		pm(r.KeepaliveEnergyJPerClientHour, ci.KeepaliveEnergyJPerClientHour, plain), Number(r.IdleEnergyJPerClientHour))
	battery := "the battery"
	if cg != nil && cg.Radio != nil {
		battery = "the " + strconv.FormatFloat(cg.Radio.BatteryWh, 'g', -1, 64) + " Wh battery"
	}
	p.line("battery", "%s%% of %s per day (energy and idle)", pm(r.BatteryPercentPerDay, ci.BatteryPercentPerDay, plain), battery)
}
