package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/natsim/natsim/nat"
	"github.com/natsim/natsim/sim"
)

// shipped lists the example scenarios in this directory.
func shipped(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) < 8 {
		t.Fatalf("found %d example scenarios (%v), want at least 8", len(files), err)
	}
	return files
}

// shrink scales a scenario down for a quick run: at most 300 clients
// (capacities scaled by the same factor, so that a table stays as full)
// and 20 simulated minutes.
func shrink(cfg *sim.Config) {
	total := 0
	for _, g := range cfg.Groups {
		total += g.Count
	}
	f := min(1, 300/float64(total))
	for i := range cfg.Groups {
		cfg.Groups[i].Count = max(1, int(float64(cfg.Groups[i].Count)*f))
	}
	for i := range cfg.Path {
		if c := cfg.Path[i].Capacity; c > 0 {
			cfg.Path[i].Capacity = max(1, int(float64(c)*f))
		}
	}
	cfg.Duration = 20 * time.Minute
	cfg.Warmup = min(cfg.Warmup, 5*time.Minute)
	cfg.SampleEvery = time.Minute
}

func TestShippedScenariosLoadAndRun(t *testing.T) {
	for _, file := range shipped(t) {
		t.Run(file, func(t *testing.T) {
			sc, err := Load(file, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Description == "" || sc.Config.Name == "" {
				t.Error("an example must have a name and a description")
			}
			shrink(&sc.Config)
			r, err := sim.Run(&sc.Config, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Events == 0 || len(r.Groups) != len(sc.Config.Groups) || len(r.Series) != len(sc.Config.Path) {
				t.Fatalf("events %d groups %d series %d", r.Events, len(r.Groups), len(r.Series))
			}
		})
	}
}

func TestExampleResolves(t *testing.T) {
	sc, err := Load("aws-nat-gateway-grpc.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := sc.Config
	box := cfg.Path[0]
	// The preset fills what the file leaves out; the file's capacity wins.
	if box.Capacity != 55000 || box.Timeouts.TCPEstablished != 350*time.Second || box.WhenFull != nat.Refuse ||
		box.UnknownInbound != nat.SendReset || box.PortPreservation {
		t.Errorf("middlebox %+v", box)
	}
	g := cfg.Groups[0]
	if g.Count != 10000 || g.Keepalive.Type != sim.KeepaliveTCP || g.Keepalive.Idle != 300*time.Second ||
		g.Up.Interval.Kind != sim.Exponential || g.Up.Interval.A != 20*time.Minute || g.Reconnect.HandshakeBytes != 2352 ||
		g.RetransmitTimeout != DefaultRetransmitTimeout {
		t.Errorf("group %+v", g)
	}
	if sc.Replications != 3 || cfg.Warmup != 10*time.Minute || cfg.Network.RTT != 40*time.Millisecond ||
		cfg.SampleEvery != 6*time.Hour/DefaultSamples {
		t.Errorf("scenario %+v", cfg)
	}
	if len(sc.Sweep) != 2 || sc.Sweep[0].Key != "clients.grpc.keepalive.idle" || len(sc.Sweep[0].Values) != 8 || sc.Sweep[0].Values[7] != "2h" {
		t.Errorf("sweep %+v", sc.Sweep)
	}
}

func TestSet(t *testing.T) {
	for _, tc := range []struct {
		set   string
		check func(*Scenario) bool
	}{
		{"path.natgw.capacity=40000", func(s *Scenario) bool { return s.Config.Path[0].Capacity == 40000 }},
		{"path.natgw.timeouts.tcp_established=1h", func(s *Scenario) bool { return s.Config.Path[0].Timeouts.TCPEstablished == time.Hour }},
		{"clients.grpc.keepalive.interval=30s", func(s *Scenario) bool { return s.Config.Groups[0].Keepalive.Interval == 30*time.Second }},
		{"clients.grpc.count=7", func(s *Scenario) bool { return s.Config.Groups[0].Count == 7 }},
		{"clients.grpc.traffic.up.interval={uniform: [1m, 3m]}", func(s *Scenario) bool {
			d := s.Config.Groups[0].Up.Interval
			return d.Kind == sim.Uniform && d.A == time.Minute && d.B == 3*time.Minute
		}},
		{"clients.grpc.session.lifetime=1h", nil}, // session needs think too: see the error test
		{"network.loss=0.01", func(s *Scenario) bool { return s.Config.Network.Loss == 0.01 }},
		{"seed=99", func(s *Scenario) bool { return s.Config.Seed == 99 }},
		{"duration=1h", func(s *Scenario) bool { return s.Config.Duration == time.Hour }},
	} {
		sc, err := Load("aws-nat-gateway-grpc.yaml", []string{tc.set})
		if tc.check == nil {
			if err == nil {
				t.Errorf("--set %s: no error", tc.set)
			}
			continue
		}
		if err != nil || !tc.check(sc) {
			t.Errorf("--set %s: err %v", tc.set, err)
		}
	}
}

func TestSetErrorsNameTheKeysThere(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"path.natgw.capacty=1", `path.natgw has no field "capacty" (did you mean "capacity"?); fields there: name, preset, capacity`},
		{"path.nat.capacity=1", `path has no item named "nat"; items: natgw`},
		{"clients.grpc=1", "names a whole item"},
		{"clients.grpc.keepalive=1", "is a group of fields; name one of them: type, idle"},
		{"network.rtt.x=1", "network.rtt is a single value"},
		{"sweep.x=1", `the top level has no field "sweep"`},
		{"capacity", "expected KEY=VALUE"},
		{"path.natgw.capacity=lots", `path.natgw.capacity: expected a whole number (got "lots")`},
	} {
		_, err := Load("aws-nat-gateway-grpc.yaml", []string{tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--set "+tc.set) {
			t.Errorf("--set %s: error %v, want it to start with the flag and contain %q", tc.set, err, tc.want)
		}
	}
}

func TestPresetsAreCompleteAndSourced(t *testing.T) {
	want := []string{"aws-nat-gateway", "azure-load-balancer", "azure-nat-gateway", "gcp-cloud-nat", "linux-conntrack",
		"kubernetes-node", "openwrt-home", "rfc-minimum", "vpp-nat44", "home-gateway-cheap", "cellular-cgnat"}
	for _, name := range want {
		if _, ok := findPreset(name); !ok {
			t.Errorf("preset %s missing", name)
		}
	}
	for _, p := range Presets() {
		if err := p.checkSources(); err != nil || p.Note == "" {
			t.Errorf("preset %s: sources: %v; note %q", p.Name, err, p.Note)
		}
		yaml := "name: x\nduration: 1h\npath: [{name: b, preset: " + p.Name + "}]\nclients: [{name: c, count: 1}]\n"
		if _, err := Parse("preset.yaml", []byte(yaml), nil); err != nil {
			t.Errorf("preset %s does not make a valid middlebox: %v", p.Name, err)
		}
	}
}

// FuzzParse: no input makes the loader panic, and whatever it accepts the
// engine accepts too.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"aws-nat-gateway-grpc.yaml", "linux-conntrack-early-drop.yaml", "home-router-then-cgnat.yaml", "iot-fleet-cheap-and-good-routers.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\nduration: 1h\npath: [{name: b, preset: rfc-minimum}]\nclients: [{name: c, count: 1, keepalive: {type: app}}]\n"))
	for _, e := range extremes {
		f.Add([]byte(e))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data, nil)
		if err != nil {
			if _, ok := err.(Problems); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if err := sc.Config.Validate(); err != nil {
			t.Fatalf("loader accepted what the engine rejects: %v", err)
		}
	})
}

