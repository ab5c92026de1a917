package outdir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// build writes files (name -> content) as one folder at path.
func build(t *testing.T, path string, o Options, files map[string]string) error {
	t.Helper()
	w, err := Create(path, o)
	if err != nil {
		return err
	}
	defer w.Abort()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(w.Dir(), name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return w.Commit()
}

// names lists a folder, hidden entries included.
func names(t *testing.T, dir string) []string {
	t.Helper()
	des, _ := os.ReadDir(dir)
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestReplaceIsWhole(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	a := Options{Scenario: "a"}
	if err := build(t, dir, a, map[string]string{"report.md": "old", "data.csv": "1"}); err != nil {
		t.Fatal(err)
	}
	// The same scenario again: the old folder goes as a whole, report.md
	// with it.
	if err := build(t, dir, a, map[string]string{"data.csv": "2"}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"data.csv", ManifestName}) {
		t.Fatalf("folder holds %v", got)
	}
	if got := names(t, parent); !slices.Equal(got, []string{"out"}) {
		t.Fatalf("parent holds %v: leftovers", got)
	}
	m, err := Verify(dir)
	if err != nil || m.Scenario != "a" || len(m.Files) != 1 || m.Files[0].Bytes != 1 {
		t.Fatalf("verify: %v %+v", err, m)
	}
	// Another scenario is refused, unless forced.
	err = build(t, dir, Options{Scenario: "b"}, map[string]string{"x": "y"})
	var be *BadError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "holds natsim's output of scenario a, not b") {
		t.Fatalf("another scenario: %v", err)
	}
	if err := build(t, dir, Options{Scenario: "b", Force: true}, map[string]string{"x": "y"}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRefusesWhatDoesNotMatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(dir string)
		want   string
	}{
		{"no manifest", func(dir string) { os.Remove(filepath.Join(dir, ManifestName)) }, "no manifest.json"},
		{"a file missing", func(dir string) { os.Remove(filepath.Join(dir, "b.csv")) }, "missing [b.csv]"},
		{"a file not listed", func(dir string) { os.WriteFile(filepath.Join(dir, "old-report.md"), nil, 0o644) }, "not listed [old-report.md]"},
		{"a file changed", func(dir string) { os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"partial":false}`), 0o644) }, "a.json does not match"},
		{"a file cut short", func(dir string) { os.Truncate(filepath.Join(dir, "b.csv"), 1) }, "b.csv does not match"},
		{"another format", func(dir string) { os.WriteFile(filepath.Join(dir, ManifestName), []byte(`{"format":"x"}`), 0o644) }, "is not a natsim"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if err := build(t, dir, Options{Scenario: "s"}, map[string]string{"a.json": `{"partial":true}`, "b.csv": "x,y\n"}); err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(dir); err != nil {
				t.Fatal(err)
			}
			tc.tamper(dir)
			if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("verify: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSecondWriterFailsAtOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	first, err := Create(dir, Options{Scenario: "s"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Create(dir, Options{Scenario: "s"})
	var be *BadError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "another natsim is writing this folder") {
		t.Fatalf("second writer: %v", err)
	}
	// A default folder moves aside instead: two sweeps started in the same
	// second get two folders.
	second, err := Create(dir, Options{Scenario: "s", Unique: true})
	if err != nil || second.Path != dir+"-2" {
		t.Fatalf("unique: %v, %v", err, second)
	}
	for _, w := range []*Writer{first, second} {
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	third, err := Create(dir, Options{Scenario: "s", Unique: true})
	if err != nil || third.Path != dir+"-3" {
		t.Fatalf("unique after both: %v, %v", err, third)
	}
	third.Abort()
	if got := names(t, filepath.Dir(dir)); !slices.Equal(got, []string{"out", "out-2"}) {
		t.Fatalf("parent holds %v", got)
	}
}

func TestLeftoversAreRemoved(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	// What kill -9 leaves: a temporary folder of this target, and one of
	// another target whose writer (pid 1 << 30 does not exist) is gone.
	for _, n := range []string{".out" + tmpMark + "123", ".gone" + tmpMark + "1073741824"} {
		os.MkdirAll(filepath.Join(parent, n), 0o755)
		os.WriteFile(filepath.Join(parent, n, "sweep.json"), []byte("{"), 0o644)
	}
	if err := build(t, dir, Options{Scenario: "s"}, map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, parent); !slices.Equal(got, []string{"out"}) {
		t.Fatalf("parent holds %v", got)
	}
}

func TestKeepAddsToAFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := build(t, dir, Options{Scenario: "s"}, map[string]string{"sweep.json": "{}"}); err != nil {
		t.Fatal(err)
	}
	if err := build(t, dir, Options{Scenario: "s", Keep: true}, map[string]string{"tradeoff.png": "png"}); err != nil {
		t.Fatal(err)
	}
	m, err := Verify(dir)
	if err != nil || len(m.Files) != 2 {
		t.Fatalf("%v %+v", err, m)
	}
}

// TestAProbeLeftByAKilledNatsimIsNotAForeignFile: a natsim killed between
// creating and removing its writability probe in an old output folder
// leaves the probe there; the folder is still complete, and the next
// writer replaces it.
func TestAProbeLeftByAKilledNatsimIsNotAForeignFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	o := Options{Scenario: "s"}
	if err := build(t, dir, o, map[string]string{"a.csv": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, probePrefix+"123"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err != nil {
		t.Fatalf("verify with a leftover probe: %v", err)
	}
	if err := build(t, dir, o, map[string]string{"a.csv": "2"}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"a.csv", ManifestName}) {
		t.Fatalf("folder holds %v", got)
	}
}
