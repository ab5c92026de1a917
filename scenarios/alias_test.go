package scenarios

import (
	"strings"
	"testing"
	"time"
)

// aliasHead is a scenario up to its client groups, for the alias tests.
const aliasHead = "name: a\nduration: 1h\npath: [{name: nat, preset: linux-conntrack}]\nclients:\n"

// TestMergeKeys: a merge key copies the fields that the mapping does not
// give itself; with a list, an earlier mapping wins over a later one; a
// merged mapping is decoded like one written out (nested merges too).
func TestMergeKeys(t *testing.T) {
	data := aliasHead + `  - &phone
    name: android
    count: 50
    start_spread: 2m
    keepalive: &ka {type: app, interval: 270s, timeout: 10s, request_bytes: 60, response_bytes: 60}
  - <<: *phone
    name: ios
    count: 30
  - <<: [{name: first, count: 7, keepalive: {<<: *ka, interval: 1m}}, *phone]
    start_delay: 5s
  - name: override-after
    count: 9
    <<: *phone
`
	sc, err := Parse("m.yaml", []byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	gs := sc.Config.Groups
	if len(gs) != 4 {
		t.Fatalf("%d groups", len(gs))
	}
	for _, tc := range []struct {
		i          int
		name       string
		count      int
		spread     time.Duration
		interval   time.Duration
		startDelay time.Duration
	}{
		{0, "android", 50, 2 * time.Minute, 270 * time.Second, 0},
		{1, "ios", 30, 2 * time.Minute, 270 * time.Second, 0},
		{2, "first", 7, 2 * time.Minute, time.Minute, 5 * time.Second}, // name, count, keepalive from the first; spread from *phone
		{3, "override-after", 9, 2 * time.Minute, 270 * time.Second, 0},
	} {
		g := gs[tc.i]
		if g.Name != tc.name || g.Count != tc.count || g.StartSpread != tc.spread || g.Keepalive.Interval != tc.interval ||
			g.StartDelay != tc.startDelay || g.Keepalive.Timeout != 10*time.Second {
			t.Errorf("group %d: %s count %d spread %v interval %v delay %v timeout %v", tc.i, g.Name, g.Count, g.StartSpread,
				g.Keepalive.Interval, g.StartDelay, g.Keepalive.Timeout)
		}
	}
	// A --set reaches a merged field like a written one, in that group only.
	sc, err = Parse("m.yaml", []byte(data), []string{"clients.ios.keepalive.interval=5m"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := sc.Config.Groups[0].Keepalive.Interval, sc.Config.Groups[1].Keepalive.Interval; a != 270*time.Second || b != 5*time.Minute {
		t.Errorf("after --set: android %v, ios %v", a, b)
	}
	// The resolved scenario writes the merged values out.
	resolved, _, _ := resolve(t, "m.yaml", []byte(data), nil, nil)
	if strings.Contains(string(resolved), "<<") || strings.Contains(string(resolved), "*") {
		t.Errorf("resolved keeps merge keys or aliases:\n%s", resolved)
	}
}

// TestAliasesWhereValuesGo: an alias works wherever a value goes, a sweep
// value included, with the anchored value's meaning.
func TestAliasesWhereValuesGo(t *testing.T) {
	data := aliasHead + "  - {name: c, count: &n 3, start_spread: &d 90s, traffic: {up: {interval: &gap {exponential: 5m}}, down: {interval: *gap}}}\n" +
		"  - {name: e, count: *n, start_delay: *d}\nsweep:\n  clients.c.start_delay: [*d, 2m]\n  clients.e.count: [*n, 4]\n"
	sc, err := Parse("v.yaml", []byte(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := sc.Config.Groups[1]; g.Count != 3 || g.StartDelay != 90*time.Second {
		t.Errorf("group e: %+v", g)
	}
	points, err := sc.Points(nil)
	if err != nil || len(points) != 4 || points[0].Label() != "clients.c.start_delay=90s, clients.e.count=3" {
		t.Fatalf("%d points, %v", len(points), err)
	}
}

// TestAliasProblems: each way an alias or merge key can be wrong gets
// one message saying what, at the place written.
func TestAliasProblems(t *testing.T) {
	for _, tc := range []struct{ name, clients, want string }{
		{"unknown anchor", "  - {name: c, count: &n 3}\n  - {name: d, count: *m}\n",
			`x.yaml:6:22: alias *m names no anchor: define it first with &m (did you mean "n"?); anchors: n`},
		{"anchor after alias", "  - {name: d, count: *n}\n  - {name: c, count: &n 3}\n",
			"x.yaml:5:22: alias *n comes before its anchor &n at 6:22; an anchor must come first"},
		{"wrong kind", "  - &c {name: c, count: 3}\n  - {name: d, count: *c}\n",
			`x.yaml:6:22: clients.d.count: expected a whole number (got *c, an alias to a mapping at 5:5)`},
		{"bad anchored value", "  - {name: c, count: 3, start_delay: &d 5x}\n  - {name: d, count: 1, start_delay: *d}\n",
			"x.yaml:5:38: clients.c.start_delay: not a duration (write it with a unit, such as 300s, 4m or 2h4m) (got \"5x\")\n" +
				"x.yaml:6:38: clients.d.start_delay: not a duration (write it with a unit, such as 300s, 4m or 2h4m) (got *d, an alias to \"5x\" at 5:38)"},
		{"cycle", "  - &c {name: c, count: 3, traffic: *c}\n",
			"x.yaml:5:37: alias *c is inside the value it names (&c), which would repeat forever"},
		{"merge of a scalar", "  - {name: c, count: &n 3}\n  - {<<: *n, name: d, count: 1}\n",
			"x.yaml:6:10: a merge key (<<) takes a mapping, an alias to one, or a list of them (got *n, an alias to \"3\" at 5:22)"},
		{"merge list item", "  - &c {name: c, count: 3}\n  - {<<: [*c, [1]], name: d}\n",
			"x.yaml:6:15: a merge key (<<) takes a mapping, an alias to one, or a list of them (got a list)"},
		{"unknown field merged", "  - &c {name: c, count: 3, cuont: 4}\n  - {<<: *c, name: d}\n",
			`x.yaml:5:28: clients.c.cuont: unknown field (did you mean "count"?)`},
		{"quoted << is a field", "  - {name: c, count: 3, '<<': {count: 4}}\n",
			`x.yaml:5:25: clients.c.<<: unknown field`},
	} {
		_, err := Parse("x.yaml", []byte(aliasHead+tc.clients), nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s:\ngot  %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

// TestAliasesCannotExplode: nested aliases that would copy a value
// billions of times are refused once past the bound, quickly.
func TestAliasesCannotExplode(t *testing.T) {
	data := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		data += n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = n
	}
	_, err := Parse("bomb.yaml", []byte(data), nil)
	if err == nil || !strings.Contains(err.Error(), "aliases add more than 100000 values to the file") {
		t.Fatalf("got %v", err)
	}
}
