package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/sim"
)

// households puts each client of a group behind a home router of its own
// whose timeouts and capacity are drawn per household.
const households = `name: households
duration: 1h
middleboxes:
  - name: home
    preset: openwrt-home
    instances: per-client
    capacity: {choice: [2, 16]}
    timeouts:
      tcp_established: {choice: [60s, 600s], weights: [1, 3]}
      udp: {uniform: [30s, 180s]}
clients:
  - name: a
    count: 10
    path: [home]
    keepalive: {type: app, interval: 300s, timeout: 10s, request_bytes: 40, response_bytes: 40}
`

func TestPerClientBoxWithDrawnSettingsLoads(t *testing.T) {
	sc, err := Parse("households.yaml", []byte(households), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := sc.Config.Path[0]
	if !b.PerClient {
		t.Error("instances: per-client did not make the box per-client")
	}
	want := sim.BoxDraws{
		Capacity:       sim.Dist{Kind: sim.Empirical, Choice: &sim.Choice{Values: []time.Duration{2, 16}, Weights: []float64{1, 1}}},
		TCPEstablished: sim.Dist{Kind: sim.Empirical, Choice: &sim.Choice{Values: []time.Duration{60 * time.Second, 600 * time.Second}, Weights: []float64{1, 3}}},
		UDP:            sim.Dist{Kind: sim.Uniform, A: 30 * time.Second, B: 180 * time.Second},
	}
	if !reflect.DeepEqual(b.Draws, want) {
		t.Errorf("draws %+v, want %+v", b.Draws, want)
	}
	// Where one value is needed the mean stands in: (60 + 3 x 600) / 4 s.
	if b.Timeouts.TCPEstablished != 465*time.Second || b.Capacity != 9 {
		t.Errorf("stand-ins: tcp_established %v, capacity %d; want 7m45s and 9", b.Timeouts.TCPEstablished, b.Capacity)
	}
	if _, err := sim.Run(&sc.Config, 0, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSetAddressesInstancesAndDistributions(t *testing.T) {
	sc, err := Parse("households.yaml", []byte(households), []string{"middleboxes.home.instances=shared",
		"middleboxes.home.timeouts.udp={choice: [45s]}", "middleboxes.home.capacity=100"})
	if err != nil {
		t.Fatal(err)
	}
	b := sc.Config.Path[0]
	if b.PerClient || b.Capacity != 100 || !b.Draws.Capacity.IsZero() || b.Draws.UDP.Choice == nil || b.Draws.UDP.Choice.Values[0] != 45*time.Second {
		t.Errorf("after --set: per-client %v, capacity %d (drawn %+v), udp %+v", b.PerClient, b.Capacity, b.Draws.Capacity, b.Draws.UDP)
	}
}

func TestDrawnSettingProblems(t *testing.T) {
	for _, tc := range []struct{ name, old, new, want string }{
		{"weights all zero", "weights: [1, 3]", "weights: [0, 0]", `households.yaml:9:55: middleboxes.home.timeouts.tcp_established.weights: the weights must not all be zero (got [0 0])`},
		{"negative weight", "weights: [1, 3]", "weights: [1, -3]", `middleboxes.home.timeouts.tcp_established.weights: every weight must be a finite number >= 0 (got -3)`},
		{"weights and values differ", "weights: [1, 3]", "weights: [1]", `households.yaml:9:55: middleboxes.home.timeouts.tcp_established.weights: expected a list of 2 weights, one per value (got a list of 1)`},
		{"zero value", "[60s, 600s]", "[0s, 600s]", `households.yaml:9:33: middleboxes.home.timeouts.tcp_established.choice: every value must be positive (got "0s")`},
		{"count not whole", "[2, 16]", "[2, 1.5]", `households.yaml:7:28: middleboxes.home.capacity.choice: expected a whole number (got "1.5")`},
		{"bad instances", "per-client", "per-household", `households.yaml:6:16: middleboxes.home.instances: must be one of shared, per-client (got "per-household")`},
		{"distribution where one value is needed", "interval: 300s", "interval: {choice: [300s, 600s]}",
			`households.yaml:15:38: clients.a.keepalive.interval: takes one duration such as 300s, not a distribution`},
		{"per-client reset", "instances: per-client", "instances: per-client\n    on_expire: reset", `middleboxes.home.instances: per-client is not supported with on_expire: reset`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(households, tc.old, tc.new, 1)
			if text == households {
				t.Fatal("the edit did not apply")
			}
			_, err := Parse("households.yaml", []byte(text), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got:\n%v\nwant a line with:\n%s", err, tc.want)
			}
		})
	}
}
