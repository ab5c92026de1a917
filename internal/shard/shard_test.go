package shard

import (
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
)

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		text   string
		shards int
		env    map[string]string
		want   Spec
		err    string
	}{
		{text: "0/3", want: Spec{0, 3}},
		{text: "2/3", shards: 3, want: Spec{2, 3}},
		{text: "3/3", err: "from 0 to 2"},
		{text: "1/3", shards: 4, err: "disagree"},
		{text: "1-3", err: "must be I/N"},
		{text: "env", env: map[string]string{SlurmIndex: "4", SlurmCount: "8"}, want: Spec{4, 8}},
		{text: "env", shards: 8, env: map[string]string{SlurmIndex: "4", SlurmCount: "8"}, want: Spec{4, 8}},
		// a resubmission of shards 3 and 7 of 8 is an array of 2 tasks
		{text: "env", shards: 8, env: map[string]string{SlurmIndex: "7", SlurmCount: "2"}, want: Spec{7, 8}},
		{text: "env", shards: 4, env: map[string]string{SlurmIndex: "1", SlurmCount: "8"}, err: "must agree"},
		{text: "env", shards: 5, env: map[string]string{K8sIndex: "4"}, want: Spec{4, 5}},
		{text: "env", env: map[string]string{K8sIndex: "4"}, err: "add --shards N"},
		{text: "env", shards: 2, env: map[string]string{AWSIndex: "1"}, want: Spec{1, 2}},
		{text: "env", shards: 2, env: map[string]string{AWSIndex: "2"}, err: "from 0 to 1"},
		{text: "env", shards: 2, err: "not an array task"},
	} {
		got, err := ParseSpec(c.text, c.shards, func(k string) string { return c.env[k] })
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s %d %v: error %v, want one saying %q", c.text, c.shards, c.env, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s %d %v: %v, %v; want %v", c.text, c.shards, c.env, got, err, c.want)
		}
	}
}

// TestDealSpreadsCost deals a sweep whose points cost 1, 2, ... 8 times
// the first (the client count is swept) with 3 replications to 4 shards.
// Every run is dealt once, each shard's runs start costliest first, and
// no shard carries more than the least loaded one plus the costliest
// run (what longest-processing-time-first guarantees); dealing the runs
// in sweep order instead would give shard 0 the 3 runs of each point it
// gets, here up to 8+7+6 and 1+2+3 apart.
func TestDealSpreadsCost(t *testing.T) {
	data, _ := scenarios.Examples.ReadFile("lru-cyclic-collapse.yaml")
	sc, err := scenarios.Parse("lru.yaml", data, []string{"replications=3", "duration=1h"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := scenarios.ParseParam("clients.app.count=100,200,300,400,500,600,700,800")
	if err != nil {
		t.Fatal(err)
	}
	points, err := sc.Points(keys)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Canonical(sc, points)
	if err != nil {
		t.Fatal(err)
	}
	deal := s.Deal(4)
	var all []Run
	var loads []float64
	for _, runs := range deal {
		load := 0.0
		for i, r := range runs {
			load += s.Cost(r.Point)
			if i > 0 && s.Cost(r.Point) > s.Cost(runs[i-1].Point) {
				t.Errorf("a shard starts %s after the cheaper %s", r.ID(), runs[i-1].ID())
			}
		}
		all, loads = append(all, runs...), append(loads, load)
	}
	want := s.Runs()
	slices.SortFunc(all, func(a, b Run) int { return (a.Point-b.Point)*100 + a.Replication - b.Replication })
	if !slices.Equal(all, want) {
		t.Fatalf("dealt %v, want every run once: %v", all, want)
	}
	most := s.Cost(len(points) - 1)
	if hi, lo := slices.Max(loads), slices.Min(loads); hi-lo > most {
		t.Errorf("loads %v: %g apart, more than the costliest run %g", loads, hi-lo, most)
	}
	if s.Cost(7) < 7*s.Cost(0) {
		t.Errorf("the cost of 800 clients (%g) is not several times that of 100 (%g): the test does not test", s.Cost(7), s.Cost(0))
	}
}
