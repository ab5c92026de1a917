package bench

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/natsim/natsim/scenarios"
	"github.com/natsim/natsim/sim"
)

// exampleVariants are the settings each example also runs with, so that
// code paths the examples leave out by default (idle_only, server pings,
// loss, delay) are covered; a variant that does not apply to an example
// has no golden file.
var exampleVariants = []string{"", "keepalive.idle_only=true", "keepalive.type=server-app", "network.loss=0.02", "network.rtt=80ms"}

// examplesGolden holds the golden results: EXAMPLE/VARIANT.json, the
// result JSON of each example in each variant that applies (default.json
// for the example as written).
const examplesGolden = "testdata/examples"

// TestExamplesUnchanged runs every shipped example for one simulated hour
// in each variant and compares its result JSON with the golden copy: an
// optimisation must not change any result anywhere. A mismatch lists the
// numbers that differ; go test -update rewrites the copies.
func TestExamplesUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example five ways")
	}
	if *update {
		if err := os.RemoveAll(examplesGolden); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := fs.Glob(scenarios.Examples, "*.yaml")
	var written []string
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
			file := variantFile(name, v)
			written = append(written, file)
			checkGolden(t, name+" "+cmpVariant(v), filepath.Join(examplesGolden, file), out.Bytes())
		}
	}
	golden, _ := filepath.Glob(filepath.Join(examplesGolden, "*", "*.json"))
	for _, g := range golden {
		if rel, _ := filepath.Rel(examplesGolden, g); !slices.Contains(written, rel) {
			t.Errorf("%s: no example and variant gives this result any more (go test -update removes it)", g)
		}
	}
}

// variantFile is the golden file of an example in a variant, relative to
// examplesGolden.
func variantFile(example, variant string) string {
	if variant == "" {
		variant = "default"
	}
	return filepath.Join(strings.TrimSuffix(example, ".yaml"), variant+".json")
}

// cmpVariant names a variant for a message.
func cmpVariant(v string) string {
	if v == "" {
		return "as written"
	}
	return "with " + v
}
