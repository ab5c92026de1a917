package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressOffATerminal: in a log, a long run printed nothing until it
// ended; now a line at least every 10 s of wall time.
func TestProgressOffATerminal(t *testing.T) {
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var out bytes.Buffer
	p := newProgressAt(&out, false, []time.Duration{time.Hour}, now)
	for i, step := range []struct {
		wall    time.Duration // wall time passing before the report
		reached time.Duration // simulated time reached
		lines   int           // lines printed so far
	}{
		{time.Second, time.Minute, 0},
		{8 * time.Second, 5 * time.Minute, 0},
		{time.Second, 6 * time.Minute, 1}, // 10 s since the start
		{9 * time.Second, 12 * time.Minute, 1},
		{time.Second, 15 * time.Minute, 2},
	} {
		clock = clock.Add(step.wall)
		p.Reached(0, step.reached)
		if got := strings.Count(out.String(), "\n"); got != step.lines {
			t.Fatalf("step %d: %d lines, want %d:\n%s", i, got, step.lines, out.String())
		}
	}
	if want := "natsim: runs 0/1   25%  elapsed 20s  left ~1m0s\n"; !strings.HasSuffix(out.String(), want) {
		t.Fatalf("last line %q, want %q", out.String(), want)
	}
	var quiet bytes.Buffer
	q := newProgressAt(&quiet, true, []time.Duration{time.Hour}, now)
	clock = clock.Add(time.Minute)
	q.Reached(0, time.Minute)
	if quiet.Len() != 0 {
		t.Fatalf("--quiet printed %q", quiet.String())
	}
}
