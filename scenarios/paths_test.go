package scenarios

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/sim"
)

// twoPaths has two boxes in middleboxes: and a group on each. Both boxes
// give a new port to a flow whose entry expired and drop packets of
// unknown flows; only their TCP timeout differs.
const twoPaths = `name: two-paths
duration: 1h
middleboxes:
  - name: short
    timeouts: {tcp_established: 120s, tcp_transitory: 120s, udp: 30s, udp_stream: 120s}
    <<: &rules
      capacity: 0
      when_full: lru
      refresh_inbound: true
      refresh_on_keepalive: true
      on_expire: silent
      unknown_outbound: create
      unknown_inbound: drop
      port_preservation: false
  - name: long
    timeouts: {tcp_established: 600s, tcp_transitory: 120s, udp: 30s, udp_stream: 120s}
    <<: *rules
clients:
  - name: a
    count: 10
    path: [short]
    keepalive: {type: app, interval: 300s, jitter: 0s, timeout: 10s, request_bytes: 40, response_bytes: 40}
  - name: b
    count: 10
    path: [long]
    keepalive: {type: app, interval: 300s, jitter: 0s, timeout: 10s, request_bytes: 40, response_bytes: 40}
`

func TestGroupsTakeTheirPathFromTheFile(t *testing.T) {
	sc, err := Parse("two-paths.yaml", []byte(twoPaths), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := [][]int{sc.Config.Groups[0].Path, sc.Config.Groups[1].Path}; !reflect.DeepEqual(got, [][]int{{0}, {1}}) {
		t.Fatalf("paths %v, want [[0] [1]]", got)
	}
	r, err := sim.Run(&sc.Config, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// By hand: every client connects at t = 0 (rtt 0, no spread) and pings
	// 300 s after its connection opened. Group a's entry at "short" expired
	// at 120 s, so the ping leaves on a new port, the server answers it
	// with a reset: a break at 300 s, then a reconnect within the 1 s
	// backoff, and the same again 300 s later. Breaks at 300, ~600, ...,
	// ~3300 s: 11 per client in the hour (the 12th would be at >= 3600 s),
	// 110 for 10 clients, every one caused by "short". Group b's entry at
	// "long" (600 s) is refreshed every 300 s: no break; "long" holds the
	// 10 entries made at the start and nothing else, as group a's flows
	// never reach it.
	if a, b := r.Groups[0].Breaks.Total, r.Groups[1].Breaks.Total; a != 110 || b != 0 {
		t.Errorf("breaks: group a %v, group b %v; want 110 and 0", a, b)
	}
	short, long := r.Middleboxes[0], r.Middleboxes[1]
	if short.Breaks != 110 || long.Breaks != 0 || long.Inserts != 10 {
		t.Errorf("breaks at short %v, at long %v, entries made at long %v; want 110, 0, 10", short.Breaks, long.Breaks, long.Inserts)
	}
}

func TestVersion1ExamplesCrossEveryBox(t *testing.T) {
	// A version 1 file loads as before: its boxes in file order and every
	// group's Path empty (every box), which the engine runs as it did.
	for _, file := range shipped(t) {
		data, _ := os.ReadFile(file)
		if strings.Contains(string(data), "\nmiddleboxes:") {
			continue
		}
		sc, err := Load(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range sc.Config.Groups {
			if g.Path != nil {
				t.Errorf("%s: group %s has path %v, want none", file, g.Name, g.Path)
			}
		}
		for i, m := range sc.Config.Path {
			if !strings.Contains(string(data), "name: "+m.Name) || i > 0 && strings.Index(string(data), "name: "+m.Name) < strings.Index(string(data), "name: "+sc.Config.Path[i-1].Name) {
				t.Errorf("%s: middlebox %d is %s, not in file order", file, i, m.Name)
			}
		}
	}
}

func TestTopLevelPathIsTheDefault(t *testing.T) {
	// Both lists: the top-level box comes first; a group without a path
	// crosses the top-level path only.
	text := strings.Replace(twoPaths, "middleboxes:\n", "path:\n  - {name: edge, preset: linux-conntrack}\nmiddleboxes:\n", 1)
	text = strings.Replace(text, "    path: [long]\n", "", 1)
	text = strings.Replace(text, "path: [short]", "path: [edge, short]", 1)
	text = strings.Replace(text, "name: long", "name: unused", 1) + "  - {name: c, count: 1, path: [unused]}\n"
	sc, err := Parse("both.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range sc.Config.Path {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"edge", "short", "unused"}) {
		t.Errorf("boxes %v", names)
	}
	if got := [][]int{sc.Config.Groups[0].Path, sc.Config.Groups[1].Path}; !reflect.DeepEqual(got, [][]int{{0, 1}, {0}}) {
		t.Errorf("paths %v, want [[0 1] [0]]", got)
	}
}

func TestPathProblems(t *testing.T) {
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown box", "path: [short]", "path: [shrot]", `two-paths.yaml:21:12: clients.a.path: unknown middlebox (did you mean "short"?); known: short, long (got "shrot")`},
		{"box twice", "path: [short]", "path: [short, long, short]", `two-paths.yaml:21:25: clients.a.path: names a middlebox twice (a connection crosses each box once) (got "short")`},
		{"empty path", "path: [short]", "path: []", `two-paths.yaml:21:11: clients.a.path: needs at least one middlebox (got [])`},
		{"no path at all", "    path: [short]\n", "", `two-paths.yaml:19:5: clients.a.path: is required: the file has no top-level path for the groups that name none`},
		{"not a list", "path: [short]", "path: short", `two-paths.yaml:21:11: clients.a.path: expected a list of middlebox names, client side first, such as [home, cgnat] (got "short")`},
		{"unused box", "path: [long]", "path: [short]", `two-paths.yaml:15:5: middleboxes.long: no group's path crosses this middlebox (name it in a group's path: or remove it) (got "long")`},
		{"name in both lists", "middleboxes:\n", "path:\n  - {name: long, preset: linux-conntrack}\nmiddleboxes:\n", `two-paths.yaml:17:5: middleboxes.long: name used twice: the top-level path has a middlebox of this name (got "long")`},
		{"no box at all", "middleboxes:\n", "middleboxe:\n", `two-paths.yaml:1:1: path: needs at least one middlebox`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantEditProblem(t, "two-paths.yaml", twoPaths, tc.old, tc.new, tc.want) })
	}
}

// wantEditProblem parses base with old replaced by new, as file, and
// wants a problem holding want.
func wantEditProblem(t *testing.T, file, base, old, new, want string) {
	t.Helper()
	text := strings.Replace(base, old, new, 1)
	if text == base {
		t.Fatal("the edit did not apply")
	}
	_, err := Parse(file, []byte(text), nil)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got:\n%v\nwant a line:\n%s", err, want)
	}
}

