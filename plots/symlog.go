package plots

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
)

// SymLog is a symmetric-log axis scale: linear within ±LinThresh, where
// the values that matter may be 0 and a few tenths, and logarithmic
// beyond, a decade taking as much room as the linear part (0 to
// LinThresh). It takes zero and negative values, which a log scale
// cannot.
type SymLog struct {
	LinThresh float64 // > 0
}

var _ plot.Normalizer = SymLog{}

// forward is the scale's transform: x / t within ±t, else
// sign(x) (1 + log10(|x| / t)).
func (s SymLog) forward(x float64) float64 {
	t := s.LinThresh
	if a := math.Abs(x); a > t {
		return math.Copysign(1+math.Log10(a/t), x)
	}
	return x / t
}

// inverse undoes forward.
func (s SymLog) inverse(f float64) float64 {
	t := s.LinThresh
	if a := math.Abs(f); a > 1 {
		return math.Copysign(t*math.Pow(10, a-1), f)
	}
	return f * t
}

// Normalize returns where x lies between min and max on the scale, as a
// fraction: 0 at min, 1 at max.
func (s SymLog) Normalize(min, max, x float64) float64 {
	lo, hi := s.forward(min), s.forward(max)
	if hi == lo {
		return 0.5
	}
	return (s.forward(x) - lo) / (hi - lo)
}

// SymLogTicks marks a SymLog axis: labelled ticks at 0, at ±LinThresh
// and its halves, and at each power of ten beyond; unlabelled ticks at
// 2 ... 9 times each power of ten beyond LinThresh.
type SymLogTicks struct {
	LinThresh float64
}

var _ plot.Ticker = SymLogTicks{}

// Ticks returns the ticks between min and max, in increasing order.
func (s SymLogTicks) Ticks(min, max float64) []plot.Tick {
	t := s.LinThresh
	var ts []plot.Tick
	add := func(v float64, label bool) {
		if v < min || v > max {
			return
		}
		tk := plot.Tick{Value: v}
		if label {
			tk.Label = strconv.FormatFloat(v, 'g', -1, 64)
		}
		ts = append(ts, tk)
	}
	// The powers of ten above t whose decade reaches into [t, limit]
	// (add leaves out the ticks beyond it).
	decades := func(limit float64) []float64 {
		var ps []float64
		for p := math.Pow(10, math.Ceil(math.Log10(t))); p < 10*limit*(1+1e-12); p *= 10 {
			if p > t {
				ps = append(ps, p)
			}
		}
		return ps
	}
	for _, p := range decades(-min) {
		for m := 2; m <= 9; m++ {
			if v := -p * float64(m) / 10; v < -t {
				add(v, false)
			}
		}
		add(-p, true)
	}
	for _, v := range []float64{-t, -t / 2, 0, t / 2, t} {
		add(v, true)
	}
	for _, p := range decades(max) {
		for m := 2; m <= 9; m++ {
			if v := p * float64(m) / 10; v > t {
				add(v, false)
			}
		}
		add(p, true)
	}
	slices.SortFunc(ts, func(a, b plot.Tick) int { return cmp.Compare(a.Value, b.Value) })
	return ts
}
