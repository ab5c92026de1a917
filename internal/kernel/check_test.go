package kernel

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// TestKernelScenarios runs every scenario in scenarios/kernel against a
// real Linux NAT built in namespaces, all at once (about 30 s), and
// requires every flow's kernel outcome to match natsim's. It skips, with
// the reason, where a lab cannot be built (not root, tools missing, not
// Linux); .ci/run installs the tools.
func TestKernelScenarios(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/kernel/*.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("kernel scenarios: %v %v", files, err)
	}
	var plans []*Plan
	var simulated [][]Seen
	for _, f := range files {
		p, s := simulate(t, f, 6)
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

// simulate plans a scenario file's first middlebox with flows real flows
// and runs natsim on them.
func simulate(t *testing.T, file string, flows int) (*Plan, []Seen) {
	t.Helper()
	p := plan(t, file, "", flows)
	seen, err := p.Simulate()
	if err != nil {
		t.Fatal(err)
	}
	return p, seen
}

// plan maps a scenario file's middlebox (by name, "" for the first) onto
// the lab with flows real flows.
func plan(t *testing.T, file, middlebox string, flows int) *Plan {
	t.Helper()
	sc, err := scenarios.Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(&sc.Config, middlebox, 0, flows)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanScalesAndSaysWhatItLeavesOut(t *testing.T) {
	p := plan(t, "../../scenarios/aws-nat-gateway-grpc.yaml", "natgw", 4)
	if p.Box.Established != 5 || p.Box.Loose != true || p.Box.FullyRandom != true || len(p.Flows) != 4 {
		t.Fatalf("plan %+v", p)
	}
	all := strings.Join(p.NotChecked, "\n")
	for _, want := range []string{"capacity 55000", "network rtt and loss", "up traffic: only constant intervals", "rounded to whole seconds"} {
		if !strings.Contains(all, want) {
			t.Errorf("not-checked list lacks %q:\n%s", want, all)
		}
	}
	sc, err := scenarios.Load("../../scenarios/aws-nat-gateway-grpc.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPlan(&sc.Config, "nope", 0, 4); err == nil {
		t.Error("an unknown middlebox was accepted")
	}
}

// TestPlanTakesTheGroupsThatCrossTheBox: in a file whose groups have
// their own paths, the lab's one NAT carries only the groups whose path
// crosses the box checked, and says which it left out.
func TestPlanTakesTheGroupsThatCrossTheBox(t *testing.T) {
	p := plan(t, "../../scenarios/mobile-users-cellular-and-home.yaml", "carrier", 4)
	for _, f := range p.Flows {
		if !strings.HasPrefix(f.Name, "cell/") {
			t.Errorf("flow %s through carrier, whose only group is cell", f.Name)
		}
	}
	if all := strings.Join(p.NotChecked, "\n"); len(p.Flows) != 4 || !strings.Contains(all, "wifi: its path does not cross middlebox carrier") {
		t.Errorf("%d flows; not checked:\n%s", len(p.Flows), all)
	}
}

// TestSimulateUDPRebinding: natsim's side of udp-rebinding-fully-random,
// without a lab. Pings every 150 s outlive the 120 s stream timeout and
// come back on new ports: follow survives them all as rebindings; reject
// misses the pongs of the pings at 150 s and 300 s and is dead at the
// second deadline, 300 s + 20 s, on the lab's clock (5 s / 120 s).
func TestSimulateUDPRebinding(t *testing.T) {
	p, seen := simulate(t, "../../scenarios/kernel/udp-rebinding-fully-random.yaml", 2)
	if want := (Seen{Alive: true, Rebound: true}); seen[0].String() != want.String() {
		t.Errorf("%s: %v, want %v", p.Flows[0].Name, seen[0], want)
	}
	want := (300 + 20) * time.Second * 5 / 120
	if d := seen[1].At - want; seen[1].How != sim.HowMissedPongs || d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("%s: %v, want missed pongs at %v", p.Flows[1].Name, seen[1], want)
	}
}

func TestNewEntryReadsServerAndExternalPorts(t *testing.T) {
	for _, tc := range []struct {
		line             string
		server, external int
		ok               bool
	}{
		{"    [NEW] udp      17 1 src=198.18.0.2 dst=198.19.0.2 sport=37118 dport=7001 [UNREPLIED] src=198.19.0.2 dst=198.19.0.1 sport=7001 dport=22809", 7001, 22809, true},
		{"    [NEW] tcp      6 120 SYN_SENT src=198.18.0.2 dst=198.19.0.2 sport=40000 dport=7003 [UNREPLIED] src=198.19.0.2 dst=198.19.0.1 sport=7003 dport=40000", 7003, 40000, true},
		{"conntrack v1.4.7 (conntrack-tools): 3 flow events have been shown.", 0, 0, false},
		{"    [NEW] icmp     1 30 src=198.19.0.1 dst=198.19.0.2 type=8 code=0 id=1 [UNREPLIED] src=198.19.0.2 dst=198.19.0.1 type=0 code=0 id=1", 0, 0, false},
	} {
		server, external, ok := newEntry(tc.line)
		if server != tc.server || external != tc.external || ok != tc.ok {
			t.Errorf("%q: %d %d %v, want %d %d %v", tc.line, server, external, ok, tc.server, tc.external, tc.ok)
		}
	}
}

func TestRecreatedTellsRemapFromRebinding(t *testing.T) {
	for _, tc := range []struct {
		external          []int
		remapped, rebound bool
	}{
		{nil, false, false},
		{[]int{40000}, false, false},              // made once
		{[]int{40000, 40000, 40000}, true, false}, // port preserved
		{[]int{22809, 60527, 31002}, false, true}, // fully-random
		{[]int{40000, 40000, 51234}, true, true},  // the kept port taken
	} {
		remapped, rebound := recreated(tc.external)
		if remapped != tc.remapped || rebound != tc.rebound {
			t.Errorf("%v: remapped %v rebound %v, want %v %v", tc.external, remapped, rebound, tc.remapped, tc.rebound)
		}
	}
}

// TestCompareRebound: a rebound flow matches only a rebound flow; a
// rebinding is neither a plain survival nor a remap.
func TestCompareRebound(t *testing.T) {
	rebound := Seen{Alive: true, Rebound: true}
	dead := func(at time.Duration) Seen { return Seen{At: at, How: sim.HowMissedPongs} }
	for _, tc := range []struct {
		kernel, natsim Seen
		match          bool
	}{
		{rebound, rebound, true},
		{rebound, Seen{Alive: true}, false},
		{rebound, Seen{Alive: true, Remapped: true}, false},
		{Seen{Alive: true, Remapped: true}, rebound, false},
		{rebound, dead(13333 * time.Millisecond), false},
		{dead(13340 * time.Millisecond), dead(13333 * time.Millisecond), true},
		{dead(13340 * time.Millisecond), dead(7083 * time.Millisecond), false},
	} {
		rows := Compare([]Flow{{Name: "f/1", UDP: true}}, []Seen{tc.kernel}, []Seen{tc.natsim})
		if rows[0].Match != tc.match {
			t.Errorf("kernel %v, natsim %v: match %v, want %v", tc.kernel, tc.natsim, rows[0].Match, tc.match)
		}
	}
	if got := rebound.String(); got != "alive, rebound" {
		t.Errorf("a rebound flow prints %q", got)
	}
}
