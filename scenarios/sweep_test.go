package scenarios

import (
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseParam(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"k=1s,2s, 3s", []string{"1s", "2s", "3s"}},
		{"k=30s..30m:log10", []string{"30s", "47.3s", "1m14.5s", "1m57s", "3m5s", "4m52s", "7m40s", "12m5s", "19m0s", "30m0s"}}, // ratio 60^(1/9)
		{"k=5000..12000:lin8", []string{"5000", "6000", "7000", "8000", "9000", "10000", "11000", "12000"}},
		{"k=0.001..0.1:log3", []string{"0.001", "0.01", "0.1"}},
	} {
		sk, err := ParseParam(tc.in)
		if err != nil || len(sk) != 1 || !slices.Equal(sk[0].Values, tc.want) || sk[0].Key != "k" {
			t.Errorf("%s: %v %v, want %v", tc.in, sk, err, tc.want)
		}
	}
	for _, bad := range []string{"k", "=1", "k=1..2", "k=1..2:log1", "k=0..2:log4", "k=1s..2:lin3", "k=1,,2"} {
		if _, err := ParseParam(bad); err == nil || !strings.HasPrefix(err.Error(), "--param "+bad) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestPointsAreTheCartesianProduct(t *testing.T) {
	sc, err := Load("home-router-then-cgnat.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cap, _ := ParseParam("path.cgnat.capacity=1000,2000")
	interval, _ := ParseParam("clients.chat.keepalive.interval=5m,30m") // replaces the file's sweep of this key
	points, err := sc.Points(slices.Concat(cap, interval))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range points {
		got = append(got, p.Label())
	}
	want := []string{
		"clients.chat.keepalive.interval=5m, path.cgnat.capacity=1000",
		"clients.chat.keepalive.interval=5m, path.cgnat.capacity=2000",
		"clients.chat.keepalive.interval=30m, path.cgnat.capacity=1000",
		"clients.chat.keepalive.interval=30m, path.cgnat.capacity=2000",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("points %q", got)
	}
	if c := points[3].Scenario.Config; c.Path[1].Capacity != 2000 || c.Groups[0].Keepalive.Interval.Minutes() != 30 {
		t.Fatalf("point 3 config %+v", c.Path[1])
	}
}

func TestSweepErrorsPointAtTheFlag(t *testing.T) {
	sc, _ := Load("home-router-then-cgnat.yaml", nil)
	bad, _ := ParseParam("path.cgnat.capacty=1,2")
	if _, err := sc.Points(bad); err == nil || !strings.Contains(err.Error(), `--param path.cgnat.capacty=1,2: path.cgnat.capacty: unknown key`) {
		t.Errorf("unknown key: %v", err)
	}
	neg, _ := ParseParam("path.cgnat.capacity=5,-1")
	if _, err := sc.Points(neg); err == nil || !strings.Contains(err.Error(), "--param path.cgnat.capacity=5,-1: path.cgnat.capacity: must be >= 0") {
		t.Errorf("bad value: %v", err)
	}
}

// sweepOf is a small scenario sweeping the client count over n values.
func sweepOf(n int) []byte {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = strconv.Itoa(i + 1)
	}
	return []byte("name: x\nduration: 1h\npath: [{name: b, preset: linux-conntrack}]\nclients: [{name: c, count: 1}]\n" +
		"sweep:\n  clients.c.count: [" + strings.Join(vals, ", ") + "]\n")
}

// TestSweepExpansionIsLinear: every point used to be built from a copy of
// the whole document, sweep block included, so a 20 KB file listing
// 3,000 values took memory in the square of the values (check ran out of
// memory). Loading and expanding it now allocates a few kilobytes a point.
func TestSweepExpansionIsLinear(t *testing.T) {
	data := sweepOf(3000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sc, err := Parse("big.yaml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	points, err := sc.Points(nil)
	if err != nil || len(points) != 3000 {
		t.Fatalf("%d points, %v", len(points), err)
	}
	runtime.ReadMemStats(&after)
	if perPoint := (after.TotalAlloc - before.TotalAlloc) / 3000; perPoint > 64<<10 {
		t.Fatalf("%d bytes allocated per point of a %d-byte file: more than 64 KiB", perPoint, len(data))
	}
}

// TestTooManyPointsAreRefusedBeforeBuilding: the product is counted
// first, and the key that crosses MaxPoints is named where it is written.
func TestTooManyPointsAreRefusedBeforeBuilding(t *testing.T) {
	sc, err := Parse("big.yaml", sweepOf(1000), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParseParam("network.rtt=1ms..1s:lin200")
	_, err = sc.Points(p)
	want := "--param network.rtt=1ms..1s:lin200: network.rtt: the sweep has more than 100000 points (the most natsim runs) (got 200 values, 200000 points so far)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	data := append(sweepOf(1000), "  network.rtt: [1ms, 2ms, 3ms, 4ms, 5ms, 6ms, 7ms, 8ms, 9ms, 10ms, 11ms, 12ms, 13ms, 14ms, 15ms, 16ms, 17ms, 18ms, 19ms, 20ms, 21ms, 22ms, 23ms, 24ms, 25ms, 26ms, 27ms, 28ms, 29ms, 30ms, 31ms, 32ms, 33ms, 34ms, 35ms, 36ms, 37ms, 38ms, 39ms, 40ms, 41ms, 42ms, 43ms, 44ms, 45ms, 46ms, 47ms, 48ms, 49ms, 50ms, 51ms, 52ms, 53ms, 54ms, 55ms, 56ms, 57ms, 58ms, 59ms, 60ms, 61ms, 62ms, 63ms, 64ms, 65ms, 66ms, 67ms, 68ms, 69ms, 70ms, 71ms, 72ms, 73ms, 74ms, 75ms, 76ms, 77ms, 78ms, 79ms, 80ms, 81ms, 82ms, 83ms, 84ms, 85ms, 86ms, 87ms, 88ms, 89ms, 90ms, 91ms, 92ms, 93ms, 94ms, 95ms, 96ms, 97ms, 98ms, 99ms, 100ms, 101ms]\n"...)
	sc, err = Parse("big.yaml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sc.Points(nil)
	if err == nil || !strings.HasPrefix(err.Error(), "big.yaml:7:3: sweep.network.rtt: the sweep has more than 100000 points") {
		t.Fatalf("got %v", err)
	}
}

// zipBase is a small scenario with two groups and a middlebox, for the
// zip: tests.
const zipBase = "name: z\nduration: 1h\npath: [{name: nat, preset: linux-conntrack}]\n" +
	"clients:\n  - {name: tcp, count: 1, keepalive: {type: tcp, idle: 1m, interval: 75s, count: 9}}\n" +
	"  - {name: app, count: 1, keepalive: {type: app, interval: 1m, timeout: 5s, request_bytes: 60, response_bytes: 60}}\n"

// pointsOf expands sc's sweep with --param flags.
func pointsOf(t *testing.T, sc *Scenario, params []string) []Point {
	t.Helper()
	var keys Sweep
	for _, p := range params {
		k, err := ParseParam(p)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k...)
	}
	points, err := sc.Points(keys)
	if err != nil {
		t.Fatal(err)
	}
	return points
}

// labels is the labels of sc's points with --param flags.
func labels(t *testing.T, sc *Scenario, params ...string) []string {
	t.Helper()
	var got []string
	for _, p := range pointsOf(t, sc, params) {
		got = append(got, p.Label())
	}
	return got
}

// TestZipMovesKeysTogether: keys under zip: share an axis (point i takes
// the i-th value of each), crossed with the keys outside it, in the
// order written; the config of each point has both values.
func TestZipMovesKeysTogether(t *testing.T) {
	sc, err := Parse("z.yaml", []byte(zipBase+"sweep:\n  path.nat.capacity: [100, 200]\n  zip:\n"+
		"    clients.tcp.keepalive.idle: [60s, 120s, 300s]\n    clients.app.keepalive.interval: [30s, 90s, 250s]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"path.nat.capacity=100, clients.tcp.keepalive.idle=60s, clients.app.keepalive.interval=30s",
		"path.nat.capacity=100, clients.tcp.keepalive.idle=120s, clients.app.keepalive.interval=90s",
		"path.nat.capacity=100, clients.tcp.keepalive.idle=300s, clients.app.keepalive.interval=250s",
		"path.nat.capacity=200, clients.tcp.keepalive.idle=60s, clients.app.keepalive.interval=30s",
		"path.nat.capacity=200, clients.tcp.keepalive.idle=120s, clients.app.keepalive.interval=90s",
		"path.nat.capacity=200, clients.tcp.keepalive.idle=300s, clients.app.keepalive.interval=250s",
	}
	if got := labels(t, sc); !slices.Equal(got, want) {
		t.Fatalf("points:\n%s", strings.Join(got, "\n"))
	}
	if n, err := sc.CountPoints(sc.Sweep); n != 6 || err != nil {
		t.Errorf("CountPoints %d %v, want 6", n, err)
	}
	points, _ := sc.Points(nil)
	if c := points[4].Scenario.Config; c.Path[0].Capacity != 200 || c.Groups[0].Keepalive.Idle.Seconds() != 120 || c.Groups[1].Keepalive.Interval.Seconds() != 90 {
		t.Errorf("point 4: %+v %+v", c.Path[0], c.Groups)
	}
	if z := points[0].Zipped(); !reflect.DeepEqual(z, [][]string{{"clients.tcp.keepalive.idle", "clients.app.keepalive.interval"}}) {
		t.Errorf("Zipped %q", z)
	}

	// A list under zip: is several axes, crossed, where zip: is written.
	sc, err = Parse("z.yaml", []byte(zipBase+"sweep:\n  zip:\n    - {clients.tcp.count: [1, 2], clients.app.count: [2, 1]}\n"+
		"    - {seed: [7, 8]}\n  path.nat.capacity: [100, 200]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(t, sc); len(got) != 8 || got[0] != "clients.tcp.count=1, clients.app.count=2, seed=7, path.nat.capacity=100" ||
		got[7] != "clients.tcp.count=2, clients.app.count=1, seed=8, path.nat.capacity=200" {
		t.Errorf("zip list points:\n%s", strings.Join(got, "\n"))
	}
}

// TestZipParam: one --param with keys joined by ';' is one axis; a
// --param replacing one key of a zip: takes its place and the rest of
// the zip stays together.
func TestZipParam(t *testing.T) {
	sc, err := Parse("z.yaml", []byte(zipBase+"sweep:\n  zip:\n"+
		"    clients.tcp.keepalive.idle: [60s, 120s]\n    clients.app.keepalive.interval: [30s, 90s]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := labels(t, sc, "clients.tcp.count=1,2;clients.app.count=3..4:lin2")
	if want := []string{
		"clients.tcp.keepalive.idle=60s, clients.app.keepalive.interval=30s, clients.tcp.count=1, clients.app.count=3",
		"clients.tcp.keepalive.idle=60s, clients.app.keepalive.interval=30s, clients.tcp.count=2, clients.app.count=4",
		"clients.tcp.keepalive.idle=120s, clients.app.keepalive.interval=90s, clients.tcp.count=1, clients.app.count=3",
		"clients.tcp.keepalive.idle=120s, clients.app.keepalive.interval=90s, clients.tcp.count=2, clients.app.count=4",
	}; !slices.Equal(got, want) {
		t.Errorf("zip --param:\n%s", strings.Join(got, "\n"))
	}
	got = labels(t, sc, "clients.tcp.keepalive.idle=10s,20s,30s")
	if len(got) != 6 || got[0] != "clients.tcp.keepalive.idle=10s, clients.app.keepalive.interval=30s" ||
		got[1] != "clients.tcp.keepalive.idle=10s, clients.app.keepalive.interval=90s" {
		t.Errorf("replacing a zipped key:\n%s", strings.Join(got, "\n"))
	}
	// A ';' that does not join KEY=VALUES parts is part of the value.
	if k, err := ParseParam("description=a;b"); err != nil || len(k) != 1 || k[0].Values[0] != "a;b" {
		t.Errorf("a;b: %v %v", k, err)
	}
	for _, tc := range []struct{ param, want string }{
		{"clients.tcp.count=1,2;clients.app.count=1,2,3", "--param clients.tcp.count=1,2;clients.app.count=1,2,3: clients.app.count: has 3 values but clients.tcp.count has 2: keys that move together take their i-th values at point i, so each needs as many (got \"1,2,3\")"},
		{"seed=1,2;seed=3,4", "--param seed=1,2;seed=3,4: seed: given twice"},
	} {
		if _, err := ParseParam(tc.param); err == nil || err.Error() != tc.want {
			t.Errorf("got %v\nwant %s", err, tc.want)
		}
	}
}

// TestZipProblemsAreLocated: a zip: with unequal lists, a malformed zip:
// and a key swept twice are refused where they are written.
func TestZipProblemsAreLocated(t *testing.T) {
	for _, tc := range []struct{ sweep, want string }{
		{"  zip:\n    clients.tcp.keepalive.idle: [60s, 120s, 300s]\n    clients.app.keepalive.interval: [30s, 90s]\n",
			"z.yaml:10:5: sweep.zip.clients.app.keepalive.interval: has 2 values but clients.tcp.keepalive.idle has 3: " +
				"keys that move together take their i-th values at point i, so each needs as many (got 2 values)"},
		{"  zip:\n    - {seed: [1, 2], clients.tcp.count: [1]}\n",
			"z.yaml:9:22: sweep.zip[0].clients.tcp.count: has 1 values but seed has 2: keys that move together take their i-th values at point i, so each needs as many (got 1 values)"},
		{"  zip: [60s, 120s]\n", "z.yaml:8:9: sweep.zip[0]: expected a mapping of KEY: [VALUES] (keys that move together) (got \"60s\")"},
		{"  zip: 3\n", "z.yaml:8:8: sweep.zip: expected a mapping of KEY: [VALUES] (keys that move together: point i takes the i-th value of each) or a list of such mappings (got \"3\")"},
		{"  seed: [1, 2]\n  zip:\n    seed: [3, 4]\n    clients.tcp.count: [1, 2]\n", "z.yaml:10:5: sweep.zip.seed: given twice"},
		{"  zip:\n    clients.tcp.count: [1, 2]\n    clients.tcp.keepalive.idel: [1m, 2m]\n",
			"z.yaml:10:5: sweep.zip.clients.tcp.keepalive.idel: unknown key"},
		{"  zip:\n    clients.tcp.count: [1, -2]\n    seed: [1, 2]\n", "z.yaml:9:28: clients.tcp.count: must be"},
	} {
		_, err := Parse("z.yaml", []byte(zipBase+"sweep:\n"+tc.sweep), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s\ngot  %v\nwant %s", tc.sweep, err, tc.want)
		}
	}
}

// TestZipCountsAxesNotKeys: the bound of MaxPoints counts an axis once,
// however many keys move along it, and is checked before building.
func TestZipCountsAxesNotKeys(t *testing.T) {
	vals := make([]string, 400)
	for i := range vals {
		vals[i] = strconv.Itoa(i + 1)
	}
	list := "[" + strings.Join(vals, ", ") + "]"
	sc, err := Parse("big.yaml", []byte(zipBase+"sweep:\n  zip:\n    clients.tcp.count: "+list+"\n    clients.app.count: "+list+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sc.CountPoints(sc.Sweep); n != 400 || err != nil {
		t.Fatalf("%d points, %v", n, err)
	}
	p, _ := ParseParam("seed=1..300:lin300")
	_, err = sc.CountPoints(sc.Keys(p))
	want := "--param seed=1..300:lin300: seed: the sweep has more than 100000 points (the most natsim runs) (got 300 values, 120000 points so far)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
