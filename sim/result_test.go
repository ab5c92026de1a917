package sim

import (
	"math"
	"testing"
)

// TestHalfWidthTextbook checks the confidence interval against a worked
// example: ten measurements with mean 10.06 and sample standard deviation
// 0.2459 give a 95% half-width of t(0.975, 9) * s / sqrt(10) = 2.2622 *
// 0.2459 / 3.1623 = 0.1759 (any statistics text; t(0.975, 9) = 2.2622).
func TestHalfWidthTextbook(t *testing.T) {
	xs := []float64{9.8, 10.2, 10.4, 9.8, 10.0, 10.2, 9.6, 10.1, 10.3, 10.2}
	h := halfWidth(xs, func(x float64) float64 { return x })
	var sum, sq float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / 10
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	want := 2.262157 * math.Sqrt(sq/9) / math.Sqrt(10)
	if math.Abs(h-want) > 1e-5 || math.Abs(TQuantile(0.975, 9)-2.262157) > 1e-5 || math.Abs(TQuantile(0.975, 1)-12.7062) > 1e-3 {
		t.Fatalf("half-width %v, want %v (t = %v)", h, want, TQuantile(0.975, 9))
	}
}

func TestMeanOfAveragesNestedFloats(t *testing.T) {
	a := GroupResult{Name: "g", Clients: 10, Breaks: Breaks{Total: 2}, Detection: Latency{P50: 1}}
	b := GroupResult{Name: "g", Clients: 10, Breaks: Breaks{Total: 4}, Detection: Latency{P50: 3}}
	m := meanOf([]GroupResult{a, b})
	if m.Name != "g" || m.Clients != 10 || m.Breaks.Total != 3 || m.Detection.P50 != 2 {
		t.Fatalf("%+v", m)
	}
}

func TestQuantileNearestRank(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for q, want := range map[float64]float64{0.5: 5, 0.9: 9, 0.99: 10, 1: 10, 0.1: 1} {
		if got := quantile(xs, q); got != want {
			t.Errorf("q%v = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("empty")
	}
}
