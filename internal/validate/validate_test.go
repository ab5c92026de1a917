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
	// One server, two sources: an arrival sees the other source busy with
	// probability beta / (1 + beta).
	if got := Engset(2, 1, 0.5); math.Abs(got-1.0/3) > 1e-12 {
		t.Errorf("Engset(2, 1, 0.5) = %v, want 1/3", got)
	}
	// A population and a table as large as validate --full's: the terms
	// (C(7320, 200) beta^200) overflow a float64 unless scaled, and the
	// finite-population formula must stay close to Erlang's (n >> C).
	for _, n := range []int{7320, 100000} {
		b := EngsetAtRate(n, 200, 181.4/90, 90)
		if d := math.Abs(b - ErlangB(200, 181.4)); math.IsNaN(b) || d > 0.002 {
			t.Errorf("EngsetAtRate(%d, 200, ...) = %v, Erlang %v", n, b, ErlangB(200, 181.4))
		}
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
		// A tolerance that dwarfs its prediction checks nothing.
		if c.Predicted >= 0.01 && c.Tolerance > c.Predicted/4 {
			t.Errorf("case %d %s: tolerance %v against a prediction of %v", c.Case, c.Quantity, c.Tolerance, c.Predicted)
		}
	}
	if len(checks) < 20 {
		t.Errorf("only %d checks", len(checks))
	}
}
