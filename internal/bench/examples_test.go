package bench

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// exampleVariants are the settings each example also runs with, so that
// code paths the examples leave out by default (idle_only, server pings,
// loss, delay) are covered; a variant that does not apply to an example
// is left out of the golden file.
var exampleVariants = []string{"", "keepalive.idle_only=true", "keepalive.type=server-app", "network.loss=0.02", "network.rtt=80ms"}

// TestExamplesUnchanged runs every shipped example for one simulated hour
// in each variant and compares a hash of its result JSON with the golden
// list: an optimisation must not change any result anywhere.
func TestExamplesUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example five ways")
	}
	names, _ := fs.Glob(scenarios.Examples, "*.yaml")
	var got strings.Builder
	for _, name := range names {
		data, _ := scenarios.Examples.ReadFile(name)
		for _, v := range exampleVariants {
			sets := []string{"duration=1h", "warmup=10m", "replications=1"}
			if strings.HasPrefix(v, "keepalive.") {
				sc, err := scenarios.Parse(name, data, sets)
				if err != nil {
					t.Fatal(err)
				}
				v = "clients." + sc.Config.Groups[0].Name + "." + v
			}
			if v != "" {
				sets = append(sets, v)
			}
			sc, err := scenarios.Parse(name, data, sets)
			if err != nil {
				continue // the variant does not apply to this example
			}
			run, err := sim.Run(&sc.Config, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := sim.Aggregate(&sc.Config, []*sim.RunResult{run}).WriteJSON(&out); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&got, "%s %q %x\n", name, v, sha256.Sum256(out.Bytes()))
		}
	}
	const golden = "testdata/examples.txt"
	if *update {
		os.WriteFile(golden, []byte(got.String()), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Fatalf("results changed; got:\n%s\nwant:\n%s", got.String(), want)
	}
}
