package scenarios

import (
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
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(twoPaths, tc.old, tc.new, 1)
			if text == twoPaths {
				t.Fatal("the edit did not apply")
			}
			_, err := Parse("two-paths.yaml", []byte(text), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got:\n%v\nwant a line:\n%s", err, tc.want)
			}
		})
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
	text := twoPaths + "sweep:\n  middleboxes.short.timeouts.tcp_established: [120s, 400s]\n"
	sc, err = Parse("two-paths.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	points, err := sc.Points(nil)
	if err != nil || len(points) != 2 {
		t.Fatalf("%d points: %v", len(points), err)
	}
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
