package kernel

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/natsim/natsim/scenarios"
)

// TestKernelScenarios runs every scenario in scenarios/kernel against a
// real Linux NAT built in namespaces, all at once (about 30 s), and
// requires every flow's kernel outcome to match natsim's. It skips, with
// the reason, where a lab cannot be built (not root, tools missing, not
// Linux); .ci/run installs the tools.
func TestKernelScenarios(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/kernel/*.yaml")
	if err != nil || len(files) < 6 {
		t.Fatalf("kernel scenarios: %v %v", files, err)
	}
	var plans []*Plan
	var simulated [][]Seen
	for _, f := range files {
		sc, err := scenarios.Load(f, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPlan(&sc.Config, "", 0, 6)
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.Simulate()
		if err != nil {
			t.Fatal(err)
		}
		plans, simulated = append(plans, p), append(simulated, s)
	}
	if m := Missing(); len(m) > 0 || NeedsUserns() {
		t.Skip("cannot build a lab in this process (needs root, ip, nft and conntrack): " + strings.Join(m, "; "))
	}
	rows := make([][]Row, len(plans))
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	for i, p := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen, err := RunLab(context.Background(), p, "")
			rows[i], errs[i] = Compare(p.Flows, seen, simulated[i]), err
		}()
	}
	wg.Wait()
	for i, f := range files {
		if errs[i] != nil {
			t.Fatalf("%s: %v", f, errs[i])
		}
		var b strings.Builder
		WriteTable(&b, plans[i], rows[i])
		t.Logf("%s\n%s", f, b.String())
		for _, r := range rows[i] {
			if !r.Match {
				t.Errorf("%s: flow %s: kernel %v, natsim %v", f, r.Flow.Name, r.Kernel, r.Sim)
			}
		}
	}
}

func TestPlanScalesAndSaysWhatItLeavesOut(t *testing.T) {
	sc, err := scenarios.Load("../../scenarios/aws-nat-gateway-grpc.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(&sc.Config, "natgw", 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if p.Box.Established != 5 || p.Box.Loose != true || p.Box.FullyRandom != true || len(p.Flows) != 4 {
		t.Fatalf("plan %+v", p)
	}
	all := strings.Join(p.NotChecked, "\n")
	for _, want := range []string{"capacity 55000", "network rtt and loss", "up traffic: only constant intervals", "rounded to whole seconds"} {
		if !strings.Contains(all, want) {
			t.Errorf("not-checked list lacks %q:\n%s", want, all)
		}
	}
	if _, err := NewPlan(&sc.Config, "nope", 0, 4); err == nil {
		t.Error("an unknown middlebox was accepted")
	}
}
