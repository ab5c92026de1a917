package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxDiffLines is the most differing numbers a golden mismatch lists.
const maxDiffLines = 20

// checkGolden compares got, a result's JSON, with the golden file byte
// for byte (rewriting it first with -update). On a mismatch it says what
// differs, number by number, under the name what.
func checkGolden(t *testing.T, what, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Errorf("%s: %v (go test -update writes it)", what, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: result differs from %s:\n%s", what, golden, jsonDiff(want, got))
	}
}

// jsonDiff lists the values that differ between two JSON documents, one
// line per path ("groups[phones].breaks.total: want 3, got 4"); elements
// of a list that have a name are named by it.
func jsonDiff(want, got []byte) string {
	w, errW := flatJSON(want)
	g, errG := flatJSON(got)
	if errW != nil || errG != nil {
		return fmt.Sprintf("  not comparable as JSON (golden: %v; result: %v)", errW, errG)
	}
	var paths []string
	for p := range w {
		paths = append(paths, p)
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var lines []string
	for _, p := range paths {
		a, inW := w[p]
		b, inG := g[p]
		switch {
		case !inG:
			lines = append(lines, fmt.Sprintf("  %s: want %s, gone", p, a))
		case !inW:
			lines = append(lines, fmt.Sprintf("  %s: new, got %s", p, b))
		case a != b:
			lines = append(lines, fmt.Sprintf("  %s: want %s, got %s", p, a, b))
		}
	}
	if len(lines) == 0 {
		return "  the same values, written differently"
	}
	if len(lines) > maxDiffLines {
		lines = append(lines[:maxDiffLines], fmt.Sprintf("  ... and %d more", len(lines)-maxDiffLines))
	}
	return strings.Join(lines, "\n")
}

// flatJSON maps every leaf of a JSON document to its text by path.
func flatJSON(data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // compare numbers as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	out := map[string]string{}
	flatValue("", v, out)
	return out, nil
}

func flatValue(path string, v any, out map[string]string) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			flatValue(join(k), x, out)
		}
	case []any:
		for i, x := range v {
			label := fmt.Sprint(i)
			if m, ok := x.(map[string]any); ok {
				if name, ok := m["name"].(string); ok {
					label = name
				}
			}
			flatValue(fmt.Sprintf("%s[%s]", path, label), x, out)
		}
	default:
		out[path] = fmt.Sprint(v)
	}
}

func TestJSONDiffNamesWhatDiffers(t *testing.T) {
	want := `{"groups": [{"name": "phones", "breaks": {"total": 3}, "lost_up": 1}], "events": 10}`
	got := `{"groups": [{"name": "phones", "breaks": {"total": 4}, "held": 2}], "events": 10}`
	d := jsonDiff([]byte(want), []byte(got))
	for _, line := range []string{"groups[phones].breaks.total: want 3, got 4", "groups[phones].lost_up: want 1, gone", "groups[phones].held: new, got 2"} {
		if !strings.Contains(d, line) {
			t.Errorf("diff lacks %q:\n%s", line, d)
		}
	}
	if strings.Contains(d, "events") {
		t.Errorf("diff lists an equal value:\n%s", d)
	}
}
