package validate

import "math"

// ErlangB is Erlang's loss formula: the share of Poisson arrivals refused
// by c servers offered a erlangs (any holding-time distribution), by the
// stable recursion B(k) = a B(k-1) / (k + a B(k-1)).
func ErlangB(c int, a float64) float64 {
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// Engset is the call congestion of c servers fed by n sources, each
// offering beta erlangs while idle (finite-population loss): the share of
// arrivals that find all servers busy. It tends to ErlangB(c, n beta) as
// n grows; the gap between the two is the error of treating a finite
// population as Poisson.
func Engset(n, c int, beta float64) float64 {
	// Arrivals see the time congestion of a system with n-1 sources.
	full, _ := engsetState(n-1, c, beta)
	return full
}

// engsetState returns, for m sources offering beta erlangs each while
// idle to c servers, the share of time all c are busy and the mean number
// busy: p_k ~ C(m, k) beta^k, with the terms scaled down as they grow so
// that a large population does not overflow (C(7320, 200) 90^200 would).
func engsetState(m, c int, beta float64) (full, busy float64) {
	term, sum, weighted := 1.0, 1.0, 0.0 // k = 0
	for k := 1; k <= c; k++ {
		term *= float64(m-k+1) / float64(k) * beta
		sum += term
		weighted += float64(k) * term
		if term > 1e100 {
			term, sum, weighted = term/1e100, sum/1e100, weighted/1e100
		}
	}
	return term / sum, weighted / sum
}

// CheTime solves Che's approximation for an LRU cache of capacity c under
// independent Poisson references: the characteristic time t such that
// sum_i n_i (1 - e^(-rate_i t)) = c. A class's miss ratio is then
// e^(-rate_i t). Rates are per second; the result is in seconds.
func CheTime(counts []int, rates []float64, c float64) float64 {
	occupied := func(t float64) float64 {
		var s float64
		for i, n := range counts {
			s += float64(n) * -math.Expm1(-rates[i]*t)
		}
		return s
	}
	hi := 1.0
	for occupied(hi) < c {
		hi *= 2
	}
	return solve(occupied, c, 0, hi)
}

// solve finds x in [lo, hi] with f(x) = y for f increasing, by bisection.
func solve(f func(float64) float64, y, lo, hi float64) float64 {
	for range 200 {
		mid := (lo + hi) / 2
		if f(mid) < y {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// EngsetAtRate is Engset's call congestion for n sources and c servers
// with mean holding time hold (seconds), at the per-idle-source rate that
// makes the total attempt rate equal rate (per second): the finite
// population counterpart of ErlangB(c, rate x hold).
func EngsetAtRate(n, c int, rate, hold float64) float64 {
	// In Engset's model the time congestion is p_k ~ C(n, k) beta^k with
	// beta = alpha x hold, and attempts come at alpha (n - E[busy]).
	attemptRate := func(alpha float64) float64 {
		_, busy := engsetState(n, c, alpha*hold)
		return alpha * (float64(n) - busy)
	}
	alpha := solve(attemptRate, rate, 0, rate/float64(n-c)+1)
	return Engset(n, c, alpha*hold)
}
