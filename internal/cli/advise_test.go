package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// smallTable is 300 clients pinging through an LRU table of 250 entries
// (random ports, so that every eviction is a break): no interval helps.
const smallTable = `name: small-table
duration: 20m
warmup: 5m
path:
  - name: tiny
    preset: linux-conntrack
    capacity: 250
    when_full: lru
    port_preservation: false
clients:
  - name: app
    count: 300
    start_spread: 1m
    keepalive: {type: app, interval: 1m, jitter: 5s, timeout: 5s, request_bytes: 40, response_bytes: 40}
advise:
  tune: clients.app.keepalive.interval
  range: [20s, 5m]
`

// TestAdviseExitStatus: a recommendation exits 0 and its JSON has the
// fields of docs/advise.md; a table too small for its clients exits 3
// naming the capacity; bad flags exit 2 before anything runs.
func TestAdviseExitStatus(t *testing.T) {
	file := scenarioFile(t, smallTable)
	out, msg, code := natsim(t, "advise", file, "--quiet")
	if code != 3 || !strings.HasPrefix(out, "NOTHING MEETS the target") || !strings.Contains(out, "tiny holds 250 entries for 300 clients") {
		t.Errorf("exit %d %s\n%s", code, msg, out)
	}
	// Without the capacity limit, one box with a 5-minute timeout; 75
	// client-hours per run show a limit of 100 per 1000 met without a
	// break (2.996 / 75 x 1000 = 39.9).
	dir := t.TempDir()
	out, msg, code = natsim(t, "advise", file, "--quiet", "--json", "--set", "path.tiny.capacity=0", "--target", "breaks_per_1000_client_hours<=100", "--out", filepath.Join(dir, "adv"))
	if code != 0 {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"natsim_version", "scenario", "met", "tune", "recommended", "recommended_s", "cliff_s", "binding_middlebox",
		"margin_s", "cost", "target", "verification", "evaluated", "diagnosis", "runs", "client_hours"} {
		if _, ok := res[k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
	for _, f := range []string{"advise.json", "evaluated.csv", "scenario.yaml", "report.md"} {
		if _, err := os.Stat(filepath.Join(dir, "adv", f)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
	// The same, with every interval of the range shorter than the 5m
	// timeout: none misses, but the shorter ones may be left undecided,
	// so the line may not say that every value met the target.
	out, msg, code = natsim(t, "advise", file, "--quiet", "--set", "path.tiny.capacity=0", "--target", "breaks_per_1000_client_hours<=100", "--tune", "clients.app.keepalive.interval=20s..4m")
	if code != 0 || !strings.Contains(out, "; no value of the range missed the target\n") {
		t.Errorf("exit %d %s\n%s", code, msg, out)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--budget", "soon"}},
		{[]string{"--replications", "3"}},
		{[]string{"--cost", "joules"}},
		{[]string{"--tune", "clients.app.keepalive.interval=5m..1m"}},
		{[]string{"--compare", "tcp,smoke"}},
	} {
		if _, msg, code := natsim(t, append([]string{"advise", file, "--quiet"}, tc.args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", tc.args, code, msg)
		}
	}
}

// TestAdviseCompare: one search per keepalive type; the overall pick is
// the cheapest of those that met the target. Its trade-off has a line
// per type, each ringed once at its own pick, against the cost chosen.
func TestAdviseCompare(t *testing.T) {
	file := scenarioFile(t, smallTable)
	dir := filepath.Join(t.TempDir(), "adv")
	out, msg, code := natsim(t, "advise", file, "--quiet", "--json", "--compare", "tcp,app", "--cost", "keepalive_packets_per_client_hour",
		"--set", "path.tiny.capacity=0", "--set", "path.tiny.timeouts.tcp_established=4m", "--target", "breaks_per_1000_client_hours<=100", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	var res struct {
		Keepalive string
		Cost      struct{ Value float64 }
		Compare   []struct {
			Keepalive string
			Met       bool
			Cost      struct{ Value float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Compare) != 2 || res.Compare[0].Keepalive != "tcp" || res.Compare[1].Keepalive != "app" {
		t.Fatalf("compare %+v", res.Compare)
	}
	for _, c := range res.Compare {
		if c.Met && c.Cost.Value < res.Cost.Value {
			t.Errorf("%s costs %v, less than the pick %s at %v", c.Keepalive, c.Cost.Value, res.Keepalive, res.Cost.Value)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "tradeoff.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][2] != "keepalive_packets_per_client_hour" {
		t.Errorf("cost column %q", rows[0][2])
	}
	ringed := map[string]int{}
	for _, r := range rows[1:] {
		if r[8] == "yes" {
			ringed[r[0]]++
		}
	}
	if len(ringed) != 2 || ringed["tcp"] != 1 || ringed["app"] != 1 {
		t.Errorf("ringed per line %v, want one each of tcp and app", ringed)
	}
	if md, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || !strings.Contains(string(md), "packets per client-hour; there") {
		t.Errorf("report.md's finding does not name packets: %v\n%s", err, md)
	}
}

// knownBox is 400 clients with an app heartbeat through one box whose TCP
// timeout is %s; advise tunes the interval in %s.
const knownBox = `name: one-box
duration: 2h
warmup: 20m
seed: 5
path:
  - {name: nat, preset: linux-conntrack, capacity: 0, port_preservation: false,
     timeouts: {tcp_established: %s, tcp_transitory: 4m, udp: 30s, udp_stream: 2m}}
clients:
  - name: app
    count: 400
    start_spread: 1m
    keepalive: %s
    reconnect: {backoff: 2s, max_backoff: 2m, handshake_packets: 8, handshake_bytes: 2352}
network: {rtt: 100ms}
target: {breaks_per_1000_client_hours: 5}
advise:
  tune: clients.app.keepalive.interval
  range: %s
`

// TestAdviseCompareAdaptive: --compare app,mars puts Mars, run as
// configured, in the table beside the fixed heartbeat. Each row's costs
// must be what natsim run gives for that keepalive with the row's seed
// and replications (the same runs, computed by another command), and
// the overall pick the cheaper of those that met the target. With a
// 5-minute box Mars's probes above 5 minutes fail (each failure is a
// break), so it misses a limit of 5 per 1000 client-hours and the fixed
// heartbeat below the cliff is picked; with a 20-minute box Mars never
// fails and climbs to its 10-minute ceiling, while the fixed heartbeat
// may not exceed the range's 5 minutes: Mars is then the cheaper.
func TestAdviseCompareAdaptive(t *testing.T) {
	const app = "{type: app, interval: 60s, jitter: 15s, timeout: 10s, misses: 2, request_bytes: 40, response_bytes: 40}"
	const mars = "{type: adaptive, preset: mars, ack_timeout: 10s, request_bytes: 40, response_bytes: 40}"
	for _, tc := range []struct {
		timeout, rng string
		pick         string
		marsMet      bool
	}{
		{"5m", "[30s, 30m]", "app", false},
		{"20m", "[30s, 5m]", "mars", true},
	} {
		t.Run(tc.timeout, func(t *testing.T) {
			file := scenarioFile(t, fmt.Sprintf(knownBox, tc.timeout, app, tc.rng))
			out, msg, code := natsim(t, "advise", file, "--quiet", "--json", "--compare", "app,mars")
			if code != 0 {
				t.Fatalf("exit %d %s\n%s", code, msg, out)
			}
			var res adviseJSON
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Compare) != 2 || res.Compare[1].Keepalive != "mars" || res.Compare[1].Met != tc.marsMet || !res.Compare[0].Met {
				t.Fatalf("compare %+v", res.Compare)
			}
			if res.Keepalive != tc.pick {
				t.Errorf("picked %s, want %s", res.Keepalive, tc.pick)
			}
			// Mars, with nothing to tune, is described as itself and costed
			// per client-hour as a search is.
			if m := res.Compare[1]; m.Setting != "adaptive heartbeat mars (within [3m30s, 10m0s])" || m.Cost.Per != "client-hour" {
				t.Errorf("mars: setting %q, cost per %q", m.Setting, m.Cost.Per)
			}
			for _, c := range res.Compare {
				if c.Met && c.Cost.Value < res.Cost.Value {
					t.Errorf("%s costs %v, less than the pick %s at %v", c.Keepalive, c.Cost.Value, res.Keepalive, res.Cost.Value)
				}
				// The same runs through natsim run.
				f, args := file, []string{}
				if c.Keepalive == "mars" {
					f = scenarioFile(t, fmt.Sprintf(knownBox, tc.timeout, mars, tc.rng))
				} else {
					args = []string{"--set", "clients.app.keepalive.interval=" + *c.Recommended}
				}
				args = append(args, "--quiet", "--json", "--seed", strconv.FormatUint(c.Verification.Seeds[0], 10),
					"--replications", strconv.Itoa(c.Verification.Replications))
				rout, msg, code := natsim(t, append([]string{"run", f}, args...)...)
				if code != 0 && code != 3 {
					t.Fatalf("run %s: exit %d %s", c.Keepalive, code, msg)
				}
				var run struct {
					Groups []struct {
						ClientHours float64 `json:"client_hours"`
						Overhead    struct {
							KeepalivePackets float64 `json:"keepalive_packets"`
							PerClientHour    float64 `json:"overhead_bytes_per_client_hour"`
							Cost             float64 `json:"cost_bytes_per_client_hour"`
						}
					}
				}
				if err := json.Unmarshal([]byte(rout), &run); err != nil {
					t.Fatal(err)
				}
				g := run.Groups[0]
				want := map[string]float64{"cost_bytes_per_client_hour": g.Overhead.Cost, "overhead_bytes_per_client_hour": g.Overhead.PerClientHour,
					"keepalive_packets_per_client_hour": g.Overhead.KeepalivePackets / g.ClientHours}
				for _, cv := range c.Costs {
					// One group: the pooled cost is the group's, up to rounding.
					if w := want[cv.Metric]; math.Abs(cv.Value-w) > 1e-9*w {
						t.Errorf("%s %s = %v, natsim run gives %v", c.Keepalive, cv.Metric, cv.Value, w)
					}
				}
				if len(c.Costs) != 3 {
					t.Errorf("%s costs %+v: want the two byte costs and packets (no radio, no energy)", c.Keepalive, c.Costs)
				}
			}
		})
	}
}

// adviseJSON is what the tests read of advise --json.
type adviseJSON struct {
	Keepalive string
	Cost      struct{ Value float64 }
	Compare   []struct {
		Keepalive   string
		Met         bool
		Recommended *string
		Setting     string
		Cost        struct {
			Value float64
			Per   string
		}
		Costs []struct {
			Metric string
			Value  float64
		}
		Verification struct {
			Seeds        []uint64
			Replications int
		}
	}
}

// TestAdviseOut: --out draws the trade-off of the values advise ran and
// report.md gives question, answer, setup, evidence in that order. The
// chart's data (what Tradeoff was given) holds evaluated.csv's rows, row
// for row, then one row more, the recommendation ringed, whose figures
// are advise.json's (the verification runs'), not a search row's.
func TestAdviseOut(t *testing.T) {
	file := scenarioFile(t, smallTable)
	dir := filepath.Join(t.TempDir(), "adv")
	if out, msg, code := natsim(t, "advise", file, "--quiet", "--set", "path.tiny.capacity=0", "--target", "breaks_per_1000_client_hours<=100", "--out", dir); code != 0 {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rows := func(name string) [][]string {
		t.Helper()
		rs, err := csv.NewReader(strings.NewReader(read(name))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	if _, err := os.Stat(filepath.Join(dir, "tradeoff.png")); err != nil {
		t.Error(err)
	}
	var res struct {
		Recommended string
		Cost        struct {
			Metric string
			Value  float64
		}
		Breaks struct {
			Mean  float64
			Upper *float64
		} `json:"breaks_per_1000_client_hours"`
	}
	if err := json.Unmarshal([]byte(read("advise.json")), &res); err != nil {
		t.Fatal(err)
	}
	evaluated, chart := rows("evaluated.csv"), rows("tradeoff.csv")
	// evaluated.csv: keepalive, value, value_s, runs, cost, breaks, upper, status;
	// tradeoff.csv: line, point, cost, breaks, ci95, upper, target, front, recommended.
	if chart[0][2] != res.Cost.Metric || evaluated[0][4] != res.Cost.Metric {
		t.Errorf("cost columns %q, %q; want %q", chart[0][2], evaluated[0][4], res.Cost.Metric)
	}
	if len(chart) != len(evaluated)+1 {
		t.Fatalf("%d chart rows for %d evaluated", len(chart)-1, len(evaluated)-1)
	}
	num := func(s string) float64 {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		return x
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(1, math.Abs(b)) } // the chart's 6 significant figures
	for i, e := range evaluated[1:] {
		c := chart[i+1]
		if c[1] != e[1] || !near(num(c[2]), num(e[4])) || !near(num(c[3]), num(e[5])) || !near(num(c[5]), num(e[6])) || c[6] != e[7] || c[8] != "no" {
			t.Errorf("chart row %v, evaluated %v", c, e)
		}
	}
	pick := chart[len(chart)-1]
	if pick[1] != res.Recommended+" verified" || pick[8] != "yes" || !near(num(pick[2]), res.Cost.Value) ||
		!near(num(pick[3]), res.Breaks.Mean) || res.Breaks.Upper == nil || !near(num(pick[5]), *res.Breaks.Upper) {
		t.Errorf("ringed row %v, want %s verified at %+v, %+v", pick, res.Recommended, res.Cost, res.Breaks)
	}
	report := read("report.md")
	last := -1
	for _, s := range []string{"## Question", "## Answer\n\nRECOMMEND", "## Setup", "## Evidence", "![tradeoff](tradeoff.png)", "![occupancy](occupancy.png)"} {
		i := strings.Index(report, s)
		if i <= last {
			t.Errorf("report.md: %q at %d, after %d", s, i, last)
		}
		last = i
	}
}
