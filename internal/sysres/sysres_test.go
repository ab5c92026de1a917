package sysres

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int64 // 0: refused
	}{
		{"8GiB", 8 << 30}, {"500MB", 500e6}, {"1.5G", 3 << 29}, {"1048576", 1 << 20}, {"64 MiB", 64 << 20},
		{"1e30B", 0}, {"infB", 0}, {"inf", 0}, {"NaNGiB", 0}, {"-1GiB", 0}, {"0", 0}, {"9223372036854775807", 0},
		{"2EiB", 0}, {"1e19", 0}, {"lots", 0}, {"", 0}, {"0.5B", 0},
	} {
		got, err := ParseSize(tc.text)
		if got != tc.want || (err == nil) != (tc.want > 0) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.text, got, err, tc.want)
		}
	}
}

// TestMemoryLimitReadsTheCgroup: in a 2 GiB container on a host with
// more, the limit is the container's.
func TestMemoryLimitReadsTheCgroup(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"host only", map[string]string{"proc/meminfo": "MemTotal:       16000000 kB\n"}, 16000000 << 10},
		{"cgroup v2 lower", map[string]string{"proc/meminfo": "MemTotal: 16000000 kB\n", "sys/fs/cgroup/memory.max": "2147483648\n"}, 2 << 30},
		{"cgroup v2 unlimited", map[string]string{"proc/meminfo": "MemTotal: 1000 kB\n", "sys/fs/cgroup/memory.max": "max\n"}, 1000 << 10},
		{"cgroup v2 of the process", map[string]string{"proc/meminfo": "MemTotal: 16000000 kB\n", "proc/self/cgroup": "0::/box\n",
			"sys/fs/cgroup/box/memory.max": "1073741824\n"}, 1 << 30},
		{"cgroup v1", map[string]string{"proc/meminfo": "MemTotal: 16000000 kB\n", "sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n"}, 2 << 30},
		{"cgroup v1 unlimited", map[string]string{"proc/meminfo": "MemTotal: 1000 kB\n", "sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 1000 << 10},
		{"cgroup higher than the host", map[string]string{"proc/meminfo": "MemTotal: 1000 kB\n", "sys/fs/cgroup/memory.max": "2147483648\n"}, 1000 << 10},
		{"nothing", map[string]string{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, text := range tc.files {
				path := filepath.Join(root, name)
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := memoryLimit(root); got != tc.want {
				t.Fatalf("limit %d, want %d", got, tc.want)
			}
		})
	}
}
