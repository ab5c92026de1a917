package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// TestExplainNewPortStory holds the story of one TCP client whose
// keepalive (idle 400 s) is longer than its NAT's 350 s timeout, checked
// by hand against the model:
//
//	0s.040      connected: the SYN leaves at 0 and its answer is back one
//	            RTT (40 ms) later; the SYN-ACK and the client's ACK refresh
//	            the entry then, for the last time.
//	5m50s.040   natgw removes the entry: last refresh 0s.040 + 350 s.
//	            That removal is the break (found at the probe below).
//	6m40s.040   the keepalive probe: 400 s after the client last heard
//	            the server (0s.040). No entry, and the NAT keeps no port:
//	            a new entry with another port.
//	6m40s.060   the probe reaches the server half an RTT later from an
//	            unknown 4-tuple: it answers RST.
//	6m40s.080   the RST reaches the client one RTT after the probe: it
//	            learns by reset, 50s.040 after the break.
//	then        it reconnects after a backoff drawn in [0, 1 s), plus
//	            one RTT.
func TestExplainNewPortStory(t *testing.T) {
	out, msg, code := natsim(t, "explain", "internal/cli/testdata/explain-new-port.yaml", "--client", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	for _, want := range []string{
		"     0s.040  connected",
		"  5m50s.040  natgw removes the connection's entry: idle timeout, 5m50s (tcp_established) after its last refresh at 0s.040",
		"  5m50s.040  -> that removal is the break (idle timeout at natgw), found at 6m40s.040",
		"  6m40s.040  keepalive probe sent (6m40s without hearing from the server)",
		"  6m40s.040  the probe meets natgw: no entry, so a new one with another external port",
		"  6m40s.060  the server does not know this connection (any more) and answers RST",
		"  6m40s.080  the client learns the connection is dead: an RST, 50s.040 after the break",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("story lacks %q", want)
		}
	}
	golden(t, "explain-new-port.txt", out)
}

// TestExplainTracesTheClientsRealStory: the story of a client among many
// is told from exactly the events a full trace of the same run records
// for it (tracing one client changes nothing in the run).
func TestExplainTracesTheClientsRealStory(t *testing.T) {
	cfg, all := tracedRun(t, "scenarios/aws-nat-gateway-grpc.yaml", "duration=30m", "warmup=1m", "clients.grpc.count=300", "path.natgw.capacity=0")
	cfg.TraceOnly = sim.TraceFilter{One: true, Client: 17}
	one, err := sim.Run(cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []sim.TraceEvent
	for _, ev := range all.Trace {
		if ev.Client == 17 {
			want = append(want, ev)
		}
	}
	if len(want) == 0 || len(one.Trace) != len(want) {
		t.Fatalf("client 17: %d events traced alone, %d in the full trace", len(one.Trace), len(want))
	}
	for i := range want {
		if one.Trace[i] != want[i] {
			t.Errorf("event %d: %+v alone, %+v in the full trace", i, one.Trace[i], want[i])
		}
	}
}

// tracedRun loads file with sets and runs its first replication with
// every client traced.
func tracedRun(t *testing.T, file string, sets ...string) (*sim.Config, *sim.RunResult) {
	t.Helper()
	sc, err := scenarios.Load(file, sets)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sc.Config
	cfg.Trace = true
	r, err := sim.Run(&cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &cfg, r
}

// firstBreakScenario has two groups whose clients start spread over a
// minute behind a NAT that forgets idle flows after 350 s: each client
// breaks 350 s after it connects (no keepalive, no traffic, so nothing
// refreshes), and the first to break is the first to start.
const firstBreakScenario = `name: first-break
seed: 4
duration: 20m
warmup: 1m
path:
  - name: natgw
    preset: aws-nat-gateway
clients:
  - name: a
    count: 20
    protocol: tcp
    start_spread: 1m
    traffic: {up: {interval: 7m, bytes: 100}}
  - name: b
    count: 20
    protocol: tcp
    start_spread: 1m
    traffic: {up: {interval: 7m, bytes: 100}}
`

func TestExplainFirstBreakPicksTheFirstClientThatBroke(t *testing.T) {
	file := filepath.Join(t.TempDir(), "first-break.yaml")
	if err := os.WriteFile(file, []byte(firstBreakScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, r := tracedRun(t, file)
	// The expected clients, from the full trace: the earliest break of
	// each group, and of both.
	first := map[string]*sim.TraceEvent{}
	for i, ev := range r.Trace {
		gi, _, _ := cfg.ClientOf(ev.Client)
		for _, key := range []string{cfg.Groups[gi].Name, ""} {
			if ev.Kind == sim.TraceBreak && ev.At >= cfg.Warmup && (first[key] == nil || ev.At < first[key].At) {
				first[key] = &r.Trace[i]
			}
		}
	}
	for _, group := range []string{"", "a", "b"} {
		want := first[group]
		if want == nil {
			t.Fatalf("group %q: no break in the full trace", group)
		}
		gi, n, _ := cfg.ClientOf(want.Client)
		args := []string{"explain", file, "--first-break"}
		if group != "" {
			args = append(args, "--group", group)
		}
		out, msg, code := natsim(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, msg)
		}
		head := "Client " + strconv.Itoa(n) + " of group " + cfg.Groups[gi].Name + " "
		if !strings.Contains(out, head) || !strings.Contains(out, span(want.At)+"  -> that removal is the break") {
			t.Errorf("%v: want client %d of group %s, break at %s; got\n%s", args, n, cfg.Groups[gi].Name, span(want.At), out)
		}
	}
}

func TestExplainBadArguments(t *testing.T) {
	file := "internal/cli/testdata/explain-new-port.yaml"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--group", "ap", "--client", "0"}, `--group "ap": no such group (did you mean "app"?); the groups are app`},
		{[]string{"--group", "app", "--client", "1"}, `--client 1: group "app" has 1 client(s), numbered 0 to 0`},
		{[]string{"--client", "-3"}, `--client -3: group "app" has 1 client(s)`},
		{[]string{}, "needs --client N (and --group G) or --first-break"},
		{[]string{"--first-break", "--client", "0"}, "--first-break and --client 0"},
	} {
		_, msg, code := natsim(t, append([]string{"explain", file}, tc.args...)...)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("explain %v: exit %d, %q; want 2 and %q", tc.args, code, msg, tc.want)
		}
	}
}
