package advise

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/internal/target"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// box is a middlebox of the tests: no capacity limit, random ports, so
// that a lost entry is a break.
func box(name, timeout string) string {
	return "  - name: " + name + "\n    capacity: 0\n    when_full: lru\n" +
		"    timeouts: {tcp_established: " + timeout + ", tcp_transitory: 4m, udp: 30s, udp_stream: 2m}\n" +
		"    refresh_inbound: true\n    refresh_on_keepalive: true\n    on_expire: silent\n" +
		"    unknown_outbound: create\n    unknown_inbound: drop\n    port_preservation: false\n"
}

const heartbeat = "{type: app, interval: 60s, jitter: 15s, timeout: 10s, misses: 2, request_bytes: 40, response_bytes: 40}"

// search loads a scenario from text and runs advise on it on two workers.
func search(t *testing.T, text string) *Result {
	t.Helper()
	sc, err := scenarios.Parse("t.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(ctx context.Context, _ string, jobs []batch.Job) ([]*sim.RunResult, error) {
		return batch.Run(ctx, jobs, 2, nil)
	}
	res, err := Search(context.Background(), Settings{Scenario: sc, Run: run, Budget: Budget{Runs: DefaultBudget}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCliffByHand: one box with timeout T = 300 s, rtt r = 100 ms, app
// heartbeat every I +- j (j = 15 s). All the round trip lies beyond the
// box, so the box sees the ping leave at t and the pong come back at
// t + r; the next ping leaves at t + I + J, J uniform in [-j, j]. The
// longest gap between refreshes is I + j - r, and the entry is lost when
// it exceeds T: the cliff is I = T - j + r = 285.1 s. (The first ping of
// a connection follows the handshake's ACK, not a pong: its gap can reach
// I + j, so a connection that has broken once breaks again from
// I = T - j = 285 s; the clients connect in the warmup, and 0.1 s is far
// below the search's resolution.) Below it no break
// can happen at all; just above it the share of heartbeats that break,
// (I - 285.1 s) / 2j, gives far more than 3 per 1000 client-hours
// within a second. So advise's pick must lie below 285.1 s by at least
// the margin (j + r = 15.1 s) and, with the default margin, not more
// than 10% of T below that. 700 clients for 1 h 50 min measured are
// 1,283 client-hours per run: zero breaks in one run already bound the
// rate below the limit of 3 per 1000 (2.996 / 1.283 = 2.33), so each
// value needs one replication, which keeps the test short.
func TestCliffByHand(t *testing.T) {
	res := search(t, "name: hand\nduration: 2h\nwarmup: 10m\npath:\n"+box("nat", "300s")+
		"clients:\n  - name: app\n    count: 700\n    start_spread: 1m\n    keepalive: "+heartbeat+"\n"+
		"network: {rtt: 100ms}\ntarget: {breaks_per_1000_client_hours: 3}\n"+
		"advise:\n  tune: clients.app.keepalive.interval\n  range: [30s, 30m]\n")
	const cliff, margin, T = 285.1, 15.1, 300.0
	if !res.Met || res.RecommendedS == nil {
		t.Fatalf("no recommendation: %+v", res.Diagnosis)
	}
	pick := *res.RecommendedS
	if pick > cliff-margin || pick < cliff-margin-0.1*T {
		t.Errorf("pick %vs, want in [%v, %v]", pick, cliff-margin-0.1*T, cliff-margin)
	}
	if res.UncertaintyS != margin {
		t.Errorf("uncertainty %v, want %v", res.UncertaintyS, margin)
	}
	// The cliff found is a value that missed: above the true one, by
	// little once refined (the resolution is 1%).
	if res.CliffS == nil || *res.CliffS < cliff || *res.CliffS > 1.05*cliff || res.BindingMiddlebox != "nat" {
		t.Errorf("cliff %v at %q, want just above %v at nat", res.CliffS, res.BindingMiddlebox, cliff)
	}
	if res.MarginS == nil || *res.MarginS < margin {
		t.Errorf("margin %v, want >= %v", res.MarginS, margin)
	}
	// The verification's streams are none of the search's: each value
	// of the search ran replications 0.. of the scenario's seed.
	search := map[uint64]bool{}
	for _, e := range res.Evaluated {
		for r := range e.Runs {
			search[sim.StreamSeed(1, r)] = true
		}
	}
	if res.Verification == nil || res.Verification.Seeds[0] == 1 || len(res.Verification.StreamSeeds) != res.Verification.Replications {
		t.Fatalf("verification %+v", res.Verification)
	}
	for r, s := range res.Verification.StreamSeeds {
		if search[s] || s != sim.StreamSeed(res.Verification.Seeds[0], r) {
			t.Errorf("verification run %d has stream seed %d, which a search run used or which its seed does not give", r, s)
		}
	}
}

// TestStrictestBoxDecides: two groups with one heartbeat, behind boxes
// of 255 s and 600 s: the 255 s box gives the answer, below its cliff
// 255 - 15 + 0.1 = 240.1 s by the margin.
func TestStrictestBoxDecides(t *testing.T) {
	res := search(t, "name: two\nduration: 2h\nwarmup: 10m\nmiddleboxes:\n"+box("short", "255s")+box("long", "600s")+
		"clients:\n  - name: a\n    count: 700\n    path: [short]\n    keepalive: "+heartbeat+"\n"+
		"  - name: b\n    count: 700\n    path: [long]\n    keepalive: "+heartbeat+"\n"+
		"network: {rtt: 100ms}\ntarget: {breaks_per_1000_client_hours: 3}\n"+
		"advise:\n  tune: [clients.a.keepalive.interval, clients.b.keepalive.interval]\n  range: [1m, 20m]\n")
	const cliff, margin = 240.1, 15.1
	if !res.Met || *res.RecommendedS > cliff-margin || *res.RecommendedS < cliff-margin-25.5 || res.BindingMiddlebox != "short" {
		t.Errorf("pick %v at %q, want at most %v below short", *res.RecommendedS, res.BindingMiddlebox, cliff-margin)
	}
}

// TestTableTooSmall: 1000 clients through an LRU table of 800 entries.
// Under cyclic access LRU evicts the entry needed next at every
// interval: nothing meets the target, and the diagnosis names the table
// and its capacity.
func TestTableTooSmall(t *testing.T) {
	text := "name: small\nduration: 30m\nwarmup: 5m\npath:\n" + strings.Replace(box("tiny", "2h"), "capacity: 0", "capacity: 800", 1) +
		"clients:\n  - name: app\n    count: 1000\n    start_spread: 1m\n    keepalive: " + heartbeat + "\n" +
		"target: {breaks_per_1000_client_hours: 1}\nadvise:\n  tune: clients.app.keepalive.interval\n  range: [20s, 10m]\n"
	res := search(t, text)
	if res.Met || res.Diagnosis == nil || res.Diagnosis.Cause != "capacity" {
		t.Fatalf("met %v, diagnosis %+v; want capacity", res.Met, res.Diagnosis)
	}
	for _, want := range []string{"tiny holds 800 entries for 1000 clients", "no keepalive helps"} {
		if !strings.Contains(res.Diagnosis.Text, want) {
			t.Errorf("diagnosis %q lacks %q", res.Diagnosis.Text, want)
		}
	}
}

// TestKeepaliveIgnored: TCP keepalive through a box that does not
// refresh on keepalive probes (an L7 proxy): the connection expires
// after its timeout whatever the idle time, so nothing meets the
// target, and advise says to use an app heartbeat.
func TestKeepaliveIgnored(t *testing.T) {
	text := "name: l7\nduration: 1h\nwarmup: 5m\npath:\n" + strings.Replace(box("proxy", "60s"), "refresh_on_keepalive: true", "refresh_on_keepalive: false", 1) +
		"clients:\n  - name: svc\n    count: 500\n    start_spread: 1m\n    keepalive: {type: tcp, idle: 30s, interval: 10s, count: 3}\n" +
		"target: {breaks_per_1000_client_hours: 1}\nadvise:\n  tune: clients.svc.keepalive.idle\n  range: [10s, 5m]\n"
	res := search(t, text)
	if res.Met || res.Diagnosis == nil || res.Diagnosis.Cause != "keepalive_ignored" || !strings.Contains(res.Diagnosis.Text, "use an app heartbeat") {
		t.Fatalf("met %v, diagnosis %+v; want keepalive_ignored advising an app heartbeat", res.Met, res.Diagnosis)
	}
}

// TestFreshSeed: the verification seed's streams avoid the search's,
// checked over every replication either could use.
func TestFreshSeed(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 1<<64 - 1} {
		v := FreshSeed(seed, MaxReps)
		for r := range MaxReps {
			for q := range MaxReps {
				if sim.StreamSeed(v, r) == sim.StreamSeed(seed, q) {
					t.Errorf("seed %d: fresh seed %d shares a stream (rep %d = rep %d)", seed, v, r, q)
				}
			}
		}
	}
}

// TestGrid: log spacing, whole seconds, ends exact.
func TestGrid(t *testing.T) {
	// 30 s x 60^(i/3): 30 s, 117 s (116.96), 460 s (459.79), 30 m.
	got := grid(30*time.Second, 30*time.Minute, 4)
	want := []time.Duration{30 * time.Second, 117 * time.Second, 460 * time.Second, 30 * time.Minute}
	if len(got) != len(want) {
		t.Fatalf("grid %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("grid %v, want %v", got, want)
		}
	}
}

// TestNotMonotone: a reference model stands in for the engine: the
// target is met at intervals up to 100 s and from 400 s to 600 s, missed
// elsewhere, and the cost falls as 1/interval. The grid (30 s, 117 s,
// 460 s, 30 m) shows a met value above a missed one, so advise must say
// so, run the midpoints (59 s, 232 s, 910 s) and pick the cheapest met
// value, 460 s, with the next missed value, 910 s, as its cliff.
func TestNotMonotone(t *testing.T) {
	sc, err := scenarios.Parse("t.yaml", []byte("name: fake\nduration: 2h\npath:\n"+box("nat", "300s")+
		"clients:\n  - name: app\n    count: 10\n    keepalive: {type: app, interval: 60s, timeout: 10s, request_bytes: 40, response_bytes: 40}\n"+
		"target: {breaks_per_1000_client_hours: 1}\nadvise:\n  tune: clients.app.keepalive.interval\n  range: [30s, 30m]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	model := func(cfg *sim.Config) *sim.RunResult {
		v := cfg.Groups[0].Keepalive.Interval
		breaks := 50.0
		if v <= 100*time.Second || (v >= 400*time.Second && v <= 600*time.Second) {
			breaks = 0
		}
		g := sim.GroupResult{Name: "app", ClientHours: 10000, Breaks: sim.Breaks{Total: breaks, IdleTimeout: breaks},
			BreaksPer1000ClientHours: breaks / 10}
		g.Overhead.KeepaliveBytes = 1e6 * 60 / v.Seconds()
		g.Overhead.CostBytesPerClientHour = g.Overhead.KeepaliveBytes / g.ClientHours // the cost advise minimises
		return &sim.RunResult{Groups: []sim.GroupResult{g}, Middleboxes: []sim.BoxResult{{Name: "nat", Breaks: breaks}}}
	}
	run := func(_ context.Context, _ string, jobs []batch.Job) ([]*sim.RunResult, error) {
		out := make([]*sim.RunResult, len(jobs))
		for i, j := range jobs {
			out[i] = model(j.Config)
		}
		return out, nil
	}
	res, err := Search(context.Background(), Settings{Scenario: sc, Run: run, Budget: Budget{Runs: DefaultBudget}, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, e := range res.Evaluated {
		values = append(values, e.Value)
	}
	if res.Monotone || len(res.Notes) == 0 || !strings.HasPrefix(res.Notes[0], "not monotone: the target is met at 7m40s but missed at the smaller 1m57s") {
		t.Errorf("monotone %v, notes %q", res.Monotone, res.Notes)
	}
	if got := strings.Join(values, " "); got != "30s 59s 1m57s 3m52s 7m40s 15m10s 30m0s" {
		t.Errorf("evaluated %s", got)
	}
	if !res.Met || *res.Recommended != "7m40s" || *res.CliffS != 910 {
		t.Errorf("recommended %v, cliff %v; want 7m40s below a cliff at 910 s", *res.Recommended, *res.CliffS)
	}
}

// TestPathCliff: a group of 1000 clients that mixes two paths, one
// through a box of T = 120 s (weight 1: about 10 clients expected; this
// seed gives 4) and one through a box of 600 s (weight 99), pinging
// without jitter, rtt r = 100 ms, against a limit of 1000 breaks per
// 1000 client-hours. The short path breaks once the silence at its box
// reaches T: between a ping and the next one the box sees I - r (the
// pong refreshing it) to I (the ping alone), so the cliff lies in
// [T, T + r], and above it nearly every ping breaks: about 12,000 per
// 1000 client-hours at 5 minutes. The group as a whole dilutes that a
// hundredfold, to about 120 (< 1000) at every value of the range up to
// 8 minutes (under the long box's 600 s): judged by groups alone the
// pick would be near 8m. Judged path by path, the short path misses the
// limit above the cliff, so the pick must lie at or below T + r - r = T
// (the margin kept is the uncertainty r) and, with the default margin
// of 10%, not more than 0.1 T (plus a second of rounding) below it; the
// cliff must be bound by the box short on that path. Below the cliff the
// short path sees no break: 0 in 4 client-hours bounds its rate by
// 2.996 / 4 x 1000 = 749 < 1000, so one replication decides each value.
func TestPathCliff(t *testing.T) {
	res := search(t, "name: paths\nduration: 1h\npath:\n"+box("short", "120s")+box("long", "600s")+
		"clients:\n  - name: cell\n    count: 1000\n"+
		"    paths:\n      - {via: [short], weight: 1}\n      - {via: [long], weight: 99}\n"+
		"    keepalive: {type: app, interval: 60s, timeout: 5s, request_bytes: 40, response_bytes: 40}\n"+
		"network: {rtt: 100ms}\ntarget: {breaks_per_1000_client_hours: 1000}\n"+
		"advise:\n  tune: clients.cell.keepalive.interval\n  range: [30s, 8m]\n")
	const T, r = 120.0, 0.1
	if !res.Met || res.RecommendedS == nil {
		t.Fatalf("no recommendation: %+v", res.Diagnosis)
	}
	if pick := *res.RecommendedS; pick > T || pick < T-0.1*T-1 {
		t.Errorf("pick %vs, want in [%v, %v]", pick, T-0.1*T-1, T)
	}
	if res.CliffS == nil || *res.CliffS < T || *res.CliffS > 1.05*(T+r) {
		t.Errorf("cliff %v, want just above [%v, %v]", res.CliffS, T, T+r)
	}
	if res.BindingMiddlebox != "short" || res.BindingAt.Group != "cell" || res.BindingAt.Path != "short" {
		t.Errorf("binding %q at %+v, want the box short on group cell's path short", res.BindingMiddlebox, res.BindingAt)
	}
	if h := res.Headline(); !strings.Contains(h, "on group cell, path short (share ") {
		t.Errorf("the headline does not name the path: %s", h)
	}
	// The verification gives the group and each path its row.
	if n := len(res.Verification.Groups); n != 3 || res.Verification.Groups[1]["path"] != "short" {
		t.Errorf("verification rows %v, want the group's and each path's", res.Verification.Groups)
	}
}

// TestLostDecides: UDP devices behind one box whose UDP entries last
// T = 30 s, answered or not, a heartbeat every I +- j (j = 5 s), rtt
// r = 50 ms, pushes down every minute on average, a limit on lost
// messages only. As in TestCliffByHand the longest gap between refreshes
// is I + j - r, so no entry expires, and no push is lost, for
// I <= T - j + r = 25.05 s; above, a push arriving while the entry is
// gone is dropped (unknown inbound: drop). So every value at or below
// 25.05 s loses nothing and is not missed, every missed value lies above
// it with a lost bound above the limit, and the table shows the lost
// column (breaks are not what decides: the target does not limit them).
func TestLostDecides(t *testing.T) {
	udpBox := "  - name: nat\n    capacity: 0\n    when_full: lru\n" +
		"    timeouts: {tcp_established: 2h, tcp_transitory: 4m, udp: 30s, udp_stream: 30s}\n" +
		"    refresh_inbound: true\n    refresh_on_keepalive: true\n    on_expire: silent\n" +
		"    unknown_outbound: create\n    unknown_inbound: drop\n    port_preservation: false\n"
	res := search(t, "name: lost\nduration: 1h10m\nwarmup: 10m\npath:\n"+udpBox+
		"clients:\n  - name: dev\n    count: 200\n    protocol: udp\n    start_spread: 1m\n"+
		"    traffic:\n      down: {interval: {exponential: 1m}, bytes: 100}\n"+
		"    keepalive: {type: app, interval: 20s, jitter: 5s, timeout: 5s, misses: 3, request_bytes: 40, response_bytes: 40}\n"+
		"network: {rtt: 50ms}\ntarget: {lost_per_1000_messages: 10}\n"+
		"advise:\n  tune: clients.dev.keepalive.interval\n  range: [10s, 5m]\n")
	const cliff, limit = 25.05, 10.0
	missed := 0
	for _, e := range res.Evaluated {
		lost := e.Limit(target.Lost)
		if lost == nil {
			t.Fatalf("%s: no lost messages in the row", e.Value)
		}
		switch {
		case e.ValueS <= cliff && (lost.Mean != 0 || e.Status == "missed"):
			t.Errorf("%s below the cliff %vs: lost %v, %s; want 0, not missed", e.Value, cliff, lost.Mean, e.Status)
		case e.Status == "missed":
			missed++
			if e.ValueS <= cliff || lost.Upper == nil || *lost.Upper <= limit {
				t.Errorf("%s missed: lost bound %v, want above %v and the value above %vs", e.Value, lost.Upper, limit, cliff)
			}
		}
	}
	if missed == 0 || res.CliffMetric != target.Lost {
		t.Errorf("%d missed values, cliff metric %q; want some, %q", missed, res.CliffMetric, target.Lost)
	}
	var b strings.Builder
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "lost/1000 msg") || !strings.Contains(b.String(), "on lost_per_1000_messages") {
		t.Errorf("the table or headline does not name lost messages:\n%s", b.String())
	}
}