func TestCountersARealStackWouldRefuse(t *testing.T) {
	// Linux caps TCP_KEEPCNT at 127; a client counts missed pongs in a byte.
	for _, tc := range []struct {
		file string
		set  []string
		want string
	}{
		{"aws-nat-gateway-grpc.yaml", []string{"clients.grpc.keepalive.count=128"}, `clients.grpc.keepalive.count: must be at most 127`},
		{"aws-nat-gateway-grpc.yaml", []string{"clients.grpc.keepalive.count=300"}, `(got 300)`},
		{"cellular-cgnat-push.yaml", []string{"clients.phones.keepalive.misses=256"}, `clients.phones.keepalive.misses: must be at most 255`},
	} {
		if _, err := Load(tc.file, tc.set); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.set, err, tc.want)
		}
	}
	if _, err := Load("aws-nat-gateway-grpc.yaml", []string{"clients.grpc.keepalive.count=127"}); err != nil {
		t.Errorf("count 127: %v", err)
	}
}

func TestUDPRebinding(t *testing.T) {
	sc, err := Load("home-gateway-udp-voip.yaml", []string{"clients.phones.udp_rebinding=reject"})
	if err != nil || sc.Config.Groups[0].UDPRebinding != sim.RebindReject {
		t.Fatalf("reject: %v, %v", err, sc)
	}
	if sc, _ := Load("home-gateway-udp-voip.yaml", nil); sc.Config.Groups[0].UDPRebinding != sim.RebindFollow {
		t.Errorf("the default is %v, want follow", sc.Config.Groups[0].UDPRebinding)
	}
	for _, tc := range []struct{ file, set, want string }{
		{"home-gateway-udp-voip.yaml", "clients.phones.udp_rebinding=ignore", `clients.phones.udp_rebinding: must be one of follow, reject (got "ignore")`},
		{"aws-nat-gateway-grpc.yaml", "clients.grpc.udp_rebinding=follow", `clients.grpc.udp_rebinding: applies to protocol udp only`},
	} {
		if _, err := Load(tc.file, []string{tc.set}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.set, err, tc.want)
		}
	}
}

