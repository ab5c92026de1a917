//go:build !linux

package nat

// hugePages does nothing off Linux: transparent huge pages are Linux's.
func hugePages[T any](s []T) {}