func TestSetAndSweepAddressPaths(t *testing.T) {
	sc, err := Parse("two-paths.yaml", []byte(twoPaths), []string{"middleboxes.long.timeouts.tcp_established=200s", "clients.b.path=[long, short]"})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Config.Path[1].Timeouts.TCPEstablished != 200*time.Second || !slices.Equal(sc.Config.Groups[1].Path, []int{1, 0}) {
		t.Errorf("long's timeout %v, group b's path %v", sc.Config.Path[1].Timeouts.TCPEstablished, sc.Config.Groups[1].Path)
	}
	_, err = Parse("two-paths.yaml", []byte(twoPaths), []string{"clients.b.path=[lng]"})
	if want := `--set clients.b.path=[lng]: clients.b.path: unknown middlebox (did you mean "long"?)`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
	sc, points := twoPoints(t, "two-paths.yaml", twoPaths+"sweep:\n  middleboxes.short.timeouts.tcp_established: [120s, 400s]\n")
	for i, want := range []time.Duration{120 * time.Second, 400 * time.Second} {
		if got := points[i].Scenario.Config.Path[0].Timeouts.TCPEstablished; got != want {
			t.Errorf("point %s: short's timeout %v, want %v", points[i].Label(), got, want)
		}
	}
	// The resolved scenario of a point re-runs it.
	resolved, err := sc.ResolvedYAML(points)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("scenario.yaml", resolved, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, resolved)
	}
	if !reflect.DeepEqual(again.Config, sc.Config) {
		t.Errorf("resolved config differs:\n%+v\n%+v\n%s", sc.Config, again.Config, resolved)
	}
}

