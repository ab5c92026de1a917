package scenarios

import (
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/target"
)

const targetHead = "name: t\nduration: 1h\npath: [{name: nat, preset: linux-conntrack}]\nclients: [{name: c, count: 10}]\n"

func TestTargetIsRead(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(targetHead+"target:\n  breaks_per_1000_client_hours: 1\n  push_delay_p99_s: 30\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, okB := sc.Target.Limit(target.Breaks)
	p, okP := sc.Target.Limit(target.PushDelayP99)
	_, okD := sc.Target.Limit(target.Downtime)
	if b != 1 || !okB || p != 30 || !okP || okD || sc.Target.Confidence != 0.95 {
		t.Errorf("target %+v", sc.Target)
	}
	sc, err = Parse("t.yaml", []byte(targetHead), nil)
	if err != nil || !sc.Target.Empty() || sc.Target.Confidence != target.DefaultConfidence {
		t.Errorf("no target: %+v %v", sc.Target, err)
	}
}

// TestTargetProblems: every bad value is reported at once, where it was
// written (line 5 is the first line of the target block).
func TestTargetProblems(t *testing.T) {
	data := targetHead + "target:\n  breaks_per_1000_client_hours: -1\n  downtime_fraction: 2\n  confidence: 1\n  breaks: 3\n"
	_, err := Parse("t.yaml", []byte(data), nil)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"t.yaml:6:33: target.breaks_per_1000_client_hours: must be a number >= 0 (got -1)",
		"t.yaml:7:22: target.downtime_fraction: a fraction must be at most 1 (got 2)",
		"t.yaml:8:15: target.confidence: must be in (0, 1) (got 1)",
		"t.yaml:9:3: target.breaks: unknown",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
