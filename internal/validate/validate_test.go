package validate

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestErlangBKnownValues(t *testing.T) {
	// Tabulated: B(10, 5) = 0.018384, B(1, 1) = 0.5, B(20, 15) = 0.045593.
	for _, tc := range []struct {
		c    int
		a, b float64
	}{{1, 1, 0.5}, {10, 5, 0.018384}, {20, 15, 0.045593}} {
		if got := ErlangB(tc.c, tc.a); math.Abs(got-tc.b) > 5e-6 {
			t.Errorf("B(%d, %v) = %v, want %v", tc.c, tc.a, got, tc.b)
		}
	}
	// Engset tends to Erlang B as the population grows.
	if d := math.Abs(Engset(1_000_000, 10, 5e-6) - ErlangB(10, 5)); d > 1e-4 {
		t.Errorf("Engset far from Erlang for a large population: %v", d)
	}
}

func TestCheTime(t *testing.T) {
	// One class of n clients: n (1 - e^(-rate t)) = c, so t = -ln(1 - c/n) / rate.
	tc := CheTime([]int{1000}, []float64{0.1}, 600)
	if want := -math.Log(0.4) / 0.1; math.Abs(tc-want) > 1e-6 {
		t.Errorf("t_C = %v, want %v", tc, want)
	}
}

// TestShortSuitePasses runs every case of natsim validate at its short
// size: each simulated value must agree with its closed form.
func TestShortSuitePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("the validation suite takes a few seconds")
	}
	checks, err := Run(context.Background(), Short, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	WriteTable(&buf, checks)
	t.Log(buf.String())
	for _, c := range checks {
		if !c.Pass {
			t.Errorf("case %d %s: predicted %v, simulated %v (tolerance %v)", c.Case, c.Quantity, c.Predicted, c.Simulated, c.Tolerance)
		}
	}
	if len(checks) < 20 {
		t.Errorf("only %d checks", len(checks))
	}
}
