package target

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/natsim/natsim/sim"
)

// PoissonUpper is the exact one-sided upper confidence bound (Garwood) on
// the mean of a Poisson count of which k were seen: chi2(c; 2k+2) / 2.
// For k = 0 it is -ln(1-c). Divide by the exposure for a rate.
func PoissonUpper(k, confidence float64) float64 {
	k = math.Max(0, math.Round(k))
	return distuv.ChiSquared{K: 2*k + 2}.Quantile(confidence) / 2
}

// TUpper is the one-sided Student-t upper confidence bound on the mean
// of xs, mean + t(c; n-1) s / sqrt(n); ok is false with fewer than two.
func TUpper(xs []float64, confidence float64) (bound float64, ok bool) {
	if len(xs) < 2 {
		return 0, false
	}
	mean, se := sim.MeanSE(xs)
	return mean + sim.TQuantile(confidence, len(xs)-1)*se, true
}

// MaxIsQuantileBound reports whether the largest of n independent draws
// is an upper bound on their q-quantile at the given confidence: it falls
// below the quantile with probability q^n.
func MaxIsQuantileBound(n, q, confidence float64) bool {
	return n >= DrawsForQuantileBound(q, confidence)
}

// DrawsForQuantileBound is the fewest independent draws whose largest is
// an upper bound on the q-quantile at the given confidence: the smallest
// n with 1 - q^n >= c.
func DrawsForQuantileBound(q, confidence float64) float64 {
	return math.Ceil(math.Log1p(-confidence)/math.Log(q) - 1e-9)
}

// ExposureFor is the exposure at which a count observed at rate (events
// per unit of exposure) would have an upper bound at or below limit (per
// unit), if the rate held: the smallest E with PoissonUpper(rate E) / E
// <= limit. It is +Inf when rate >= limit (no exposure shows it).
func ExposureFor(rate, limit, confidence float64) float64 {
	if limit <= 0 || rate >= limit {
		return math.Inf(1)
	}
	ok := func(e float64) bool { return PoissonUpper(rate*e, confidence)/e <= limit }
	lo, hi := 0.0, PoissonUpper(0, confidence)/limit
	for !ok(hi) {
		lo, hi = hi, 2*hi
	}
	for range 60 {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
