package sim

import (
	"fmt"
	"time"
)

// AdaptivePreset names an adaptive heartbeat algorithm.
type AdaptivePreset uint8

const (
	PresetMars      AdaptivePreset = iota // Tencent Mars smart heartbeat
	PresetCourier                         // Gojek Courier adaptive keepalive
	PresetEAS                             // Android's Exchange ActiveSync ping
	PresetComposite                       // doubling, then bisection (IEEE/ACM ToN 2018, RFC 5780 section 4.6)
	numAdaptivePresets
)

var adaptivePresetNames = [...]string{"mars", "courier", "eas", "composite"}

func (p AdaptivePreset) String() string {
	if int(p) < len(adaptivePresetNames) {
		return adaptivePresetNames[p]
	}
	return fmt.Sprintf("invalid(%d)", p)
}

// AdaptivePresetNames lists the presets' names, in the order of their
// constants.
func AdaptivePresetNames() []string { return adaptivePresetNames[:] }

// Adaptive holds the parameters of an adaptive heartbeat; which ones a
// preset reads is listed in adaptiveParams. Spans are durations, counts
// are counts of heartbeats.
type Adaptive struct {
	Preset     AdaptivePreset
	Min, Max   time.Duration // bounds of the interval
	Start      time.Duration // eas, composite: first interval
	Step       time.Duration // mars: probe step; courier: first step; eas: increment
	Margin     time.Duration // mars: back-off below a failed probe beyond Step; composite: run this far below the last success
	Resolution time.Duration // courier: the unit a failed value's ceiling sits below it; composite: bisection stops at this gap
	Successes  int           // mars: counted successes before a step up
	Failures   int           // mars: failures before a back-off; courier: fruitless trials of one value before it counts as failed
	WarmUp     int           // mars: beats at Min on every new connection
	ResetAfter int           // courier: failures of the converged value before the search starts again
	Reprobe    time.Duration // mars: a stable value is probed one Margin higher after this long without change
}

// adaptiveDefaults are each preset's parameters as its source has them.
var adaptiveDefaults = [numAdaptivePresets]Adaptive{
	// Tencent/mars mars/stn/config.h: MinHeartInterval 3.5 min,
	// MaxHeartInterval 10 min, HeartStep 60 s, SuccessStep 20 s,
	// BaseSuccCount 5, MaxHeartFailCount 2, NetStableTestCount 3;
	// smart_heartbeat.cc: a stable value is re-probed after 7 days.
	PresetMars: {Preset: PresetMars, Min: 210 * time.Second, Max: 600 * time.Second, Step: 60 * time.Second,
		Margin: 20 * time.Second, Successes: 5, Failures: 2, WarmUp: 3, Reprobe: 7 * 24 * time.Hour},
	// gojek/courier-android: the sample app's bounds 1 to 9 min, step 2
	// min, optimalKeepAliveResetLimit 10; minutes are the unit
	// (AdaptiveKeepAliveStateHandler: ceiling = failed - 1);
	// MAX_CURRENT_KEEPALIVE_FAILURE 3.
	PresetCourier: {Preset: PresetCourier, Min: time.Minute, Max: 9 * time.Minute, Step: 2 * time.Minute,
		Resolution: time.Minute, Failures: 3, ResetAfter: 10},
	// AOSP Exchange EasSyncService.java: PING_STARTING_HEARTBEAT 470 s,
	// PING_MIN_HEARTBEAT 290 s, PING_MAX_HEARTBEAT 1010 s,
	// PING_HEARTBEAT_INCREMENT 180 s.
	PresetEAS: {Preset: PresetEAS, Min: 290 * time.Second, Max: 1010 * time.Second, Start: 470 * time.Second,
		Step: 180 * time.Second},
	// Composite: start at 60 s, double up to 30 min, bisect to 10 s, run
	// 10 s below the last success (the project's choice within the
	// papers' scheme).
	PresetComposite: {Preset: PresetComposite, Min: 10 * time.Second, Max: 30 * time.Minute, Start: 60 * time.Second,
		Margin: 10 * time.Second, Resolution: 10 * time.Second},
}

// AdaptiveDefaults returns a preset's parameters as its source has them.
func AdaptiveDefaults(p AdaptivePreset) Adaptive { return adaptiveDefaults[p] }

