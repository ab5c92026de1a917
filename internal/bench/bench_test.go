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

// BenchmarkReference is the reference workload (100,000 clients, one
// simulated hour) in heartbeats per second of wall time.
func BenchmarkReference(b *testing.B) {
	batch.TuneGC(0, 1, 1)
	for range b.N {
		r, _, err := Measure(context.Background(), Reference(100000, time.Hour), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.HeartbeatsPerS, "heartbeats/s")
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.RSSPerClientB, "peakRSS-B/client")
	}
}

// BenchmarkReferenceRadio is the reference workload with an LTE radio on
// every client, in nanoseconds per packet (to compare with
// BenchmarkReference's).
func BenchmarkReferenceRadio(b *testing.B) { benchRadio(b, Reference) }

// benchRadio measures workload with an LTE radio on every
// client, in nanoseconds per packet.
func benchRadio(b *testing.B, workload func(int, time.Duration) *sim.Config) {
	batch.TuneGC(0, 1, 1)
	for range b.N {
		cfg := workload(100000, time.Hour)
		if err := WithRadio(cfg, "lte"); err != nil {
			b.Fatal(err)
		}
		r, _, err := Measure(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.PacketsPerS, "packets/s")
	}
}

// BenchmarkAdaptive is the reference workload with Mars adaptive
// keepalives on every client, in nanoseconds per packet (to compare with
// BenchmarkReference's).
func BenchmarkAdaptive(b *testing.B) {
	batch.TuneGC(0, 1, 1)
	for range b.N {
		r, _, err := Measure(context.Background(), Adaptive(100000, time.Hour), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.PacketsPerS, "packets/s")
	}
}

// BenchmarkHouseholds is the households workload (100,000 clients, one
// simulated hour) with and without the per-client home routers: the
// difference is their cost per client.
func BenchmarkHouseholds(b *testing.B) {
	batch.TuneGC(0, 1, 1)
	for _, home := range []bool{true, false} {
		b.Run(map[bool]string{true: "home+cgnat", false: "cgnat"}[home], func(b *testing.B) {
			for range b.N {
				r, _, err := Measure(context.Background(), Households(100000, time.Hour, home), nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.NsPerPacket, "ns/packet")
				b.ReportMetric(r.LivePerClientB, "liveheap-B/client")
				b.ReportMetric(r.RSSPerClientB, "peakRSS-B/client")
			}
		})
	}
}

// BenchmarkAdaptiveRadio is BenchmarkAdaptive with an LTE radio on every
// client (natsim bench --adaptive --radio lte), in nanoseconds per packet.
func BenchmarkAdaptiveRadio(b *testing.B) { benchRadio(b, Adaptive) }

// BenchmarkBusy is the busy scenario, in nanoseconds per packet (to
// compare with BenchmarkReference's).
func BenchmarkBusy(b *testing.B) {
	batch.TuneGC(0, 1, 1)
	cfg := busy(b)
	for range b.N {
		r, _, err := Measure(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.PacketsPerS, "packets/s")
	}
}

// BenchmarkPooled is the request-driven workload (Pooled) at 10,000
// clients for one simulated hour: 36 million requests. Its target is
// under 60 s a run on the project's 2-core machine.
func BenchmarkPooled(b *testing.B) {
	batch.TuneGC(0, 1, 1)
	for range b.N {
		r, run, err := Measure(context.Background(), Pooled(10000, time.Hour), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(run.Groups[0].Requests/r.WallS, "requests/s")
		b.ReportMetric(r.WallS, "wall-s/run")
		b.ReportMetric(r.NsPerPacket, "ns/packet")
	}
}
