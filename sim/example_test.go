package sim_test

import (
	"fmt"
	"log"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// heartbeat is a small scenario: 200 clients with an application
// heartbeat behind a load balancer that forgets a flow after 4 minutes of
// silence (azure-load-balancer preset).
const heartbeat = `
name: heartbeat-behind-a-load-balancer
seed: 1
duration: 2h
warmup: 10m
path:
  - name: lb
    preset: azure-load-balancer
clients:
  - name: app
    count: 200
    protocol: tcp
    traffic:
      up: {interval: {exponential: 30m}, bytes: 300}
    keepalive: {type: app, interval: 300s, timeout: 10s, misses: 2, request_bytes: 110, response_bytes: 110}
`

// Run a scenario once per heartbeat interval and read metrics of the
// result by their typed names: a heartbeat slower than the 4-minute
// timeout breaks connections, a faster one keeps them.
func ExampleRun() {
	for _, interval := range []string{"300s", "200s"} {
		sc, err := scenarios.Parse("heartbeat.yaml", []byte(heartbeat), []string{"clients.app.keepalive.interval=" + interval})
		if err != nil {
			log.Fatal(err)
		}
		run, err := sim.Run(&sc.Config, 0, nil)
		if err != nil {
			log.Fatal(err)
		}
		g := sim.Aggregate(&sc.Config, []*sim.RunResult{run}).Groups[0]
		breaks, _ := g.Value(sim.GroupBreaksPer1000ClientHours)
		bytes, _ := g.Value(sim.GroupKeepaliveBytesPerClientHour)
		detect, _ := g.Value(sim.GroupDetectionP50)
		fmt.Printf("every %s: %s breaks per 1000 client-hours (noticed after %s s), %s B of keepalives per client-hour\n",
			interval, sim.Num(breaks), sim.Num(detect), sim.Num(bytes))
	}
	// Output:
	// every 300s: 5588 breaks per 1000 client-hours (noticed after 370 s), 1378 B of keepalives per client-hour
	// every 200s: 0 breaks per 1000 client-hours (noticed after 0 s), 3960 B of keepalives per client-hour
}

// Value reads a number by its typed name, as sweeps and charts do; the
// names are tied to the result's fields by a test, so a renamed field
// cannot turn into a silent zero. A name of another kind of result is
// not found.
func ExampleGroupResult_Value() {
	g := sim.GroupResult{Name: "app", Breaks: sim.Breaks{Total: 3, IdleTimeout: 3}}
	for _, m := range []sim.Metric{sim.GroupBreaksTotal, sim.GroupBreaksLRUEviction, sim.BoxMaxOccupancy} {
		v, ok := g.Value(m)
		fmt.Println(m, v, ok)
	}
	// Output:
	// breaks.total 3 true
	// breaks.lru_eviction 0 true
	// max_occupancy 0 false
}
