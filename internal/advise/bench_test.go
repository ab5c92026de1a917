package advise

import (
	"context"
	"io/fs"
	"runtime"
	"testing"
	"time"

	"github.com/natsim/natsim/internal/batch"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// BenchmarkAdviseExamples runs natsim advise on every shipped example
// with its advise: block and the default budget, on all cores, and
// reports the runs and simulated client-hours it took (search and
// verification); ns/op is its wall time. The target is under 60 s for
// each, and under 15 s for aws-nat-gateway-grpc, on 2 cores.
func BenchmarkAdviseExamples(b *testing.B) {
	files, err := fs.Glob(scenarios.Examples, "*.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		b.Run(f, func(b *testing.B) {
			data, err := fs.ReadFile(scenarios.Examples, f)
			if err != nil {
				b.Fatal(err)
			}
			sc, err := scenarios.Parse(f, data, nil)
			if err != nil {
				b.Fatal(err)
			}
			if sc.Target.Empty() {
				sc.Target.Set("breaks_per_1000_client_hours", DefaultBreaks)
			}
			run := func(ctx context.Context, _ string, jobs []batch.Job) ([]*sim.RunResult, error) {
				return batch.Run(ctx, jobs, runtime.NumCPU(), nil)
			}
			var res *Result
			for b.Loop() {
				if res, err = Search(context.Background(), Settings{Scenario: sc, Run: run, Budget: Budget{Runs: DefaultBudget}, Now: time.Now}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Runs), "runs")
			b.ReportMetric(res.ClientHours, "client-hours")
		})
	}
}