// adaptiveState is one client's heartbeat algorithm state; it lives in a
// side array and survives reconnects (the real clients keep it per
// network). It is kept small (it shares a cache line with the engine's
// record of the client): what a field means depends on the preset.
type adaptiveState struct {
	// cur is mars's current value for the network, courier's value under
	// trial (-1: none yet), eas's heartbeat, composite's value under trial.
	cur time.Duration
	// last is mars's last_heart_ (the interval chosen after the beat in
	// flight), courier's and composite's last success (composite: 0, none).
	last time.Duration
	// ceil is courier's ceiling, composite's first failure (0: none yet),
	// eas's high-water mark, and mars's interval chosen after the
	// previous beat (what pre_heart_ compares).
	ceil time.Duration
	// step is courier's current step, and mars's last change of its
	// stored state (the instant its re-probe counts from).
	step time.Duration
	// connSucc is mars's successes on this connection; succ its counted
	// successes, courier's fruitless trials; fail mars's failures,
	// courier's failures of the converged value. All saturate at 255.
	connSucc, succ, fail uint8
	stable               bool // mars: is_stable_; courier, composite: converged; eas: dropped
	inited               bool
	inFlight             bool // a beat is waiting for its pong (across a reconnect: it failed)
	failed               bool // the connection being replaced ended in a failed beat
}

// inc adds one to a saturating count.
func inc(n *uint8) {
	if *n < 255 {
		*n++
	}
}

// init sets the state a client starts with.
func (a *Adaptive) init(st *adaptiveState) {
	*st = adaptiveState{inited: true, cur: a.Min, last: a.Min}
	switch a.Preset {
	case PresetMars:
		st.ceil = a.Min // pre_heart_
	case PresetCourier:
		st.last, st.ceil, st.step, st.cur = a.Min-a.Step, a.Max, a.Step, -1
	case PresetEAS:
		st.cur = a.Start
	case PresetComposite:
		st.cur, st.last = a.Start, 0
	}
}

// connected is a new connection set up: mars restarts its warm-up.
func (a *Adaptive) connected(st *adaptiveState) {
	if a.Preset == PresetMars {
		st.connSucc = 0
		st.ceil = a.Min
	}
}

// disconnected is a connection lost (after its result, if a beat was in
// flight): mars forgets its run of counted successes and, when stable,
// its last interval.
func (a *Adaptive) disconnected(st *adaptiveState) {
	if a.Preset == PresetMars {
		st.succ = 0
		if st.stable {
			st.last = a.Min
		}
	}
}

// next returns the interval until the next heartbeat, asked right after
// one is sent (mars asks then, and counts the beat's result against the
// answer; the others are asked at the same moment).
func (a *Adaptive) next(st *adaptiveState) time.Duration {
	switch a.Preset {
	case PresetMars:
		// SmartHeartbeat::GetNextHeartbeatInterval, app inactive, no doze.
		if int(st.connSucc) < a.WarmUp {
			st.last = a.Min
			return a.Min
		}
		st.last = st.cur
		if st.last >= a.Max || st.last < a.Min {
			st.cur, st.last = a.Min, a.Min
		}
		return st.last
	case PresetCourier:
		// OptimalKeepAliveCalculator.getUnderTrialKeepAlive.
		for !st.stable {
			ka := min(st.last+st.step, st.ceil)
			if ka == st.cur {
				inc(&st.succ)
			} else {
				st.cur, st.succ = ka, 0
			}
			if int(st.succ) < a.Failures {
				return st.cur
			}
			a.courierFailed(st, st.cur)
		}
		return st.last
	default:
		return st.cur
	}
}

