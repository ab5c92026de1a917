package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Count writes a count, or the mean of a count over replications: whole
// with thousands separators when it is whole (the replications agreed),
// else with one decimal.
func Count(v float64) string {
	if r := math.Round(v); math.Abs(v-r) <= 1e-9*max(1, math.Abs(v)) {
		return group(strconv.FormatFloat(r, 'f', 0, 64))
	}
	return group(strconv.FormatFloat(v, 'f', 1, 64))
}

// Number writes a measure (a rate, a mean, a quantile) with three
// significant digits, never rounding away digits before the decimal
// point, with thousands separators: 1,935, 82.4, 6.82, 0.00678.
func Number(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return group(strconv.FormatFloat(v, 'f', decimals(v), 64))
}

// rounded is v rounded as Number writes it.
func rounded(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', decimals(v), 64), 64)
	return r
}

// decimals is how many decimals give v three significant digits (none
// for |v| >= 100), counted after rounding: 9.996 is 10.0, not 10.00.
func decimals(v float64) int {
	d := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	if d > 0 {
		if r, _ := strconv.ParseFloat(strconv.FormatFloat(math.Abs(v), 'f', d, 64), 64); r >= math.Pow(10, float64(3-d)) {
			d--
		}
	}
	return max(d, 0)
}

// Percent writes a fraction as a percentage by the rule of Number:
// 0.824 is 82.4%.
func Percent(f float64) string { return Number(100*f) + "%" }

// byteUnits are traffic units, powers of 1000.
var byteUnits = []string{"B", "kB", "MB", "GB", "TB"}

// Bytes writes a byte count or rate scaled to its unit by the rule of
// Number: 156 B, 1.04 kB, 60.7 MB.
func Bytes(v float64) string {
	n, unit := scaleBytes(v)
	return Number(v/n) + " " + unit
}

// scaleBytes picks the unit of v: its size in bytes and its name.
func scaleBytes(v float64) (float64, string) {
	n := 1.0
	for _, unit := range byteUnits[:len(byteUnits)-1] {
		// Scaled by the rounded value, so that 999.7 B is 1.00 kB.
		if rounded(math.Abs(v)/n) < 1000 {
			return n, unit
		}
		n *= 1000
	}
	return n, byteUnits[len(byteUnits)-1]
}

// Seconds writes a span given in seconds as a duration.
func Seconds(s float64) string {
	return Duration(time.Duration(math.Round(s * float64(time.Second))))
}

// Duration writes a span as Go writes durations (and scenario files take
// them), rounded by the rule of Number applied in seconds: three
// significant digits below 100 s, whole seconds from there (1ms, 37.2s,
// 22m16s, 2h5m10s); whole minutes and hours lose their zero tails (4m,
// 2h).
func Duration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	a := d.Abs()
	var unit time.Duration
	switch {
	case a >= 100*time.Second:
		unit = time.Second
	default:
		// Three significant digits: a hundredth of the power of ten at
		// or below a, ten times more if rounding reaches the next power
		// (9.996s is 10.0s, not 10.00s).
		p := time.Duration(1)
		for p*10 <= a {
			p *= 10
		}
		unit = max(p/100, 1)
		if d.Round(unit).Abs() >= 10*p {
			unit *= 10
		}
	}
	s := d.Round(unit).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// group puts thousands separators into the integer part of a formatted
// number.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}
