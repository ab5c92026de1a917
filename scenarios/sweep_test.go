package scenarios

import (
	"slices"
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
		if err != nil || !slices.Equal(sk.Values, tc.want) || sk.Key != "k" {
			t.Errorf("%s: %v %v, want %v", tc.in, sk.Values, err, tc.want)
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
	points, err := sc.Points([]SweepKey{cap, interval})
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
	if _, err := sc.Points([]SweepKey{bad}); err == nil || !strings.Contains(err.Error(), `--param path.cgnat.capacty=1,2: path.cgnat.capacty: unknown key`) {
		t.Errorf("unknown key: %v", err)
	}
	neg, _ := ParseParam("path.cgnat.capacity=5,-1")
	if _, err := sc.Points([]SweepKey{neg}); err == nil || !strings.Contains(err.Error(), "--param path.cgnat.capacity=5,-1: path.cgnat.capacity: must be >= 0") {
		t.Errorf("bad value: %v", err)
	}
}

func TestResolvedYAMLReproduces(t *testing.T) {
	sc, err := Load("aws-nat-gateway-grpc.yaml", []string{"path.natgw.capacity=123"})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ParseParam("network.rtt=10ms,20ms")
	data, err := sc.ResolvedYAML(sc.Keys([]SweepKey{p}))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse("scenario.yaml", data, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	a, b := sc.Config, again.Config
	if a.Path[0].Config != b.Path[0].Config || a.Groups[0].Keepalive != b.Groups[0].Keepalive || a.Duration != b.Duration ||
		a.Groups[0].Up != b.Groups[0].Up || b.Path[0].Capacity != 123 || len(again.Sweep) != 3 || again.Sweep[2].Key != "network.rtt" {
		t.Fatalf("resolved scenario differs:\n%s", data)
	}
}
