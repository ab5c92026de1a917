package scenarios

import (
	"bytes"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// resolve loads data with sets, sweeps it with params and returns its
// resolved YAML, the scenario and its points.
func resolve(t *testing.T, file string, data []byte, sets, params []string) ([]byte, *Scenario, []Point) {
	t.Helper()
	sc, err := Parse(file, data, sets)
	if err != nil {
		t.Fatal(err)
	}
	points := pointsOf(t, sc, params)
	resolved, err := sc.ResolvedYAML(points)
	if err != nil {
		t.Fatal(err)
	}
	return resolved, sc, points
}

// TestResolvedLoadsToTheSameConfig: for every example, with a --set and
// a --param, the resolved scenario loads to exactly the same sim.Config,
// replications and points, with the --set value and the --param key in
// it; resolving it again gives the same bytes.
func TestResolvedLoadsToTheSameConfig(t *testing.T) {
	examples, _ := filepath.Glob("*.yaml")
	if len(examples) < 9 {
		t.Fatalf("%d examples", len(examples))
	}
	for _, file := range examples {
		data, err := Examples.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		resolved, sc, points := resolve(t, file, data, []string{"network.rtt=7ms"}, []string{"seed=5,6"})
		again, err := Parse("scenario.yaml", resolved, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", file, err, resolved)
		}
		if !reflect.DeepEqual(again.Config, sc.Config) || again.Replications != sc.Replications || again.Config.Network.RTT.Milliseconds() != 7 {
			t.Errorf("%s: resolved, the config differs:\n%+v\n%+v\n%s", file, sc.Config, again.Config, resolved)
		}
		repoints, err := again.Points(nil)
		if err != nil || len(repoints) != len(points) || len(points)%2 != 0 {
			t.Fatalf("%s: %d points, then %d: %v", file, len(points), len(repoints), err)
		}
		for i := range points {
			if points[i].Label() != repoints[i].Label() || !reflect.DeepEqual(points[i].Scenario.Config, repoints[i].Scenario.Config) {
				t.Errorf("%s: point %s differs once resolved", file, points[i].Label())
			}
		}
		if twice, err := again.ResolvedYAML(repoints); err != nil || !bytes.Equal(twice, resolved) {
			t.Errorf("%s: resolving the resolved scenario changes it (%v):\n%s\nthen:\n%s", file, err, resolved, twice)
		}
	}
}

// fields decodes YAML into plain maps and lists, to look at what a file
// says without the scenario types.
func fields(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at follows a path of map keys and list item names in a decoded file.
func at(m any, path ...string) (any, bool) {
	for _, seg := range path {
		switch v := m.(type) {
		case map[string]any:
			var ok bool
			if m, ok = v[seg]; !ok {
				return nil, false
			}
		case []any:
			i := slices.IndexFunc(v, func(item any) bool { x, _ := item.(map[string]any); return x["name"] == seg })
			if i < 0 {
				return nil, false
			}
			m = v[i]
		default:
			return nil, false
		}
	}
	return m, true
}

// TestResolvedWritesDefaultsAndNamesPresets: every default the file
// leaves out is written with its documented value (docs/scenario-format.md),
// and a preset is named, none of its fields written.
func TestResolvedWritesDefaultsAndNamesPresets(t *testing.T) {
	data := []byte("name: x\nduration: 1h\npath: [{name: b, preset: linux-conntrack, capacity: 100}]\n" +
		"clients:\n  - {name: t, count: 1, traffic: {up: {interval: 1m}}}\n" +
		"  - {name: u, count: 1, protocol: udp, keepalive: {type: app, interval: 25s, timeout: 5s, request_bytes: 40, response_bytes: 40}}\n")
	resolved, _, _ := resolve(t, "x.yaml", data, nil, nil)
	m := fields(t, resolved)
	for _, want := range []struct {
		path  string
		value any
	}{
		{"seed", 1}, {"warmup", "0s"}, {"replications", 1}, {"sample_every", "18s"}, {"network.rtt", "0s"}, {"network.loss", 0},
		{"path.b.preset", "linux-conntrack"}, {"path.b.capacity", 100},
		{"clients.t.protocol", "tcp"}, {"clients.t.start_delay", "0s"}, {"clients.t.start_spread", "0s"},
		{"clients.t.traffic.up.bytes", 0}, {"clients.t.keepalive.type", "none"},
		{"clients.t.reconnect.backoff", "1s"}, {"clients.t.reconnect.max_backoff", "1m0s"},
		{"clients.t.reconnect.handshake_packets", 3}, {"clients.t.reconnect.handshake_bytes", 172},
		{"clients.t.retransmit_timeout", "15m24.6s"},
		{"clients.u.udp_rebinding", "follow"}, {"clients.u.keepalive.interval", "25s"},
		{"clients.u.keepalive.jitter", "0s"}, {"clients.u.keepalive.misses", 1}, {"clients.u.keepalive.idle_only", false},
	} {
		if got, ok := at(m, strings.Split(want.path, ".")...); !ok || got != want.value {
			t.Errorf("%s: %v (%v), want %v", want.path, got, ok, want.value)
		}
	}
	for _, absent := range []string{"path.b.timeouts", "path.b.when_full", "clients.t.traffic.down", "clients.t.session",
		"clients.t.udp_rebinding", "clients.t.keepalive.interval", "sweep"} {
		if got, ok := at(m, strings.Split(absent, ".")...); ok {
			t.Errorf("%s written (%v):\n%s", absent, got, resolved)
		}
	}
	if !strings.HasPrefix(string(resolved), "# Resolved by natsim") || strings.Contains(string(resolved), "x.yaml") {
		t.Errorf("the header names the source file, so a re-run's would differ:\n%s", resolved)
	}
}

// TestResolvedLeavesOutDefaultsThatVary: a default that depends on a
// swept key takes a different value at each point, so writing the first
// point's would fix it for all; it is left out, and the points keep
// theirs.
func TestResolvedLeavesOutDefaultsThatVary(t *testing.T) {
	data := []byte("name: x\nduration: 1h\npath: [{name: b, preset: linux-conntrack}]\n" +
		"clients: [{name: c, count: 1, reconnect: {backoff: 2s}}]\n")
	for _, tc := range []struct {
		set, param string
		absent     string // the default that varies
		kept       string // one that does not
	}{
		{"seed=1", "duration=1h,2h", "sample_every", "seed"},
		{"clients.c.keepalive.type=tcp", "clients.c.keepalive.type=tcp,none", "clients.c.keepalive.idle", "clients.c.reconnect.max_backoff"},
		{"clients.c.keepalive.type=tcp", "clients.c.reconnect.backoff=2s,2m", "clients.c.reconnect.max_backoff", "clients.c.keepalive.idle"},
		{"clients.c.protocol=udp", "clients.c.protocol=udp,tcp", "clients.c.udp_rebinding", "sample_every"},
		{"seed=1", "path.b.preset=linux-conntrack,aws-nat-gateway", "path.b.capacity", "sample_every"},
	} {
		resolved, _, points := resolve(t, "x.yaml", data, []string{tc.set}, []string{tc.param})
		m := fields(t, resolved)
		if _, ok := at(m, strings.Split(tc.absent, ".")...); ok {
			t.Errorf("%s: %s written:\n%s", tc.param, tc.absent, resolved)
		}
		if _, ok := at(m, strings.Split(tc.kept, ".")...); !ok {
			t.Errorf("%s: %s not written:\n%s", tc.param, tc.kept, resolved)
		}
		again, err := Parse("scenario.yaml", resolved, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.param, err, resolved)
		}
		repoints, err := again.Points(nil)
		if err != nil || len(repoints) != len(points) {
			t.Fatalf("%s: %d points, then %d: %v", tc.param, len(points), len(repoints), err)
		}
		for i := range points {
			if !reflect.DeepEqual(points[i].Scenario.Config, repoints[i].Scenario.Config) {
				t.Errorf("%s: point %s differs once resolved:\n%s", tc.param, points[i].Label(), resolved)
			}
		}
	}
}

// TestResolvedKeepsZipAxes: the sweep written into scenario.yaml gives
// the same points in the same order, whether the zipped axes come last
// (a zip: mapping) or before other axes (a zip: list, one-key mappings
// for the plain axes), and with a --param zip replacing a zipped key.
func TestResolvedKeepsZipAxes(t *testing.T) {
	for _, tc := range []struct {
		sweep  string
		params []string
		zip    string // the zip: entry as written back
	}{
		{"  path.nat.capacity: [100, 200]\n  zip:\n    clients.tcp.keepalive.idle: [60s, 120s]\n    clients.app.keepalive.interval: [30s, 90s]\n",
			nil, "    zip:\n        clients.tcp.keepalive.idle: [60s, 120s]\n"},
		{"  zip:\n    clients.tcp.keepalive.idle: [60s, 120s]\n    clients.app.keepalive.interval: [30s, 90s]\n  path.nat.capacity: [100, 200]\n",
			[]string{"seed=1,2;clients.tcp.count=3,4"}, "    zip:\n        - clients.tcp.keepalive.idle: [60s, 120s]\n"},
		{"  zip:\n    clients.tcp.keepalive.idle: [60s, 120s]\n    clients.app.keepalive.interval: [30s, 90s]\n",
			[]string{"clients.app.keepalive.interval=1m,2m,3m;clients.app.count=1,2,3"}, "    zip:\n        - clients.app.keepalive.interval: [1m, 2m, 3m]\n"},
	} {
		resolved, _, points := resolve(t, "z.yaml", []byte(zipBase+"sweep:\n"+tc.sweep), nil, tc.params)
		if !strings.Contains(string(resolved), tc.zip) {
			t.Errorf("%s: resolved sweep lacks %q:\n%s", tc.sweep, tc.zip, resolved)
		}
		again, err := Parse("scenario.yaml", resolved, nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, resolved)
		}
		repoints, err := again.Points(nil)
		if err != nil || len(repoints) != len(points) {
			t.Fatalf("%d points, then %d: %v", len(points), len(repoints), err)
		}
		for i := range points {
			if points[i].Label() != repoints[i].Label() || !reflect.DeepEqual(points[i].Zipped(), repoints[i].Zipped()) {
				t.Errorf("point %d: %s then %s", i, points[i].Label(), repoints[i].Label())
			}
		}
	}
}
