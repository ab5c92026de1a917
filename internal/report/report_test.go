package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/natsim/natsim/internal/report"
	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata")

// TestGoldenReports holds the text report of example scenarios, shortened
// with --set so that the test is fast. The goldens are the reports as a
// user reads them: regenerate with go test ./internal/report -update and
// read the diff.
func TestGoldenReports(t *testing.T) {
	for _, tc := range []struct {
		golden, file string
		sets         []string
		opt          report.Options
	}{
		// Three replications: means, half-widths, counts with a decimal
		// where the runs disagreed; breaks by idle timeout, undetected.
		{"azure-lb-linux-default-keepalive.txt", "azure-lb-linux-default-keepalive.yaml",
			[]string{"clients.svc.count=200", "duration=2h", "warmup=30m", "replications=3"}, report.Options{}},
		// One replication and no breaks: the lines of zeros left out, a
		// table already full when counting began.
		{"aws-nat-gateway-grpc.txt", "aws-nat-gateway-grpc.yaml",
			[]string{"clients.grpc.count=500", "duration=1h", "replications=1"}, report.Options{}},
		// The keepalive idle past the gateway's timeout: breaks by reset.
		{"aws-nat-gateway-grpc-idle-6m.txt", "aws-nat-gateway-grpc.yaml",
			[]string{"clients.grpc.count=300", "clients.grpc.keepalive.idle=6m", "duration=1h", "replications=1"}, report.Options{}},
		// A full early-drop table: the groups' refused opens are the box's
		// refused opens and early drops; Verbose adds the events line.
		{"linux-conntrack-early-drop.txt", "linux-conntrack-early-drop.yaml",
			[]string{"duration=30m", "clients.web.count=500", "clients.long-lived.count=100", "path.conntrack.capacity=700", "replications=2"},
			report.Options{Verbose: true}},
		// A group that mixes paths: its block, then a block per path with
		// its share; only the cheap routers' devices lose pushes.
		{"iot-fleet-cheap-and-good-routers.txt", "iot-fleet-cheap-and-good-routers.yaml",
			[]string{"clients.devices.count=300", "duration=1h", "replications=2"}, report.Options{}},
	} {
		t.Run(strings.TrimSuffix(tc.golden, ".txt"), func(t *testing.T) {
			cfg, res := run(t, tc.file, tc.sets)
			var b bytes.Buffer
			if err := report.Write(&b, cfg, res, tc.opt); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", tc.golden), b.Bytes())
		})
	}
}

// run runs a scenario's replications and returns what Write takes.
func run(t *testing.T, file string, sets []string) (*sim.Config, *sim.Result) {
	t.Helper()
	sc, err := scenarios.Load(filepath.Join("..", "..", "scenarios", file), sets)
	if err != nil {
		t.Fatal(err)
	}
	var runs []*sim.RunResult
	for rep := range sc.Replications {
		r, err := sim.Run(&sc.Config, rep, nil)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return &sc.Config, sim.Aggregate(&sc.Config, runs)
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestEventsLineOnRequest holds that the engine's events per run are
// written only with Verbose or with wall-clock time.
func TestEventsLineOnRequest(t *testing.T) {
	cfg, res := run(t, "aws-nat-gateway-grpc.yaml", []string{"clients.grpc.count=20", "duration=20m", "replications=1"})
	wall := 1.5
	for _, tc := range []struct {
		opt  report.Options
		wall *float64
		want string // "" for no events line
	}{
		{report.Options{}, nil, ""},
		{report.Options{Verbose: true}, nil, " events per run\n"},
		{report.Options{}, &wall, " events per run, 1.5s of wall-clock time\n"},
	} {
		res.WallS = tc.wall
		var b bytes.Buffer
		if err := report.Write(&b, cfg, res, tc.opt); err != nil {
			t.Fatal(err)
		}
		switch has := strings.Contains(b.String(), "events per run"); {
		case tc.want == "" && has:
			t.Errorf("%+v, wall %v: events line written:\n%s", tc.opt, tc.wall, b.String())
		case tc.want != "" && !strings.HasSuffix(b.String(), tc.want):
			t.Errorf("%+v, wall %v: report does not end %q:\n%s", tc.opt, tc.wall, tc.want, b.String())
		}
	}
}
