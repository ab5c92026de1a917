package scenarios

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

// extremes are scenarios at the edges of what the loader accepts: spans
// of a nanosecond and of a century, huge counts, swept magnitudes. They
// seed the fuzz targets, whose other seeds use second-sized values.
var extremes = []string{
	"name: x\nduration: 876000h\npath: [{name: b, preset: rfc-minimum, timeouts: {tcp_established: 876000h, udp: 1ns}}]\n" +
		"clients: [{name: c, count: 2147483647, start_delay: 438000h, start_spread: 438000h, keepalive: {type: server-app, interval: 438000h, timeout: 1ns, misses: 1, request_bytes: 1, response_bytes: 1}}]\n",
	"name: x\nduration: 1ns\nsample_every: 1ns\npath: [{name: b, preset: linux-conntrack}]\nclients: [{name: c, count: 1, traffic: {up: {interval: 1ns}}}]\n",
	"name: x\nduration: 2562047h\npath: [{name: b, preset: linux-conntrack}]\nclients: [{name: c, count: 1}]\n",
	"name: x\nduration: 1h\npath: [{name: b, preset: linux-conntrack}]\nclients: [{name: c, count: 1, traffic: {down: {interval: {pareto: {scale: 876000h, shape: 1e-300}}}}, session: {lifetime: {lognormal: {median: 1ns, sigma: 1e300}}, think: {uniform: [0s, 876000h]}}}]\n" +
		"sweep: {clients.c.count: [1, 50000000, 9223372036854775807], duration: [1ns, 876000h, 876001h]}\n",
	"name: x\nduration: 1h\npath: [{name: b, preset: linux-conntrack}]\nclients: [{name: c, count: 1, keepalive: {type: tcp, idle: 876000h, interval: 1ns, count: 2147483647}, reconnect: {backoff: 1ns, max_backoff: 876000h}}]\n",
}

// FuzzResolve loads a scenario with one --set override and one --param
// sweep, expands the sweep, and writes the resolved scenario back: no
// input panics, every failure is Problems, every point passes the
// engine's validation, and loading the resolved YAML gives the same
// configuration and the same points, and resolving it again the same bytes.
func FuzzResolve(f *testing.F) {
	data, err := os.ReadFile("aws-nat-gateway-grpc.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, "path.natgw.capacity=100", "network.rtt=10ms,20ms")
	f.Add(data, "clients.grpc.start_delay=2562000h", "clients.grpc.keepalive.interval=1ns..876000h:log5")
	// Sweeps that change a preset or a default that others depend on.
	f.Add(data, "", "path.natgw.preset=aws-nat-gateway,cellular-cgnat")
	f.Add(data, "clients.grpc.keepalive.type=tcp", "clients.grpc.keepalive.type=tcp,none")
	f.Add(data, "clients.grpc.reconnect.backoff=30s", "clients.grpc.reconnect.backoff=30s,2m")
	f.Add(data, "", "duration=1h,2h")
	// Merge keys, aliases and zip: axes, in the file and in --param.
	merged := []byte(aliasHead + "  - &c {name: c, count: 2, keepalive: &k {type: app, interval: &i 1m, timeout: 5s, request_bytes: 1, response_bytes: 1}}\n" +
		"  - {<<: [*c, {start_delay: 1s}], name: d, keepalive: {<<: *k, interval: 2m}}\n" +
		"sweep:\n  zip:\n    - {clients.c.count: [1, 2], clients.d.keepalive.interval: [*i, 3m]}\n    - {seed: [1]}\n  duration: [1h]\n")
	f.Add(merged, "clients.d.count=3", "seed=1,2;clients.c.count=3,4")
	f.Add(merged, "", "clients.c.count=1..3:lin3;clients.d.count=3..5:lin3")
	for _, e := range extremes {
		f.Add([]byte(e), "duration=876000h", "clients.c.count=1..2147483647:log3")
		f.Add([]byte(e), "clients.c.start_spread=1ns", "")
	}
	f.Fuzz(func(t *testing.T, data []byte, set, param string) {
		var sets []string
		if set != "" {
			sets = []string{set}
		}
		sc, err := Parse("fuzz.yaml", data, sets)
		if err != nil {
			wantProblems(t, err)
			return
		}
		var params []SweepKey
		if param != "" {
			k, err := ParseParam(param)
			if err != nil {
				wantProblems(t, err)
				return
			}
			params = append(params, k...)
		}
		keys := sc.Keys(params)
		n, err := sc.CountPoints(keys)
		if err != nil {
			wantProblems(t, err)
			return
		}
		if n > 200 {
			return // keep each input quick
		}
		points, err := sc.Points(params)
		if err != nil {
			wantProblems(t, err)
			return
		}
		if len(points) != n {
			t.Fatalf("%d points, counted %d", len(points), n)
		}
		for _, p := range points {
			if err := p.Scenario.Config.Validate(); err != nil {
				t.Fatalf("point %s: loader accepted what the engine rejects: %v", p.Label(), err)
			}
		}
		resolved, err := sc.ResolvedYAML(points)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse("resolved.yaml", resolved, nil)
		if err != nil {
			t.Fatalf("the resolved scenario does not load: %v\n%s", err, resolved)
		}
		if !reflect.DeepEqual(again.Config, sc.Config) || again.Replications != sc.Replications {
			t.Fatalf("the resolved scenario differs:\n%+v\n%+v\n%s", sc.Config, again.Config, resolved)
		}
		repoints, err := again.Points(nil)
		if err != nil || len(repoints) != len(points) {
			t.Fatalf("the resolved sweep gives %d points, not %d: %v\n%s", len(repoints), len(points), err, resolved)
		}
		for i := range points {
			if !reflect.DeepEqual(repoints[i].Scenario.Config, points[i].Scenario.Config) {
				t.Fatalf("point %s differs once resolved:\n%+v\n%+v\n%s", points[i].Label(),
					points[i].Scenario.Config, repoints[i].Scenario.Config, resolved)
			}
		}
		if twice, err := again.ResolvedYAML(repoints); err != nil || !bytes.Equal(twice, resolved) {
			t.Fatalf("resolving the resolved scenario changes it (%v):\n%s\nthen:\n%s", err, resolved, twice)
		}
	})
}

func wantProblems(t *testing.T, err error) {
	t.Helper()
	if _, ok := err.(Problems); !ok {
		t.Fatalf("error of type %T: %v", err, err)
	}
}
