//go:build !linux

package prefetch

// HugePages does nothing off Linux: transparent huge pages are Linux's.
func HugePages[T any](s []T) {}
