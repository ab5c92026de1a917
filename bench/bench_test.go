package bench

import (
	"bytes"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/natsim/natsim/batch"
	"github.com/natsim/natsim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden reference result")

// TestReferenceResultUnchanged runs the full reference workload (100,000
// clients, one simulated hour) and compares its result JSON with the
// golden copy byte for byte: optimisations must not change any result.
func TestReferenceResultUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("the reference workload takes a few seconds")
	}
	cfg := Reference(100000, time.Hour)
	run, err := sim.Run(cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := sim.Aggregate(cfg, []*sim.RunResult{run}).WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/reference.json"
	if *update {
		os.WriteFile(golden, got.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("reference result changed:\n%s", got.String())
	}
}

// BenchmarkReference is the reference workload (100,000 clients, one
// simulated hour) in heartbeats per second of wall time.
func BenchmarkReference(b *testing.B) {
	batch.TuneGC(0)
	for range b.N {
		r, _, err := Measure(Reference(100000, time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.HeartbeatsPerS, "heartbeats/s")
		b.ReportMetric(r.NsPerPacket, "ns/packet")
		b.ReportMetric(r.RSSPerClientB, "peakRSS-B/client")
	}
}
