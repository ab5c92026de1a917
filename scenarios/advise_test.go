package scenarios

import (
	"strings"
	"testing"
	"time"
)

const adviseHead = "name: t\nduration: 1h\npath: [{name: nat, preset: linux-conntrack}]\n" +
	"clients: [{name: c, count: 10, keepalive: {type: app, interval: 1m, jitter: 5s, timeout: 10s, request_bytes: 40, response_bytes: 40}}]\n"

func TestAdviseIsRead(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(adviseHead+"advise:\n  tune: clients.c.keepalive.interval\n  range: [30s, 10m]\n  cost: keepalive_packets_per_client_hour\n  margin: 5%\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := sc.Advise
	if len(a.Tune) != 1 || a.Lo != 30*time.Second || a.Hi != 10*time.Minute || a.Cost.Name != "keepalive_packets_per_client_hour" || a.MarginFraction != 0.05 {
		t.Errorf("advise %+v", a)
	}
	at, err := sc.At(4*time.Minute + 15*time.Second)
	if err != nil || at.Config.Groups[0].Keepalive.Interval != 255*time.Second {
		t.Errorf("At: %v %v", err, at)
	}
	if _, err := sc.At(4 * time.Second); err == nil || !strings.Contains(err.Error(), "jitter") {
		t.Errorf("At below the jitter: %v", err)
	}
	tcp, err := sc.Retyped("tcp")
	if err != nil {
		t.Fatal(err)
	}
	if k := tcp.Config.Groups[0].Keepalive; k.Type.String() != "tcp" || tcp.Advise.Tune[0] != "clients.c.keepalive.idle" || k.Count != 9 {
		t.Errorf("retyped %+v %v", k, tcp.Advise.Tune)
	}
	back, err := tcp.Retyped("server-app")
	if err != nil || back.Config.Groups[0].Keepalive.Timeout != 10*time.Second {
		t.Errorf("tcp to server-app: %v", err)
	}
}

// TestAdviseProblems: each bad field where it was written (line 5 is the
// advise: line).
func TestAdviseProblems(t *testing.T) {
	for _, tc := range []struct{ block, want string }{
		{"  tune: clients.x.keepalive.interval\n  range: [1m, 2m]\n", `t.yaml:6:9: advise.tune[0]: clients has no item named "x"; items: c`},
		{"  tune: clients.c.keepalive.misses\n  range: [1m, 2m]\n", `t.yaml:6:9: advise.tune[0]: is not a duration (it takes a whole number)`},
		{"  tune: [clients.c.keepalive.interval]\n  range: [2m, 1m]\n", `t.yaml:7:10: advise.range: needs 0 < A < B (got [2m0s, 1m0s])`},
		{"  tune: clients.c.keepalive.interval\n  range: [1m, 2m]\n  cost: bytes\n", `t.yaml:8:9: advise.cost: unknown cost; known: cost_bytes_per_client_hour`},
		{"  tune: clients.c.keepalive.interval\n  range: [1m, 2m]\n  margin: 120%\n", `t.yaml:8:11: advise.margin: a fraction must be`},
	} {
		_, err := Parse("t.yaml", []byte(adviseHead+"advise:\n"+tc.block), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.block, err, tc.want)
		}
	}
}
