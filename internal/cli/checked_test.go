package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestStdoutWriteErrorFails: output that cannot be written is a failure
// (exit 1), for every command that prints.
func TestStdoutWriteErrorFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(file, []byte(goodScenario), 0o644)
	for _, args := range [][]string{
		{"check", file}, {"presets"}, {"presets", "--notes"}, {"--version"}, {"--help"}, {"run", "--help"},
		{"run", file, "--quiet", "--set", "clients.app.count=1"}, {"run", file, "--quiet", "--json", "--set", "clients.app.count=1"},
	} {
		err := run(context.Background(), args, failingWriter{}, &strings.Builder{})
		if code := exitCode(err); code != 1 || !strings.Contains(err.Error(), "no space left") {
			t.Errorf("natsim %v: exit %d (%v), want 1 and the write error", args, code, err)
		}
	}
}

// TestCheckToDevFull: natsim check FILE > /dev/full exits 1 and says why.
func TestCheckToDevFull(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer full.Close()
	file := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(file, []byte(goodScenario), 0o644)
	cmd := natsimChild("check", file)
	cmd.Stdout = full
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), "no space left on device") {
		t.Fatalf("%v, stderr %q; want exit 1 and the write error", err, stderr.String())
	}
}
