package target

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Metric names a quantity a target may limit, as scenario files and
// --target spell it.
type Metric string

// The metrics a target may limit.
const (
	Breaks       Metric = "breaks_per_1000_client_hours" // breaks per 1000 client-hours
	Downtime     Metric = "downtime_fraction"            // share of client time without a working connection
	Lost         Metric = "lost_per_1000_messages"       // messages lost (either way) per 1000 sent
	PushDelayP99 Metric = "push_delay_p99_s"             // 99th percentile of down-message delivery delay, seconds
	// FailedRequests is requests failed for good per million requests
	// finished, of request-driven groups (a group that issued none is not
	// judged on it).
	FailedRequests Metric = "failed_per_million_requests"
)

// Metrics lists the metrics in the order judgements are given.
var Metrics = []Metric{Breaks, Downtime, Lost, PushDelayP99, FailedRequests}

// DefaultConfidence is the confidence of a target that names none.
const DefaultConfidence = 0.95

// Target holds limits that every client group must meet. A nil limit is
// no limit. It is a config struct: it prints and serialises as written.
type Target struct {
	BreaksPer1000ClientHours *float64 `json:"breaks_per_1000_client_hours,omitempty"`
	DowntimeFraction         *float64 `json:"downtime_fraction,omitempty"`
	LostPer1000Messages      *float64 `json:"lost_per_1000_messages,omitempty"`
	PushDelayP99S            *float64 `json:"push_delay_p99_s,omitempty"` // seconds
	FailedPerMillionRequests *float64 `json:"failed_per_million_requests,omitempty"`
	// Confidence is the one-sided confidence of the bounds, in (0, 1).
	Confidence float64 `json:"confidence"`
}

// field is where a metric's limit lives in t.
func (t *Target) field(m Metric) **float64 {
	switch m {
	case Breaks:
		return &t.BreaksPer1000ClientHours
	case Downtime:
		return &t.DowntimeFraction
	case Lost:
		return &t.LostPer1000Messages
	case PushDelayP99:
		return &t.PushDelayP99S
	case FailedRequests:
		return &t.FailedPerMillionRequests
	}
	return nil
}

// Limit returns the limit on m, if t sets one.
func (t Target) Limit(m Metric) (float64, bool) {
	p := t.field(m)
	if p == nil || *p == nil {
		return 0, false
	}
	return **p, true
}

// Set sets the limit on m; it panics on a metric not in Metrics.
func (t *Target) Set(m Metric, limit float64) {
	*t.field(m) = &limit
}

// Empty reports whether t limits nothing.
func (t Target) Empty() bool {
	for _, m := range Metrics {
		if _, ok := t.Limit(m); ok {
			return false
		}
	}
	return true
}

// ParseMetric returns the metric of that name, or an error listing them.
func ParseMetric(name string) (Metric, error) {
	for _, m := range Metrics {
		if string(m) == name {
			return m, nil
		}
	}
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = string(m)
	}
	return "", fmt.Errorf("unknown metric %q: known are %s", name, strings.Join(names, ", "))
}

// CheckLimit returns what is wrong with a limit on m, or "".
func CheckLimit(m Metric, limit float64) string {
	switch {
	case math.IsNaN(limit) || math.IsInf(limit, 0) || limit < 0:
		return "must be a number >= 0"
	case m == Downtime && limit > 1:
		return "a fraction must be at most 1"
	}
	return ""
}

// CheckConfidence returns what is wrong with a confidence, or "".
func CheckConfidence(c float64) string {
	if !(c > 0 && c < 1) {
		return "must be in (0, 1)"
	}
	return ""
}

// ParseFlag parses the value of a --target flag, METRIC<=X, such as
// breaks_per_1000_client_hours<=1 or confidence=0.99 (the confidence of
// the bounds).
func ParseFlag(text string) (m Metric, limit float64, err error) {
	wrap := func(e error) error { return fmt.Errorf("--target %s: %w", text, e) }
	name, value, ok := strings.Cut(text, "<=")
	if !ok {
		if name, value, ok = strings.Cut(text, "="); !ok || strings.TrimSpace(name) != "confidence" {
			return "", 0, wrap(errors.New("want METRIC<=X, such as breaks_per_1000_client_hours<=1, or confidence=C"))
		}
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	x, perr := strconv.ParseFloat(value, 64)
	if perr != nil {
		return "", 0, wrap(fmt.Errorf("%q is not a number", value))
	}
	if name == "confidence" {
		if !strings.Contains(text, "<=") {
			if msg := CheckConfidence(x); msg != "" {
				return "", 0, wrap(errors.New("confidence " + msg))
			}
			return "confidence", x, nil
		}
		return "", 0, wrap(errors.New("the confidence is set with confidence=C, not <="))
	}
	if m, err = ParseMetric(name); err != nil {
		return "", 0, wrap(err)
	}
	if msg := CheckLimit(m, x); msg != "" {
		return "", 0, wrap(errors.New(msg))
	}
	return m, x, nil
}

// FlagSet is the scenario field that a --target flag sets and its value,
// as --set would give them ("target.breaks_per_1000_client_hours", "1"),
// or what is wrong with the flag: the flag is an override of the
// scenario like any other, so that the scenario natsim resolves, writes
// and shards carries it.
func FlagSet(text string) (key, value string, err error) {
	m, x, err := ParseFlag(text)
	if err != nil {
		return "", "", err
	}
	return "target." + string(m), strconv.FormatFloat(x, 'g', -1, 64), nil
}
