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

// Run a scenario once per heartbeat interval and read a metric of the
// result: a heartbeat slower than the 4-minute timeout breaks
// connections, a faster one keeps them.
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
		res := sim.Aggregate(&sc.Config, []*sim.RunResult{run})
		g := res.Groups[0]
		fmt.Printf("every %s: %s breaks per 1000 client-hours, %s B of keepalives per client-hour\n",
			interval, sim.Num(g.BreaksPer1000ClientHours), sim.Num(g.Overhead.KeepaliveBytesPerClientHour))
	}
	// Output:
	// every 300s: 5588 breaks per 1000 client-hours, 1378 B of keepalives per client-hour
	// every 200s: 0 breaks per 1000 client-hours, 3960 B of keepalives per client-hour
}

// Read metrics by their typed names, as sweeps and charts do: the names
// are tied to the result's fields by a test, so a renamed field cannot
// turn into a silent zero.
func ExampleGroupResult_Value() {
	sc, err := scenarios.Parse("heartbeat.yaml", []byte(heartbeat), nil)
	if err != nil {
		log.Fatal(err)
	}
	run, err := sim.Run(&sc.Config, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	res := sim.Aggregate(&sc.Config, []*sim.RunResult{run})
	for _, m := range []sim.Metric{sim.GroupBreaksIdleTimeout, sim.GroupDetectionP50, sim.GroupReconnects} {
		v, _ := res.Groups[0].Value(m)
		fmt.Printf("%s = %s\n", m, sim.Num(v))
	}
	v, _ := res.Middleboxes[0].Value(sim.BoxMaxOccupancy)
	fmt.Printf("lb %s = %s\n", sim.BoxMaxOccupancy, sim.Num(v))
	// Output:
	// breaks.idle_timeout = 2049
	// detection_latency_s.p50 = 370
	// reconnects = 2138
	// lb max_occupancy = 181
}
