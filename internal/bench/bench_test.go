package bench

import (
	"bytes"
	"context"
	"flag"
	"testing"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden reference result")

// busy loads the busy scenario, one replication.
func busy(t testing.TB) *sim.Config {
	cfg, err := BusyConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestResultsUnchanged runs the full reference workload (100,000 clients,
// one simulated hour) and the busy scenario, and compares their result
// JSON with golden copies byte for byte: optimisations must not change
// any result.
func TestResultsUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("the reference workload takes a few seconds")
	}
	check(t, Reference(100000, time.Hour), "testdata/reference.json")
	check(t, busy(t), "testdata/busy.json")
}

func check(t *testing.T, cfg *sim.Config, golden string) {
	t.Helper()
	run, err := sim.Run(cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := sim.Aggregate(cfg, []*sim.RunResult{run}).WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, cfg.Name, golden, got.Bytes())
}

// benchWorkload measures the run that workload makes, once per b.N, as
// natsim bench does, and reports what report picks from each
// measurement.
func benchWorkload(b *testing.B, workload func() *sim.Config, report func(r Report, run *sim.RunResult)) {
	batch.TuneGC(0, 1, 1)
	for range b.N {
		r, run, err := Measure(context.Background(), workload(), nil)
		if err != nil {
			b.Fatal(err)
		}
		report(r, run)
	}
}

// perPacket reports the nanoseconds and packets per second of a run.
func perPacket(b *testing.B) func(Report, *sim.RunResult) {
	return func(r Report, _ *sim.RunResult) {
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.PacketsPerS, "packets/s")
	}
}

// BenchmarkReference is the reference workload (100,000 clients, one
// simulated hour) in heartbeats per second of wall time.
func BenchmarkReference(b *testing.B) {
	benchWorkload(b, func() *sim.Config { return Reference(100000, time.Hour) }, func(r Report, _ *sim.RunResult) {
		b.ReportMetric(r.HeartbeatsPerS, "heartbeats/s")
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.RSSPerClientB, "peakRSS-B/client")
	})
}

// BenchmarkReferenceRadio is the reference workload with an LTE radio on
// every client, in nanoseconds per packet (to compare with
// BenchmarkReference's).
func BenchmarkReferenceRadio(b *testing.B) { benchRadio(b, Reference) }

// benchRadio measures workload with an LTE radio on every
// client, in nanoseconds per packet.
func benchRadio(b *testing.B, workload func(int, time.Duration) *sim.Config) {
	benchWorkload(b, func() *sim.Config {
		cfg := workload(100000, time.Hour)
		if err := WithRadio(cfg, "lte"); err != nil {
			b.Fatal(err)
		}
		return cfg
	}, perPacket(b))
}

// BenchmarkAdaptive is the reference workload with Mars adaptive
// keepalives on every client, in nanoseconds per packet (to compare with
// BenchmarkReference's).
func BenchmarkAdaptive(b *testing.B) {
	benchWorkload(b, func() *sim.Config { return Adaptive(100000, time.Hour) }, perPacket(b))
}

// BenchmarkHouseholds is the households workload (100,000 clients, one
// simulated hour) with and without the per-client home routers: the
// difference is their cost per client.
func BenchmarkHouseholds(b *testing.B) {
	for _, home := range []bool{true, false} {
		b.Run(map[bool]string{true: "home+cgnat", false: "cgnat"}[home], func(b *testing.B) {
			benchWorkload(b, func() *sim.Config { return Households(100000, time.Hour, home) }, func(r Report, _ *sim.RunResult) {
				b.ReportMetric(r.NsPerPacket, "ns/packet")
				b.ReportMetric(r.LivePerClientB, "liveheap-B/client")
				b.ReportMetric(r.RSSPerClientB, "peakRSS-B/client")
			})
		})
	}
}

// BenchmarkAdaptiveRadio is BenchmarkAdaptive with an LTE radio on every
// client (natsim bench --adaptive --radio lte), in nanoseconds per packet.
func BenchmarkAdaptiveRadio(b *testing.B) { benchRadio(b, Adaptive) }

// BenchmarkBusy is the busy scenario, in nanoseconds per packet (to
// compare with BenchmarkReference's).
func BenchmarkBusy(b *testing.B) {
	cfg := busy(b)
	benchWorkload(b, func() *sim.Config { return cfg }, perPacket(b))
}

// BenchmarkPooled is the request-driven workload (Pooled) at 10,000
// clients for one simulated hour: 36 million requests. Its target is
// under 60 s a run on the project's 2-core machine.
func BenchmarkPooled(b *testing.B) {
	benchWorkload(b, func() *sim.Config { return Pooled(10000, time.Hour) }, func(r Report, run *sim.RunResult) {
		b.ReportMetric(run.Groups[0].Requests/r.WallS, "requests/s")
		b.ReportMetric(r.WallS, "wall-s/run")
		b.ReportMetric(r.NsPerPacket, "ns/packet")
	})
}
