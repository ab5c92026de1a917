package plots

import (
	"math"
	"testing"

	"gonum.org/v1/plot"
)

// TestSymLogNormalize: with LinThresh 1 on [0, 1000] the transform is
// x within [0, 1] and 1 + log10(x) beyond, so 1000 is at 4 and the
// fractions are the transform over 4, worked by hand.
func TestSymLogNormalize(t *testing.T) {
	s := SymLog{LinThresh: 1}
	for _, tc := range []struct{ x, want float64 }{
		{0, 0},
		{0.5, 0.125},        // 0.5 / 4
		{1, 0.25},           // 1 / 4
		{10, 0.5},           // (1 + 1) / 4
		{100, 0.75},         // (1 + 2) / 4
		{1000, 1},           // (1 + 3) / 4
		{31.6227766, 0.625}, // 1 + 1.5
	} {
		if got := s.Normalize(0, 1000, tc.x); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Normalize(0, 1000, %g) = %g, want %g", tc.x, got, tc.want)
		}
	}
	// Symmetric: on [-100, 100] with threshold 10, -100 is at -2, -10 at
	// -1, 0 at 0, 5 at 0.5, 100 at 2: fractions (f + 2) / 4.
	s = SymLog{LinThresh: 10}
	for _, tc := range []struct{ x, want float64 }{{-100, 0}, {-10, 0.25}, {0, 0.5}, {5, 0.625}, {100, 1}} {
		if got := s.Normalize(-100, 100, tc.x); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Normalize(-100, 100, %g) = %g, want %g", tc.x, got, tc.want)
		}
	}
}

// TestSymLogTicks: on [0, 300] with LinThresh 1, labelled 0, 0.5, 1, 10,
// 100; unlabelled 2 ... 9, 20 ... 90, 200 and 300.
func TestSymLogTicks(t *testing.T) {
	ts := SymLogTicks{LinThresh: 1}.Ticks(0, 300)
	var labelled []string
	var minor []float64
	for _, tk := range ts {
		if tk.Label != "" {
			labelled = append(labelled, tk.Label)
		} else {
			minor = append(minor, tk.Value)
		}
	}
	wantLab := []string{"0", "0.5", "1", "10", "100"}
	wantMinor := []float64{2, 3, 4, 5, 6, 7, 8, 9, 20, 30, 40, 50, 60, 70, 80, 90, 200, 300}
	if !equal(labelled, wantLab) {
		t.Errorf("labelled %v, want %v", labelled, wantLab)
	}
	if len(minor) != len(wantMinor) {
		t.Fatalf("minor %v, want %v", minor, wantMinor)
	}
	for i := range minor {
		if math.Abs(minor[i]-wantMinor[i]) > 1e-9 {
			t.Errorf("minor %v, want %v", minor, wantMinor)
			break
		}
	}
	// In increasing order, as gonum draws them; and both sides.
	ts = SymLogTicks{LinThresh: 0.1}.Ticks(-10, 10)
	for i := 1; i < len(ts); i++ {
		if !(ts[i].Value > ts[i-1].Value) {
			t.Fatalf("ticks out of order: %v", ts)
		}
	}
	if got := labels(ts); !equal(got, []string{"-10", "-1", "-0.1", "-0.05", "0", "0.05", "0.1", "1", "10"}) {
		t.Errorf("labels %v", got)
	}
}

func labels(ts []plot.Tick) []string {
	var out []string
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
