// Package sysres reads the resources natsim may use: the memory limit of
// its cgroup or host, and sizes written on the command line.
package sysres

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxSize is the largest size ParseSize accepts: 1 EiB, far beyond any
// machine and well within int64.
const MaxSize = 1 << 60

// ParseSize reads a size such as 8GiB, 500MB, 1.5G or 1048576 (bytes).
// Non-finite, non-positive and sizes beyond MaxSize are refused, so that
// no size overflows into a negative number that disables a limit.
func ParseSize(text string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}}
	num, mult := text, 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(text, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("not a size such as 8GiB or 500MB (got %q)", text)
	case err != nil || math.IsInf(v, 0) || math.IsNaN(v) || v*mult > MaxSize:
		return 0, fmt.Errorf("must be at most 1 EiB (got %q)", text)
	case v*mult < 1:
		return 0, fmt.Errorf("must be at least one byte (got %q)", text)
	}
	return int64(v * mult), nil
}

// MemoryLimit is the memory natsim may use: the host's MemTotal, or its
// cgroup's limit when that is lower (v2 memory.max, else v1
// memory.limit_in_bytes). 0 when neither can be read.
func MemoryLimit() int64 { return memoryLimit("/") }

// memoryLimit is MemoryLimit with /proc and /sys under root.
func memoryLimit(root string) int64 {
	limit := hostMemory(filepath.Join(root, "proc/meminfo"))
	for _, file := range cgroupFiles(root) {
		if n, ok := readLimit(file); ok && (limit == 0 || n < limit) {
			limit = n
		}
	}
	return limit
}

// cgroupFiles lists the files that may hold this process's cgroup memory
// limit: those of the cgroup root as mounted (a container's own) and of
// the process's cgroup path, for v2 and v1.
func cgroupFiles(root string) []string {
	fs := filepath.Join(root, "sys/fs/cgroup")
	files := []string{filepath.Join(fs, "memory.max"), filepath.Join(fs, "memory/memory.limit_in_bytes")}
	data, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return files
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || strings.Contains(parts[2], "..") {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			files = append(files, filepath.Join(fs, parts[2], "memory.max"))
		case strings.Contains(","+parts[1]+",", ",memory,"):
			files = append(files, filepath.Join(fs, "memory", parts[2], "memory.limit_in_bytes"))
		}
	}
	return files
}

// readLimit reads a cgroup limit in bytes; "max" and v1's near-2^63
// "unlimited" are no limit.
func readLimit(file string) (int64, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil || n <= 0 || n >= MaxSize {
		return 0, false
	}
	return n, true
}

// hostMemory reads MemTotal from a meminfo file; 0 if it cannot.
func hostMemory(file string) int64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Text writes a byte count for people: 1.5 GiB, 64.0 MiB, 512 B.
func Text(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", n)
}
