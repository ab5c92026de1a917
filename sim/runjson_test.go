package sim_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// TestRunResultRoundTripsThroughJSON: a run's result read back from its
// JSON equals the run, time series and the middleboxes' hidden Little's
// law sums included; only the trace is left out (see RunResult).
func TestRunResultRoundTripsThroughJSON(t *testing.T) {
	var lifetimes float64
	for _, c := range []struct{ file, clients string }{
		{"home-router-then-cgnat.yaml", "clients.chat.count=300"},             // two middleboxes
		{"tcp-vs-app-keepalive-4min.yaml", "clients.app-heartbeat.count=200"}, // two groups
	} {
		data, err := scenarios.Examples.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := scenarios.Parse(c.file, data, []string{"duration=40m", "warmup=5m", "network.loss=0.01", c.clients})
		if err != nil {
			t.Fatal(err)
		}
		sc.Config.Trace = true
		run, err := sim.Run(&sc.Config, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ages float64
		for _, b := range run.Middleboxes {
			lifetimes, ages = lifetimes+b.LifetimeSumS, ages+b.StartAgeSumS+b.EndAgeSumS
		}
		if len(run.Series) == 0 || len(run.Trace) == 0 || ages == 0 {
			t.Fatalf("%s: the run leaves empty a field that must be seen to round-trip", c.file)
		}
		out, err := json.Marshal(run)
		if err != nil {
			t.Fatal(err)
		}
		var back sim.RunResult
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		want := *run
		want.Trace = nil // left out on purpose
		if !reflect.DeepEqual(back, want) {
			again, _ := json.Marshal(back)
			t.Errorf("%s: the run read back from JSON differs\nwrote %.400s\nread  %.400s", c.file, out, again)
		}
	}
	if lifetimes == 0 {
		t.Error("no run removed an entry: the lifetime sums were not seen to round-trip")
	}
}