// result is a heartbeat's outcome: answered in time (ok), or not. now
// is the instant, for mars's re-probe.
func (a *Adaptive) result(st *adaptiveState, ok bool, timedOut bool, now time.Duration) {
	switch a.Preset {
	case PresetMars:
		a.marsResult(st, ok, timedOut, now)
	case PresetCourier:
		switch {
		case st.stable && !ok:
			// onOptimalKeepAliveFailure: reset after ResetAfter failures.
			if inc(&st.fail); int(st.fail) >= a.ResetAfter {
				a.init(st)
			}
		case st.stable:
		case ok:
			// updateKeepAliveSuccessState
			st.last, st.succ = st.cur, 0
			if st.last == st.ceil {
				st.stable = true
			}
		default:
			a.courierFailed(st, st.cur)
		}
	case PresetEAS:
		// EasSyncService.runPingLoop.
		h := st.cur
		if ok {
			st.ceil = max(st.ceil, h)
			if h < a.Max && !st.stable {
				st.cur = min(h+a.Step, a.Max)
			}
		} else if h > a.Min && h > st.ceil {
			st.cur, st.stable = max(h-a.Step, a.Min), true
		}
	case PresetComposite:
		a.compositeResult(st, ok)
	}
}

// courierFailed is AdaptiveKeepAliveStateHandler.updateKeepAliveFailureState.
func (a *Adaptive) courierFailed(st *adaptiveState, ka time.Duration) {
	if ka == a.Min {
		st.stable, st.last, st.succ = true, a.Min, 0
		return
	}
	ceil := ka - a.Resolution
	switch {
	case st.last >= ceil:
		st.ceil, st.stable, st.succ = ceil, true, 0
	case st.step > a.Resolution:
		st.ceil, st.step, st.succ = ceil, st.step/2, 0
	default:
		// Unreachable with a step of one unit: last + step = ka.
		st.ceil, st.stable, st.succ = ceil, true, 0
	}
}

// compositeResult doubles until the first failure, then bisects between
// the last success and the first failure until they are Resolution
// apart, and then runs Margin below the last success; a failure once
// converged starts the search again from Start.
func (a *Adaptive) compositeResult(st *adaptiveState, ok bool) {
	switch {
	case st.stable && ok:
	case st.stable:
		a.init(st)
	case ok:
		st.last = st.cur
		if st.ceil == 0 {
			st.cur = min(2*st.cur, a.Max)
			if st.last == a.Max {
				st.stable = true
			}
		}
	default:
		if st.last == 0 { // failed before any success: halve
			st.cur = max(st.cur/2, a.Min)
			if st.cur == a.Min {
				st.last, st.stable = a.Min, true
			}
			return
		}
		st.ceil = st.cur
	}
	if !st.stable && st.ceil != 0 {
		if st.ceil-st.last <= a.Resolution {
			st.stable = true
			st.cur = max(st.last-a.Margin, a.Min)
			return
		}
		st.cur = st.last + (st.ceil-st.last)/2
	}
}

// marsResult is SmartHeartbeat::OnHeartResult for an inactive app on a
// network that is not in doze style (Tencent/mars smart_heartbeat.cc).
func (a *Adaptive) marsResult(st *adaptiveState, ok, timedOut bool, now time.Duration) {
	pre := st.ceil // pre_heart_ = cur_heart_; cur_heart_ = last_heart_
	st.ceil = st.last
	if ok {
		inc(&st.connSucc)
	}
	if int(st.connSucc) <= a.WarmUp {
		return // warm-up beats at Min count for nothing
	}
	if st.last != st.cur {
		return // "last heart & cur_heart not match, ignore"
	}
	if ok {
		if st.last == pre {
			inc(&st.succ)
			st.fail = 0
		}
	} else {
		if timedOut {
			st.succ = 0
		}
		inc(&st.fail)
	}
	top := a.Max - a.Margin
	switch {
	case ok && st.stable:
		if st.cur < top && now-st.step >= a.Reprobe {
			st.cur += a.Margin
			st.succ, st.fail, st.stable = 0, 0, false
			st.step = now
		}
		return // no save: the modification time stays
	case ok:
		if int(st.succ) >= a.Successes {
			st.succ = 0
			if st.cur >= top {
				st.cur, st.stable = top, true
			} else {
				st.cur = min(st.cur+a.Step, top)
			}
		}
	case st.last == a.Min:
		return
	case int(st.fail) >= a.Failures:
		if st.stable {
			st.cur, st.succ, st.stable, st.fail = a.Min, 0, false, 0
		} else {
			st.cur = max(st.cur-a.Step-a.Margin, a.Min)
			st.succ, st.fail, st.stable = 0, 0, true
		}
	}
	st.step = now // __SaveINI: the state's modification time
}
