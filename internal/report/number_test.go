package report

import (
	"testing"
	"time"
)

// TestNumbers holds the rules of each number format, a table per
// format: counts whole when the replications agree, the one precision
// rule (three significant digits, never a digit before the decimal point
// rounded away), percentages and scaled bytes by the same rule.
func TestNumbers(t *testing.T) {
	type c struct {
		v    float64
		want string
	}
	for _, f := range []struct {
		name   string
		format func(float64) string
		cases  []c
	}{
		{"Count", Count, []c{
			{0, "0"}, {3, "3"}, {999, "999"}, {1000, "1,000"}, {1797311, "1,797,311"},
			{148.66666, "148.7"}, // replications disagreed: one decimal
			{44514.333333, "44,514.3"},
			{3 * (1.0 / 3), "1"},             // a mean of agreeing runs, off by a rounding error
			{(3.0 + 3 + 3) * (1.0 / 3), "3"}, // the same, as Aggregate sums and scales
			{0.5, "0.5"}, {-1234, "-1,234"},
		}},
		{"Number", Number, []c{
			{0, "0"}, {1, "1.00"}, {6.818, "6.82"}, {82.43, "82.4"}, {344.6, "345"}, {1935.3, "1,935"},
			{58333.33, "58,333"}, {0.006783, "0.00678"}, {0.00013043, "0.000130"},
			{9.996, "10.0"}, {99.96, "100"}, {0.09996, "0.100"}, {-6.818, "-6.82"},
		}},
		{"Percent", Percent, []c{
			{0, "0%"}, {1, "100%"}, {0.824, "82.4%"}, {0.0009083, "0.0908%"}, {0.5, "50.0%"}, {0.00000123, "0.000123%"},
		}},
		{"Bytes", Bytes, []c{
			{0, "0 B"}, {156, "156 B"}, {0.006783, "0.00678 B"}, {999, "999 B"},
			{999.7, "1.00 kB"}, // scaled by the rounded value
			{1040, "1.04 kB"}, {206128, "206 kB"}, {60680083, "60.7 MB"}, {105577360, "106 MB"},
			{3.2e9, "3.20 GB"}, {4.5e15, "4,500 TB"},
		}},
	} {
		for _, tc := range f.cases {
			if got := f.format(tc.v); got != tc.want {
				t.Errorf("%s(%v) = %q, want %q", f.name, tc.v, got, tc.want)
			}
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {time.Millisecond, "1ms"}, {20 * time.Millisecond, "20ms"}, {1234567, "1.23ms"},
		{1500 * time.Millisecond, "1.5s"}, {37249 * time.Millisecond, "37.2s"}, {9996 * time.Millisecond, "10s"},
		{99960 * time.Millisecond, "1m40s"},
		{1277 * time.Second, "21m17s"}, {4 * time.Minute, "4m"}, {2 * time.Hour, "2h"},
		{3655 * time.Second, "1h0m55s"}, {7510 * time.Second, "2h5m10s"}, {90 * time.Minute, "1h30m"},
		{120 * time.Hour, "120h"}, {1336400 * time.Millisecond, "22m16s"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := Seconds(1277.4); got != "21m17s" {
		t.Errorf("Seconds(1277.4) = %q, want 21m17s", got)
	}
}

// TestWithCI holds that a half-width is written in its mean's unit, and
// left out when the replications agreed.
func TestWithCI(t *testing.T) {
	for _, tc := range []struct {
		v, hw float64
		has   bool
		u     unit
		want  string
	}{
		{1935.3, 6.818, true, plain, "1,935 ± 6.82"},
		{1935.3, 6.818, false, plain, "1,935"},
		{0.824, 0.0009083, true, percent, "82.4 ± 0.0908%"},
		{1040, 1.643, true, bytes, "1.04 ± 0.00164 kB"},
		{10000, 0, true, plain, "10,000"},
	} {
		if got := withCI(tc.v, tc.hw, tc.has, tc.u); got != tc.want {
			t.Errorf("withCI(%v, %v, %v, %v) = %q, want %q", tc.v, tc.hw, tc.has, tc.u, got, tc.want)
		}
	}
}
