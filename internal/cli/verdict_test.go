package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// oneBox is a scenario computed by hand: ten clients from t = 0 for an
// hour (10 client-hours, no warmup) behind one box whose established TCP
// timeout is 5 minutes, pinging every 4 minutes without jitter: a gap of
// 4m, a margin of 1m, no breaks. (Without port preservation, so that a
// late ping breaks its connection rather than being remapped.)
const oneBox = `name: one-box
duration: 1h
path:
  - name: fw
    preset: linux-conntrack
    timeouts: {tcp_established: 5m}
    port_preservation: false
clients:
  - name: app
    count: 10
    keepalive: {type: app, interval: 4m, timeout: 5s, request_bytes: 40, response_bytes: 40}
`

// TestRunVerdict: the verdict comes first, names the box and the margin,
// and gives zero breaks as a bound: 0 breaks in 10 client-hours is
// below -ln(0.05)/10 x 1000 = 299.57 per 1000 at 95%, which shows a
// limit of 300 met (exit 0) and leaves one of 100 undecided (exit 3).
// A 6-minute ping misses the 5-minute timeout: the limit is missed
// (exit 3), the box caused the breaks and the margin is -1m.
func TestRunVerdict(t *testing.T) {
	file := scenarioFile(t, oneBox)
	out, msg, code := natsim(t, "run", file, "--quiet")
	if code != 0 || !strings.HasPrefix(out, "verdict (no target") {
		t.Fatalf("exit %d %s\n%s", code, msg, out)
	}
	for _, want := range []string{
		"group app: SURVIVES",
		"0 breaks in 10 client-hours: < 300 per 1,000 at 95%",
		"fw, tcp_established timeout 5m; keepalive gap 4m, margin 1m",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "0 ± 0") {
		t.Errorf("zero written as 0 ± 0:\n%s", out)
	}
	for _, tc := range []struct {
		args    []string
		code    int
		verdict string
	}{
		{[]string{"--target", "breaks_per_1000_client_hours<=300"}, 0, "group app: PASS"},
		{[]string{"--target", "breaks_per_1000_client_hours<=100"}, 3, "group app: UNDECIDED"},
		{[]string{"--target", "breaks_per_1000_client_hours<=1", "--set", "clients.app.keepalive.interval=6m"}, 3, "group app: FAIL"},
	} {
		out, msg, code := natsim(t, append([]string{"run", file, "--quiet"}, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.verdict) {
			t.Errorf("%v: exit %d %s, want %d and %q in\n%s", tc.args, code, msg, tc.code, tc.verdict, out)
		}
	}
	// 100 is undecided: 1000 x -ln(0.05) / 100 = 29.96 client-hours would
	// show it, 2.9957 h (2h59m45s) at 10 clients.
	out, _, _ = natsim(t, "run", file, "--quiet", "--target", "breaks_per_1000_client_hours<=100")
	if !strings.Contains(out, "about 30.0 client-hours would show it, 2h59m45s") {
		t.Errorf("no exposure needed in\n%s", out)
	}
	out, _, _ = natsim(t, "run", file, "--quiet", "--target", "breaks_per_1000_client_hours<=1", "--set", "clients.app.keepalive.interval=6m")
	if !strings.Contains(out, "fw, tcp_established timeout 5m (caused the most breaks); keepalive gap 6m, margin -1m") {
		t.Errorf("binding box of the breaking run not named in\n%s", out)
	}
}

// TestRunVerdictJSON: --json carries the verdict beside the result.
func TestRunVerdictJSON(t *testing.T) {
	file := scenarioFile(t, oneBox+"target: {breaks_per_1000_client_hours: 300}\n")
	out, msg, code := natsim(t, "run", file, "--quiet", "--json")
	if code != 0 {
		t.Fatalf("exit %d %s", code, msg)
	}
	var res struct {
		Scenario string
		Verdict  struct {
			Met    *bool
			Target struct{ Confidence float64 }
			Groups []struct {
				Verdict string
				Breaks  struct{ Upper float64 }
				Binding struct {
					Middlebox string
					MarginS   float64 `json:"margin_s"`
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	v := res.Verdict
	if res.Scenario != "one-box" || v.Met == nil || !*v.Met || v.Target.Confidence != 0.95 || len(v.Groups) != 1 ||
		v.Groups[0].Verdict != "PASS" || v.Groups[0].Binding.Middlebox != "fw" || v.Groups[0].Binding.MarginS != 60 ||
		v.Groups[0].Breaks.Upper < 299.5 || v.Groups[0].Breaks.Upper > 299.6 {
		t.Errorf("got %+v\n%s", res, out)
	}
}

func TestBadTargetFlag(t *testing.T) {
	file := scenarioFile(t, oneBox)
	_, msg, code := natsim(t, "run", file, "--target", "breaks<1")
	if code != 2 || !strings.Contains(msg, "--target breaks<1: want METRIC<=X") {
		t.Errorf("exit %d: %s", code, msg)
	}
}
