package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// readOnlyDir returns a folder that cannot be written in: a read-only
// tmpfs as root (for whom permission bits do not count), else a folder
// without write permission.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(dir, 0o755)
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return dir
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_RDONLY, "size=64k"); err != nil {
		t.Skipf("cannot mount a read-only tmpfs as root: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// TestBadOutIsBadInput: an --out that cannot be used is refused before
// anything runs, with exit status 2.
func TestBadOutIsBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	dangling := filepath.Join(tmp, "dangling")
	os.Symlink(filepath.Join(tmp, "nowhere"), dangling)
	other := filepath.Join(tmp, "someone-elses")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	ro := readOnlyDir(t)
	sweepArgs := []string{"sweep", "scenarios/lru-cyclic-collapse.yaml", "--quiet", "--param", "path.small-nat.capacity=450,500"}
	runArgs := append([]string{"run"}, quick...)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"run: a file", append(runArgs, "--out", file), "is a file, not a folder"},
		{"run: a dangling link", append(runArgs, "--out", dangling), "is a symbolic link to nothing"},
		{"run: a NUL", append(runArgs, "--out", "a\x00b"), "not a usable folder name"},
		{"run: read-only", append(runArgs, "--out", filepath.Join(ro, "out")), "cannot write in"},
		{"run: read-only parent of parent", append(runArgs, "--out", filepath.Join(ro, "a", "b")), "cannot create its parent folder"},
		{"run: the current folder", append(runArgs, "--out", "."), "is the current folder"},
		{"run: someone else's folder", append(runArgs, "--out", other), "is not empty and not a complete natsim output folder"},
		{"sweep: a file", append(sweepArgs, "--out", file), "is a file, not a folder"},
		{"sweep: a dangling link", append(sweepArgs, "--out", dangling), "is a symbolic link to nothing"},
		{"sweep: read-only", append(sweepArgs, "--out", filepath.Join(ro, "out")), "cannot write in"},
		{"sweep: someone else's folder", append(sweepArgs, "--out", other), "add --force to replace it"},
		{"plot: a file as the folder", []string{"plot", "internal/review/testdata/sweep", "--chart", "tradeoff", "--out", filepath.Join(file, "x.png")}, "cannot create it"},
		{"plot: read-only", []string{"plot", "internal/review/testdata/sweep", "--chart", "tradeoff", "--out", filepath.Join(ro, "x.png")}, "is not writable"},
		{"plot: bad extension", []string{"plot", "internal/review/testdata/sweep", "--chart", "tradeoff", "--out", filepath.Join(tmp, "x.gif")}, "must end in .png"},
		{"kernel-check: logs into a file", []string{"kernel-check", "scenarios/kernel/app-heartbeat.yaml", "--keep-logs", file}, "cannot create it"},
		{"kernel-check: logs read-only", []string{"kernel-check", "scenarios/kernel/app-heartbeat.yaml", "--keep-logs", ro}, "is not writable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, msg, code := natsim(t, tc.args...)
			if code != 2 || !strings.Contains(msg, tc.want) {
				t.Errorf("exit %d, message %q; want 2 and %q", code, msg, tc.want)
			}
			if stdout != "" {
				t.Errorf("something ran: %s", stdout)
			}
		})
	}
	if data, _ := os.ReadFile(filepath.Join(other, "notes.txt")); string(data) != "mine" {
		t.Error("someone else's folder was touched")
	}
	// --force replaces a folder of plain files, but never one with folders.
	if _, msg, code := natsim(t, append(runArgs, "--out", other, "--force")...); code != 0 {
		t.Errorf("--force: exit %d %s", code, msg)
	}
	if _, msg, code := natsim(t, append(runArgs, "--out", tmp, "--force")...); code != 2 || !strings.Contains(msg, "holds folders") {
		t.Errorf("--force on a folder of folders: exit %d %s", code, msg)
	}
}