// mixed is twoPaths with one group of 400 clients that mixes the two
// boxes, weights 1:3.
var mixed = strings.Replace(twoPaths[:strings.Index(twoPaths, "clients:")], "name: two-paths", "name: mixed", 1) + `clients:
  - name: m
    count: 400
    paths:
      - {via: [short], weight: 1}
      - {via: [long], weight: 3}
    keepalive: {type: app, interval: 300s, jitter: 0s, timeout: 10s, request_bytes: 40, response_bytes: 40}
`

func TestMixedPathsShareAndResults(t *testing.T) {
	sc, err := Parse("mixed.yaml", []byte(mixed), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := sc.Config.Groups[0]
	if len(g.Paths) != 2 || !slices.Equal(g.Paths[0].Via, []int{0}) || g.Paths[1].Weight != 3 {
		t.Fatalf("paths %+v", g.Paths)
	}
	var runs []*sim.RunResult
	for rep := range 3 {
		run, err := sim.Run(&sc.Config, rep, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
		res := run.Groups[0]
		if len(res.Paths) != 2 {
			t.Fatalf("paths in the result: %+v", res.Paths)
		}
		short, long := res.Paths[0], res.Paths[1]
		// The number of clients on "short" is binomial(n = 400, p = 1/4):
		// mean 100, standard deviation sqrt(400 x 1/4 x 3/4) = 8.66; four
		// of them is 34.6, so it lies in [66, 134] but for a chance of
		// about 6e-5 per replication.
		if n := short.Clients; n < 66 || n > 134 || n+long.Clients != 400 {
			t.Errorf("rep %d: %v clients on short, %v on long; want 66 to 134 of 400", rep, n, long.Clients)
		}
		if short.Share != short.Clients/400 || !slices.Equal(short.Via, []string{"short"}) || short.Name != "m.paths.0" {
			t.Errorf("rep %d: short's share %v, via %v, name %s", rep, short.Share, short.Via, short.Name)
		}
		// By hand, as in TestGroupsTakeTheirPathFromTheFile: a client on
		// "short" (120 s) breaks at every 300 s ping, 11 times in the
		// hour, and one on "long" (600 s) never; every client starts at
		// 0 and lives the whole hour, so short's rate per 1,000
		// client-hours is 11,000.
		if short.Breaks.Total != 11*short.Clients || long.Breaks.Total != 0 || short.BreaksPer1000ClientHours != 11000 {
			t.Errorf("rep %d: breaks %v on short (%v per 1,000 client-hours), %v on long; want %v, 11000, 0",
				rep, short.Breaks.Total, short.BreaksPer1000ClientHours, long.Breaks.Total, 11*short.Clients)
		}
		if run.Middleboxes[0].Breaks != short.Breaks.Total || run.Middleboxes[1].Breaks != 0 || run.Middleboxes[1].Inserts != long.Clients {
			t.Errorf("rep %d: breaks at short %v, at long %v, entries made at long %v", rep, run.Middleboxes[0].Breaks, run.Middleboxes[1].Breaks, run.Middleboxes[1].Inserts)
		}
		// The group is its clients together: counts add, and its
		// quantiles are its merged sample's (only short's clients have
		// detection latencies, so the group's are short's).
		if res.Clients != 400 || res.Breaks.Total != short.Breaks.Total || res.ClientHours != short.ClientHours+long.ClientHours ||
			res.Overhead.KeepalivePackets != short.Overhead.KeepalivePackets+long.Overhead.KeepalivePackets || res.Detection != short.Detection {
			t.Errorf("rep %d: group %+v\nshort %+v\nlong %+v", rep, res, short.GroupResult, long.GroupResult)
		}
		// Every count of the group is the sum of its paths' (a guard that
		// merging forgets none).
		for _, m := range sim.GroupMetrics {
			if name := string(m); strings.Contains(name, "per_") || strings.Contains(name, "fraction") || strings.Contains(name, "latency") || strings.Contains(name, "delay") {
				continue
			}
			v, _ := res.Value(m)
			a, _ := short.Value(m)
			b, _ := long.Value(m)
			if v != a+b {
				t.Errorf("rep %d: %s: group %v, paths %v + %v", rep, m, v, a, b)
			}
		}
		if res.BreaksPer1000ClientHours != 1000*res.Breaks.Total/400 {
			t.Errorf("rep %d: group rate %v, want %v", rep, res.BreaksPer1000ClientHours, 1000*res.Breaks.Total/400)
		}
		// Each path gives what its clients give alone, in a group of
		// their own on that path.
		for i, p := range res.Paths {
			alone := strings.Replace(strings.Replace(mixed, "count: 400", fmt.Sprintf("count: %v", p.Clients), 1),
				"    paths:\n      - {via: [short], weight: 1}\n      - {via: [long], weight: 3}\n", "    path: ["+p.Via[0]+"]\n", 1)
			alone = strings.Replace(alone, "  - name: "+[]string{"long", "short"}[i]+"\n", "  - name: unused\n", 1) + "  - {name: u, count: 1, path: [unused]}\n"
			asc, err := Parse("alone.yaml", []byte(alone), nil)
			if err != nil {
				t.Fatalf("%v\n%s", err, alone)
			}
			ar, err := sim.Run(&asc.Config, rep, nil)
			if err != nil {
				t.Fatal(err)
			}
			a := ar.Groups[0]
			if a.Breaks != p.Breaks || a.BreaksPer1000ClientHours != p.BreaksPer1000ClientHours || a.ClientHours != p.ClientHours ||
				a.Overhead.KeepalivePackets != p.Overhead.KeepalivePackets || a.Reconnects != p.Reconnects {
				t.Errorf("rep %d: path %s gives %+v, alone %+v", rep, p.Name, p.GroupResult, a)
			}
		}
	}
	// Over replications each path's numbers are means, with their own
	// confidence half-widths, as the group's are.
	agg := sim.Aggregate(&sc.Config, runs).Groups[0]
	want := (runs[0].Groups[0].Paths[0].Clients + runs[1].Groups[0].Paths[0].Clients + runs[2].Groups[0].Paths[0].Clients) / 3
	if p := agg.Paths[0]; math.Abs(p.Clients-want) > 1e-9 || math.Abs(p.Share-want/400) > 1e-12 || p.CI95 == nil || agg.Clients != 400 || p.Name != "m.paths.0" {
		t.Errorf("aggregate: clients %v share %v ci %v, want %v clients", p.Clients, p.Share, p.CI95, want)
	}
}

func TestMixedPathsProblems(t *testing.T) {
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown box", "via: [long]", "via: [lng]", `mixed.yaml:23:16: clients.m.paths.1.via: unknown middlebox (did you mean "long"?); known: short, long (got "lng")`},
		{"box twice", "via: [long]", "via: [long, short, long]", `mixed.yaml:23:29: clients.m.paths.1.via: names a middlebox twice (a connection crosses each box once) (got "long")`},
		{"empty via", "via: [long]", "via: []", `mixed.yaml:23:15: clients.m.paths.1.via: needs at least one middlebox (got [])`},
		{"negative weight", "weight: 3", "weight: -1", `mixed.yaml:23:31: clients.m.paths.1.weight: must be a number >= 0 (got -1)`},
		{"all zero", "weight: 1}\n      - {via: [long], weight: 3}", "weight: 0}\n      - {via: [long], weight: 0}", `mixed.yaml:22:7: clients.m.paths: the weights are all zero: no client could take any path`},
		{"path and paths", "    paths:\n", "    path: [short]\n    paths:\n", `mixed.yaml:21:11: clients.m.path: give path: or paths:, not both`},
		{"same path twice", "via: [long]", "via: [short]", `mixed.yaml:23:15: clients.m.paths.1.via: the same path as clients.m.paths.0 (give it once, with the weights added) (got "short")`},
		{"not a list", "    paths:\n      - {via: [short], weight: 1}\n      - {via: [long], weight: 3}\n", "    paths: short\n", `mixed.yaml:21:12: clients.m.paths: expected a list of {via: [BOX...], weight: W} (got "short")`},
		{"unknown field", "weight: 3", "wieght: 3", `clients.m.paths.1.wieght: unknown field (did you mean "weight"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantEditProblem(t, "mixed.yaml", mixed, tc.old, tc.new, tc.want) })
	}
}

func TestSetAndSweepAddressMixedPaths(t *testing.T) {
	sc, err := Parse("mixed.yaml", []byte(mixed), []string{"clients.m.paths.0.weight=2", "clients.m.paths.1.via=[long, short]"})
	if err != nil {
		t.Fatal(err)
	}
	if p := sc.Config.Groups[0].Paths; p[0].Weight != 2 || !slices.Equal(p[1].Via, []int{1, 0}) {
		t.Errorf("paths %+v", p)
	}
	for _, tc := range []struct{ set, want string }{
		{"clients.m.paths.2.weight=1", `clients.m.paths has no item "2"; its items are numbered from 0 to 1`},
		{"clients.m.paths.x.weight=1", `clients.m.paths has no item "x"`},
		{"clients.m.paths.0=1", `clients.m.paths.0 names a whole item; add one of its fields: via, weight`},
		{"clients.m.paths.0.weight=-2", `--set clients.m.paths.0.weight=-2: clients.m.paths.0.weight: must be a number >= 0 (got -2)`},
	} {
		_, err := Parse("mixed.yaml", []byte(mixed), []string{tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: got %v, want %s", tc.set, err, tc.want)
		}
	}
	sc, points := twoPoints(t, "mixed.yaml", mixed+"sweep:\n  clients.m.paths.1.weight: [0, 1]\n")
	if w := points[0].Scenario.Config.Groups[0].Paths[1].Weight; w != 0 {
		t.Errorf("point %s: weight %v", points[0].Label(), w)
	}
	// With weight 0 no client takes long; the path is still reported.
	run, err := sim.Run(&points[0].Scenario.Config, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := run.Groups[0].Paths; len(p) != 2 || p[0].Clients != 400 || p[1].Clients != 0 {
		t.Errorf("paths at weight 0: %+v", p)
	}
	resolved, err := sc.ResolvedYAML(points)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("scenario.yaml", resolved, nil)
	if err != nil || !reflect.DeepEqual(again.Config, sc.Config) {
		t.Errorf("resolved config differs: %v\n%s", err, resolved)
	}
}

// twoPoints parses text, a scenario with a sweep of two points, and
// expands it.
func twoPoints(t *testing.T, file, text string) (*Scenario, []Point) {
	t.Helper()
	sc, err := Parse(file, []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	points, err := sc.Points(nil)
	if err != nil || len(points) != 2 {
		t.Fatalf("%d points: %v", len(points), err)
	}
	return sc, points
}
