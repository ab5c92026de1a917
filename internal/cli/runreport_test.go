package cli

import (
	"strings"
	"testing"
)

// TestRunReportEventsOnRequest holds that run's report keeps the engine's
// events per run to --verbose and --timing, and that --json is not the
// report's.
func TestRunReportEventsOnRequest(t *testing.T) {
	file := scenarioFile(t, goodScenario)
	for _, tc := range []struct {
		flags []string
		want  bool
	}{
		{nil, false}, {[]string{"--verbose"}, true}, {[]string{"--timing"}, true},
	} {
		out, msg, code := natsim(t, append([]string{"run", file, "--quiet"}, tc.flags...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.flags, code, msg)
		}
		if got := strings.Contains(out, "events per run"); got != tc.want {
			t.Errorf("run %v: events line %v, want %v:\n%s", tc.flags, got, tc.want, out)
		}
		if !strings.Contains(out, "\ncounts ") {
			t.Errorf("run %v: the report does not say what the counts cover:\n%s", tc.flags, out)
		}
	}
	if out, _, _ := natsim(t, "run", file, "--quiet", "--json", "--verbose"); !strings.HasPrefix(out, "{") {
		t.Errorf("run --json --verbose is not JSON:\n%s", out)
	}
}