// TestAdaptiveKeepalive checks that an adaptive keepalive takes its
// preset's parameters, that each can be overridden, and that a preset or
// parameter that does not exist or apply is refused where it is written.
func TestAdaptiveKeepalive(t *testing.T) {
	const file = "messaging-mars-vs-fixed.yaml"
	sc, err := Load(file, []string{"clients.mars.keepalive.step=30s"})
	if err != nil {
		t.Fatal(err)
	}
	a := sc.Config.Groups[0].Keepalive.Adaptive
	want := sim.AdaptiveDefaults(sim.PresetMars)
	want.Step = 30 * time.Second
	if a != want {
		t.Errorf("mars with step 30s resolved to %+v, want %+v", a, want)
	}
	sc, err = Load(file, []string{"clients.mars.keepalive.preset=courier"})
	if err != nil {
		t.Fatal(err)
	}
	if a := sc.Config.Groups[0].Keepalive.Adaptive; a != sim.AdaptiveDefaults(sim.PresetCourier) {
		t.Errorf("courier resolved to %+v", a)
	}
	for _, tc := range []struct{ set, want string }{
		{"clients.mars.keepalive.preset=wechat", `clients.mars.keepalive.preset: must be one of mars, courier, eas, composite (got "wechat")`},
		{"clients.mars.keepalive.reset_after=3", `clients.mars.keepalive.reset_after: does not apply to an adaptive keepalive with preset mars`},
		{"clients.mars.keepalive.max=200s", `clients.mars.keepalive.max: must be greater than min (3m30s) (got "3m20s")`},
		{"clients.mars.keepalive.successes=0", `clients.mars.keepalive.successes: must be at least 1 (got 0)`},
		{"clients.mars.keepalive.ack_timeout=0s", `clients.mars.keepalive.ack_timeout: must be a positive duration (got "0s")`},
		{"clients.mars.keepalive.interval=60s", `clients.mars.keepalive.interval: does not apply to keepalive type adaptive`},
	} {
		_, err := Load(file, []string{tc.set})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--set "+tc.set) {
			t.Errorf("--set %s: error %v, want it to name the flag and contain %q", tc.set, err, tc.want)
		}
	}
	// In the file, the error names the line and column of the value.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "preset: mars", "preset: marz", 1)
	_, err = Parse(file, []byte(bad), nil)
	if err == nil || !strings.Contains(err.Error(), file+":33:15: clients.mars.keepalive.preset: must be one of") {
		t.Errorf("preset marz in the file: error %v, want it at %s:33:15", err, file)
	}
}

// TestServerPingPolicy checks that a top-level server applies to groups
// whose clients ping, that a group's own server overrides it field by
// field, with gRPC's defaults for what neither gives, and that a group's
// own server without client pings is refused.
func TestServerPingPolicy(t *testing.T) {
	const file = "grpc-too-many-pings.yaml"
	sc, err := Load(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := sc.Config.Groups[0].PingPolicy; p == nil || *p != (sim.PingPolicy{MinInterval: 5 * time.Minute, MaxStrikes: 2}) {
		t.Errorf("top-level server resolved to %+v", p)
	}
	sc, err = Load(file, []string{"clients.grpc.server.max_ping_strikes=0"})
	if err != nil {
		t.Fatal(err)
	}
	if p := sc.Config.Groups[0].PingPolicy; p == nil || *p != (sim.PingPolicy{MinInterval: 5 * time.Minute, MaxStrikes: 0}) {
		t.Errorf("group server over the top level resolved to %+v", p)
	}
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"clients.grpc.keepalive.type=tcp", "clients.grpc.keepalive.idle=60s", "clients.grpc.keepalive.count=3",
			"clients.grpc.keepalive.timeout=", "clients.grpc.keepalive.request_bytes=", "clients.grpc.keepalive.response_bytes=",
			"clients.grpc.server.max_ping_strikes=1"}, "clients.grpc.server: applies to clients that ping"},
		{[]string{"server.min_ping_interval=0s"}, "server.min_ping_interval: must be a positive duration"},
		{[]string{"server.max_ping_strikes=255"}, "server.max_ping_strikes: must be at most 254"},
	} {
		_, err := Load(file, tc.sets)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.sets, err, tc.want)
		}
	}
}
