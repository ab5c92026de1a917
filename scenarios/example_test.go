package scenarios_test

import (
	"fmt"
	"log"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// Parse a scenario written inline, with a --set override: presets are
// applied and defaults filled, so the Config is ready for sim.Run.
func ExampleParse() {
	const doc = `
name: one-gateway
duration: 1h
path:
  - name: gw
    preset: azure-load-balancer
clients:
  - name: app
    count: 10
    protocol: tcp
    keepalive: {type: tcp, idle: 200s, interval: 75s, count: 9}
`
	sc, err := scenarios.Parse("one-gateway.yaml", []byte(doc), []string{"clients.app.keepalive.idle=60s"})
	if err != nil {
		log.Fatal(err)
	}
	cfg := sc.Config
	fmt.Println(cfg.Name, "seed", cfg.Seed, "replications", sc.Replications)
	fmt.Println(cfg.Path[0].Name, "tcp established timeout", cfg.Path[0].Timeouts.TCPEstablished)
	fmt.Println(cfg.Groups[0].Name, "keepalive idle", cfg.Groups[0].Keepalive.Idle)
	// Output:
	// one-gateway seed 1 replications 1
	// gw tcp established timeout 4m0s
	// app keepalive idle 1m0s
}

// Load a shipped example and expand its sweep into points; each point is
// a scenario of its own, run like any other. At the last point both
// keepalives are slower than the load balancer's 4-minute timeout: TCP
// keepalive notices a break only after 9 probes 75 s apart.
func ExampleLoad() {
	sc, err := scenarios.Load("tcp-vs-app-keepalive-4min.yaml", []string{"duration=30m", "warmup=5m"})
	if err != nil {
		log.Fatal(err)
	}
	points, err := sc.Points(nil)
	if err != nil {
		log.Fatal(err)
	}
	last := points[len(points)-1]
	fmt.Println(len(points), "points, the last:", last.Label())
	run, err := sim.Run(&last.Scenario.Config, 0, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, g := range run.Groups {
		v, _ := g.Value(sim.GroupDetectionP50)
		fmt.Printf("%s: a break is noticed after %s s (%s)\n", g.Name, sim.Num(v), sim.GroupDetectionP50)
	}
	// Output:
	// 6 points, the last: clients.tcp-keepalive.keepalive.idle=300s, clients.app-heartbeat.keepalive.interval=300s
	// tcp-keepalive: a break is noticed after 735 s (detection_latency_s.p50)
	// app-heartbeat: a break is noticed after 369.9 s (detection_latency_s.p50)
}
